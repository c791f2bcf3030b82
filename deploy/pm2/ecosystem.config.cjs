// pm2 ecosystem for request-queue workers:
//   pm2 start deploy/pm2/ecosystem.config.cjs && pm2 save
// After a deploy, `request-queue restart` makes every worker finish its jobs in hand and
// exit 0; pm2 (autorestart) starts it again on the new code.
module.exports = {
  apps: [
    {
      name: 'request-queue-worker',
      cwd: '/srv/app',
      // The request-queue command of the package...
      script: 'node_modules/.bin/request-queue',
      args: 'work --sleep 3',
      // ...or the app's own Nest worker (src/worker.ts with runRequestQueueWorker, built):
      // script: 'dist/worker.js', args: '',
      interpreter: 'node',
      exec_mode: 'fork',
      instances: 2,
      autorestart: true,
      // pm2 stops with SIGINT (the worker drains on it as on SIGTERM), then SIGKILL after
      // kill_timeout. It must exceed the grace period: max(replay timeout 30 s, callback
      // timeout 15 s) + 5 s. pm2's own default (1.6 s) would cut every job in hand.
      kill_timeout: 60_000,
      env: {
        NODE_ENV: 'production',
        REQUEST_QUEUE_DRIVER: 'redis',
        REDIS_URL: 'redis://127.0.0.1:6379',
        REQUEST_QUEUE_BASE_URL: 'http://127.0.0.1:3000',
        REQUEST_QUEUE_SECRET: 'change-me',
      },
    },
  ],
};
