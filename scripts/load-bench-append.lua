-- wrk script for scripts/load-bench.sh: raw event appends, one event per request.
--
-- Each request POSTs one CloudEvent to /v1/streams/load-<k>/events?expected-version=any,
-- round-robin over 10,000 streams (like imr-bench's standard workload), with a unique event
-- id (run id, thread, counter), so every request is a new durable append. The event's data is
-- a session-note-like object of about 480 bytes of JSON, the size of imr-bench's workload.
-- Every request must answer 201; anything else (a 200 duplicate included) is counted.
--
-- Environment:
--   IMR_TOKEN   an integrator token (required)
--   IMR_RUN     a run id, part of every event id (default: the clock)
--
-- done() prints one machine-readable line:
--   RESULT requests=N duration_s=S rps=R p50_ms=.. p90_ms=.. p99_ms=.. max_ms=.. non2xx=N errors=N non201=N

local token = os.getenv("IMR_TOKEN") or error("IMR_TOKEN is not set")
local run = os.getenv("IMR_RUN") or tostring(os.time())

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

local words = {
  "practised", "breathing", "walk", "sister", "library", "sleep", "calmer", "voices", "plan", "week", "notice",
  "signs", "call", "doctor", "routine", "morning", "helped", "tried", "again", "small", "steps", "work",
}
local topics = {
  "recovery-strategies", "practical-facts", "stress-vulnerability", "social-support", "using-medication",
  "drug-and-alcohol-use", "reducing-relapses", "coping-with-stress", "coping-with-symptoms", "getting-needs-met",
}
local cbt = { "reinforcement", "shaping", "modeling", "role-playing", "cognitive-restructuring", "relaxation" }

local function sentence(n)
  local out = {}
  for i = 1, n do out[i] = words[math.random(#words)] end
  return table.concat(out, " ")
end

function init(args)
  n = 0
  bad = 0
  non201 = 0
  math.randomseed(7919 * tid)
  wrk.headers["Authorization"] = "Bearer " .. token
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  n = n + 1
  local k = ((tid - 1) * 5003 + n) % 10000
  local id = string.format("lb-%s-%d-%d", run, tid, n)
  local body = string.format(
    '{"type":"com.example.loadbench.note.v1","id":"%s","time":"2026-03-%02dT10:00:00Z","data":{'
      .. '"sessionId":"s-%d-%d","format":"%s","minutes":%d,"topics":["%s"],"motivational":["promote-hope"],'
      .. '"cbt":["%s","%s"],"skills":["coping-skill"],"homework":"%s","consumerView":"%s",'
      .. '"practitionerView":"%s","nextPlan":"%s","handoutsProvided":%s}}',
    id, 1 + n % 28, tid, n, (n % 3 == 0) and "group" or "individual", 45 + math.random(0, 45),
    topics[math.random(#topics)], cbt[math.random(#cbt)], cbt[math.random(#cbt)],
    sentence(9), sentence(8), sentence(8), sentence(6), (n % 2 == 0) and "true" or "false")
  return wrk.format("POST", string.format("/v1/streams/load-%x/events?expected-version=any", k), nil, body)
end

function response(status, headers, body)
  if status < 200 or status > 299 then bad = bad + 1 end
  if status ~= 201 then non201 = non201 + 1 end
end

function done(summary, latency, requests)
  local non2xx, not201 = 0, 0
  for _, t in ipairs(threads) do
    non2xx = non2xx + (t:get("bad") or 0)
    not201 = not201 + (t:get("non201") or 0)
  end
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d duration_s=%.2f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d errors=%d bytes=%d non201=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    non2xx, e.connect + e.read + e.write + e.timeout, summary.bytes, not201))
end
