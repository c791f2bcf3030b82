import type { Command } from 'commander';
import { toStatusView } from '../../core/status-view.js';
import { ExitCode } from '../cli-errors.js';
import type { CliContext } from '../cli-context.js';
import { formatStatus, statusRow } from '../format.js';

export interface StatusFlags {
  json?: boolean;
}

/**
 * `request-queue status <correlation-id> [--json]`: where a queued request is, as its
 * client sees it on the status resource, plus the queue and job id and, for operators, its
 * timeline (a line per step: queued, each replay attempt and callback delivery with the
 * status code answered, its duration and error). The response's headers and body stay
 * sealed: they are the client's.
 */
export async function showStatus(ctx: CliContext, correlationId: string, flags: StatusFlags): Promise<void> {
  const { runtime } = await ctx.connect();
  const record = await runtime.store.readStatus(correlationId);
  if (!record) {
    ctx.err(
      `no status for correlation id '${correlationId}' (never queued here, or its status expired after statusTtl)`,
    );
    ctx.exitCode = ExitCode.Failure;
    return;
  }
  const row = statusRow(record, toStatusView(record, runtime.box));
  ctx.out(flags.json ? JSON.stringify(row, null, 2) : formatStatus(row, record));
}

export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description(
      "show one queued request's status as its client sees it, with its queue, job id and timeline (never the response's headers or body)",
    )
    .argument('<correlation-id>', 'the id the client got with its 202')
    .option('--json', 'print it as JSON, for scripts')
    .action((correlationId: string, flags: StatusFlags) => showStatus(ctx, correlationId, flags));
}
