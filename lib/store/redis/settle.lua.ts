import { WRITE_STATUS } from './status.lua.js';

/**
 * Lua: `addBullJob(keys, k, prefix, data, opts, timestamp, delay, token, lock, lockMs)`
 * stores one plain FIFO Bull job (no custom id, priority or debounce) the way Bull 4's
 * `addJob-6.lua` does, as `enqueue.lua.ts` does for a request's replay job: the id from
 * `<queue>:id`, the job hash, then the delayed set (with its `delayed` message) or the wait
 * list (the paused list while the queue is paused, with its `waiting` message).
 * `keys[k + 1…k + 6]` are the queue's wait, paused, meta-paused, id, delayed and active keys;
 * `prefix` is `<prefix>:<queue>:`. With a `lock` (a worker's lock token), a job due at once
 * on a queue that is not paused is handed over instead: stored in the active list under that
 * lock for `lockMs`, `processedOn` set, Bull's `active` message published, as Bull's
 * `moveToActive` leaves a job it took. Returns the new job id and 1 if it was handed over.
 */
const ADD_BULL_JOB = `
local function addBullJob(keys, k, prefix, data, opts, timestamp, delay, token, lock, lockMs)
  local jobId = redis.call('INCR', keys[k + 4])
  local jobKey = prefix .. jobId
  redis.call('HMSET', jobKey, 'name', '__default__', 'data', data, 'opts', opts,
    'timestamp', timestamp, 'delay', delay, 'priority', '0')
  if tonumber(delay) > 0 then
    local at = tonumber(timestamp) + tonumber(delay)
    redis.call('ZADD', keys[k + 5], at * 0x1000 + bit.band(jobId, 0xfff), jobId)
    redis.call('PUBLISH', keys[k + 5], at)
  elseif redis.call('EXISTS', keys[k + 3]) == 1 then
    redis.call('LPUSH', keys[k + 2], jobId)
    redis.call('PUBLISH', keys[k + 1] .. 'ing@' .. token, jobId)
  elseif lock ~= '' then
    redis.call('HSET', jobKey, 'processedOn', timestamp)
    redis.call('LPUSH', keys[k + 6], jobId)
    redis.call('SET', jobKey .. ':lock', lock, 'PX', lockMs)
    redis.call('PUBLISH', keys[k + 6] .. '@' .. lock, jobId)
    return jobId, 1
  else
    redis.call('LPUSH', keys[k + 1], jobId)
    redis.call('PUBLISH', keys[k + 1] .. 'ing@' .. token, jobId)
  end
  return jobId, 0
end
`;

/**
 * Settles a replay or callback job that ends (`complete` or `fail`) in ONE atomic step:
 * Bull's move of the job out of active, the job's `next` (a replay's callback job) added to
 * its queue, and the replay's final status record (with its timeline entry and throughput
 * count). Either all of it happens or none: a worker that dies before the script ran leaves
 * the job active under its lock (it stalls and runs again, and its callback is stored then);
 * once the script ran, the job is finished and its callback stored, never one without the
 * other, never the callback twice.
 *
 * The move mirrors what the driver asked of Bull 4 before (every release from 4.0.0 on):
 * `Job#moveToCompleted(undefined, false, true)` with `removeOnComplete: true` (the job hash
 * and its logs deleted), or `Job#discard()` then `Job#moveToFailed(err)` with
 * `removeOnFail: false` (`attemptsMade` + 1, the reason appended to `stacktrace`, then the
 * failed set scored by `finishedOn`, `failedReason` and `finishedOn` on the hash). Both
 * check this worker's lock first (`<job>:lock` holds the queue's token), release it, take
 * the job off the stalled set and publish Bull's `completed`/`failed` message, as Bull's
 * `moveToFinished` script does. Every check comes before the first write: a lost lock
 * changes nothing, and so does a key the script would write that holds another type (a
 * Redis script is not undone by an error half-way: none may happen after the first write).
 *
 * A callback job that ends appends its delivery's line to its request's timeline in the same
 * step (ARGV[13] `2`), as `TIMELINE_APPEND_LUA` does: only to a record that is a hash and
 * still the request's (its `queuedAt`); anything else there is left alone, never refused.
 *
 * All keys are under the store's prefix, so on Redis Cluster they share its hash tag (one
 * slot). A job without `next` or without a status record passes other keys of its queue
 * in those places (never written).
 *
 * The next job can be handed over to the settling worker (ARGV[11], its queue's lock token):
 * instead of waiting in its queue, it is stored active under that lock (`addBullJob`), so
 * the worker runs it at once without a take; should the worker die, its lock lapses and
 * Bull's stalled check puts it back to wait, as for any job a dead worker held. Only a next
 * job due at once, on a queue that is not paused (else it is stored as usual).
 *
 * KEYS: 1 active, 2 completed or failed set (the job's queue), 3 job key, 4 stalled,
 *       5 status key, 6 throughput hash of the current minute,
 *       7 wait, 8 paused, 9 meta-paused, 10 id, 11 delayed, 12 active (the next job's queue)
 * ARGV: 1 job id, 2 lock token, 3 timestamp (ms), 4 `completed` or `failed`, 5 failed reason,
 *       6 next job key prefix (`<prefix>:<queue>:`; empty: no next job), 7 its data JSON,
 *       8 its opts JSON, 9 its delay (ms), 10 the next queue's token for `waiting`,
 *       11 the lock token to hand the next job over under (empty: no hand-over), 12 its lock
 *       duration (ms),
 *       13 `1` to write the status record, 14… `writeStatus`'s arguments (`status.lua.ts`);
 *       or `2` to append a callback's timeline line: 14 the request's queuedAt, 15 the line;
 *       or `0`
 * Returns `{next job id ('' without one), 1 if it was handed over else 0}`, or an error
 * code: Bull's -1 no such job, -2 no lock, -6 another worker's lock, -3 not active; -7 a key
 * holds another type.
 */
