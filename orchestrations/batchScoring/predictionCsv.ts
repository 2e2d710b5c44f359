import { PageResult } from './contracts';

/** One scored (or failed) blob: exactly one row per input blob. */
export interface PredictionRow {
  blob: string;
  label?: string;
  /** In the order of the model's labels. */
  probabilities?: number[];
  error?: string;
}

const failureSamples = 10;

/** The columns of every predictions CSV, the same as `jobs/batch_score.py` writes with `path` named `blob`. */
export function csvHeader(labels: string[]): string[] {
  return ['blob', 'predictedLabel', ...labels.map((label) => `probability_${label}`), 'error'];
}

function quote(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function formatPredictionCsv(labels: string[], rows: PredictionRow[]): string {
  const lines = [csvHeader(labels).map(quote).join(',')];
  for (const row of rows) {
    const probabilities = labels.map((_, k) => (row.probabilities ? String(row.probabilities[k]) : ''));
    lines.push([row.blob, row.label ?? '', ...probabilities, row.error ?? ''].map(quote).join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** RFC 4180 CSV, also reading Spark's default backslash-escaped quotes inside quoted fields. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '\\' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

/** Reads a predictions CSV with the given header (ours, or Spark's with `path` for `blob`) back into rows. */
export function parsePredictionCsv(text: string, labels: string[], keyColumn = 'blob'): PredictionRow[] {
  const [header, ...records] = parseCsv(text);
  if (!header) return [];
  const column = (name: string): number => {
    const at = header.indexOf(name);
    if (at < 0) throw new Error(`the predictions CSV has no column ${name} (header: ${header.join(',')})`);
    return at;
  };
  const key = column(keyColumn);
  const label = column('predictedLabel');
  const error = column('error');
  const probabilities = labels.map((l) => column(`probability_${l}`));
  return records.map((r) => ({
    blob: r[key],
    label: r[label] || undefined,
    probabilities: r[label] ? probabilities.map((p) => Number(r[p])) : undefined,
    error: r[error] || undefined,
  }));
}

/** A page's counts, from its rows. */
export function pageResultOf(index: number, labels: string[], rows: PredictionRow[], resumed: boolean): PageResult {
  const perClass = Object.fromEntries(labels.map((l) => [l, 0]));
  const failures: PageResult['failures'] = [];
  let scored = 0;
  for (const row of rows) {
    if (row.label !== undefined) {
      perClass[row.label] = (perClass[row.label] ?? 0) + 1;
      scored++;
    } else if (failures.length < failureSamples) failures.push({ blob: row.blob, error: row.error ?? 'not scored' });
  }
  return { index, rows: rows.length, scored, failed: rows.length - scored, perClass, failures, resumed };
}
