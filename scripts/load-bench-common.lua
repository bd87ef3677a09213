-- What scripts/load-bench-get.lua and load-bench-append.lua share (loaded with dofile): the
-- thread numbering, the count of non-2xx answers, and the one machine-readable line done()
-- prints for scripts/load-bench.sh:
--   RESULT requests=N duration_s=S rps=R p50_ms=.. p90_ms=.. p99_ms=.. max_ms=.. non2xx=N errors=N bytes=N [name=N...]
-- where non2xx counts every response that was not 2xx (wrk's status errors, which include 3xx
-- here because responses are checked in response()), errors the socket errors and timeouts,
-- and each extra name=N the sum over the threads of that per-thread counter.

threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

-- Counts an answer that is not 2xx in the thread's `bad`.
function count_status(status)
  if status < 200 or status > 299 then bad = bad + 1 end
end

-- Prints the RESULT line; `extra` names per-thread counters to sum and append.
function report(summary, latency, extra)
  local function total(name)
    local sum = 0
    for _, t in ipairs(threads) do sum = sum + (t:get(name) or 0) end
    return sum
  end
  local e = summary.errors
  local seconds = summary.duration / 1e6
  local line = string.format(
    "RESULT requests=%d duration_s=%.2f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d errors=%d bytes=%d",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    total("bad"), e.connect + e.read + e.write + e.timeout, summary.bytes)
  for _, name in ipairs(extra or {}) do line = line .. string.format(" %s=%d", name, total(name)) end
  io.write(line .. "\n")
end
