import type { StoreWatch } from './request-gate.js';

/** Most distinct causes reported in one outage (messages that vary must not flood the log). */
const MAX_CAUSES_PER_OUTAGE = 20;

/**
 * Turns the gate's store failures into outage reports: each distinct cause once, not once
 * per request, until a call reaches the store again; the next failure is a new outage and
 * is reported again. Costs a set lookup on a failing request and a size check otherwise.
 */
export class StoreOutageTracker implements StoreWatch {
  private readonly reported = new Set<string>();

  constructor(private readonly report: (cause: string) => void) {}

  failed(cause: string): void {
    if (this.reported.has(cause) || this.reported.size >= MAX_CAUSES_PER_OUTAGE) return;
    this.reported.add(cause);
    try {
      this.report(cause);
    } catch {
      // a reporter that throws must not turn a 503 into a 500
    }
  }

  worked(): void {
    if (this.reported.size > 0) this.reported.clear();
  }
}
