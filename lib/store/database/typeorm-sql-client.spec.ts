import { describe, expect, it } from 'vitest';
import { numberedPlaceholders } from './typeorm-sql-client.js';

describe('numberedPlaceholders', () => {
  it('numbers `?` placeholders for PostgreSQL in order', () => {
    expect(numberedPlaceholders('UPDATE jobs SET a = ? WHERE id IN (SELECT id FROM jobs WHERE q = ? LIMIT ?)')).toBe(
      'UPDATE jobs SET a = $1 WHERE id IN (SELECT id FROM jobs WHERE q = $2 LIMIT $3)',
    );
    expect(numberedPlaceholders('SELECT 1')).toBe('SELECT 1');
  });
});
