import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { RequestQueueModuleOptions } from '../request-queue.options.js';

export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: REQUEST_QUEUE_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<RequestQueueModuleOptions>({
  // A registered symbol rather than the builder's random token, so that it is the same
  // whichever build (CommonJS or ESM) of this file was loaded.
  optionsInjectionToken: Symbol.for('nestjs-request-queue:RequestQueueModuleOptions'),
})
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
