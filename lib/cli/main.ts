#!/usr/bin/env node
/**
 * The `request-queue` bin: `request-queue --config dist/request-queue.config.js <command>`,
 * or without `--config` on the environment variables (`REQUEST_QUEUE_DRIVER`, `REDIS_URL`,
 * `DATABASE_URL`, `REQUEST_QUEUE_SECRET`, …; `--help` lists them).
 * No top-level await: the package ships this file compiled to CommonJS.
 */
import { runRequestQueueCli } from './cli.js';

// A reader that stops early (`request-queue failed --json | head`) is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

async function main(): Promise<void> {
  const code = await runRequestQueueCli(process.argv.slice(2));
  // Every connection is closed by now. Exit at once rather than wait for a client's stray
  // timer (a command timeout still armed, say), once what was printed has been written.
  const flushed = (stream: NodeJS.WriteStream) => new Promise<void>((resolve) => stream.write('', () => resolve()));
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}

void main();
