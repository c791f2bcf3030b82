import {
  Controller,
  Injectable,
  Param,
  Put,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
  Module,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  QueueableRequest,
  REQUEST_QUEUE_STORE,
  RequestQueueModule,
  type RequestQueueModuleOptions,
  type RequestQueueStore,
} from '../../../lib/index.js';
import {
  EchoController,
  FlakyController,
  RoutedController,
  SeenRequests,
  StatusController,
} from '../../support/echo.controller.js';
import { freePort } from '../../support/free-port.js';
import { listenOn, type AdapterName } from '../../support/nest-app.js';

export const USER = 'ops';
export const PASSWORD = 'dashboard-password-123';
export const API_KEY = 'dashboard-api-key-456';

/** The app's own policy, injected into its guard: which API key is an operator's. */
@Injectable()
export class OperatorKeys {
  readonly keys = new Set([API_KEY]);
}

/** Where the app keeps `OperatorKeys`, for `forRootAsync({ imports, inject })`. */
@Module({ providers: [OperatorKeys], exports: [OperatorKeys] })
export class OperatorKeysModule {}

/**
 * An app guard as apps write them: reads `X-Api-Key` from the request the execution context
 * hands it (Express or Fastify), with a dependency injected; answers 401 itself when the
 * header is missing, and false (403) for an unknown key.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly operators: OperatorKeys) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>();
    const key = req.headers['x-api-key'];
    if (key === undefined) throw new UnauthorizedException('X-Api-Key header required');
    return this.operators.keys.has(key);
  }
}

/** `PUT /reports/:id` queues on `reports`, a queue no worker of the test app takes: work that waits. */
@QueueableRequest({ queue: 'reports' })
@Controller('reports')
export class ReportsController {
  @Put(':id')
  put(@Param('id') id: string) {
    return { id };
  }
}

export interface DashboardApp {
  app: INestApplication;
  url: string;
  store: RequestQueueStore;
  close(): Promise<void>;
}

export interface DashboardAppOptions {
  adapter: AdapterName;
  /** Store options (`driver` and its connection). */
  store: RequestQueueModuleOptions;
  dashboard: RequestQueueModuleOptions['dashboard'];
  /** Configure through `forRootAsync` (with an injected dependency) instead of `forRoot`. */
  async?: boolean;
  /** Run a worker in the app [true]. */
  worker?: boolean;
  extra?: Partial<RequestQueueModuleOptions>;
}

/**
 * A real Nest app on a random port: the test controllers, the module with `dashboard`, a
 * worker replaying against the app itself, and the app's own guard (`ApiKeyGuard`) among
 * its providers.
 */
export async function createDashboardApp(o: DashboardAppOptions): Promise<DashboardApp> {
  const port = await freePort();
  const options: RequestQueueModuleOptions = {
    baseUrl: `http://127.0.0.1:${port}`,
    secret: 'dashboard-test-secret',
    ...o.store,
    ...(o.store.database ? { database: { ...o.store.database, sleep: 50 } } : {}),
    ...o.extra,
    dashboard: o.dashboard,
    worker: { enabled: o.worker ?? true, queues: ['api:request', 'e2e-delayed'], concurrency: 4, gracePeriod: 2000 },
  };
  const moduleRef = await Test.createTestingModule({
    imports: [
      o.async
        ? RequestQueueModule.forRootAsync({
            imports: [OperatorKeysModule],
            inject: [OperatorKeys],
            useFactory: (keys: OperatorKeys) => (keys.keys.size > 0 ? options : {}),
          })
        : RequestQueueModule.forRoot(options),
      OperatorKeysModule,
    ],
    controllers: [EchoController, StatusController, RoutedController, FlakyController, ReportsController],
    providers: [SeenRequests, ApiKeyGuard],
  }).compile();
  const app = await listenOn(moduleRef, o.adapter, port);
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    store: app.get<RequestQueueStore>(REQUEST_QUEUE_STORE),
    close: () => app.close(),
  };
}

/**
 * Queues `PUT <path>` with `Prefer: respond-async` (no callback; or with the callback
 * parameters in `body`) and returns its correlation id.
 */
export async function queue(url: string, path: string, body: Record<string, unknown> = {}): Promise<string> {
  const res = await fetch(url + path, {
    method: 'PUT',
    headers: {
      'content-type': 'application/json',
      prefer: 'respond-async',
      authorization: 'Bearer sealed-header-value-789',
    },
    body: JSON.stringify({ ...body, marker: 'sealed-body-value-321' }),
  });
  if (res.status !== 202) throw new Error(`PUT ${path} answered ${res.status}: ${await res.text()}`);
  return res.headers.get('x-correlation-id')!;
}
