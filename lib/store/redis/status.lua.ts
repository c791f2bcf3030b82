import { TIMELINE_LIMIT } from '../../core/request-status.js';

/**
 * Lua: `append(key, line)` adds one timeline line (`timelineLine`) to the `timeline` field
 * of a status hash, keeping the last `TIMELINE_LIMIT` lines. Shared by the scripts below.
 */
const APPEND_TIMELINE = `
local function append(key, line)
  local lines = {}
  local text = redis.call('HGET', key, 'timeline')
  if text then
    for l in string.gmatch(text, '[^\\n]+') do lines[#lines + 1] = l end
  end
  lines[#lines + 1] = line
  redis.call('HSET', key, 'timeline', table.concat(lines, '\\n', math.max(1, #lines - ${TIMELINE_LIMIT} + 1)))
end
`;

/**
 * Lua: `writeStatus(key, throughputKey, a, o)` writes a status record of one replay job
 * after `enqueue` (which writes the first one itself): `retrying`, the final state (inside
 * `SETTLE_LUA`, with the job's move), `queued` again when flow control holds a job back or
 * on an operator's retry. (`running` is not written: a reader sees it from the job's lock,
 * `RedisStatusRecords.read`; workers of earlier releases wrote it on take.) Its arguments
 * are `a[o + 1]…` (so a script can put them after its own ARGV).
 * Guarded: a record that names another job (another queue or job id) belongs to a newer
 * request that reused the correlation id after the claim expired, and is left as it is.
 * A missing record is created (the job's queue and id are always written), except with
 * expiry `keep`, which only updates a record that exists.
 *
 * With the record (and only when it is written), in the same atomic step: a timeline line
 * is appended, and the job's queue is counted in the minute's throughput hash (fields
 * `<metric>:<queue>`, kept `THROUGHPUT_KEEP_MS`): `completed` or `failed` once, and the
 * queue wait of a first attempt (adds it to `waitMs` and one to `waited`).
 *
 * Arguments (from `o + 1`): 1 queue, 2 job id, 3 expiry: `persist` (no TTL), `keep` (as it
 * is), or a TTL in ms, 4 timeline line or empty, 5 metric to count (`completed`, `failed`)
 * or empty, 6 the queue wait to count (ms) or empty, 7 throughput TTL (ms), 8… field, value
 * pairs; an empty value removes the field
 * Returns 1 when written, 0 when left alone.
 */
export const WRITE_STATUS = `${APPEND_TIMELINE}
local function writeStatus(key, throughputKey, a, o)
  local owner = redis.call('HMGET', key, 'queue', 'jobId')
  if owner[1] then
    if owner[1] ~= a[o + 1] or owner[2] ~= a[o + 2] then return 0 end
  elseif a[o + 3] == 'keep' then
    return 0
  end
  redis.call('HSET', key, 'queue', a[o + 1], 'jobId', a[o + 2])
  for i = o + 8, #a, 2 do
    if a[i + 1] == '' then
      redis.call('HDEL', key, a[i])
    else
      redis.call('HSET', key, a[i], a[i + 1])
    end
  end
  if a[o + 4] ~= '' then append(key, a[o + 4]) end
  if a[o + 3] == 'persist' then
    redis.call('PERSIST', key)
  elseif a[o + 3] ~= 'keep' then
    redis.call('PEXPIRE', key, a[o + 3])
  end
  local metric = a[o + 5]
  local counted = false
  if a[o + 6] ~= '' then
    redis.call('HINCRBY', throughputKey, 'waitMs:' .. a[o + 1], a[o + 6])
    redis.call('HINCRBY', throughputKey, 'waited:' .. a[o + 1], 1)
    counted = true
  end
  if metric ~= '' then
    redis.call('HINCRBY', throughputKey, metric .. ':' .. a[o + 1], 1)
    counted = true
  end
  if counted then redis.call('PEXPIRE', throughputKey, a[o + 7]) end
  return 1
end
`;

/**
 * `writeStatus` as a command of its own (`rqStatus`).
 *
 * KEYS: 1 the status key, 2 the throughput hash of the current minute
 * ARGV: `writeStatus`'s arguments from 1
 * Returns 1 when written, 0 when left alone.
 */
export const STATUS_WRITE_LUA = `${WRITE_STATUS}
return writeStatus(KEYS[1], KEYS[2], ARGV, 0)
`;

/**
 * Appends a timeline line to a request's status record from its callback delivery, which
 * knows the request by its correlation id and when it was accepted (not by its replay
 * job). Guarded by `queuedAt`: a record of a newer request that reused the id is left
 * alone, and so is a missing (expired) one. The TTL stays as it is.
 *
 * KEYS: 1 the status key
 * ARGV: 1 queuedAt of the request, 2 timeline line
 * Returns 1 when written, 0 when left alone.
 */
export const TIMELINE_APPEND_LUA = `${APPEND_TIMELINE}
if redis.call('HGET', KEYS[1], 'queuedAt') ~= ARGV[1] then return 0 end
append(KEYS[1], ARGV[2])
return 1
`;
