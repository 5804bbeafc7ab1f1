/** Plain-text formatting for the gateway CLI: tables that fit an 80-column terminal, CSV, ages and numbers. */
export const TERMINAL_WIDTH = 80;

export interface Column {
  title: string;
  width: number;
  align: 'left' | 'right';
}

function fitCell(text: string, width: number, align: Column['align']): string {
  const t = text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text;
  return align === 'right' ? t.padStart(width) : t.padEnd(width);
}

/** Renders rows under a header; the last column takes whatever is left of 80 characters. */
export function table(columns: Column[], rows: string[][], footer?: string[]): string {
  const fixed = columns.slice(0, -1).reduce((a, c) => a + c.width + 1, 0);
  const cols = columns.map((c, i) =>
    i === columns.length - 1 ? { ...c, width: Math.max(4, TERMINAL_WIDTH - fixed) } : c,
  );
  const line = (cells: string[]): string =>
    cols
      .map((c, i) => fitCell(cells[i] ?? '', c.width, c.align))
      .join(' ')
      .trimEnd();
  const out = [line(cols.map((c) => c.title)), ...rows.map(line)];
  if (footer)
    out.push(
      line(cols.map((c) => '-'.repeat(Math.min(c.width, 8)).padStart(c.align === 'right' ? c.width : 0))),
      line(footer),
    );
  return `${out.join('\n')}\n`;
}

export function csv(header: string[], rows: (string | number | null)[][]): string {
  const cell = (v: string | number | null): string => {
    const s = v === null ? '' : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return `${[header, ...rows].map((r) => r.map(cell).join(',')).join('\n')}\n`;
}

/** `2026-06-01 08:15` (UTC, minutes; seconds when not zero). */
export function utc(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.slice(17, 19) === '00'
    ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}`
    : `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

export function num(v: number | null, digits = 3): string {
  return v === null || !Number.isFinite(v) ? '-' : v.toFixed(digits);
}

export function age(ms: number | null): string {
  if (ms === null) return '-';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
