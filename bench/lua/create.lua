-- POST a group with a name no other request of any run uses.
dofile(os.getenv("ROSTER_BENCH_LUA") .. "/common.lua")
local counter = 0
function request()
  counter = counter + 1
  local body = string.format('{"user_group": {"name": "%s-%d-%d"}}', run_prefix, thread_number,
                             counter)
  return wrk.format("POST", "/api/" .. workspace .. "/groups", nil, body)
end
