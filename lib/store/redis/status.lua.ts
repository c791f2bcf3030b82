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
 * Writes a status record of one replay job after `enqueue` (which writes the first one
 * itself): `running` on take, `retrying`, the final state, `queued` again on an operator's
 * retry. Guarded: a record that names another job (another queue or job id) belongs to a
 * newer request that reused the correlation id after the claim expired, and is left as it is.
 * A missing record is created (the job's queue and id are always written), except with
 * expiry `keep`, which only updates a record that exists.
 *
 * With the record (and only when it is written), in the same atomic step: a timeline line
 * is appended, and the job's queue is counted in the minute's throughput hash (fields
 * `<metric>:<queue>`, kept `THROUGHPUT_KEEP_MS`): `completed` or `failed` once, or `wait`
 * (adds the wait to `waitMs` and one to `waited`).
 *
 * KEYS: 1 the status key, 2 the throughput hash of the current minute
 * ARGV: 1 queue, 2 job id, 3 expiry: `persist` (no TTL), `keep` (as it is), or a TTL in ms,
 *       4 timeline line or empty, 5 metric to count or empty, 6 wait (ms, for `wait`),
 *       7 throughput TTL (ms), 8… field, value pairs; an empty value removes the field
 * Returns 1 when written, 0 when left alone.
 */
export const STATUS_WRITE_LUA = `${APPEND_TIMELINE}
local owner = redis.call('HMGET', KEYS[1], 'queue', 'jobId')
if owner[1] then
  if owner[1] ~= ARGV[1] or owner[2] ~= ARGV[2] then return 0 end
elseif ARGV[3] == 'keep' then
  return 0
end
redis.call('HSET', KEYS[1], 'queue', ARGV[1], 'jobId', ARGV[2])
for i = 8, #ARGV, 2 do
  if ARGV[i + 1] == '' then
    redis.call('HDEL', KEYS[1], ARGV[i])
  else
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
if ARGV[4] ~= '' then append(KEYS[1], ARGV[4]) end
if ARGV[3] == 'persist' then
  redis.call('PERSIST', KEYS[1])
elseif ARGV[3] ~= 'keep' then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
if ARGV[5] ~= '' then
  if ARGV[5] == 'wait' then
    redis.call('HINCRBY', KEYS[2], 'waitMs:' .. ARGV[1], ARGV[6])
    redis.call('HINCRBY', KEYS[2], 'waited:' .. ARGV[1], 1)
  else
    redis.call('HINCRBY', KEYS[2], ARGV[5] .. ':' .. ARGV[1], 1)
  end
  redis.call('PEXPIRE', KEYS[2], ARGV[7])
end
return 1
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
