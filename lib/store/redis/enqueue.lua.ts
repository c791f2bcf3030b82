/**
 * Claims a correlation id and adds a Bull job in one atomic step. Mirrors what Bull 4's
 * own `addJob-6.lua` does for a plain FIFO job (no custom id, priority or debounce), so
 * Bull's workers pick the job up exactly as if `queue.add` had stored it.
 *
 * KEYS: 1 correlation key, 2 wait, 3 paused, 4 meta-paused, 5 id, 6 delayed
 * ARGV: 1 job key prefix (`bull:<queue>:`), 2 claim TTL (ms), 3 job name, 4 data JSON,
 *       5 opts JSON, 6 timestamp (ms), 7 delay (ms), 8 token for the `waiting` event
 * Returns the new job id, or nil when the correlation id is already held.
 */
export const ENQUEUE_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local jobId = redis.call('INCR', KEYS[5])
redis.call('HMSET', ARGV[1] .. jobId, 'name', ARGV[3], 'data', ARGV[4], 'opts', ARGV[5],
  'timestamp', ARGV[6], 'delay', ARGV[7], 'priority', '0')
local delay = tonumber(ARGV[7])
if delay > 0 then
  local at = tonumber(ARGV[6]) + delay
  redis.call('ZADD', KEYS[6], at * 0x1000 + bit.band(jobId, 0xfff), jobId)
  redis.call('PUBLISH', KEYS[6], at)
else
  local target = KEYS[2]
  if redis.call('EXISTS', KEYS[4]) == 1 then target = KEYS[3] end
  redis.call('LPUSH', target, jobId)
  redis.call('PUBLISH', KEYS[2] .. 'ing@' .. ARGV[8], jobId)
end
redis.call('SET', KEYS[1], jobId, 'PX', ARGV[2])
return tostring(jobId)
`;
