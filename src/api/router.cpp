#include "api/router.hpp"

#include <spdlog/spdlog.h>

#include "api/accounts_api.hpp"
#include "api/api_error.hpp"
#include "api/data_sources_api.hpp"
#include "api/group_memberships_api.hpp"
#include "api/groups_api.hpp"
#include "api/memberships_api.hpp"
#include "api/spaces_api.hpp"

namespace roster::api {
namespace {

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> segments;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) segments.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return segments;
}

bool Matches(const std::vector<std::string>& pattern, const std::vector<std::string>& segments,
             PathParams& params) {
  if (pattern.size() != segments.size()) return false;
  params.clear();
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i].starts_with(':')) {
      params.push_back(segments[i]);
    } else if (pattern[i] != segments[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

void Router::Add(std::string method, std::string pattern, Handler handler) {
  routes_.push_back(Route{std::move(method), SplitPath(pattern), std::move(handler)});
}

ApiResponse ErrorResponse(const ApiError& error) {
  ApiResponse response{error.status(), error.Body(), error.headers(), {}};
  if (error.status() == 401) {
    response.headers.emplace_back("WWW-Authenticate", "Basic realm=\"Roster\"");
  }
  return response;
}

ApiResponse Router::Run(ApiServices& services, const ApiRequest& request) const {
  std::vector<std::string> segments = SplitPath(request.path);
  PathParams params;
  std::string allowed;
  for (const Route& route : routes_) {
    if (!Matches(route.segments, segments, params)) continue;
    if (route.method == request.method) return route.handler(services, request, params);
    if (allowed.find(route.method) == std::string::npos) {
      allowed += allowed.empty() ? route.method : ", " + route.method;
    }
  }
  if (allowed.empty()) throw NotFound("Resource");
  ApiResponse response = ErrorResponse(
      ApiError(405, "method_not_allowed", request.method + " is not allowed on this resource"));
  response.headers.emplace_back("Allow", allowed);
  return response;
}

ApiResponse Router::Dispatch(ApiServices& services, const ApiRequest& request) const {
  try {
    return Run(services, request);
  } catch (const ApiError& error) {
    return ErrorResponse(error);
  } catch (const storage::StoreError& error) {
    if (error.code() == storage::StoreErrorCode::kInternal) {
      spdlog::error("request {} failed in storage: {}", request.request_id, error.what());
    } else {
      spdlog::warn("request {} storage: {}", request.request_id, error.what());
    }
    return ErrorResponse(FromStoreError(error, request.request_id));
  } catch (const std::exception& error) {
    spdlog::error("request {} failed: {}", request.request_id, error.what());
    return ErrorResponse(InternalError(request.request_id));
  }
}

Router BuildApiRouter() {
  Router router;
  RegisterAccountRoutes(router);
  RegisterGroupRoutes(router);
  RegisterGroupMembershipRoutes(router);
  RegisterMembershipRoutes(router);
  RegisterSpaceRoutes(router);
  RegisterDataSourceRoutes(router);
  return router;
}

}  // namespace roster::api
