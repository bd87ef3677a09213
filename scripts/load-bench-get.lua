-- wrk script for scripts/load-bench.sh: authenticated GETs.
--
-- Environment:
--   IMR_TOKEN      the bearer token (required)
--   IMR_PATH       the path and query to GET, e.g. /v1/caseload or /v1/fidelity?program=p-01
--   IMR_FEED_SIZE  when set, GET /v1/feed pages instead: from a random position in
--                  [0, IMR_FEED_SIZE - IMR_FEED_LIMIT], IMR_FEED_LIMIT events (default 100)
--
-- done() prints the RESULT line of load-bench-common.lua.

local token = os.getenv("IMR_TOKEN") or error("IMR_TOKEN is not set")
local path = os.getenv("IMR_PATH") or "/v1/caseload"
local feedSize = tonumber(os.getenv("IMR_FEED_SIZE") or "")
local feedLimit = tonumber(os.getenv("IMR_FEED_LIMIT") or "100")

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "load-bench-common.lua")

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
  count_status(status)
end

function done(summary, latency, requests)
  report(summary, latency)
end
