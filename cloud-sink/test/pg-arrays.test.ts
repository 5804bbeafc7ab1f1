import { Client } from 'pg';
import { numberArrayLiteral, textArrayLiteral } from '../src/store/pg-arrays';
import { PG_URL, pgSkipNotice } from './pg-support';

const TEXTS: (string | null)[] = [
  'plain',
  '',
  null,
  'NULL',
  'null',
  '"quoted"',
  'back\\slash',
  '\\"both\\"',
  '{"kind":"line","id":"a,b}","v":[1,2]}',
  'comma, and } brace { and spaces  ',
  'ünïcödé and 𝄞 and 中文',
  'tab\tnew\nline\rcarriage',
  '\u0001\u001f control',
  '\\n is not a newline',
  'ends with backslash \\',
  'a lone \ud800 surrogate',
];

describe('array literals for the unnest writes', () => {
  test('a text array is JSON with braces unless JSON escaped something PostgreSQL reads differently', () => {
    expect(textArrayLiteral(['a', null, 'b"c', 'd\\e'])).toBe('{"a",null,"b\\"c","d\\\\e"}');
    expect(textArrayLiteral([])).toBe('{}');
    // control characters: handed back as an array for pg to escape
    expect(textArrayLiteral(['x', 'y\nz'])).toEqual(['x', 'y\nz']);
    expect(textArrayLiteral([undefined])).toBe('{null}');
    // a surrogate pair is a character JSON leaves alone; a lone one it escapes
    expect(textArrayLiteral(['𝄞'])).toBe('{"𝄞"}');
    expect(textArrayLiteral(['\udc00'])).toEqual(['\udc00']);
  });

  test('a number array prints NULL for null and refuses what is not finite', () => {
    expect(numberArrayLiteral([1, -2, 0.1, null, 9007199254740991, 1e-7])).toBe(
      '{1,-2,0.1,NULL,9007199254740991,1e-7}',
    );
    expect(() => numberArrayLiteral([1, Number.NaN])).toThrow('array element 1 is NaN');
    expect(() => numberArrayLiteral([Infinity])).toThrow('array element 0 is Infinity');
  });

  (PG_URL ? describe : describe.skip)('read back by PostgreSQL', () => {
    let client: Client;
    beforeAll(async () => {
      client = new Client({ connectionString: PG_URL });
      await client.connect();
    });
    afterAll(() => client.end());

    const readBack = async (literal: unknown) =>
      (
        await client.query<{ v: string | null; n: string }>(
          'SELECT v, n FROM unnest($1::text[]) WITH ORDINALITY AS t(v, n) ORDER BY n',
          [literal],
        )
      ).rows.map((r) => r.v);

    test('every text without control characters or lone surrogates takes the fast path and reads back as it was', async () => {
      const fast = TEXTS.filter((t) => t === null || !/[\u0000-\u001f\ud800]/.test(t));
      expect(fast.length).toBeGreaterThan(10);
      const literal = textArrayLiteral(fast);
      expect(typeof literal).toBe('string');
      expect(await readBack(literal)).toEqual(fast);
    });

    test("the others take pg's own path and read back as pg sends them", async () => {
      const literal = textArrayLiteral(TEXTS);
      expect(Array.isArray(literal)).toBe(true);
      // UTF-8 has no lone surrogate: pg sends U+FFFD for it, as it does for any text parameter
      expect(await readBack(literal)).toEqual(TEXTS.map((t) => t?.replace('\ud800', '\ufffd') ?? null));
    });

    test('numbers read back exactly as bigint and float8', async () => {
      const ints = [0, 1, -1, 9007199254740991, -9007199254740991, null];
      const floats = [0.1, 1 / 3, 1e-7, 123456.789, -0.5, null];
      const { rows } = await client.query<{ i: string | null; f: number | null }>(
        'SELECT i, f FROM unnest($1::bigint[], $2::float8[]) WITH ORDINALITY AS t(i, f, n) ORDER BY n',
        [numberArrayLiteral(ints), numberArrayLiteral(floats)],
      );
      expect(rows.map((r) => (r.i === null ? null : Number(r.i)))).toEqual(ints);
      expect(rows.map((r) => r.f)).toEqual(floats);
    });
  });
  if (!PG_URL) pgSkipNotice('pg-arrays');
});
