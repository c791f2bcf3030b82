import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';

/**
 * `request-queue restart` (Laravel's `queue:restart`): leaves a signal in the store; every
 * worker, on every machine, sees it within a second or so, finishes the jobs in hand and
 * exits 0, and its process manager (supervisord, systemd, pm2) starts it again on the new code.
 */
export async function signalRestart(ctx: CliContext): Promise<void> {
  const { runtime } = await ctx.connect();
  await runtime.store.signalRestart();
  ctx.out('Restart signal sent: every worker finishes the jobs in hand, then exits to be started again.');
}

export function registerRestart(program: Command, ctx: CliContext): void {
  program
    .command('restart')
    .description('make every worker finish its jobs in hand and exit (its process manager starts it again)')
    .action(() => signalRestart(ctx));
}
