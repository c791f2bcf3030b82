/**
 * Claims correlation ids and adds Bull jobs for a batch of requests to one queue, each
 * claim and its job in one atomic step (the whole script is atomic). The store batches the
 * enqueues of one event-loop turn by queue and delay, so under load one call carries many
 * requests with few arguments each. Mirrors what Bull 4's own `addJob-6.lua` does for a
 * plain FIFO job (no custom id, priority or debounce), so Bull's workers pick the jobs up
 * exactly as if `queue.add` had stored them.
 *
 * KEYS: 1 wait, 2 paused, 3 meta-paused, 4 id, 5 delayed, 6… one correlation key per job
 * ARGV: 1 token for the `waiting` event, 2 job key prefix (`bull:<queue>:`), 3 claim TTL (ms),
 *       4 job name, 5 opts JSON, 6 timestamp (ms), 7 delay (ms), 8… one data JSON per job
 * Returns, per job, its new id, or false when its correlation id is already held.
 */
export const ENQUEUE_LUA = `
local results = {}
local delay = tonumber(ARGV[7])
local target = KEYS[1]
if redis.call('EXISTS', KEYS[3]) == 1 then target = KEYS[2] end
for i = 6, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    results[i - 5] = false
  else
    local jobId = redis.call('INCR', KEYS[4])
    redis.call('HMSET', ARGV[2] .. jobId, 'name', ARGV[4], 'data', ARGV[i + 2], 'opts', ARGV[5],
      'timestamp', ARGV[6], 'delay', ARGV[7], 'priority', '0')
    if delay > 0 then
      local at = tonumber(ARGV[6]) + delay
      redis.call('ZADD', KEYS[5], at * 0x1000 + bit.band(jobId, 0xfff), jobId)
      redis.call('PUBLISH', KEYS[5], at)
    else
      redis.call('LPUSH', target, jobId)
      redis.call('PUBLISH', KEYS[1] .. 'ing@' .. ARGV[1], jobId)
    end
    redis.call('SET', KEYS[i], jobId, 'PX', ARGV[3])
    results[i - 5] = tostring(jobId)
  end
end
return results
`;
