#include "api/memberships_api.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "api/api_error.hpp"
#include "domain/hal.hpp"

namespace roster::api {
namespace json = boost::json;

namespace {

// Renders the members of one page; `write_member(writer, member)` writes one member.
template <class WriteMember>
ApiResponse RenderMemberPage(const ApiRequest& request, const std::string& self_path,
                             const std::vector<storage::WorkspaceMember>& members,
                             WriteMember write_member) {
  ListPaging paging = ParsePaging(request);
  int64_t total = static_cast<int64_t>(members.size());
  int64_t begin = std::min(paging.page.offset, total);
  int64_t end = paging.page.limit < 0 ? total : std::min(begin + paging.page.limit, total);
  paging.paging.total_count = total;
  std::string body;
  domain::JsonWriter writer(body);
  domain::WriteCollection(writer, self_path, "memberships", end - begin, paging.paging,
                          [&](domain::JsonWriter& out) {
                            for (int64_t i = begin; i < end; ++i) write_member(out, members[i]);
                          });
  return JsonResponse(std::move(body));
}

ApiResponse ListMembers(ApiServices& services, const ApiRequest& request,
                        const PathParams& params) {
  WorkspaceScope scope = AuthorizeWorkspaceAdmin(services, request, params[0]);
  auto members = services.store.ListWorkspaceMembers(scope.workspace.id);
  const std::string& workspace = scope.workspace.username;
  return RenderMemberPage(request, fmt::format("/api/{}/memberships", workspace), members.items,
                          [&](domain::JsonWriter& writer, const storage::WorkspaceMember& member) {
                            domain::WriteWorkspaceMember(writer, workspace, member);
                          });
}

ApiResponse ListMembersLite(ApiServices& services, const ApiRequest& request,
                            const PathParams& params) {
  WorkspaceScope scope = AuthorizeWorkspaceAdmin(services, request, params[0]);
  auto members = services.store.ListWorkspaceMembers(scope.workspace.id);
  return RenderMemberPage(request, fmt::format("/api/{}/memberships/lite", scope.workspace.username),
                          members.items, domain::WriteWorkspaceMemberLite);
}

storage::WorkspaceMember RequireMember(ApiServices& services, const WorkspaceScope& scope,
                                       const std::string& username) {
  auto member = services.store.FindWorkspaceMemberByUsername(scope.workspace.id, username);
  if (!member) throw NotFound("Membership");
  return *member;
}

ApiResponse GetMember(ApiServices& services, const ApiRequest& request,
                      const PathParams& params) {
  WorkspaceScope scope = AuthorizeWorkspaceAdmin(services, request, params[0]);
  storage::WorkspaceMember member = RequireMember(services, scope, params[1]);
  return JsonResponse(domain::Render(domain::WriteWorkspaceMember, scope.workspace.username, member));
}

ApiResponse DeactivateMember(ApiServices& services, const ApiRequest& request,
                             const PathParams& params) {
  WorkspaceScope scope = AuthorizeWorkspaceAdmin(services, request, params[0]);
  storage::WorkspaceMember member = RequireMember(services, scope, params[1]);
  auto deactivated = services.store.DeactivateWorkspaceMember(scope.workspace.id, member.user.id);
  if (!deactivated) throw NotFound("Membership");
  return JsonResponse(domain::Render(domain::WriteWorkspaceMember, scope.workspace.username, *deactivated));
}

}  // namespace

void RegisterMembershipRoutes(Router& router) {
  router.Add("GET", "/api/:workspace/memberships", ListMembers);
  router.Add("GET", "/api/:workspace/memberships/lite", ListMembersLite);
  router.Add("GET", "/api/:workspace/memberships/:username", GetMember);
  router.Add("DELETE", "/api/:workspace/memberships/:username", DeactivateMember);
}

}  // namespace roster::api
