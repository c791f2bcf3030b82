import type { Command } from 'commander';
import { ExitCode } from '../cli-errors.js';
import type { CliContext } from '../cli-context.js';

/** `request-queue forget <id>` (Laravel's `queue:forget`): deletes one failed job. */
export async function forgetFailedJob(ctx: CliContext, id: string): Promise<void> {
  const { runtime } = await ctx.connect();
  if (await runtime.store.forgetFailed(id)) {
    ctx.out(`Deleted failed job ${id}.`);
  } else {
    ctx.err(`No failed job with id ${id}.`);
    ctx.exitCode = ExitCode.Failure;
  }
}

export function registerForget(program: Command, ctx: CliContext): void {
  program
    .command('forget')
    .description('delete one failed job')
    .argument('<id>', 'id from `request-queue failed`')
    .action((id: string) => forgetFailedJob(ctx, id));
}
