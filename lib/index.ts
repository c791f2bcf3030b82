export { RequestQueueModule } from './nest/request-queue.module.js';
export { QueueableRequest } from './nest/queueable-request.decorator.js';
export { RequestQueueInterceptor } from './nest/request-queue.interceptor.js';
export * from './nest/request-queue.exceptions.js';
export { RESOLVED_OPTIONS } from './nest/request-queue.constants.js';
export { RequestQueueRuntime } from './runtime.js';
export { RequestQueueConfigError, StoreUnavailableError } from './core/errors.js';
export {
  resolveOptions,
  DEFAULT_CALLBACK_RETRY_DELAYS,
  type RequestQueueModuleOptions,
  type ResolvedOptions,
  type Driver,
} from './request-queue.options.js';
export {
  DEFAULT_DASHBOARD_PATH,
  type DashboardOptions,
  type ResolvedDashboardOptions,
} from './dashboard/dashboard.options.js';
export { RequestQueueDashboard } from './nest/dashboard-guards.js';
export type { RouteQueueOptions } from './core/request-gate.js';
export type { FlowOptions, FlowRequest, FlowKey, ThrottleOptions, FunnelOptions } from './flow/flow-options.js';
export type { BackoffOptions } from './core/backoff.js';
export type { Outcome, FailedJob, JobPayload } from './core/job.js';
export { RequestStatusReader, type StatusAnswer } from './core/status-reader.js';
export type { StatusView } from './core/status-view.js';
export type {
  RequestState,
  StatusRecord,
  StatusSeed,
  FinalStatus,
  JobState,
  JobSummary,
  JobFilter,
  QueueStats,
  TimelineEntry,
  ThroughputPoint,
} from './core/request-status.js';
export { RequestQueueEvent, type RequestQueueEventName, type RequestQueueEventPayload } from './core/events.js';
export { signCallback } from './core/callback-signature.js';
export {
  REQUEST_QUEUE_STORE,
  type RequestQueueStore,
  type ConsumeOptions,
  type JobConsumer,
  type JobHandler,
} from './store/request-queue.store.js';
export { createStore } from './store/create-store.js';
// Types only: importing the package never loads TypeORM. Migrations: 'nestjs-request-queue/migrations'.
export type { DatabaseStoreOptions } from './store/database/database-store.options.js';
export { Worker, type WorkerOptions } from './worker/worker.js';
export { requestQueueOptionsFromEnv } from './config/options-from-env.js';
export { mergeRequestQueueOptions } from './config/merge-options.js';
export {
  verifyCallback,
  CallbackVerificationError,
  DEFAULT_TOLERANCE_SEC,
  type CallbackPayload,
  type CallbackHeaders,
  type VerifiedCallback,
  type VerifyCallbackOptions,
  type CallbackVerificationFailure,
} from './receiver/verify-callback.js';
export {
  CallbackSignatureGuard,
  CALLBACK_SIGNATURE_OPTIONS,
  type CallbackSignatureOptions,
  type CallbackRequest,
} from './receiver/callback-signature.guard.js';
export { isPublicAddress, checkCallbackUrl, type CallbackUrlPolicy } from './core/callback-url.js';
export { RequestQueueLifecycle } from './nest/request-queue.lifecycle.js';
export type { RequestQueueEventListener } from './runtime.js';
export type { WorkerHooks, WorkerStopReason, JobReport, JobRunner } from './worker/worker.js';
export {
  RequestQueueWorkerEvent,
  type RequestQueueWorkerEventName,
  type RequestQueueWorkerEventPayload,
} from './worker/worker-events.js';
export type { ConsumerEnd } from './store/request-queue.store.js';
export { startConsumeLoop, type JobLease, type JobSource } from './store/consume-loop.js';
export { runRequestQueueCli, buildRequestQueueProgram } from './cli/cli.js';
export {
  connectFromEnv,
  connectWithOptions,
  cliModuleOptions,
  type ConnectRequest,
  type RequestQueueCliOptions,
  type CliConnection,
  type CliContext,
  type SignalSource,
} from './cli/cli-context.js';
export { ExitCode, CliError } from './cli/cli-errors.js';
export {
  runRequestQueueWorker,
  type RunRequestQueueWorkerOptions,
  type RunningRequestQueueWorker,
} from './nest/run-worker.js';
export { loadConfigFile } from './config/load-config-file.js';
export { REQUEST_QUEUE_ENV, type EnvVariable } from './config/options-from-env.js';
export { StderrLogger } from './nest/stderr-logger.js';
// Metrics and tracing (README): prom-client and @opentelemetry/api stay optional peers.
export { loadObservability, type Observability } from './observability/load-observability.js';
export {
  QueueMetrics,
  DEPTH_CACHE_MS,
  type ResolvedMetricsOptions,
  type DepthSource,
} from './observability/metrics.js';
export type { MetricsRegistry } from './observability/prom-client-api.js';
export { DEFAULT_METRICS_PREFIX } from './request-queue.options.js';
export type {
  QueueTracer,
  TraceCarrier,
  TraceSpan,
  TraceMessage,
  TraceOperation,
  TraceEnd,
  TraceParent,
} from './observability/queue-tracer.js';
