import type { LoggerService } from '@nestjs/common';

export interface LogLine {
  level: 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';
  message: string;
  context?: string;
}

/** A Nest logger that keeps every line, to assert what an app logged. */
export class CapturedLogger implements LoggerService {
  readonly lines: LogLine[] = [];

  log(message: unknown, context?: string): void {
    this.keep('log', message, context);
  }
  error(message: unknown, ...rest: unknown[]): void {
    // Nest passes (message, stack?, context?): the context is the last string.
    this.keep('error', message, rest.at(-1) as string | undefined);
  }
  warn(message: unknown, context?: string): void {
    this.keep('warn', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.keep('debug', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.keep('verbose', message, context);
  }
  fatal(message: unknown, context?: string): void {
    this.keep('fatal', message, context);
  }

  /** The lines of one level from one context (the request queue logs as 'RequestQueue'). */
  of(level: LogLine['level'], context = 'RequestQueue'): string[] {
    return this.lines.filter((l) => l.level === level && l.context === context).map((l) => l.message);
  }

  private keep(level: LogLine['level'], message: unknown, context?: string): void {
    this.lines.push({ level, message: String(message), context });
  }
}
