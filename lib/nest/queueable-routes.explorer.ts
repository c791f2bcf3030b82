import { Injectable, RequestMethod } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { RouteQueueOptions } from '../core/request-gate.js';
import type { QueueableRoute } from '../core/route-checks.js';
import { QUEUEABLE_REQUEST } from './request-queue.constants.js';

/** Nest's own route metadata keys (`PATH_METADATA`, `METHOD_METADATA` of `@nestjs/common/constants`). */
const PATH = 'path';
const METHOD = 'method';

/**
 * Finds the `@QueueableRequest()` routes of the app's controllers (the decorator on the
 * controller or on the handler) whose method can be queued. Walks the controllers once,
 * when asked (at bootstrap); nothing on the request path.
 */
@Injectable()
export class QueueableRoutesExplorer {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  explore(methods: ReadonlySet<string>): QueueableRoute[] {
    const routes: QueueableRoute[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const type = wrapper.metatype as (new (...args: never[]) => unknown) | undefined;
      if (!type?.prototype) continue;
      const onClass = this.reflector.get<RouteQueueOptions | undefined>(QUEUEABLE_REQUEST, type);
      const prefixes = paths(this.reflector.get<string | string[] | undefined>(PATH, type));
      const prototype = type.prototype as Record<string, unknown>;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name];
        if (typeof handler !== 'function') continue;
        const onHandler = this.reflector.get<RouteQueueOptions | undefined>(QUEUEABLE_REQUEST, handler);
        const method = this.reflector.get<RequestMethod | undefined>(METHOD, handler);
        if ((!onClass && !onHandler) || method === undefined) continue;
        const verb = RequestMethod[method];
        const queued = verb === 'ALL' ? [...methods].join('|') : verb;
        if (!queued || (verb !== 'ALL' && !methods.has(verb))) continue;
        const options = { ...onClass, ...onHandler };
        for (const prefix of prefixes) {
          for (const path of paths(this.reflector.get<string | string[] | undefined>(PATH, handler))) {
            routes.push({ name: `${queued} ${joinPath(prefix, path)}`, options });
          }
        }
      }
    }
    return routes;
  }
}

function paths(value: string | string[] | undefined): string[] {
  if (value === undefined) return [''];
  return Array.isArray(value) ? (value.length ? value : ['']) : [value];
}

function joinPath(...parts: string[]): string {
  const joined = parts
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/');
  return `/${joined}`;
}
