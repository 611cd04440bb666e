#include "api/groups_api.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <fmt/format.h>

#include "api/api_error.hpp"
#include "domain/hal.hpp"
#include "domain/names.hpp"

namespace roster::api {
namespace json = boost::json;

namespace {

constexpr std::string_view kWrapper = "user_group";

domain::NormalizedName ParseGroupName(const std::string& raw) {
  domain::Checked<domain::NormalizedName> name = domain::NormalizeName(raw);
  if (!name.ok()) throw BadRequest("user_group.name " + name.problem, "user_group.name");
  return *name.value;
}

std::optional<std::string> ParseDescription(const json::object& wrapper) {
  std::optional<std::string> raw = OptionalString(wrapper, "description", "user_group.description");
  if (!raw) return std::nullopt;
  domain::Checked<std::string> description = domain::CheckDescription(*raw);
  if (!description.ok()) {
    throw BadRequest("user_group.description " + description.problem, "user_group.description");
  }
  return description.value;
}

ApiResponse RenderGroup(const WorkspaceScope& scope, const storage::Group& group) {
  return JsonResponse(domain::Render(domain::WriteGroup, scope.workspace.username, group));
}

ApiError NameTaken(const domain::NormalizedName& name) {
  return Conflict(fmt::format("A group named \"{}\" already exists", name.display),
                  "user_group.name");
}

// Returns the group, or throws 404; with `for_change`, also 403 for a managed group.
storage::Group RequireGroup(ApiServices& services, const WorkspaceScope& scope,
                            const std::string& token, bool for_change) {
  std::optional<storage::Group> group = services.store.FindGroup(scope.workspace.id, token);
  if (!group) throw NotFound("Group");
  if (for_change && group->managed) {
    throw Forbidden("This group is managed by an identity provider and cannot be changed here");
  }
  return *group;
}

// Appends name=value to the query of `path`, with the value percent-encoded.
void AppendQuery(std::string& path, std::string_view name, std::string_view value) {
  path += path.find('?') == std::string::npos ? '?' : '&';
  path += name;
  path += '=';
  path += boost::urls::encode(value, boost::urls::unreserved_chars);
}

// Resolves the member and data_source filters. Returns false when a filter names nothing in
// the workspace, so the list is empty.
bool ResolveGroupFilter(ApiServices& services, const ApiRequest& request,
                        const WorkspaceScope& scope, storage::GroupFilter& filter,
                        std::string& self_path) {
  std::optional<std::string> member = request.QueryValue("member");
  std::optional<std::string> data_source = request.QueryValue("data_source");
  if (data_source && !member) {
    throw BadRequest("data_source may only be combined with member", "data_source");
  }
  if (!member) return true;
  // The links of an empty list keep the filters too, so following them stays empty.
  auto found = services.store.FindWorkspaceMemberByUsername(scope.workspace.id, *member);
  AppendQuery(self_path, "member", found ? found->user.username : *member);
  if (!found) {
    if (data_source) AppendQuery(self_path, "data_source", *data_source);
    return false;
  }
  filter.member_user_id = found->user.id;
  if (!data_source) return true;
  auto source = services.store.FindDataSource(scope.workspace.id, *data_source);
  AppendQuery(self_path, "data_source", source ? source->token : *data_source);
  if (!source) return false;
  filter.data_source_id = source->id;
  return true;
}

// Groups per part of a streamed list: about 80 KB of JSON, and at most about 1.7 MB when
// every group has the longest name and description (255 and 4,000 code points).
constexpr int64_t kGroupsPerPart = 100;


// Returns an unpaged list, which may hold a million groups, as a stream of parts read in
// list order, so the server keeps at most one part in memory. The first part is read here,
// so that a failing database still gets a 503 rather than a cut-off 200.
ApiResponse StreamGroups(ApiServices& services, const WorkspaceScope& scope,
                         const storage::GroupFilter& filter, const std::string& self_path) {
  struct Progress {
    std::optional<storage::GroupCursor> after;
    bool wrote_item = false;
  };
  auto progress = std::make_shared<Progress>();
  int64_t workspace_id = scope.workspace.id;
  std::string workspace = scope.workspace.username;
  auto write_part = [&services, progress, workspace_id, workspace, filter](std::string& part) {
    std::vector<storage::Group> groups =
        services.store.ListGroupsAfter(workspace_id, filter, progress->after, kGroupsPerPart);
    domain::JsonWriter writer(part, progress->wrote_item);
    for (const storage::Group& group : groups) domain::WriteGroup(writer, workspace, group);
    if (!groups.empty()) {
      progress->wrote_item = true;
      progress->after = storage::GroupCursor{groups.back().created_at, groups.back().token};
    }
    bool more = static_cast<int64_t>(groups.size()) == kGroupsPerPart;
    if (!more) domain::WriteCollectionEnd(writer);
    return more;
  };
  ApiResponse response;
  domain::JsonWriter writer(response.body);
  domain::WriteCollectionStart(writer, self_path, "groups", 0, domain::Paging{});
  if (write_part(response.body)) response.stream = write_part;
  return response;
}

ApiResponse ListGroups(ApiServices& services, const ApiRequest& request,
                       const PathParams& params) {
  WorkspaceScope scope = AuthorizeWorkspaceAdmin(services, request, params[0]);
  ListPaging paging = ParsePaging(request);
  storage::GroupFilter filter;
  std::string self_path = fmt::format("/api/{}/groups", scope.workspace.username);
  storage::ListResult<storage::Group> groups;
  const std::string& workspace = scope.workspace.username;
  bool any = ResolveGroupFilter(services, request, scope, filter, self_path);
  if (any && !paging.paging.requested) return StreamGroups(services, scope, filter, self_path);
  if (any) groups = services.store.ListGroups(scope.workspace.id, filter, paging.page);
  paging.paging.total_count = groups.total_count;
  return JsonResponse(domain::RenderList(self_path, "groups", groups.items, paging.paging,
                                         [&](domain::JsonWriter& writer, const storage::Group& group) {
                                           domain::WriteGroup(writer, workspace, group);
                                         }));
}

ApiResponse CreateGroup(ApiServices& services, const ApiRequest& request,
                        const PathParams& params) {
  WorkspaceScope scope = AuthorizeWorkspaceAdmin(services, request, params[0]);
  json::object body = ParseJsonBody(request);
  const json::object& wrapper = RequireWrapper(body, kWrapper);
  std::optional<std::string> raw_name = OptionalString(wrapper, "name", "user_group.name");
  if (!raw_name) throw ParamMissing("user_group.name");
  domain::NormalizedName name = ParseGroupName(*raw_name);
  std::string description = ParseDescription(wrapper).value_or("");
  try {
    storage::Group group =
        services.store.CreateGroup(scope.workspace.id, name, description, scope.actor_id);
    return RenderGroup(scope, group);
  } catch (const storage::StoreError& error) {
    if (error.code() == storage::StoreErrorCode::kConflict) throw NameTaken(name);
    throw;
  }
}

ApiResponse GetGroup(ApiServices& services, const ApiRequest& request, const PathParams& params) {
  WorkspaceScope scope = AuthorizeWorkspaceAdmin(services, request, params[0]);
  storage::Group group = RequireGroup(services, scope, params[1], false);
  return RenderGroup(scope, group);
}

ApiResponse UpdateGroup(ApiServices& services, const ApiRequest& request,
                        const PathParams& params) {
  WorkspaceScope scope = AuthorizeWorkspaceAdmin(services, request, params[0]);
  RequireGroup(services, scope, params[1], true);
  json::object body = ParseJsonBody(request);
  const json::object& wrapper = RequireWrapper(body, kWrapper);
  std::optional<std::string> raw_name = OptionalString(wrapper, "name", "user_group.name");
  std::optional<std::string> description = ParseDescription(wrapper);
  if (!raw_name && !description) {
    throw ApiError(400, "param_missing", "user_group must contain name or description",
                   "user_group.name");
  }
  std::optional<domain::NormalizedName> name;
  if (raw_name) name = ParseGroupName(*raw_name);
  try {
    std::optional<storage::Group> group =
        services.store.UpdateGroup(scope.workspace.id, params[1], name, description);
    if (!group) throw NotFound("Group");
    return RenderGroup(scope, *group);
  } catch (const storage::StoreError& error) {
    if (error.code() == storage::StoreErrorCode::kConflict) throw NameTaken(*name);
    throw;
  }
}

ApiResponse DeleteGroup(ApiServices& services, const ApiRequest& request,
                        const PathParams& params) {
  WorkspaceScope scope = AuthorizeWorkspaceAdmin(services, request, params[0]);
  RequireGroup(services, scope, params[1], true);
  std::optional<storage::Group> group = services.store.DeleteGroup(scope.workspace.id, params[1]);
  if (!group) throw NotFound("Group");
  return RenderGroup(scope, *group);
}

}  // namespace

void RegisterGroupRoutes(Router& router) {
  router.Add("GET", "/api/:workspace/groups", ListGroups);
  router.Add("POST", "/api/:workspace/groups", CreateGroup);
  router.Add("GET", "/api/:workspace/groups/:group", GetGroup);
  router.Add("PATCH", "/api/:workspace/groups/:group", UpdateGroup);
  router.Add("DELETE", "/api/:workspace/groups/:group", DeleteGroup);
}

}  // namespace roster::api
