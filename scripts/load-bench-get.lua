-- wrk script for scripts/load-bench.sh: authenticated GETs.
--
-- Environment:
--   IMR_TOKEN      the bearer token (required)
--   IMR_PATH       the path and query to GET, e.g. /v1/caseload or /v1/fidelity?program=p-01
--   IMR_FEED_SIZE  when set, GET /v1/feed pages instead: from a random position in
--                  [0, IMR_FEED_SIZE - IMR_FEED_LIMIT], IMR_FEED_LIMIT events (default 100)
--
-- done() prints one machine-readable line:
--   RESULT requests=N duration_s=S rps=R p50_ms=.. p90_ms=.. p99_ms=.. max_ms=.. non2xx=N errors=N
-- where non2xx counts every response that was not 2xx (wrk's status errors, which include 3xx
-- here because responses are checked in response()) and errors the socket errors and timeouts.

local token = os.getenv("IMR_TOKEN") or error("IMR_TOKEN is not set")
local path = os.getenv("IMR_PATH") or "/v1/caseload"
local feedSize = tonumber(os.getenv("IMR_FEED_SIZE") or "")
local feedLimit = tonumber(os.getenv("IMR_FEED_LIMIT") or "100")

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

function init(args)
  bad = 0
  math.randomseed(1000 + tid)
  wrk.headers["Authorization"] = "Bearer " .. token
  wrk.headers["Accept"] = "application/json"
  if not feedSize then
    fixed = wrk.format("GET", path)
  end
end

function request()
  if fixed then return fixed end
  local span = math.max(1, feedSize - feedLimit)
  local from = math.random(0, span - 1)
  return wrk.format("GET", "/v1/feed?from=" .. from .. "&limit=" .. feedLimit)
end

function response(status, headers, body)
  if status < 200 or status > 299 then bad = bad + 1 end
end

function done(summary, latency, requests)
  local non2xx = 0
  for _, t in ipairs(threads) do non2xx = non2xx + (t:get("bad") or 0) end
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d duration_s=%.2f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d errors=%d bytes=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    non2xx, e.connect + e.read + e.write + e.timeout, summary.bytes))
end
