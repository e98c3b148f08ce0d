-- Claims records from a gateway list, atomically: they move into a batch list of their
-- own, and stream entries of up to ARGV[1] records each name slices of it. No record is
-- copied through Lua: a list that fits the allowance is renamed whole (O(1)); otherwise
-- its head is copied by SORT ... STORE in C and trimmed from the list.
-- KEYS: 1 gateway list, 2 new batch list, 3 stream, 4 backlog hash, 5 sizes list.
-- ARGV: 1 records per entry, 2 max backlog records, 3 max backlog bytes, 4 most records
-- per claim.
-- Returns {claimed, remaining}: claimed = -1 when no consumer group exists on the stream
-- (nothing may be claimed before a sink can read it), -2 when the backlog is full.
local ok, groups = pcall(redis.call, 'XINFO', 'GROUPS', KEYS[3])
if not ok or #groups == 0 then
  return {-1, redis.call('LLEN', KEYS[1])}
end
local records = tonumber(redis.call('HGET', KEYS[4], 'records') or '0')
local bytes = tonumber(redis.call('HGET', KEYS[4], 'bytes') or '0')
local max_records = tonumber(ARGV[2])
if records >= max_records or bytes >= tonumber(ARGV[3]) then
  return {-2, redis.call('LLEN', KEYS[1])}
end
local len = redis.call('LLEN', KEYS[1])
if len == 0 then
  return {0, 0}
end
local allowance = math.min(max_records - records, tonumber(ARGV[4]))
local n
if len <= allowance then
  redis.call('RENAME', KEYS[1], KEYS[2])
  -- The gateway may have set a TTL on its list; claimed records must not expire.
  redis.call('PERSIST', KEYS[2])
  n = len
else
  n = redis.call('SORT', KEYS[1], 'BY', 'nosort', 'LIMIT', 0, allowance, 'STORE', KEYS[2])
  redis.call('LTRIM', KEYS[1], n, -1)
end
local size = redis.call('MEMORY', 'USAGE', KEYS[2]) or 0
local per_entry = tonumber(ARGV[1])
local accounted = 0
for offset = 0, n - 1, per_entry do
  local count = math.min(per_entry, n - offset)
  local id = redis.call('XADD', KEYS[3], '*', 'b', KEYS[2], 'o', offset, 'n', count)
  -- Each entry's share of the batch's bytes; the last takes the rounding remainder.
  local share = math.floor(size * count / n)
  if offset + count >= n then
    share = size - accounted
  end
  accounted = accounted + share
  redis.call('RPUSH', KEYS[5], id .. ' ' .. count .. ' ' .. share .. ' ' .. KEYS[2])
end
redis.call('HINCRBY', KEYS[4], 'records', n)
redis.call('HINCRBY', KEYS[4], 'bytes', size)
return {n, len - n}
