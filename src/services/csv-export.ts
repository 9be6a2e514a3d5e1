// Content negotiation and CSV writing for the BI export.
import { stringify } from 'csv-stringify/sync';
import type { ExportRecord } from '../repositories/readings-export.js';
import { EXPORT_COLUMNS } from '../schemas/export.js';

export type Format = 'json' | 'csv';

/**
 * Picks JSON or CSV from an Accept header by q-value (ties: the order given). No header means
 * JSON; null means nothing acceptable can be served (the route answers 406).
 */
export function negotiate(accept: string | undefined): Format | null {
  if (accept === undefined || accept.trim() === '') return 'json';
  const ranges = accept.split(',').map((part, i) => {
    const [range, ...params] = part.trim().toLowerCase().split(';').map((s) => s.trim());
    const q = params.find((p) => p.startsWith('q='));
    const qv = q === undefined ? 1 : Number(q.slice(2));
    return { range, q: Number.isFinite(qv) ? qv : 0, i };
  }).filter((r) => r.q > 0).sort((a, b) => b.q - a.q || a.i - b.i);
  for (const { range } of ranges) {
    if (range === 'application/json' || range === 'application/*' || range === '*/*') return 'json';
    if (range === 'text/csv' || range === 'text/*') return 'csv';
  }
  return null;
}

// Free-text cells a spreadsheet could read as a formula (=, +, -, @, tab, CR) get a leading
// apostrophe (OWASP "CSV injection"). Only text columns: numbers such as -0.05 stay numbers.
const TEXT_COLUMNS = new Set<string>(['measureTitle', 'portfolioHolder', 'leadOfficer', 'directorate', 'ragOverrideReason', 'commentary', 'source']);
const FORMULA_START = /^[=+\-@\t\r]/;

function cell(column: string, v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return TEXT_COLUMNS.has(column) && FORMULA_START.test(s) ? `'${s}` : s;
}

/**
 * UTF-8 with a byte-order mark so Excel does not read it as the local code page; a header
 * row; RFC 4180 quoting (fields holding commas, quotes or line breaks are quoted, quotes
 * doubled); CRLF line ends. Decimals are PostgreSQL's exact text, not floats.
 */
export function toCsv(rows: ExportRecord[]): string {
  const records = rows.map((r) => EXPORT_COLUMNS.map((c) => cell(c, r[c])));
  return stringify(records, { header: true, columns: EXPORT_COLUMNS as string[], bom: true, record_delimiter: 'windows', quoted_match: /^\s|\s$/ });
}
