import { RequestQueueEvent, type RequestQueueEventName, type RequestQueueEventPayload } from '../core/events.js';
import type { QueueMetrics } from './metrics.js';

const seconds = (ms: number) => ms / 1000;

/**
 * Feeds the counters and histograms from one lifecycle event. The events already carry
 * what is measured (`durationMs` of an attempt, `waitMs` to a replay's start), so nothing
 * is timed twice. Labels: the queue (a callback lane counts as its queue) and the outcome.
 */
export function recordEvent(metrics: QueueMetrics, name: string, payload: RequestQueueEventPayload): void {
  const queue = payload.queue;
  switch (name as RequestQueueEventName) {
    case RequestQueueEvent.Queued:
      metrics.queued.inc({ queue });
      return;
    case RequestQueueEvent.Processing:
      if (payload.waitMs !== undefined) metrics.queueWait.observe({ queue }, seconds(payload.waitMs));
      return;
    case RequestQueueEvent.Completed:
      metrics.completed.inc({ queue });
      if (payload.durationMs !== undefined) {
        metrics.replayDuration.observe({ queue, outcome: 'completed' }, seconds(payload.durationMs));
      }
      return;
    case RequestQueueEvent.Failed: {
      const final = payload.retryInMs === undefined;
      if (payload.kind === 'callback') {
        // A delivery whose stored outcome cannot be opened: it fails for good, unsent.
        if (final) metrics.callbacks.inc({ queue, outcome: 'failed' });
        return;
      }
      if (final) metrics.failed.inc({ queue });
      if (payload.durationMs !== undefined) {
        metrics.replayDuration.observe({ queue, outcome: final ? 'failed' : 'retry' }, seconds(payload.durationMs));
      }
      return;
    }
    case RequestQueueEvent.CallbackDelivered:
      metrics.callbacks.inc({ queue, outcome: 'delivered' });
      if (payload.durationMs !== undefined) {
        metrics.callbackDuration.observe({ queue, outcome: 'delivered' }, seconds(payload.durationMs));
      }
      return;
    case RequestQueueEvent.CallbackFailed: {
      const final = payload.retryInMs === undefined;
      if (final) metrics.callbacks.inc({ queue, outcome: 'failed' });
      if (payload.durationMs !== undefined) {
        metrics.callbackDuration.observe({ queue, outcome: final ? 'failed' : 'retry' }, seconds(payload.durationMs));
      }
      return;
    }
    default:
      return; // worker events
  }
}
