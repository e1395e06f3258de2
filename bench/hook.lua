-- wrk script for bench/ingest.sh: the loopback receiver's own ceiling, posting
-- webhook-shaped JSON bodies (a unique email each) straight to it.
local n = 0
request = function()
  n = n + 1
  local body = string.format('{"email": "ceiling%d-%d@example.com"}', n, math.random(1, 1000000000))
  return wrk.format("POST", "/hook", { ["Content-Type"] = "application/json" }, body)
end
