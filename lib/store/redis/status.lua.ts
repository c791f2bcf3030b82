/**
 * Writes a status record of one replay job after `enqueue` (which writes the first one
 * itself): `running` on take, `retrying`, the final state, `queued` again on an operator's
 * retry. Guarded: a record that names another job (another queue or job id) belongs to a
 * newer request that reused the correlation id after the claim expired, and is left as it is.
 * A missing record is created (the job's queue and id are always written), except with
 * expiry `keep`, which only updates a record that exists.
 *
 * KEYS: 1 the status key
 * ARGV: 1 queue, 2 job id, 3 expiry: `persist` (no TTL), `keep` (as it is), or a TTL in ms,
 *       4… field, value pairs; an empty value removes the field
 * Returns 1 when written, 0 when left alone.
 */
export const STATUS_WRITE_LUA = `
local owner = redis.call('HMGET', KEYS[1], 'queue', 'jobId')
if owner[1] then
  if owner[1] ~= ARGV[1] or owner[2] ~= ARGV[2] then return 0 end
elseif ARGV[3] == 'keep' then
  return 0
end
redis.call('HSET', KEYS[1], 'queue', ARGV[1], 'jobId', ARGV[2])
for i = 4, #ARGV, 2 do
  if ARGV[i + 1] == '' then
    redis.call('HDEL', KEYS[1], ARGV[i])
  else
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
if ARGV[3] == 'persist' then
  redis.call('PERSIST', KEYS[1])
elseif ARGV[3] ~= 'keep' then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return 1
`;
