-- POST membership adds of distinct (group, user) pairs: thread t walks users from its own
-- offset, group by group, so no two requests add the same pair until the pairs run out.
dofile(os.getenv("ROSTER_BENCH_LUA") .. "/common.lua")
local groups, users, step
function init(args)
  groups = read_lines(os.getenv("ROSTER_TOKENS"))
  users = read_lines(os.getenv("ROSTER_USERS"))
  step = (thread_number - 1) * 1000003
end
function request()
  step = step + 1
  local group = groups[step % #groups + 1]
  local user = users[math.floor(step / #groups) % #users + 1]
  local body = string.format('{"membership": {"member_token": "%s"}}', user)
  return wrk.format("POST", "/api/" .. workspace .. "/groups/" .. group .. "/memberships", nil,
                    body)
end
