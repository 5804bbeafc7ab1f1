import { readFileSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import fc from 'fast-check';
import { importParsed, requiredColumns } from '../../cloud-sink/src/reference/import';
import { parseCsvText, parseJsonText } from '../../cloud-sink/src/reference/parse';
import { REFERENCE_KINDS, type ReferenceKind } from '../../cloud-sink/src/reference/types';
import { importDirectory } from '../../cloud-sink/src/service/demo';
import { openSqliteRepository } from '../../cloud-sink/src/store/sqlite';
import { InvariantError, type FuzzTarget } from '../engine';
import { dataVersionWatch, expectPcfError, tempDir } from './support';

const DEMO_DIR = join(__dirname, '../../cloud-sink/examples/demo-factory');
const REJECT_CODES = ['ERR_REFERENCE_INVALID', 'ERR_BOM_CYCLE', 'ERR_UNIT', 'ERR_FACTOR_MISSING'];

/**
 * Input layout: byte 0 picks the kind (low nibble mod the number of kinds, so kinds are only ever appended) and the format (bit 4: CSV, else JSON); the rest is the
 * file text. Invariant: the import succeeds, or fails with a coded PcfError and the database is unchanged
 * (`PRAGMA data_version` seen from a second connection does not move).
 */
export function decodeInput(input: Buffer): { kind: ReferenceKind; csv: boolean; text: string } {
  const b0 = input[0] ?? 0;
  return {
    kind: REFERENCE_KINDS[(b0 & 0x0f) % REFERENCE_KINDS.length]!,
    csv: (b0 & 0x10) !== 0,
    text: input.subarray(1).toString('utf8'),
  };
}

export function encodeInput(kind: ReferenceKind, csv: boolean, text: string): Buffer {
  return Buffer.concat([Buffer.from([REFERENCE_KINDS.indexOf(kind) | (csv ? 0x10 : 0)]), Buffer.from(text)]);
}

export const referenceImport: FuzzTarget = {
  name: 'reference-import',
  seeds: () =>
    readdirSync(DEMO_DIR)
      .filter((f) => /\.(csv|json)$/.test(f))
      .map((f) => {
        const kind = f.replace(/\.(csv|json)$/, '') as ReferenceKind;
        return encodeInput(kind, extname(f) === '.csv', readFileSync(join(DEMO_DIR, f), 'utf8'));
      }),
  arbitrary: fc
    .tuple(
      fc.integer({ min: 0, max: 255 }),
      fc.oneof(
        fc.string({ maxLength: 200 }),
        fc
          .array(fc.array(fc.string({ maxLength: 12 }), { maxLength: 8 }), { maxLength: 6 })
          .map((rows) => rows.map((r) => r.join(',')).join('\n')),
        fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
      ),
    )
    .map(([b, t]) => new Uint8Array(Buffer.concat([Buffer.from([b]), Buffer.from(t)]))),
  maxBytes: 128 * 1024,
  async setup() {
    const tmp = tempDir('reference');
    const file = join(tmp.dir, 'db.sqlite');
    const repo = openSqliteRepository({ file });
    await importDirectory(repo, DEMO_DIR);
    const watch = dataVersionWatch(file);
    return {
      async run(input) {
        const { kind, csv, text } = decodeInput(input);
        const before = watch.version();
        try {
          const parsed = csv
            ? parseCsvText(kind, text, requiredColumns(kind), `fuzz.csv`)
            : parseJsonText(text, 'fuzz.json');
          await importParsed(repo, kind, parsed, csv ? 'fuzz.csv' : 'fuzz.json');
        } catch (err) {
          expectPcfError(err, REJECT_CODES, `${kind} ${csv ? 'CSV' : 'JSON'} import`);
          if (watch.version() !== before) throw new InvariantError('a rejected import changed the database');
        }
      },
      async teardown() {
        watch.close();
        await repo.close();
        tmp.remove();
      },
    };
  },
};
