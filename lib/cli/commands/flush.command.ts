import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { parseHours } from '../parse.js';

export interface FlushFlags {
  /** Only failed jobs older than this, ms. */
  hours?: number;
}

/** `request-queue flush [--hours H]` (Laravel's `queue:flush`): deletes failed jobs. */
export async function flushFailedJobs(ctx: CliContext, flags: FlushFlags): Promise<void> {
  const { runtime } = await ctx.connect();
  const removed = await runtime.store.flushFailed(flags.hours ?? 0);
  const older = flags.hours ? ` that failed more than ${flags.hours / 3_600_000} hour(s) ago` : '';
  ctx.out(`Deleted ${removed} failed job${removed === 1 ? '' : 's'}${older}.`);
}

export function registerFlush(program: Command, ctx: CliContext): void {
  program
    .command('flush')
    .description('delete every failed job, or only old ones with --hours')
    .option('--hours <hours>', 'only those that failed more than this many hours ago', parseHours)
    .action((flags: FlushFlags) => flushFailedJobs(ctx, flags));
}
