#include "domain/hal.hpp"

#include <fmt/format.h>

namespace roster::domain {

namespace {

// "rel": {"href": <pieces joined>, "templated": templated}
void WriteLink(JsonWriter& writer, std::string_view rel,
               std::initializer_list<std::string_view> href, bool templated = false) {
  writer.Key(rel);
  writer.BeginObject();
  writer.Key("href");
  writer.StringOf(href);
  writer.BoolField("templated", templated);
  writer.EndObject();
}

std::string_view TargetKind(PermissionTarget target) {
  return target == PermissionTarget::kSpace ? "spaces" : "data_sources";
}

void WriteEmbeddedEnd(JsonWriter& writer) {
  writer.EmptyObjectField("_embedded");
  writer.EndObject();
}

}  // namespace

void WriteGroup(JsonWriter& writer, std::string_view workspace, const Group& group) {
  writer.BeginObject();
  writer.StringField("token", group.token);
  writer.StringField("group_type", "user_group");
  writer.StringField("name", group.name);
  writer.StringField("description", group.description);
  writer.StringField("state", group.state);
  writer.IntField("member_count", group.member_count);
  writer.IntField("spaces_count", group.spaces_count);
  writer.IntField("data_sources_count", group.data_sources_count);
  writer.BoolField("managed", group.managed);
  writer.TimestampField("created_at", group.created_at);
  writer.TimestampField("updated_at", group.updated_at);
  writer.Key("_links");
  writer.BeginObject();
  const std::string_view ws = workspace, token = group.token;
  WriteLink(writer, "self", {"/api/", ws, "/groups/", token});
  WriteLink(writer, "web", {"/organizations/", ws, "/groups/", token});
  WriteLink(writer, "creator", {"/api/", group.creator_username});
  WriteLink(writer, "group_memberships", {"/api/", ws, "/groups/", token, "/memberships"});
  WriteLink(writer, "membership_by_id",
            {"/api/", ws, "/groups/", token, "/memberships/{membership_token}"}, true);
  WriteLink(writer, "memberships_preview",
            {"/api/", ws, "/groups/", token, "/memberships?filter=preview"});
  writer.EndObject();
  WriteEmbeddedEnd(writer);
}

void WriteGroupMembership(JsonWriter& writer, std::string_view workspace,
                          const GroupMembership& membership) {
  writer.BeginObject();
  writer.StringField("token", membership.token);
  writer.StringField("member_token", membership.member_token);
  writer.StringField("member_username", membership.member_username);
  writer.TimestampField("created_at", membership.created_at);
  writer.Key("_links");
  writer.BeginObject();
  const std::string_view ws = workspace, group = membership.group_token;
  WriteLink(writer, "self", {"/api/", ws, "/groups/", group, "/memberships/", membership.token});
  WriteLink(writer, "member", {"/api/", membership.member_username});
  WriteLink(writer, "user_group", {"/api/", ws, "/groups/", group});
  WriteLink(writer, "creator", {"/api/", membership.creator_username});
  writer.EndObject();
  WriteEmbeddedEnd(writer);
}

void WriteWorkspaceMember(JsonWriter& writer, std::string_view workspace,
                          const WorkspaceMember& member) {
  const std::string_view username = member.user.username;
  writer.BeginObject();
  writer.BoolField("admin", member.admin);
  writer.StringField("state", member.state);
  writer.StringField("member_username", username);
  writer.StringField("member_token", member.user.token);
  writer.TimestampField("activated_at", member.activated_at);
  writer.BoolField("managed_by_scim", member.managed_by_scim);
  writer.Key("_links");
  writer.BeginObject();
  WriteLink(writer, "self", {"/api/", workspace, "/memberships/", username});
  WriteLink(writer, "user", {"/api/", username});
  WriteLink(writer, "groups", {"/api/", workspace, "/groups?member=", username});
  WriteLink(writer, "organization", {"/api/", workspace});
  writer.EndObject();
  WriteEmbeddedEnd(writer);
}

void WriteWorkspaceMemberLite(JsonWriter& writer, const WorkspaceMember& member) {
  writer.BeginObject();
  writer.StringField("username", member.user.username);
  writer.StringField("name", member.user.name);
  writer.StringField("email", member.user.email);
  writer.StringField("member_token", member.user.token);
  writer.StringField("state", member.state);
  writer.BoolField("admin", member.admin);
  writer.EndObject();
}

void WriteSpace(JsonWriter& writer, std::string_view workspace, const Space& space) {
  writer.BeginObject();
  writer.StringField("token", space.token);
  writer.StringField("name", space.name);
  writer.StringField("description", space.description);
  writer.StringField("space_type", "custom");
  writer.StringField("state", space.state);
  writer.TimestampField("created_at", space.created_at);
  writer.TimestampField("updated_at", space.updated_at);
  writer.Key("_links");
  writer.BeginObject();
  WriteLink(writer, "self", {"/api/", workspace, "/spaces/", space.token});
  WriteLink(writer, "web", {"/organizations/", workspace, "/spaces/", space.token});
  WriteLink(writer, "permissions", {"/api/", workspace, "/spaces/", space.token, "/permissions"});
  WriteLink(writer, "creator", {"/api/", space.creator_username});
  writer.EndObject();
  WriteEmbeddedEnd(writer);
}

void WriteDataSource(JsonWriter& writer, std::string_view workspace, const DataSource& source) {
  writer.BeginObject();
  writer.StringField("token", source.token);
  writer.StringField("name", source.name);
  writer.StringField("description", source.description);
  writer.StringField("adapter", source.adapter);
  writer.TimestampField("created_at", source.created_at);
  writer.Key("_links");
  writer.BeginObject();
  WriteLink(writer, "self", {"/api/", workspace, "/data_sources/", source.token});
  WriteLink(writer, "permissions",
            {"/api/", workspace, "/data_sources/", source.token, "/permissions"});
  WriteLink(writer, "web", {"/organizations/", workspace, "/data_sources/", source.token});
  writer.EndObject();
  WriteEmbeddedEnd(writer);
}

void WritePermission(JsonWriter& writer, std::string_view workspace, PermissionTarget target,
                     const Permission& permission) {
  const std::string_view kind = TargetKind(target), parent = permission.target_token;
  writer.BeginObject();
  writer.StringField("token", permission.token);
  writer.StringField("action", permission.action);
  writer.StringField("accessor_type", permission.accessor_type);
  writer.StringField("accessor_token", permission.accessor_token);
  writer.Key("_links");
  writer.BeginObject();
  WriteLink(writer, "self",
            {"/api/", workspace, "/", kind, "/", parent, "/permissions/", permission.token});
  WriteLink(writer, target == PermissionTarget::kSpace ? "space" : "data_source",
            {"/api/", workspace, "/", kind, "/", parent});
  if (permission.accessor_type == "UserGroup") {
    WriteLink(writer, "accessor", {"/api/", workspace, "/groups/", permission.accessor_token});
  } else {
    WriteLink(writer, "accessor", {"/api/", permission.accessor_username});
  }
  writer.EndObject();
  WriteEmbeddedEnd(writer);
}

void WriteUser(JsonWriter& writer, const Account& user) {
  writer.BeginObject();
  writer.StringField("username", user.username);
  writer.StringField("name", user.name);
  writer.StringField("email", user.email);
  writer.StringField("token", user.token);
  writer.BoolField("user", true);
  writer.Key("_links");
  writer.BeginObject();
  WriteLink(writer, "self", {"/api/", user.username});
  writer.EndObject();
  WriteEmbeddedEnd(writer);
}

void WriteWorkspace(JsonWriter& writer, const Account& workspace) {
  writer.BeginObject();
  writer.StringField("username", workspace.username);
  writer.StringField("name", workspace.name);
  writer.StringField("token", workspace.token);
  writer.StringField("plan_code", workspace.plan);
  writer.BoolField("user", false);
  writer.Key("_links");
  writer.BeginObject();
  WriteLink(writer, "self", {"/api/", workspace.username});
  writer.EndObject();
  WriteEmbeddedEnd(writer);
}

void WriteCollection(JsonWriter& writer, std::string_view self_path, std::string_view key,
                     int64_t count, const Paging& paging,
                     const std::function<void(JsonWriter&)>& write_items) {
  WriteCollectionStart(writer, self_path, key, count, paging);
  write_items(writer);
  WriteCollectionEnd(writer);
}

void WriteCollectionStart(JsonWriter& writer, std::string_view self_path, std::string_view key,
                          int64_t count, const Paging& paging) {
  int64_t total_pages = (paging.total_count + paging.per_page - 1) / paging.per_page;
  writer.BeginObject();
  if (paging.requested) {
    writer.Key("pagination");
    writer.BeginObject();
    writer.IntField("page", paging.page);
    writer.IntField("per_page", paging.per_page);
    writer.IntField("count", count);
    writer.IntField("total_pages", total_pages);
    writer.IntField("total_count", paging.total_count);
    writer.EndObject();
  }
  writer.Key("_links");
  writer.BeginObject();
  WriteLink(writer, "self", {self_path});
  if (paging.requested) {
    std::string_view separator = self_path.find('?') == std::string_view::npos ? "?" : "&";
    auto page_link = [&](std::string_view rel, int64_t page) {
      std::string query = fmt::format("page={}&per_page={}", page, paging.per_page);
      WriteLink(writer, rel, {self_path, separator, query});
    };
    if (paging.page < total_pages) page_link("next_page", paging.page + 1);
    if (paging.page > 1) page_link("prev_page", std::min(paging.page - 1,
                                                          std::max<int64_t>(total_pages, 1)));
  }
  writer.EndObject();
  writer.Key("_embedded");
  writer.BeginObject();
  writer.Key(key);
  writer.BeginArray();
}

void WriteCollectionEnd(JsonWriter& writer) {
  writer.EndArray();
  writer.EndObject();
  writer.EndObject();
}

}  // namespace roster::domain
