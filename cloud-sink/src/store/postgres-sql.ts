/** Rewrites `@name` placeholders (the SQLite statements' style) to PostgreSQL `$n`, returning the name order. */
export function namedToPositional(sql: string): { sql: string; names: string[] } {
  const names: string[] = [];
  const out = sql.replace(/@([A-Za-z_]\w*)/g, (_m, name: string) => {
    let i = names.indexOf(name);
    if (i < 0) {
      names.push(name);
      i = names.length - 1;
    }
    return `$${i + 1}`;
  });
  return { sql: out, names };
}
