import { HttpException, type CanActivate, type ExecutionContext, type Type } from '@nestjs/common';
import type { ModuleRef } from '@nestjs/core';
import { isObservable, lastValueFrom } from 'rxjs';

/** The class the dashboard's execution contexts name, for guards that read metadata (`Reflector`). */
export class RequestQueueDashboard {}

/** A dashboard route's handler, which its execution context names (`getHandler()`). */
export type DashboardHandler = (...args: never[]) => unknown;

/**
 * The execution context a dashboard request's guards get: the HTTP request and response of
 * the adapter (Express or Fastify, as a controller's guard sees them), with
 * `RequestQueueDashboard` as the class and the route's own function as the handler.
 */
class DashboardExecutionContext implements ExecutionContext {
  private readonly args: unknown[];

  constructor(
    request: unknown,
    response: unknown,
    private readonly handler: DashboardHandler,
  ) {
    this.args = [request, response];
  }

  getClass<T>(): Type<T> {
    return RequestQueueDashboard as Type<T>;
  }
  getHandler(): DashboardHandler {
    return this.handler;
  }
  getArgs<T extends unknown[] = unknown[]>(): T {
    return this.args as T;
  }
  getArgByIndex<T>(index: number): T {
    return this.args[index] as T;
  }
  getType<T extends string = 'http'>(): T {
    return 'http' as T;
  }
  switchToHttp(): ReturnType<ExecutionContext['switchToHttp']> {
    const [request, response] = this.args;
    return {
      getRequest: <T>() => request as T,
      getResponse: <T>() => response as T,
      getNext: <T>() => undefined as T,
    };
  }
  switchToRpc(): ReturnType<ExecutionContext['switchToRpc']> {
    throw new Error('the request queue dashboard is HTTP only');
  }
  switchToWs(): ReturnType<ExecutionContext['switchToWs']> {
    throw new Error('the request queue dashboard is HTTP only');
  }
}

/** What the guards decided: let through, or an answer to send instead. */
export type GuardVerdict = { pass: true } | { pass: false; status: number; body: unknown };

const FORBIDDEN = { statusCode: 403, error: 'Forbidden', message: 'Forbidden resource' };

/**
 * Runs the app's guards for dashboard requests as `@UseGuards()` would: each in turn, all
 * must allow. A guard class is taken from the app's providers when it is one, else created
 * once with its dependencies injected. A guard's `HttpException` (e.g. `UnauthorizedException`)
 * becomes the answer; a `false` becomes 403.
 */
export class DashboardGuards {
  private resolved?: Promise<CanActivate[]>;

  constructor(
    private readonly guards: readonly (CanActivate | Type<CanActivate>)[],
    private readonly moduleRef: ModuleRef,
  ) {}

  get empty(): boolean {
    return this.guards.length === 0;
  }

  async check(request: unknown, response: unknown, handler: DashboardHandler): Promise<GuardVerdict> {
    const context = new DashboardExecutionContext(request, response, handler);
    for (const guard of await this.instances()) {
      try {
        const result = guard.canActivate(context);
        const allowed = isObservable(result) ? await lastValueFrom(result) : await result;
        if (!allowed) return { pass: false, status: 403, body: FORBIDDEN };
      } catch (err) {
        if (err instanceof HttpException) return { pass: false, status: err.getStatus(), body: err.getResponse() };
        throw err;
      }
    }
    return { pass: true };
  }

  private instances(): Promise<CanActivate[]> {
    this.resolved ??= Promise.all(this.guards.map((g) => this.instance(g)));
    this.resolved.catch(() => (this.resolved = undefined));
    return this.resolved;
  }

  private async instance(guard: CanActivate | Type<CanActivate>): Promise<CanActivate> {
    if (typeof guard !== 'function') return guard;
    try {
      return this.moduleRef.get(guard, { strict: false });
    } catch {
      return this.moduleRef.create(guard);
    }
  }
}
