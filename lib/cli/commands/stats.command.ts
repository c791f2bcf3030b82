import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { formatStatsTable, statsReport } from '../format.js';

export interface StatsFlags {
  json?: boolean;
}

/** `request-queue stats [--json]`: how many jobs each queue has waiting, delayed, running and failed. */
export async function showStats(ctx: CliContext, flags: StatsFlags): Promise<void> {
  const { runtime } = await ctx.connect();
  const report = statsReport(await runtime.store.stats());
  if (flags.json) {
    ctx.out(JSON.stringify(report, null, 2));
    return;
  }
  if (report.queues.length === 0) {
    ctx.out('No jobs.');
    return;
  }
  ctx.out(formatStatsTable(report));
}

export function registerStats(program: Command, ctx: CliContext): void {
  program
    .command('stats')
    .description('count the jobs of each queue: waiting, delayed, running, failed, and the total')
    .option('--json', 'print the counts as JSON, for scripts')
    .action((flags: StatsFlags) => showStats(ctx, flags));
}
