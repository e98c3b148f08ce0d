-- Trims the stream entries that every consumer group has acknowledged, atomically: their
-- batch lists are unlinked (freed in the background) and their sizes subtracted from the
-- backlog counters.
-- KEYS: 1 stream, 2 backlog hash, 3 sizes list. Returns the number of entries trimmed.
local ok, groups = pcall(redis.call, 'XINFO', 'GROUPS', KEYS[1])
if not ok or #groups == 0 then
  return 0
end

local function parse(id)
  local dash = string.find(id, '-', 1, true)
  return tonumber(string.sub(id, 1, dash - 1)), tonumber(string.sub(id, dash + 1))
end
local function less(ams, aseq, bms, bseq)
  return ams < bms or (ams == bms and aseq < bseq)
end

-- The lowest ID some group still needs: its oldest pending entry, or the entry after
-- the last one delivered to it.
local bms, bseq = nil, nil
for _, g in ipairs(groups) do
  local f = {}
  for i = 1, #g, 2 do
    f[g[i]] = g[i + 1]
  end
  local ms, seq
  if tonumber(f['pending']) > 0 then
    local summary = redis.call('XPENDING', KEYS[1], f['name'])
    ms, seq = parse(summary[2])
  else
    ms, seq = parse(f['last-delivered-id'])
    seq = seq + 1
  end
  if bms == nil or less(ms, seq, bms, bseq) then
    bms, bseq = ms, seq
  end
end

local bound = string.format('%.0f-%.0f', bms, bseq)
local trimmed = redis.call('XTRIM', KEYS[1], 'MINID', bound)

-- Subtract the sizes of entries below the bound, and free their batches. Entries of one
-- batch are consecutive; a batch is freed once no remaining entry names it. (Batch names
-- share the stream's hash tag, so they live in this slot.)
local records, bytes = 0, 0
local last = nil
while true do
  local head = redis.call('LINDEX', KEYS[3], 0)
  if not head then
    break
  end
  local id, n, b, key = string.match(head, '^(%S+) (%d+) (%d+) (.+)$')
  if not id then
    redis.call('LPOP', KEYS[3])
  else
    local ims, iseq = parse(id)
    if not less(ims, iseq, bms, bseq) then
      if last and last ~= key then
        redis.call('UNLINK', last)
      end
      last = nil
      break
    end
    redis.call('LPOP', KEYS[3])
    if last and last ~= key then
      redis.call('UNLINK', last)
    end
    last = key
    records = records + tonumber(n)
    bytes = bytes + tonumber(b)
  end
end
if last then
  redis.call('UNLINK', last)
end
if records > 0 then
  redis.call('HINCRBY', KEYS[2], 'records', -records)
  redis.call('HINCRBY', KEYS[2], 'bytes', -bytes)
end
return trimmed
