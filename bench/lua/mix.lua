-- 90 % GET one group, 10 % POST create.
dofile(os.getenv("ROSTER_BENCH_LUA") .. "/common.lua")
local tokens, i, counter
function init(args)
  tokens = read_lines(os.getenv("ROSTER_TOKENS"))
  i = thread_number
  counter = 0
end
function request()
  i = i + 1
  if i % 10 == 0 then
    counter = counter + 1
    local body = string.format('{"user_group": {"name": "%s-mix-%d-%d"}}', run_prefix,
                               thread_number, counter)
    return wrk.format("POST", "/api/" .. workspace .. "/groups", nil, body)
  end
  return wrk.format("GET", "/api/" .. workspace .. "/groups/" .. tokens[i % #tokens + 1])
end
