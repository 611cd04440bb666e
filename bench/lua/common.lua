-- Shared by every scenario: credentials and paths come from the environment that run.sh sets.
-- ROSTER_AUTH: "Basic ..." header value; ROSTER_WORKSPACE: workspace slug;
-- ROSTER_TOKENS: file with one group token per line; ROSTER_USERS: file with one user token
-- per line; ROSTER_RUN: a prefix that keeps names unique across runs.
wrk.headers["Authorization"] = os.getenv("ROSTER_AUTH")
wrk.headers["Accept"] = "application/hal+json"
wrk.headers["Content-Type"] = "application/json"

workspace = os.getenv("ROSTER_WORKSPACE")
run_prefix = os.getenv("ROSTER_RUN") or "run"

function read_lines(path)
  local lines = {}
  if path == nil then return lines end
  for line in io.lines(path) do
    if line ~= "" then lines[#lines + 1] = line end
  end
  return lines
end

local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
  thread:set("thread_number", #threads)
end

-- Counts non-200 responses so run.py can reject a scenario that measured errors.
errors = 0
function response(status, headers, body)
  if status ~= 200 then errors = errors + 1 end
end

-- Prints one machine-readable line that run.sh parses.
function done(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do failed = failed + thread:get("errors") end
  local socket = summary.errors
  io.write(string.format(
      'BENCH_JSON {"requests": %d, "seconds": %.3f, "rps": %.1f, "p50_ms": %.3f, ' ..
      '"p99_ms": %.3f, "non_200": %d, "socket_errors": %d}\n',
      summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, failed,
      socket.connect + socket.read + socket.write + socket.timeout))
end
