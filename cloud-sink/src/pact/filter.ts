import type { ProductFootprint } from './types';

/**
 * The PACT v2 `$filter` subset (an OData fragment), parsed by hand:
 *   filter     := clause ( 'and' clause )*
 *   clause     := property op literal | 'productIds/any(' v ':' ['('] v 'eq' string [')'] ')'
 *   property   := created | updated | productCategoryCpc | pcf/geographyCountry | pcf/referencePeriodStart | pcf/referencePeriodEnd
 *   op         := eq | lt | le | gt | ge
 *   literal    := 'quoted string' ('' escapes a quote) | unquoted ISO-8601 date-time (date properties only)
 * Date properties compare as instants; the others as strings. Anything else is a FilterError naming the position.
 */
export class FilterError extends Error {}

type Op = 'eq' | 'lt' | 'le' | 'gt' | 'ge';
export type Clause =
  { kind: 'compare'; property: string; op: Op; value: string } | { kind: 'productId'; value: string };

const DATE_PROPS = new Set(['created', 'updated', 'pcf/referencePeriodStart', 'pcf/referencePeriodEnd']);
const PROPS = new Set([...DATE_PROPS, 'productCategoryCpc', 'pcf/geographyCountry']);
const OPS = new Set(['eq', 'lt', 'le', 'gt', 'ge']);
const MAX_LENGTH = 2000;

function tokenize(text: string): { t: string; at: number; quoted: boolean }[] {
  const out: { t: string; at: number; quoted: boolean }[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ') {
      i++;
      continue;
    }
    if (c === '(' || c === ')' || c === ':') {
      out.push({ t: c, at: i, quoted: false });
      i++;
      continue;
    }
    if (c === "'") {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= text.length) throw new FilterError(`unterminated string starting at position ${i}`);
        if (text[j] === "'") {
          if (text[j + 1] === "'") {
            value += "'";
            j += 2;
            continue;
          }
          break;
        }
        value += text[j];
        j++;
      }
      out.push({ t: value, at: i, quoted: true });
      i = j + 1;
      continue;
    }
    const m = /^[A-Za-z0-9_/.:+-]+/.exec(text.slice(i));
    if (!m) throw new FilterError(`unexpected character '${c}' at position ${i}`);
    // An identifier followed by ':' is the lambda variable of any(v: …); date-times keep their colons.
    const word = m[0];
    const colon = /^[A-Za-z_]\w*:/.exec(word);
    const t = colon && !/^\d/.test(word) && !DATE_PROPS.has(word) ? colon[0].slice(0, -1) : word;
    out.push({ t, at: i, quoted: false });
    i += t.length;
  }
  return out;
}

export function parseFilter(text: string): Clause[] {
  if (text.length > MAX_LENGTH) throw new FilterError(`$filter is longer than ${MAX_LENGTH} characters`);
  const toks = tokenize(text);
  let p = 0;
  const next = (what: string) => {
    const tok = toks[p++];
    if (!tok) throw new FilterError(`expected ${what} at the end of $filter`);
    return tok;
  };
  const expect = (word: string) => {
    const tok = next(`'${word}'`);
    if (tok.quoted || tok.t !== word)
      throw new FilterError(`expected '${word}' at position ${tok.at}, found '${tok.t}'`);
  };
  const clauses: Clause[] = [];
  for (;;) {
    const head = next('a property');
    if (!head.quoted && head.t === 'productIds/any') {
      expect('(');
      const v = next('a variable');
      expect(':');
      const paren = toks[p]?.t === '(' && !toks[p]!.quoted;
      if (paren) p++;
      const v2 = next('the variable');
      if (v2.t !== v.t || v2.quoted) throw new FilterError(`expected variable '${v.t}' at position ${v2.at}`);
      expect('eq');
      const lit = next('a quoted product id');
      if (!lit.quoted) throw new FilterError(`expected a quoted product id at position ${lit.at}`);
      if (paren) expect(')');
      expect(')');
      clauses.push({ kind: 'productId', value: lit.t });
    } else {
      if (head.quoted || !PROPS.has(head.t))
        throw new FilterError(
          `unsupported property '${head.t}' at position ${head.at} (supported: ${[...PROPS].join(', ')}, productIds/any(…))`,
        );
      const op = next('an operator');
      if (op.quoted || !OPS.has(op.t))
        throw new FilterError(`unsupported operator '${op.t}' at position ${op.at} (eq, lt, le, gt, ge)`);
      const lit = next('a value');
      const isDate = DATE_PROPS.has(head.t);
      if (!lit.quoted && !isDate) throw new FilterError(`expected a quoted string at position ${lit.at}`);
      if (isDate && Number.isNaN(Date.parse(lit.t)))
        throw new FilterError(`'${lit.t}' at position ${lit.at} is not an ISO-8601 date-time`);
      clauses.push({ kind: 'compare', property: head.t, op: op.t as Op, value: lit.t });
    }
    if (p >= toks.length) return clauses;
    expect('and');
  }
}

function property(f: ProductFootprint, name: string): string | undefined {
  switch (name) {
    case 'created':
      return f.created;
    case 'updated':
      return f.updated;
    case 'productCategoryCpc':
      return f.productCategoryCpc;
    case 'pcf/geographyCountry':
      return f.pcf.geographyCountry;
    case 'pcf/referencePeriodStart':
      return f.pcf.referencePeriodStart;
    case 'pcf/referencePeriodEnd':
      return f.pcf.referencePeriodEnd;
    default:
      return undefined;
  }
}

function compare(a: number | string, b: number | string, op: Op): boolean {
  switch (op) {
    case 'eq':
      return a === b;
    case 'lt':
      return a < b;
    case 'le':
      return a <= b;
    case 'gt':
      return a > b;
    case 'ge':
      return a >= b;
  }
}

/** True when the footprint satisfies every clause; a missing property satisfies nothing. */
export function matchesFilter(f: ProductFootprint, clauses: Clause[]): boolean {
  return clauses.every((c) => {
    if (c.kind === 'productId') return f.productIds.includes(c.value);
    const v = property(f, c.property);
    if (v === undefined) return false;
    return DATE_PROPS.has(c.property) ? compare(Date.parse(v), Date.parse(c.value), c.op) : compare(v, c.value, c.op);
  });
}
