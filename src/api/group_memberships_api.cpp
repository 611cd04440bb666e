#include "api/group_memberships_api.hpp"

#include <fmt/format.h>

#include "api/api_error.hpp"
#include "domain/hal.hpp"

namespace roster::api {
namespace json = boost::json;

namespace {

// The preview filter returns at most this many memberships, newest first.
constexpr int64_t kPreviewSize = 5;

storage::Group RequireGroup(ApiServices& services, const WorkspaceScope& scope,
                            const std::string& token) {
  std::optional<storage::Group> group = services.store.FindGroup(scope.workspace.id, token);
  if (!group) throw NotFound("Group");
  return *group;
}

void RejectManaged(const storage::Group& group) {
  if (group.managed) {
    throw Forbidden("This group is managed by an identity provider; change its members there");
  }
}

std::string RenderMemberships(const WorkspaceScope& scope, const std::string& self_path,
                              const std::vector<storage::GroupMembership>& memberships,
                              const domain::Paging& paging) {
  return domain::RenderList(self_path, "group_memberships", memberships, paging,
                            [&](domain::JsonWriter& writer, const storage::GroupMembership& item) {
                              domain::WriteGroupMembership(writer, scope.workspace.username, item);
                            });
}

ApiResponse ListMemberships(ApiServices& services, const ApiRequest& request,
                            const PathParams& params) {
  WorkspaceScope scope = AuthorizeWorkspaceAdmin(services, request, params[0]);
  storage::Group group = RequireGroup(services, scope, params[1]);
  std::string self_path =
      fmt::format("/api/{}/groups/{}/memberships", scope.workspace.username, group.token);
  std::optional<std::string> filter = request.QueryValue("filter");
  if (!filter) {
    ListPaging paging = ParsePaging(request);
    auto result = services.store.ListGroupMemberships(group, paging.page, false);
    paging.paging.total_count = result.total_count;
    return JsonResponse(RenderMemberships(scope, self_path, result.items, paging.paging));
  }
  if (*filter == "preview") {
    auto result = services.store.ListGroupMemberships(group, {kPreviewSize, 0}, true);
    return JsonResponse(
        RenderMemberships(scope, self_path + "?filter=preview", result.items, {}));
  }
  if (*filter != "by_user_id") {
    throw BadRequest("filter must be preview or by_user_id", "filter");
  }
  std::optional<std::string> user = request.QueryValue("user_id");
  if (!user) throw ParamMissing("user_id");
  std::vector<storage::GroupMembership> found;
  auto member = services.store.FindWorkspaceMemberByToken(scope.workspace.id, *user);
  if (!member) member = services.store.FindWorkspaceMemberByUsername(scope.workspace.id, *user);
  if (member) {
    auto membership = services.store.FindGroupMembershipOfUser(group, member->user.id);
    if (membership) found.push_back(*membership);
  }
  std::string filtered_path = self_path + "?filter=by_user_id";
  if (member) filtered_path += "&user_id=" + member->user.token;
  return JsonResponse(RenderMemberships(scope, filtered_path, found, {}));
}

ApiResponse AddMembership(ApiServices& services, const ApiRequest& request,
                          const PathParams& params) {
  WorkspaceScope scope = AuthorizeWorkspaceAdmin(services, request, params[0]);
  storage::Group group = RequireGroup(services, scope, params[1]);
  RejectManaged(group);
  json::object body = ParseJsonBody(request);
  const json::object& wrapper = RequireWrapper(body, "membership");
  std::optional<std::string> member_token =
      OptionalString(wrapper, "member_token", "membership.member_token");
  if (!member_token) throw ParamMissing("membership.member_token");
  const ApiError not_member = BadRequest(
      "membership.member_token is not the token of an active member of this workspace",
      "membership.member_token");
  auto member = services.store.FindWorkspaceMemberByToken(scope.workspace.id, *member_token);
  if (!member || member->state != "active") throw not_member;
  storage::AddMemberResult result =
      services.store.AddGroupMember(group, member->user.id, scope.actor_id);
  switch (result.outcome) {
    case storage::AddMemberOutcome::kGroupNotFound:
      throw NotFound("Group");
    case storage::AddMemberOutcome::kNotActiveMember:
      throw not_member;
    case storage::AddMemberOutcome::kAdded:
    case storage::AddMemberOutcome::kAlreadyMember:
      break;
  }
  return JsonResponse(domain::Render(domain::WriteGroupMembership, scope.workspace.username, result.membership));
}

ApiResponse GetMembership(ApiServices& services, const ApiRequest& request,
                          const PathParams& params) {
  WorkspaceScope scope = AuthorizeWorkspaceAdmin(services, request, params[0]);
  storage::Group group = RequireGroup(services, scope, params[1]);
  auto membership = services.store.FindGroupMembership(group, params[2]);
  if (!membership) throw NotFound("Group membership");
  return JsonResponse(domain::Render(domain::WriteGroupMembership, scope.workspace.username, *membership));
}

ApiResponse RemoveMembership(ApiServices& services, const ApiRequest& request,
                             const PathParams& params) {
  WorkspaceScope scope = AuthorizeWorkspaceAdmin(services, request, params[0]);
  storage::Group group = RequireGroup(services, scope, params[1]);
  auto existing = services.store.FindGroupMembership(group, params[2]);
  if (!existing) throw NotFound("Group membership");
  RejectManaged(group);
  auto membership = services.store.RemoveGroupMembership(group, params[2]);
  if (!membership) throw NotFound("Group membership");
  return JsonResponse(domain::Render(domain::WriteGroupMembership, scope.workspace.username, *membership));
}

}  // namespace

void RegisterGroupMembershipRoutes(Router& router) {
  router.Add("GET", "/api/:workspace/groups/:group/memberships", ListMemberships);
  router.Add("POST", "/api/:workspace/groups/:group/memberships", AddMembership);
  router.Add("GET", "/api/:workspace/groups/:group/memberships/:membership", GetMembership);
  router.Add("DELETE", "/api/:workspace/groups/:group/memberships/:membership",
             RemoveMembership);
}

}  // namespace roster::api
