-- GET one group, cycling over the tokens in ROSTER_TOKENS.
dofile(os.getenv("ROSTER_BENCH_LUA") .. "/common.lua")
local tokens, i
function init(args)
  tokens = read_lines(os.getenv("ROSTER_TOKENS"))
  i = thread_number
end
function request()
  i = i % #tokens + 1
  return wrk.format("GET", "/api/" .. workspace .. "/groups/" .. tokens[i])
end
