import type { Logger } from '@nestjs/common';
import type { ModuleRef } from '@nestjs/core';
import type { RequestQueueRuntime } from '../runtime.js';

interface Emitter {
  emit(event: string, ...values: unknown[]): boolean;
}

/**
 * Bridges the runtime's lifecycle events to `@nestjs/event-emitter` when the app imports
 * `EventEmitterModule`, so `@OnEvent('request-queue.completed')` works. The package is an
 * optional peer: it is imported only here, at startup, and its absence just means no
 * bridge. Returns the remover, or undefined when there is nothing to bridge to.
 */
export async function bridgeEventsToEventEmitter(
  runtime: RequestQueueRuntime,
  moduleRef: ModuleRef,
  logger: Logger,
): Promise<(() => void) | undefined> {
  let token: unknown;
  try {
    ({ EventEmitter2: token } = await import('@nestjs/event-emitter'));
  } catch {
    return undefined; // not installed
  }
  let emitter: Emitter;
  try {
    emitter = moduleRef.get(token as new () => Emitter, { strict: false });
  } catch {
    return undefined; // installed, but the app did not import EventEmitterModule
  }
  return runtime.addEventListener((name, payload) => {
    try {
      emitter.emit(name, payload);
    } catch (err) {
      logger.error(`a listener of ${name} threw: ${(err as Error).message}`);
    }
  });
}
