/** One measured line of a benchmark; extra columns are free-form. */
export type BenchRow = Record<string, string | number>;

export function printRows(suite: string, rows: BenchRow[], json: boolean): void {
  if (json) {
    console.log(JSON.stringify({ suite, rows }));
    return;
  }
  if (!rows.length) return;
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const fmt = (v: string | number | undefined) =>
    v === undefined ? '' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : v;
  console.log(`\n### ${suite}\n`);
  console.log(`| ${cols.join(' | ')} |`);
  console.log(`| ${cols.map(() => '---').join(' | ')} |`);
  for (const r of rows) console.log(`| ${cols.map((c) => fmt(r[c])).join(' | ')} |`);
}
