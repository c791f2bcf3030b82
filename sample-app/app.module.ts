import { Module, type DynamicModule } from '@nestjs/common';
import { RequestQueueModule } from '../lib/index.js';
import { CallbackReceiverController } from './callback-receiver.controller.js';
import { FaultyController } from './faulty.controller.js';
import sampleAppOptions from './request-queue.config.js';
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
          useFactory: () => ({ ...sampleAppOptions(), worker: { enabled: worker } }),
        }),
      ],
      controllers: [UserController, FaultyController, CallbackReceiverController],
      providers: [UsersService],
    };
  }
}
