/**
 * A text column's value as a string. The drivers give a string (a Buffer for a binary
 * column, a number where the column is numeric); anything else is a schema mismatch.
 */
export function columnText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  throw new TypeError(`expected a text column value, got ${value === null ? 'null' : typeof value}`);
}
