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
-- done() prints the RESULT line of load-bench-common.lua with non201=N, the answers that were
-- not 201.

local token = os.getenv("IMR_TOKEN") or error("IMR_TOKEN is not set")
local run = os.getenv("IMR_RUN") or tostring(os.time())

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "load-bench-common.lua")

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
  count_status(status)
  if status ~= 201 then non201 = non201 + 1 end
end

function done(summary, latency, requests)
  report(summary, latency, { "non201" })
end
