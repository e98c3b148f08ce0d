-- Moves a sink's oldest dead letter into its replay stream, atomically: the record goes
-- into a new batch list and a replay entry names it, with the record's source and format.
-- KEYS: 1 dead letters, 2 replay stream, 3 new batch list, 4 replay backlog hash,
-- 5 replay sizes list. Returns 1 if a dead letter was moved, 0 if there was none.
local entries = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
if #entries == 0 then
  return 0
end
local id, fields = entries[1][1], entries[1][2]
local f = {}
for i = 1, #fields, 2 do
  f[fields[i]] = fields[i + 1]
end
local record = f['record'] or ''
redis.call('RPUSH', KEYS[3], record)
local new = redis.call('XADD', KEYS[2], '*', 'b', KEYS[3], 'n', 1, 'src', f['src'] or '', 'fmt', f['fmt'] or '')
redis.call('HINCRBY', KEYS[4], 'records', 1)
redis.call('HINCRBY', KEYS[4], 'bytes', #record)
redis.call('RPUSH', KEYS[5], new .. ' 1 ' .. #record .. ' ' .. KEYS[3])
redis.call('XDEL', KEYS[1], id)
return 1
