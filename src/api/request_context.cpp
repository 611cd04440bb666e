#include "api/request_context.hpp"

#include <algorithm>

#include "api/api_error.hpp"
#include "api/request_limits.hpp"
#include "domain/validation.hpp"

namespace roster::api {
namespace json = boost::json;

std::optional<std::string> ApiRequest::QueryValue(std::string_view name) const {
  for (const auto& [key, value] : query) {
    if (key == name) return value;
  }
  return std::nullopt;
}

namespace {

// Runs `authenticate` between the abuse checks that surround every authentication: a
// throttled address is refused before it, a failure is counted, and the per-token rate
// limit applies after it. Throws 401 when `authenticate` returns nothing.
template <class Authenticate>
auto RequireAuthenticated(ApiServices& services, const ApiRequest& request,
                          Authenticate authenticate) {
  RejectThrottledClient(services, request);
  auto authenticated = authenticate();
  RecordAuthentication(services, request, authenticated.has_value());
  if (!authenticated) throw Unauthorized();
  EnforceRateLimit(services, request);
  return std::move(*authenticated);
}

}  // namespace

auth::Caller RequireCaller(ApiServices& services, const ApiRequest& request) {
  return RequireAuthenticated(services, request, [&] {
    return services.authenticator.Authenticate(request.authorization);
  });
}

WorkspaceScope AuthorizeWorkspaceAdmin(ApiServices& services, const ApiRequest& request,
                                       const std::string& workspace) {
  auth::WorkspaceAccess access = RequireAuthenticated(services, request, [&] {
    return services.authenticator.AuthenticateForWorkspace(request.authorization, workspace);
  });
  const auth::Caller& caller = access.caller;
  const std::optional<storage::Account>& account = access.workspace;
  if (!account || !account->is_workspace) throw WorkspaceNotFound();
  bool admin = false;
  if (caller.scope == storage::TokenScope::kWorkspace) {
    if (caller.account.id != account->id) throw WorkspaceNotFound();
    admin = true;
  } else {
    const std::optional<storage::WorkspaceMember>& member = access.membership;
    if (!member || member->state != "active") throw WorkspaceNotFound();
    admin = member->admin;
  }
  if (account->plan != "business") {
    throw Forbidden("This API is available to workspaces on the Business plan only");
  }
  if (!admin) throw Forbidden("Only workspace admins may use this API");
  return WorkspaceScope{*account, caller, caller.account.id};
}

namespace {

bool IsJsonMediaType(std::string_view content_type) {
  std::string media(content_type.substr(0, content_type.find(';')));
  media.erase(std::remove_if(media.begin(), media.end(),
                             [](unsigned char c) { return std::isspace(c); }),
              media.end());
  std::transform(media.begin(), media.end(), media.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return media == "application/json" || media == "application/hal+json";
}

}  // namespace

json::object ParseJsonBody(const ApiRequest& request) {
  if (request.has_content_type && !IsJsonMediaType(request.content_type)) {
    throw UnsupportedMediaType();
  }
  if (request.body_too_large) throw PayloadTooLarge();
  bool blank = std::all_of(request.body.begin(), request.body.end(),
                           [](unsigned char c) { return std::isspace(c); });
  if (blank) throw ApiError(400, "param_missing", "The request body is empty");
  boost::system::error_code error;
  json::value value = json::parse(request.body, error);
  if (error) throw BadRequest("The request body is not valid JSON: " + error.message());
  if (!value.is_object()) throw BadRequest("The request body must be a JSON object");
  return std::move(value.as_object());
}

const json::object& RequireWrapper(const json::object& body, std::string_view key) {
  const json::value* wrapper = body.if_contains(key);
  if (!wrapper || wrapper->is_null()) throw ParamMissing(std::string(key));
  if (!wrapper->is_object()) {
    throw BadRequest(std::string(key) + " must be an object", std::string(key));
  }
  return wrapper->as_object();
}

std::optional<std::string> OptionalString(const json::object& object, std::string_view key,
                                          const std::string& path) {
  const json::value* value = object.if_contains(key);
  if (!value || value->is_null()) return std::nullopt;
  if (!value->is_string()) throw BadRequest(path + " must be a string", path);
  return std::string(value->as_string());
}

ListPaging ParsePaging(const ApiRequest& request) {
  std::optional<std::string> page = request.QueryValue("page");
  std::optional<std::string> per_page = request.QueryValue("per_page");
  ListPaging result;
  if (!page && !per_page) return result;
  result.paging.requested = true;
  if (page) {
    std::optional<int64_t> number = domain::ParsePositiveInt(*page, INT64_MAX / 2000);
    if (!number) throw BadRequest("page must be a positive integer", "page");
    result.paging.page = *number;
  }
  result.paging.per_page = domain::kDefaultPerPage;
  if (per_page) {
    std::optional<int64_t> number = domain::ParsePositiveInt(*per_page, domain::kMaxPerPage);
    if (!number) throw BadRequest("per_page must be an integer from 1 to 1000", "per_page");
    result.paging.per_page = *number;
  }
  result.page.limit = result.paging.per_page;
  result.page.offset = (result.paging.page - 1) * result.paging.per_page;
  return result;
}

ApiResponse JsonResponse(const json::object& body) {
  return ApiResponse{200, json::serialize(body), {}, {}};
}

ApiResponse JsonResponse(std::string body) {
  return ApiResponse{200, std::move(body), {}, {}};
}

}  // namespace roster::api
