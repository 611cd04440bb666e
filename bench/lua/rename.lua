-- PATCH a group per thread to a new unique name each time.
dofile(os.getenv("ROSTER_BENCH_LUA") .. "/common.lua")
local tokens, counter, token
function init(args)
  tokens = read_lines(os.getenv("ROSTER_TOKENS"))
  token = tokens[(thread_number - 1) % #tokens + 1]
  counter = 0
end
function request()
  counter = counter + 1
  local body = string.format('{"user_group": {"name": "%s-renamed-%d-%d"}}', run_prefix,
                             thread_number, counter)
  return wrk.format("PATCH", "/api/" .. workspace .. "/groups/" .. token, nil, body)
end
