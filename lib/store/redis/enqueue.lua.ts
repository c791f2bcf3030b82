/**
 * Claims correlation ids and adds Bull jobs, each claim and its job in one atomic step,
 * for a batch of requests in one call (the store batches the enqueues of one event-loop
 * turn). Mirrors what Bull 4's own `addJob-6.lua` does for a plain FIFO job (no custom
 * id, priority or debounce), so Bull's workers pick the jobs up exactly as if
 * `queue.add` had stored them.
 *
 * For job i (1-based), KEYS[6(i-1)+1 … 6(i-1)+6]: correlation key, wait, paused,
 * meta-paused, id, delayed; ARGV[1] is a token for the `waiting` event, then
 * ARGV[7(i-1)+2 … 7(i-1)+8]: job key prefix (`bull:<queue>:`), claim TTL (ms), job name,
 * data JSON, opts JSON, timestamp (ms), delay (ms).
 * Returns, per job, its new id, or false when its correlation id is already held.
 */
export const ENQUEUE_LUA = `
local results = {}
for i = 0, #KEYS / 6 - 1 do
  local k = i * 6
  local a = i * 7 + 1
  if redis.call('EXISTS', KEYS[k + 1]) == 1 then
    results[i + 1] = false
  else
    local jobId = redis.call('INCR', KEYS[k + 5])
    redis.call('HMSET', ARGV[a + 1] .. jobId, 'name', ARGV[a + 3], 'data', ARGV[a + 4], 'opts', ARGV[a + 5],
      'timestamp', ARGV[a + 6], 'delay', ARGV[a + 7], 'priority', '0')
    local delay = tonumber(ARGV[a + 7])
    if delay > 0 then
      local at = tonumber(ARGV[a + 6]) + delay
      redis.call('ZADD', KEYS[k + 6], at * 0x1000 + bit.band(jobId, 0xfff), jobId)
      redis.call('PUBLISH', KEYS[k + 6], at)
    else
      local target = KEYS[k + 2]
      if redis.call('EXISTS', KEYS[k + 4]) == 1 then target = KEYS[k + 3] end
      redis.call('LPUSH', target, jobId)
      redis.call('PUBLISH', KEYS[k + 2] .. 'ing@' .. ARGV[1], jobId)
    end
    redis.call('SET', KEYS[k + 1], jobId, 'PX', ARGV[a + 2])
    results[i + 1] = tostring(jobId)
  end
end
return results
`;
