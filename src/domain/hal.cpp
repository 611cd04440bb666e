#include "domain/hal.hpp"

#include <fmt/format.h>

#include "domain/timestamps.hpp"

namespace roster::domain {
namespace json = boost::json;

json::object Link(std::string_view href, bool templated) {
  return json::object{{"href", href}, {"templated", templated}};
}

namespace {

std::string AccountPath(std::string_view username) { return fmt::format("/api/{}", username); }

std::string GroupPath(std::string_view workspace, std::string_view group) {
  return fmt::format("/api/{}/groups/{}", workspace, group);
}

std::string TargetPath(std::string_view workspace, PermissionTarget target,
                       std::string_view token) {
  std::string_view kind = target == PermissionTarget::kSpace ? "spaces" : "data_sources";
  return fmt::format("/api/{}/{}/{}", workspace, kind, token);
}

std::string PageHref(std::string_view self_path, int64_t page, int64_t per_page) {
  char separator = self_path.find('?') == std::string_view::npos ? '?' : '&';
  return fmt::format("{}{}page={}&per_page={}", self_path, separator, page, per_page);
}

}  // namespace

json::object RenderGroup(std::string_view workspace, const Group& group) {
  std::string self = GroupPath(workspace, group.token);
  json::object links{
      {"self", Link(self)},
      {"web", Link(fmt::format("/organizations/{}/groups/{}", workspace, group.token))},
      {"creator", Link(AccountPath(group.creator_username))},
      {"group_memberships", Link(self + "/memberships")},
      {"membership_by_id", Link(self + "/memberships/{membership_token}", true)},
      {"memberships_preview", Link(self + "/memberships?filter=preview")},
  };
  return json::object{
      {"token", group.token},
      {"group_type", "user_group"},
      {"name", group.name},
      {"description", group.description},
      {"state", group.state},
      {"member_count", group.member_count},
      {"spaces_count", group.spaces_count},
      {"data_sources_count", group.data_sources_count},
      {"managed", group.managed},
      {"created_at", FormatRfc3339(group.created_at)},
      {"updated_at", FormatRfc3339(group.updated_at)},
      {"_links", std::move(links)},
      {"_embedded", json::object{}},
  };
}

json::object RenderGroupMembership(std::string_view workspace, const GroupMembership& membership) {
  std::string group = GroupPath(workspace, membership.group_token);
  json::object links{
      {"self", Link(group + "/memberships/" + membership.token)},
      {"member", Link(AccountPath(membership.member_username))},
      {"user_group", Link(group)},
      {"creator", Link(AccountPath(membership.creator_username))},
  };
  return json::object{
      {"token", membership.token},
      {"member_token", membership.member_token},
      {"member_username", membership.member_username},
      {"created_at", FormatRfc3339(membership.created_at)},
      {"_links", std::move(links)},
      {"_embedded", json::object{}},
  };
}

json::object RenderWorkspaceMember(std::string_view workspace, const WorkspaceMember& member) {
  const std::string& username = member.user.username;
  json::object links{
      {"self", Link(fmt::format("/api/{}/memberships/{}", workspace, username))},
      {"user", Link(AccountPath(username))},
      {"groups", Link(fmt::format("/api/{}/groups?member={}", workspace, username))},
      {"organization", Link(AccountPath(workspace))},
  };
  return json::object{
      {"admin", member.admin},
      {"state", member.state},
      {"member_username", username},
      {"member_token", member.user.token},
      {"activated_at", FormatRfc3339(member.activated_at)},
      {"managed_by_scim", member.managed_by_scim},
      {"_links", std::move(links)},
      {"_embedded", json::object{}},
  };
}

json::object RenderWorkspaceMemberLite(const WorkspaceMember& member) {
  return json::object{
      {"username", member.user.username}, {"name", member.user.name},
      {"email", member.user.email},       {"member_token", member.user.token},
      {"state", member.state},            {"admin", member.admin},
  };
}

json::object RenderSpace(std::string_view workspace, const Space& space) {
  std::string self = TargetPath(workspace, PermissionTarget::kSpace, space.token);
  json::object links{
      {"self", Link(self)},
      {"web", Link(fmt::format("/organizations/{}/spaces/{}", workspace, space.token))},
      {"permissions", Link(self + "/permissions")},
      {"creator", Link(AccountPath(space.creator_username))},
  };
  return json::object{
      {"token", space.token},
      {"name", space.name},
      {"description", space.description},
      {"space_type", "custom"},
      {"state", space.state},
      {"created_at", FormatRfc3339(space.created_at)},
      {"updated_at", FormatRfc3339(space.updated_at)},
      {"_links", std::move(links)},
      {"_embedded", json::object{}},
  };
}

json::object RenderDataSource(std::string_view workspace, const DataSource& source) {
  std::string self = TargetPath(workspace, PermissionTarget::kDataSource, source.token);
  json::object links{
      {"self", Link(self)},
      {"permissions", Link(self + "/permissions")},
      {"web", Link(fmt::format("/organizations/{}/data_sources/{}", workspace, source.token))},
  };
  return json::object{
      {"token", source.token},
      {"name", source.name},
      {"description", source.description},
      {"adapter", source.adapter},
      {"created_at", FormatRfc3339(source.created_at)},
      {"_links", std::move(links)},
      {"_embedded", json::object{}},
  };
}

json::object RenderPermission(std::string_view workspace, PermissionTarget target,
                              const Permission& permission) {
  std::string parent = TargetPath(workspace, target, permission.target_token);
  std::string accessor = permission.accessor_type == "UserGroup"
                             ? GroupPath(workspace, permission.accessor_token)
                             : AccountPath(permission.accessor_username);
  std::string_view parent_rel = target == PermissionTarget::kSpace ? "space" : "data_source";
  json::object links{
      {"self", Link(parent + "/permissions/" + permission.token)},
      {parent_rel, Link(parent)},
      {"accessor", Link(accessor)},
  };
  return json::object{
      {"token", permission.token},
      {"action", permission.action},
      {"accessor_type", permission.accessor_type},
      {"accessor_token", permission.accessor_token},
      {"_links", std::move(links)},
      {"_embedded", json::object{}},
  };
}

json::object RenderUser(const Account& user) {
  return json::object{
      {"username", user.username}, {"name", user.name}, {"email", user.email},
      {"token", user.token},       {"user", true},
      {"_links", json::object{{"self", Link(AccountPath(user.username))}}},
      {"_embedded", json::object{}},
  };
}

json::object RenderWorkspace(const Account& workspace) {
  return json::object{
      {"username", workspace.username}, {"name", workspace.name},
      {"token", workspace.token},       {"plan_code", workspace.plan},
      {"user", false},
      {"_links", json::object{{"self", Link(AccountPath(workspace.username))}}},
      {"_embedded", json::object{}},
  };
}

json::object RenderCollection(std::string_view self_path, std::string_view key,
                              json::array items, const Paging& paging) {
  json::object links{{"self", Link(self_path)}};
  json::object result;
  if (paging.requested) {
    int64_t total_pages = (paging.total_count + paging.per_page - 1) / paging.per_page;
    if (paging.page < total_pages) {
      links["next_page"] = Link(PageHref(self_path, paging.page + 1, paging.per_page));
    }
    if (paging.page > 1) {
      int64_t previous = std::min(paging.page - 1, std::max<int64_t>(total_pages, 1));
      links["prev_page"] = Link(PageHref(self_path, previous, paging.per_page));
    }
    result["pagination"] = json::object{
        {"page", paging.page},
        {"per_page", paging.per_page},
        {"count", static_cast<int64_t>(items.size())},
        {"total_pages", total_pages},
        {"total_count", paging.total_count},
    };
  }
  json::object embedded;
  embedded[key] = std::move(items);
  result["_links"] = std::move(links);
  result["_embedded"] = std::move(embedded);
  return result;
}

}  // namespace roster::domain
