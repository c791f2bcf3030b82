/**
 * Runs statements on the database a `database.url` names, on a connection of its own (as
 * an operator's client would): for tests that change the tables under a running app.
 */
export async function runSql(url: string, statements: readonly string[]): Promise<void> {
  if (url.startsWith('sqlite:')) {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(url.slice('sqlite:'.length), { fileMustExist: true, timeout: 5000 });
    try {
      for (const statement of statements) db.exec(statement);
    } finally {
      db.close();
    }
    return;
  }
  if (/^(mysql|mariadb):/.test(url)) {
    const mysql = await import('mysql2/promise');
    const conn = await mysql.createConnection(url.replace(/^mariadb:/, 'mysql:'));
    try {
      for (const statement of statements) await conn.query(statement);
    } finally {
      await conn.end();
    }
    return;
  }
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}
