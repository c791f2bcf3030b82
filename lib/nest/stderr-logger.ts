import { ConsoleLogger } from '@nestjs/common';

/**
 * Nest's console logger with every level on stderr (Nest writes `log` and `warn` to stdout).
 * For a command whose stdout is its output (`request-queue failed --json` run through a
 * Nest app of your own): `NestFactory.createApplicationContext(AppModule, { logger: new StderrLogger() })`.
 */
export class StderrLogger extends ConsoleLogger {
  protected override printMessages(...args: Parameters<ConsoleLogger['printMessages']>): void {
    args[3] = 'stderr';
    super.printMessages(...args);
  }
}
