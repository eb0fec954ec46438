package cluster

import "github.com/redis/go-redis/v9"

// Presence lives in Redis as, per room:
//
//	<prefix>room:<room>:users        HASH user id -> user JSON (who to list)
//	<prefix>room:<room>:user:<uid>   SET  "<instance>\0<conn>" (that user's connections)
//
// and per instance <prefix>instance:<id> with a TTL the instance keeps refreshing.
// A connection counts only while its instance key exists, so a crashed instance's
// users vanish once its key expires. The scripts drop dead entries as they meet
// them and keep enter/leave atomic, so first/last hold across instances and tabs.
// (Keys are built inside the scripts: fine on a single Redis, not on Redis Cluster.)

// liveCount is shared by the scripts: it removes members of dead instances from
// the set and returns how many remain.
const liveCountLua = `
local function liveCount(setKey, instPrefix)
  local live = 0
  for _, m in ipairs(redis.call('SMEMBERS', setKey)) do
    local sep = string.find(m, '\0', 1, true)
    local inst = sep and string.sub(m, 1, sep - 1) or ''
    if redis.call('EXISTS', instPrefix .. inst) == 1 then
      live = live + 1
    else
      redis.call('SREM', setKey, m)
    end
  end
  return live
end
-- refresh returns 1 when the instance key had to be created (Redis lost it).
local function refresh(instKey, ttl)
  if redis.call('SET', instKey, '1', 'PX', ttl, 'NX') then return 1 end
  redis.call('PEXPIRE', instKey, ttl)
  return 0
end
`

// enterScript: KEYS users hash, user set, own instance key;
// ARGV member, user id, user JSON, instance prefix, ttl ms.
// Returns {added, live, fresh}.
var enterScript = redis.NewScript(liveCountLua + `
local fresh = refresh(KEYS[3], ARGV[5])
local added = redis.call('SADD', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
return {added, liveCount(KEYS[2], ARGV[4]), fresh}
`)

// leaveScript: KEYS users hash, user set, own instance key;
// ARGV member, user id, instance prefix, ttl ms.
// Returns {removed, live, fresh}.
var leaveScript = redis.NewScript(liveCountLua + `
local fresh = refresh(KEYS[3], ARGV[4])
local removed = redis.call('SREM', KEYS[2], ARGV[1])
local live = liveCount(KEYS[2], ARGV[3])
if live == 0 then
  redis.call('DEL', KEYS[2])
  redis.call('HDEL', KEYS[1], ARGV[2])
end
return {removed, live, fresh}
`)

// onlineScript: KEYS users hash; ARGV user-set key prefix, instance prefix.
// Returns the JSON of every user with at least one live connection.
var onlineScript = redis.NewScript(liveCountLua + `
local out = {}
local users = redis.call('HGETALL', KEYS[1])
for i = 1, #users, 2 do
  local setKey = ARGV[1] .. users[i]
  if liveCount(setKey, ARGV[2]) > 0 then
    table.insert(out, users[i + 1])
  else
    redis.call('HDEL', KEYS[1], users[i])
    redis.call('DEL', setKey)
  end
end
return out
`)
