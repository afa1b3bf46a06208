-- One wrk scenario, configured by the environment (scripts/load/run.sh sets these):
--   SCENARIO    name printed in the result line
--   LOAD_METHOD GET (default) or POST
--   LOAD_BODY   JSON body for POST
--   LOAD_TOKEN  bearer token, when the route needs a user
-- Prints one machine-readable RESULT line with throughput and latency percentiles.
local method = os.getenv("LOAD_METHOD") or "GET"
local body = os.getenv("LOAD_BODY")
local token = os.getenv("LOAD_TOKEN")
local name = os.getenv("SCENARIO") or "scenario"

wrk.method = method
if body and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT %-22s requests=%-7d rps=%-9.1f p50_ms=%-8.2f p90_ms=%-8.2f p99_ms=%-8.2f socket_errors=%d non_2xx=%d\n",
    name, summary.requests, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout, e.status))
end
