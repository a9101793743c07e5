-- wrk script for bench/side_by_side.py: each request is a random line of
-- the file given after `--` (METHOD \t KEY \t PATH \t BODY [\t TOKEN]),
-- with the line's token, or WRK_TOKEN's. With WRK_CONDITIONAL=1 a request carries the ETag
-- last seen for its KEY (found in the answer's body as "id":"KEY"), as a
-- poller revalidating what it already has. Answers that are not 200/304,
-- or that carry GraphQL errors, are counted and reported at the end.
local lines = {}
local token = os.getenv("WRK_TOKEN")
local conditional = os.getenv("WRK_CONDITIONAL") == "1"
local etags = {}
local bad = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    local method, key, path, rest = line:match("^(%S+)\t(%S+)\t(%S+)\t?(.*)$")
    if method then
      local body, own = rest:match("^(.*)\t(%S+)$")
      table.insert(lines, { method, key, path, body or rest, own })
    end
  end
  local seed = tonumber(tostring({}):match("0x(%x+)"), 16) or 0
  math.randomseed(os.time() + seed)
end

function request()
  local r = lines[math.random(#lines)]
  local headers = {}
  local bearer = r[5] or token
  if bearer and bearer ~= "" then
    headers["Authorization"] = "Bearer " .. bearer
  end
  local body = nil
  if r[1] == "POST" then
    headers["Content-Type"] = "application/json"
    body = r[4]
  end
  if conditional and etags[r[2]] then
    headers["If-None-Match"] = etags[r[2]]
  end
  return wrk.format(r[1], r[3], headers, body)
end

function response(status, headers, body)
  if status == 304 then
    return
  end
  if status ~= 200 or body:find('"errors"', 1, true) then
    bad = bad + 1
    return
  end
  if conditional then
    local tag = headers["etag"] or headers["ETag"]
    local key = body:match('"id":"([^"]+)"')
    if tag and key then
      etags[key] = tag
    end
  end
end

function done(summary, latency, requests)
  local errors = 0
  for _, t in ipairs(threads) do
    errors = errors + (t:get("bad") or 0)
  end
  io.write(string.format(
    "RESULT requests=%d seconds=%.3f p50_ms=%.2f p99_ms=%.2f errors=%d\n",
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    errors + summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout))
end
