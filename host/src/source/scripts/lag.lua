-- How far a consumer group is behind on a stream: the records and entries it has not
-- acknowledged (pending, or not delivered yet), and the oldest such entry's ID.
-- KEYS: 1 stream. ARGV: 1 group, 2 idle time (ms) below which a consumer counts as live.
-- Returns {found (0/1), records, entries, pending entries, live consumers, oldest ID or ''}.
local ok, groups = pcall(redis.call, 'XINFO', 'GROUPS', KEYS[1])
if not ok then
  return {0, 0, 0, 0, 0, ''}
end
local g = nil
for _, item in ipairs(groups) do
  local f = {}
  for i = 1, #item, 2 do
    f[item[i]] = item[i + 1]
  end
  if f['name'] == ARGV[1] then
    g = f
  end
end
if not g then
  return {0, 0, 0, 0, 0, ''}
end
local start
if tonumber(g['pending']) > 0 then
  start = redis.call('XPENDING', KEYS[1], ARGV[1])[2]
else
  start = '(' .. g['last-delivered-id']
end
-- Entries are small (a batch name, an offset, a count): reading them is cheap.
local entries = redis.call('XRANGE', KEYS[1], start, '+')
local records = 0
for _, e in ipairs(entries) do
  local fields = e[2]
  for i = 1, #fields, 2 do
    if fields[i] == 'n' then
      records = records + tonumber(fields[i + 1])
    end
  end
end
local oldest = ''
if #entries > 0 then
  oldest = entries[1][1]
end
local live = 0
for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  for i = 1, #c, 2 do
    if c[i] == 'idle' and tonumber(c[i + 1]) < tonumber(ARGV[2]) then
      live = live + 1
    end
  end
end
return {1, records, #entries, tonumber(g['pending']), live, oldest}
