/**
 * Claims correlation ids and adds Bull jobs for a batch of requests to one queue, each
 * claim, its job and its status record in one atomic step (the whole script is atomic).
 * The store batches the enqueues of one event-loop turn by queue and delay, so under load
 * one call carries many requests with few arguments each. Mirrors what Bull 4's own
 * `addJob-6.lua` does for a plain FIFO job (no custom id, priority or debounce), so Bull's
 * workers pick the jobs up exactly as if `queue.add` had stored them.
 *
 * A replay job gets its `queued` status record here, its timeline starting with the
 * `queued` entry (see `status.lua.ts` for the later writes). Any older record under the same correlation id is replaced: its claim expired,
 * so a new request took the id. The record has no TTL while the request is not final. A
 * held id leaves everything as it was, the old record included.
 *
 * A job in a funnel (lib/flow) takes its ticket at the back of its funnel's line (a sorted
 * set of job keys, see `flow-tickets.lua.ts`) in the same step: its place in order of arrival.
 *
 * KEYS: 1 wait, 2 paused, 3 meta-paused, 4 id, 5 delayed,
 *       6… three per job: its correlation key, its status key, its funnel's line (or any key
 *       of the job's when it has no funnel)
 * ARGV: 1 token for the `waiting` event, 2 job key prefix (`bull:<queue>:`), 3 claim TTL (ms),
 *       4 job name, 5 opts JSON, 6 timestamp (ms), 7 delay (ms), 8 queue name,
 *       9… four per job: data JSON, queuedAt (empty: no status record, a callback job),
 *       fingerprint (may be empty), '1' when it has a funnel (else empty)
 * Returns, per job, its new id, or false when its correlation id is already held.
 */
export const ENQUEUE_LUA = `
local results = {}
local delay = tonumber(ARGV[7])
local target = KEYS[1]
if redis.call('EXISTS', KEYS[3]) == 1 then target = KEYS[2] end
for n = 1, (#KEYS - 5) / 3 do
  local claimKey = KEYS[3 + 3 * n]
  local statusKey = KEYS[4 + 3 * n]
  local lineKey = KEYS[5 + 3 * n]
  local data, queuedAt, fingerprint = ARGV[5 + 4 * n], ARGV[6 + 4 * n], ARGV[7 + 4 * n]
  local funnel = ARGV[8 + 4 * n]
  if redis.call('EXISTS', claimKey) == 1 then
    results[n] = false
  else
    local jobId = redis.call('INCR', KEYS[4])
    redis.call('HMSET', ARGV[2] .. jobId, 'name', ARGV[4], 'data', data, 'opts', ARGV[5],
      'timestamp', ARGV[6], 'delay', ARGV[7], 'priority', '0')
    if delay > 0 then
      local at = tonumber(ARGV[6]) + delay
      redis.call('ZADD', KEYS[5], at * 0x1000 + bit.band(jobId, 0xfff), jobId)
      redis.call('PUBLISH', KEYS[5], at)
    else
      redis.call('LPUSH', target, jobId)
      redis.call('PUBLISH', KEYS[1] .. 'ing@' .. ARGV[1], jobId)
    end
    redis.call('SET', claimKey, jobId, 'PX', ARGV[3])
    if funnel ~= '' then
      local last = redis.call('ZRANGE', lineKey, -1, -1, 'WITHSCORES')
      local ticket = 1
      if last[2] then ticket = tonumber(last[2]) + 1 end
      redis.call('ZADD', lineKey, ticket, ARGV[2] .. jobId)
    end
    if queuedAt ~= '' then
      redis.call('DEL', statusKey)
      redis.call('HSET', statusKey, 'state', 'queued', 'attempts', '0', 'queue', ARGV[8],
        'jobId', jobId, 'queuedAt', queuedAt, 'updatedAt', ARGV[6],
        'timeline', '{"at":' .. queuedAt .. ',"kind":"queued"}')
      if delay > 0 then redis.call('HSET', statusKey, 'nextAttemptAt', tonumber(ARGV[6]) + delay) end
      if fingerprint ~= '' then redis.call('HSET', statusKey, 'fingerprint', fingerprint) end
    end
    results[n] = tostring(jobId)
  end
end
return results
`;
