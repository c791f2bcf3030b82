import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';

/**
 * `request-queue migrate`: creates or updates the database driver's tables (`jobs`,
 * `failed_jobs`, `request_queue_claims`, `request_queue_signals`, `request_queue_requests`,
 * `request_queue_throughput`), as Laravel's `migrate` does for `queue:table`. Processes that migrate at once take turns; a second run finds
 * nothing to do. The redis driver has no tables.
 */
export async function migrate(ctx: CliContext): Promise<void> {
  const { runtime } = await ctx.connect({ migrate: true });
  if (runtime.options.driver !== 'database') {
    ctx.out('The redis driver keeps no tables: nothing to migrate.');
    return;
  }
  ctx.out("Migrations applied: the request queue's tables are ready.");
}

export function registerMigrate(program: Command, ctx: CliContext): void {
  program
    .command('migrate')
    .description("create or update the database driver's tables (jobs, failed_jobs, …); safe to run again")
    .action(() => migrate(ctx));
}
