/**
 * What to do about missing tables, in the words that work in a user's own app: the
 * `request-queue migrate` command with the app's config, or `migrationsRun`; for a
 * DataSource the app hands in, its own migrations run (`migrationsRun` is refused there).
 */
export function migrateFix(ownDataSource: boolean): string {
  const command = 'run "npx request-queue --config <your config file> migrate"';
  return ownDataSource
    ? `${command} (or add requestQueueMigrations from 'nestjs-request-queue/migrations' to your DataSource's migrations and run them)`
    : `${command} (or set database.migrationsRun: true)`;
}

/** The message for tables that are missing: where, which (or the database's own words), and the fix. */
export function missingTablesMessage(database: string, missing: string, ownDataSource: boolean): string {
  return `the request queue's tables are missing in the ${database} (${missing}): ${migrateFix(ownDataSource)}`;
}
