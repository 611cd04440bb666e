-- GET one page of 100 groups; ROSTER_PAGE picks the page (default 1).
dofile(os.getenv("ROSTER_BENCH_LUA") .. "/common.lua")
local page = os.getenv("ROSTER_PAGE") or "1"
function request()
  return wrk.format("GET", "/api/" .. workspace .. "/groups?page=" .. page .. "&per_page=100")
end
