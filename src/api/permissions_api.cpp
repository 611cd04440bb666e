#include "api/permissions_api.hpp"

#include <algorithm>
#include <array>
#include <fmt/format.h>

#include "api/api_error.hpp"
#include "domain/hal.hpp"

namespace roster::api {
namespace json = boost::json;
using domain::PermissionTarget;

namespace {

constexpr std::array<std::string_view, 2> kSpaceActions = {"view", "edit"};
constexpr std::array<std::string_view, 3> kDataSourceActions = {"manage", "view", "query"};

// The names that differ between the two kinds of target.
struct TargetInfo {
  std::string_view path;        // "spaces" or "data_sources"
  std::string_view list_key;    // the _embedded key of the permission list
  std::string_view not_found;   // the object named in a 404
  std::string_view actions;     // for messages
};

TargetInfo InfoOf(PermissionTarget target) {
  if (target == PermissionTarget::kSpace) {
    return {"spaces", "space_permissions", "Space", "view or edit"};
  }
  return {"data_sources", "data_source_entitlements", "Data source", "manage, view or query"};
}

bool IsValidAction(PermissionTarget target, std::string_view action) {
  auto valid = [&](const auto& actions) {
    return std::find(actions.begin(), actions.end(), action) != actions.end();
  };
  return target == PermissionTarget::kSpace ? valid(kSpaceActions) : valid(kDataSourceActions);
}

// Returns the id of the space or data source, or throws 404.
int64_t RequireTarget(ApiServices& services, const WorkspaceScope& scope,
                      PermissionTarget target, const std::string& token) {
  if (target == PermissionTarget::kSpace) {
    auto space = services.store.FindSpace(scope.workspace.id, token);
    if (space) return space->id;
  } else {
    auto source = services.store.FindDataSource(scope.workspace.id, token);
    if (source) return source->id;
  }
  throw NotFound(InfoOf(target).not_found);
}

std::string ParseAction(PermissionTarget target, const json::object& wrapper) {
  std::optional<std::string> action = OptionalString(wrapper, "action", "permission.action");
  if (!action) throw ParamMissing("permission.action");
  if (!IsValidAction(target, *action)) {
    throw BadRequest(fmt::format("permission.action must be {}", InfoOf(target).actions),
                     "permission.action");
  }
  return *action;
}

ApiResponse Render(const WorkspaceScope& scope, PermissionTarget target,
                   const storage::Permission& permission) {
  return JsonResponse(
      domain::Render(domain::WritePermission, scope.workspace.username, target, permission));
}

ApiResponse List(PermissionTarget target, ApiServices& services, const ApiRequest& request,
                 const PathParams& params) {
  WorkspaceScope scope = AuthorizeWorkspaceAdmin(services, request, params[0]);
  int64_t target_id = RequireTarget(services, scope, target, params[1]);
  ListPaging paging = ParsePaging(request);
  auto result = services.store.ListPermissions(scope.workspace.id, target, target_id, paging.page);
  paging.paging.total_count = result.total_count;
  TargetInfo info = InfoOf(target);
  std::string self_path = fmt::format("/api/{}/{}/{}/permissions", scope.workspace.username,
                                      info.path, params[1]);
  return JsonResponse(domain::RenderList(
      self_path, info.list_key, result.items, paging.paging,
      [&](domain::JsonWriter& writer, const storage::Permission& permission) {
        domain::WritePermission(writer, scope.workspace.username, target, permission);
      }));
}

ApiResponse Grant(PermissionTarget target, ApiServices& services, const ApiRequest& request,
                  const PathParams& params) {
  WorkspaceScope scope = AuthorizeWorkspaceAdmin(services, request, params[0]);
  int64_t target_id = RequireTarget(services, scope, target, params[1]);
  json::object body = ParseJsonBody(request);
  const json::object& wrapper = RequireWrapper(body, "permission");
  std::string action = ParseAction(target, wrapper);
  auto accessor_type =
      OptionalString(wrapper, "accessor_type", "permission.accessor_type");
  if (!accessor_type) throw ParamMissing("permission.accessor_type");
  if (*accessor_type != "Account" && *accessor_type != "UserGroup") {
    throw BadRequest("permission.accessor_type must be Account or UserGroup",
                     "permission.accessor_type");
  }
  auto accessor_token =
      OptionalString(wrapper, "accessor_token", "permission.accessor_token");
  if (!accessor_token) throw ParamMissing("permission.accessor_token");
  storage::GrantResult result = services.store.GrantPermission(
      scope.workspace.id, target, target_id, *accessor_type, *accessor_token, action);
  switch (result.outcome) {
    case storage::GrantOutcome::kTargetNotFound:
      throw NotFound(InfoOf(target).not_found);
    case storage::GrantOutcome::kAccessorNotFound:
      throw BadRequest(
          "permission.accessor_token is not the token of an active member or a group of this "
          "workspace",
          "permission.accessor_token");
    case storage::GrantOutcome::kGranted:
    case storage::GrantOutcome::kUpdated:
      break;
  }
  return Render(scope, target, result.permission);
}

ApiResponse Get(PermissionTarget target, ApiServices& services, const ApiRequest& request,
                const PathParams& params) {
  WorkspaceScope scope = AuthorizeWorkspaceAdmin(services, request, params[0]);
  int64_t target_id = RequireTarget(services, scope, target, params[1]);
  auto permission = services.store.FindPermission(scope.workspace.id, target, target_id, params[2]);
  if (!permission) throw NotFound("Permission");
  return Render(scope, target, *permission);
}

ApiResponse Update(PermissionTarget target, ApiServices& services, const ApiRequest& request,
                   const PathParams& params) {
  WorkspaceScope scope = AuthorizeWorkspaceAdmin(services, request, params[0]);
  int64_t target_id = RequireTarget(services, scope, target, params[1]);
  if (!services.store.FindPermission(scope.workspace.id, target, target_id, params[2])) {
    throw NotFound("Permission");
  }
  json::object body = ParseJsonBody(request);
  std::string action = ParseAction(target, RequireWrapper(body, "permission"));
  auto permission =
      services.store.UpdatePermission(scope.workspace.id, target, target_id, params[2], action);
  if (!permission) throw NotFound("Permission");
  return Render(scope, target, *permission);
}

ApiResponse Revoke(PermissionTarget target, ApiServices& services, const ApiRequest& request,
                   const PathParams& params) {
  WorkspaceScope scope = AuthorizeWorkspaceAdmin(services, request, params[0]);
  int64_t target_id = RequireTarget(services, scope, target, params[1]);
  auto permission =
      services.store.RevokePermission(scope.workspace.id, target, target_id, params[2]);
  if (!permission) throw NotFound("Permission");
  return Render(scope, target, *permission);
}

// Binds a handler to one kind of target.
Handler For(PermissionTarget target,
            ApiResponse (*handler)(PermissionTarget, ApiServices&, const ApiRequest&,
                                   const PathParams&)) {
  return [target, handler](ApiServices& services, const ApiRequest& request,
                           const PathParams& params) {
    return handler(target, services, request, params);
  };
}

}  // namespace

void RegisterPermissionRoutes(Router& router, PermissionTarget target) {
  std::string list = fmt::format("/api/:workspace/{}/:target/permissions", InfoOf(target).path);
  std::string item = list + "/:permission";
  router.Add("GET", list, For(target, List));
  router.Add("POST", list, For(target, Grant));
  router.Add("GET", item, For(target, Get));
  router.Add("PATCH", item, For(target, Update));
  router.Add("DELETE", item, For(target, Revoke));
}

}  // namespace roster::api
