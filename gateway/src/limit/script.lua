-- GCRA over several quotas in one atomic call; mirrors gcra.rs (read that for the reasoning).
-- KEYS[i]        the TAT key of quota i (all keys share one hash tag: one cluster slot)
-- ARGV[2i-1]     quota i's limit (requests per period)
-- ARGV[2i]       quota i's interval in microseconds, floor(period / limit)
-- The time comes from Redis itself, so replicas with skewed clocks still agree.
-- A request is admitted only when every quota admits it; a refused request consumes nothing.
-- Returns {allowed, limit, remaining, reset_us, retry_us} of the quota that decided:
-- the refusing quota with the longest wait, or, when admitted, the one with the least left.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local new_tats = {}
local refused, refused_limit, refused_reset, refused_retry = false, 0, 0, -1
local best_limit, best_remaining, best_reset = 0, -1, 0

for i = 1, #KEYS do
  local limit = tonumber(ARGV[2 * i - 1])
  local interval = tonumber(ARGV[2 * i])
  local capacity = interval * limit
  local tat = tonumber(redis.call('GET', KEYS[i]) or now)
  if tat < now then tat = now end
  local new_tat = tat + interval
  local fill = new_tat - now
  if fill > capacity then
    local retry = fill - capacity
    if retry > refused_retry then
      refused, refused_limit, refused_reset, refused_retry = true, limit, tat - now, retry
    end
  else
    local remaining = math.floor((capacity - fill) / interval)
    if best_remaining < 0 or remaining < best_remaining then
      best_limit, best_remaining, best_reset = limit, remaining, fill
    end
    new_tats[i] = new_tat
  end
end

if refused then
  return {0, refused_limit, 0, refused_reset, refused_retry}
end
for i = 1, #KEYS do
  -- '%.0f' keeps every digit; tostring would print 1.7e+15 and lose the microseconds.
  local ttl_ms = math.ceil((new_tats[i] - now) / 1000)
  redis.call('SET', KEYS[i], string.format('%.0f', new_tats[i]), 'PX', ttl_ms)
end
return {1, best_limit, best_remaining, best_reset, 0}
