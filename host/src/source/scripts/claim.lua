-- Moves up to ARGV[1] records from a gateway list into a batch list, and records the batch
-- as one stream entry, atomically. No record is copied through Lua: a list no longer than
-- a batch is renamed (O(1)); a longer one has its head copied by SORT ... STORE in C.
-- KEYS: 1 gateway list, 2 new batch list, 3 stream, 4 backlog hash, 5 sizes list.
-- ARGV: 1 batch size, 2 max backlog records, 3 max backlog bytes.
-- Returns {claimed, remaining}: claimed = -1 when no consumer group exists on the stream
-- (nothing may be claimed before a sink can read it), -2 when the backlog is full.
local ok, groups = pcall(redis.call, 'XINFO', 'GROUPS', KEYS[3])
if not ok or #groups == 0 then
  return {-1, redis.call('LLEN', KEYS[1])}
end
local records = tonumber(redis.call('HGET', KEYS[4], 'records') or '0')
local bytes = tonumber(redis.call('HGET', KEYS[4], 'bytes') or '0')
if records >= tonumber(ARGV[2]) or bytes >= tonumber(ARGV[3]) then
  return {-2, redis.call('LLEN', KEYS[1])}
end
local len = redis.call('LLEN', KEYS[1])
if len == 0 then
  return {0, 0}
end
local batch = tonumber(ARGV[1])
local n
if len <= batch then
  redis.call('RENAME', KEYS[1], KEYS[2])
  -- The gateway may have set a TTL on its list; claimed records must not expire.
  redis.call('PERSIST', KEYS[2])
  n = len
else
  n = redis.call('SORT', KEYS[1], 'BY', 'nosort', 'LIMIT', 0, batch, 'STORE', KEYS[2])
  redis.call('LTRIM', KEYS[1], n, -1)
end
local size = redis.call('MEMORY', 'USAGE', KEYS[2]) or 0
local id = redis.call('XADD', KEYS[3], '*', 'b', KEYS[2], 'n', n)
redis.call('HINCRBY', KEYS[4], 'records', n)
redis.call('HINCRBY', KEYS[4], 'bytes', size)
redis.call('RPUSH', KEYS[5], id .. ' ' .. n .. ' ' .. size .. ' ' .. KEYS[2])
return {n, len - n}
