import { Module, type DynamicModule } from '@nestjs/common';
import { RequestQueueModule, requestQueueOptionsFromEnv } from '../lib/index.js';
import { CallbackReceiverController } from './callback-receiver.controller.js';
import { FaultyController } from './faulty.controller.js';
import { UserController } from './users/user.controller.js';
import { UsersService } from './users/users.service.js';

export interface AppOptions {
  /** Also run the worker in this process (the demo's single-process mode). */
  worker: boolean;
}

/** The API: the Laravel README's routes, queueable, plus a callback receiver. */
@Module({})
export class AppModule {
  static register({ worker }: AppOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        RequestQueueModule.forRootAsync({
          useFactory: () => {
            const options = requestQueueOptionsFromEnv();
            const port = process.env.PORT ?? '3000';
            return {
              ...options,
              // Creates the tables on first start (the embedded SQLite default needs no other setup).
              database: { ...options.database, migrationsRun: true },
              // The demo's own receiver is on loopback, which callbacks may not reach by default.
              callback: {
                ...options.callback,
                allowedHosts: options.callback?.allowedHosts?.length
                  ? options.callback.allowedHosts
                  : [`127.0.0.1:${port}`, `localhost:${port}`],
              },
              worker: { enabled: worker },
            };
          },
        }),
      ],
      controllers: [UserController, FaultyController, CallbackReceiverController],
      providers: [UsersService],
    };
  }
}
