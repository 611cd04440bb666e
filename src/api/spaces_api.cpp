#include "api/spaces_api.hpp"

#include <fmt/format.h>

#include "api/api_error.hpp"
#include "api/permissions_api.hpp"
#include "domain/hal.hpp"
#include "domain/names.hpp"

namespace roster::api {
namespace json = boost::json;

namespace {

std::string ParseSpaceName(const std::string& raw) {
  domain::Checked<domain::NormalizedName> name = domain::NormalizeName(raw);
  if (!name.ok()) throw BadRequest("space.name " + name.problem, "space.name");
  return name.value->display;
}

std::optional<std::string> ParseSpaceDescription(const json::object& wrapper) {
  auto raw = OptionalString(wrapper, "description", "space.description");
  if (!raw) return std::nullopt;
  domain::Checked<std::string> description = domain::CheckDescription(*raw);
  if (!description.ok()) {
    throw BadRequest("space.description " + description.problem, "space.description");
  }
  return description.value;
}

ApiResponse Render(const WorkspaceScope& scope, const storage::Space& space) {
  return JsonResponse(domain::Render(domain::WriteSpace, scope.workspace.username, space));
}

storage::Space RequireSpace(ApiServices& services, const WorkspaceScope& scope,
                            const std::string& token) {
  auto space = services.store.FindSpace(scope.workspace.id, token);
  if (!space) throw NotFound("Space");
  return *space;
}

ApiResponse ListSpaces(ApiServices& services, const ApiRequest& request,
                       const PathParams& params) {
  WorkspaceScope scope = AuthorizeWorkspaceAdmin(services, request, params[0]);
  ListPaging paging = ParsePaging(request);
  auto result = services.store.ListSpaces(scope.workspace.id, paging.page);
  paging.paging.total_count = result.total_count;
  return JsonResponse(domain::RenderList(
      fmt::format("/api/{}/spaces", scope.workspace.username), "spaces", result.items,
      paging.paging, [&](domain::JsonWriter& writer, const storage::Space& space) {
        domain::WriteSpace(writer, scope.workspace.username, space);
      }));
}

ApiResponse CreateSpace(ApiServices& services, const ApiRequest& request,
                        const PathParams& params) {
  WorkspaceScope scope = AuthorizeWorkspaceAdmin(services, request, params[0]);
  json::object body = ParseJsonBody(request);
  const json::object& wrapper = RequireWrapper(body, "space");
  auto raw_name = OptionalString(wrapper, "name", "space.name");
  if (!raw_name) throw ParamMissing("space.name");
  std::string name = ParseSpaceName(*raw_name);
  std::string description = ParseSpaceDescription(wrapper).value_or("");
  return Render(scope,
                services.store.CreateSpace(scope.workspace.id, name, description, scope.actor_id));
}

ApiResponse GetSpace(ApiServices& services, const ApiRequest& request, const PathParams& params) {
  WorkspaceScope scope = AuthorizeWorkspaceAdmin(services, request, params[0]);
  return Render(scope, RequireSpace(services, scope, params[1]));
}

ApiResponse UpdateSpace(ApiServices& services, const ApiRequest& request,
                        const PathParams& params) {
  WorkspaceScope scope = AuthorizeWorkspaceAdmin(services, request, params[0]);
  RequireSpace(services, scope, params[1]);
  json::object body = ParseJsonBody(request);
  const json::object& wrapper = RequireWrapper(body, "space");
  auto raw_name = OptionalString(wrapper, "name", "space.name");
  auto description = ParseSpaceDescription(wrapper);
  if (!raw_name && !description) {
    throw ApiError(400, "param_missing", "space must contain name or description", "space.name");
  }
  std::optional<std::string> name;
  if (raw_name) name = ParseSpaceName(*raw_name);
  auto space = services.store.UpdateSpace(scope.workspace.id, params[1], name, description);
  if (!space) throw NotFound("Space");
  return Render(scope, *space);
}

ApiResponse DeleteSpace(ApiServices& services, const ApiRequest& request,
                        const PathParams& params) {
  WorkspaceScope scope = AuthorizeWorkspaceAdmin(services, request, params[0]);
  auto space = services.store.DeleteSpace(scope.workspace.id, params[1]);
  if (!space) throw NotFound("Space");
  return Render(scope, *space);
}

}  // namespace

void RegisterSpaceRoutes(Router& router) {
  router.Add("GET", "/api/:workspace/spaces", ListSpaces);
  router.Add("POST", "/api/:workspace/spaces", CreateSpace);
  router.Add("GET", "/api/:workspace/spaces/:space", GetSpace);
  router.Add("PATCH", "/api/:workspace/spaces/:space", UpdateSpace);
  router.Add("POST", "/api/:workspace/spaces/:space", UpdateSpace);
  router.Add("DELETE", "/api/:workspace/spaces/:space", DeleteSpace);
  RegisterPermissionRoutes(router, domain::PermissionTarget::kSpace);
}

}  // namespace roster::api