export const SETTLE_LUA = `${ADD_BULL_JOB}${WRITE_STATUS}
local function holds(key, kind)
  local t = redis.call('TYPE', key).ok
  return t == 'none' or t == kind
end
if redis.call('EXISTS', KEYS[3]) == 0 then return -1 end
local lock = redis.call('GET', KEYS[3] .. ':lock')
if lock ~= ARGV[2] then
  if lock then return -6 end
  return -2
end
if ARGV[13] == '1' and not (holds(KEYS[5], 'hash') and holds(KEYS[6], 'hash')) then return -7 end
if ARGV[6] ~= '' and not (holds(KEYS[10], 'string') and holds(KEYS[7], 'list') and holds(KEYS[11], 'zset')
  and holds(KEYS[12], 'list')) then
  return -7
end
if redis.call('LREM', KEYS[1], -1, ARGV[1]) < 1 then return -3 end
redis.call('DEL', KEYS[3] .. ':lock')
redis.call('SREM', KEYS[4], ARGV[1])
if ARGV[4] == 'completed' then
  redis.call('DEL', KEYS[3], KEYS[3] .. ':logs')
  redis.call('PUBLISH', KEYS[2], '{"jobId":' .. cjson.encode(ARGV[1]) .. '}')
else
  local stack = {}
  local saved = redis.call('HGET', KEYS[3], 'stacktrace')
  if saved then
    local ok, decoded = pcall(cjson.decode, saved)
    if ok and type(decoded) == 'table' then stack = decoded end
  end
  stack[#stack + 1] = 'Error: ' .. ARGV[5]
  local attempts = tonumber(redis.call('HGET', KEYS[3], 'attemptsMade') or '0') or 0
  redis.call('HMSET', KEYS[3], 'stacktrace', cjson.encode(stack), 'failedReason', ARGV[5],
    'attemptsMade', attempts + 1)
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
  redis.call('HMSET', KEYS[3], 'failedReason', ARGV[5], 'finishedOn', ARGV[3])
  redis.call('PUBLISH', KEYS[2], '{"jobId":' .. cjson.encode(ARGV[1]) .. ',"val":' .. cjson.encode(ARGV[5]) .. '}')
end
local nextId = ''
local handedOver = 0
if ARGV[6] ~= '' then
  local jobId
  jobId, handedOver = addBullJob(KEYS, 6, ARGV[6], ARGV[7], ARGV[8], ARGV[3], ARGV[9], ARGV[10], ARGV[11], ARGV[12])
  nextId = tostring(jobId)
end
if ARGV[13] == '1' then
  writeStatus(KEYS[5], KEYS[6], ARGV, 13)
elseif ARGV[13] == '2' and holds(KEYS[5], 'hash') and redis.call('HGET', KEYS[5], 'queuedAt') == ARGV[14] then
  append(KEYS[5], ARGV[15])
end
return {nextId, handedOver}
`;
