/**
 * PostgreSQL array literals for the `unnest` writes, built natively where that is exact.
 *
 * `pg` turns a JavaScript array parameter into an array literal element by element, escaping each string with two
 * regular-expression replaces in JavaScript: for a write of 25,000 rollups with their documents that was a fifth of the
 * consumer's CPU. A text array is written here as `JSON.stringify` of the array with its brackets swapped for braces:
 * inside double quotes both JSON and PostgreSQL's array input escape exactly `"` and `\` with a backslash, and an
 * unquoted `null` is SQL NULL (array input reads NULL case-insensitively). JSON also escapes control characters and
 * lone surrogates (`\n`, `\u0001`, …), which PostgreSQL would read differently: an array holding any of those goes
 * down `pg`'s own path instead (rare in rollups).
 */
/** What JSON escapes beyond `"` and `\`: control characters and (in unicode mode: unpaired) surrogates. */
const JSON_ONLY_ESCAPE = /[\u0000-\u001f\ud800-\udfff]/u;

/** A text array literal: `{"a","b\"c",null}`; exact for every string. */
export function textArrayLiteral(values: readonly (string | null | undefined)[]): string | (string | null)[] {
  const texts = values.map((v) => v ?? null);
  for (const t of texts) if (t !== null && JSON_ONLY_ESCAPE.test(t)) return texts; // pg escapes these itself
  return `{${JSON.stringify(texts).slice(1, -1)}}`;
}

/** A numeric array literal (`bigint[]`, `int[]`, `float8[]`): `{1,2.5,NULL}`; numbers as JavaScript prints them. */
export function numberArrayLiteral(values: readonly (number | null | undefined)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) out += ',';
    if (v === null || v === undefined) out += 'NULL';
    else if (Number.isFinite(v)) out += String(v);
    else throw new TypeError(`array element ${i} is ${String(v)}: only finite numbers are stored`);
  }
  return out + '}';
}
