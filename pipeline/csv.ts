import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { readFailure } from './read-error.js';

/** A parsed CSV: the header and the data rows, each with its 1-based row number in the
 * file (the header is row 1), so errors can point at what a spreadsheet shows. */
export interface CsvTable {
  file: string;
  header: string[];
  rows: { row: number; cells: string[] }[];
}

/** Reads a CSV with RFC 4180 quoting (PredictionString cells may be quoted); tolerates a
 * BOM, CRLF and trailing blank lines. Errors name the file. */
export function readCsv(file: string): CsvTable {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw readFailure(file, e);
  }
  return parseCsv(text, file);
}

export function parseCsv(text: string, file: string): CsvTable {
  const name = basename(file);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const records: { row: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let startLine = 1;
  let i = 0;
  const n = text.length;
  const endRecord = () => {
    cells.push(cell);
    // A blank line is not a row with one empty cell.
    if (!(cells.length === 1 && cells[0] === '')) records.push({ row: startLine, cells });
    cells = [];
    cell = '';
  };
  while (i < n) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        if (c === '\n') line++;
        cell += c;
      }
      i++;
      continue;
    }
    if (c === '"' && cell === '') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      startLine = line;
    } else cell += c;
    i++;
  }
  if (quoted) throw new Error(`${name} row ${startLine}: unterminated quoted field`);
  if (cell !== '' || cells.length) endRecord();
  if (!records.length) throw new Error(`${name}: empty csv (no header row)`);
  const [head, ...rows] = records;
  return { file, header: head.cells.map((h) => h.trim()), rows };
}

/** Checks that the header holds exactly the `expected` columns (in any order, plus any of `optional`) and that every
 * row has as many cells; the message names the file and the row. Returns each column's index. */
export function requireColumns<K extends string>(table: CsvTable, expected: readonly K[], optional: readonly string[] = []): Record<K, number> {
  const name = basename(table.file);
  const got = table.header;
  const missing = expected.filter((c) => !got.includes(c));
  const extra = got.filter((c) => !(expected as readonly string[]).includes(c) && !optional.includes(c));
  if (missing.length || extra.length) {
    const parts = [];
    if (missing.length) parts.push(`missing column${missing.length > 1 ? 's' : ''} ${missing.map((c) => `'${c}'`).join(', ')}`);
    if (extra.length) parts.push(`extra column${extra.length > 1 ? 's' : ''} ${extra.map((c) => `'${c}'`).join(', ')}`);
    throw new Error(`${name} row 1: ${parts.join(', ')} (expected ${expected.join(',')})`);
  }
  const dup = got.find((c, i) => got.indexOf(c) !== i);
  if (dup !== undefined) throw new Error(`${name} row 1: column '${dup}' appears twice`);
  for (const r of table.rows) {
    if (r.cells.length !== got.length) {
      const what = r.cells.length < got.length ? 'missing' : 'extra';
      throw new Error(`${name} row ${r.row}: ${r.cells.length} cells where ${got.length} expected (${what} column)`);
    }
  }
  return Object.fromEntries(expected.map((c) => [c, got.indexOf(c)])) as Record<K, number>;
}

/** One CSV line, quoting only cells that need it. */
export function csvLine(cells: readonly (string | number)[]): string {
  return cells
    .map((c) => {
      const s = String(c);
      return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    })
    .join(',');
}
