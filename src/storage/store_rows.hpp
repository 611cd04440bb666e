// SELECT lists and row readers shared by the Store's source files. Each kXxxSelect constant
// and its ReadXxx function list the columns in the same order: change them together.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/records.hpp"
#include "storage/database.hpp"

namespace roster::storage::rows {

inline constexpr std::string_view kAccountColumns =
    "a.id, a.username, a.name, a.email, a.token, a.kind, a.plan, a.created_at";
inline constexpr int kAccountColumnCount = 8;

inline domain::Account ReadAccount(const Row& row, int first = 0) {
  domain::Account account;
  account.id = row.GetInt(first);
  account.username = row.GetText(first + 1);
  account.name = row.GetText(first + 2);
  account.email = row.GetText(first + 3);
  account.token = row.GetText(first + 4);
  account.is_workspace = row.GetText(first + 5) == "workspace";
  account.plan = row.GetText(first + 6);
  account.created_at = row.GetInt(first + 7);
  return account;
}

inline constexpr std::string_view kWorkspaceMemberSelect =
    "SELECT m.id, m.workspace_id, m.admin, m.state, m.activated_at, m.managed_by_scim, "
    "a.id, a.username, a.name, a.email, a.token, a.kind, a.plan, a.created_at "
    "FROM workspace_members m JOIN accounts a ON a.id = m.user_id ";

inline domain::WorkspaceMember ReadWorkspaceMember(const Row& row) {
  domain::WorkspaceMember member;
  member.id = row.GetInt(0);
  member.workspace_id = row.GetInt(1);
  member.admin = row.GetBool(2);
  member.state = row.GetText(3);
  member.activated_at = row.GetInt(4);
  member.managed_by_scim = row.GetBool(5);
  member.user = ReadAccount(row, 6);
  return member;
}

inline constexpr std::string_view kGroupSelect =
    "SELECT g.id, g.workspace_id, g.token, g.name, g.description, g.managed, c.username, "
    "g.member_count, g.spaces_count, g.data_sources_count, g.created_at, g.updated_at "
    "FROM user_groups g JOIN accounts c ON c.id = g.creator_id ";

inline domain::Group ReadGroup(const Row& row) {
  domain::Group group;
  group.id = row.GetInt(0);
  group.workspace_id = row.GetInt(1);
  group.token = row.GetText(2);
  group.name = row.GetText(3);
  group.description = row.GetText(4);
  group.managed = row.GetBool(5);
  group.creator_username = row.GetText(6);
  group.member_count = row.GetInt(7);
  group.spaces_count = row.GetInt(8);
  group.data_sources_count = row.GetInt(9);
  group.created_at = row.GetInt(10);
  group.updated_at = row.GetInt(11);
  return group;
}

inline constexpr std::string_view kGroupMembershipSelect =
    "SELECT m.id, m.token, g.token, u.token, u.username, c.username, m.created_at "
    "FROM group_memberships m JOIN user_groups g ON g.id = m.group_id "
    "JOIN accounts u ON u.id = m.user_id JOIN accounts c ON c.id = m.creator_id ";

inline domain::GroupMembership ReadGroupMembership(const Row& row) {
  domain::GroupMembership membership;
  membership.id = row.GetInt(0);
  membership.token = row.GetText(1);
  membership.group_token = row.GetText(2);
  membership.member_token = row.GetText(3);
  membership.member_username = row.GetText(4);
  membership.creator_username = row.GetText(5);
  membership.created_at = row.GetInt(6);
  return membership;
}

inline constexpr std::string_view kSpaceSelect =
    "SELECT s.id, s.token, s.name, s.description, c.username, s.created_at, s.updated_at "
    "FROM spaces s JOIN accounts c ON c.id = s.creator_id ";

inline domain::Space ReadSpace(const Row& row) {
  domain::Space space;
  space.id = row.GetInt(0);
  space.token = row.GetText(1);
  space.name = row.GetText(2);
  space.description = row.GetText(3);
  space.creator_username = row.GetText(4);
  space.created_at = row.GetInt(5);
  space.updated_at = row.GetInt(6);
  return space;
}

inline constexpr std::string_view kDataSourceSelect =
    "SELECT d.id, d.token, d.name, d.description, d.adapter, d.created_at FROM data_sources d ";

inline domain::DataSource ReadDataSource(const Row& row) {
  domain::DataSource source;
  source.id = row.GetInt(0);
  source.token = row.GetText(1);
  source.name = row.GetText(2);
  source.description = row.GetText(3);
  source.adapter = row.GetText(4);
  source.created_at = row.GetInt(5);
  return source;
}

// Needs the target's table joined as t.
inline constexpr std::string_view kPermissionColumns =
    "SELECT p.id, p.token, t.token, p.action, p.accessor_type, "
    "COALESCE(a.token, g.token, ''), COALESCE(a.username, ''), p.created_at "
    "FROM permissions p "
    "LEFT JOIN accounts a ON p.accessor_type = 'Account' AND a.id = p.accessor_id "
    "LEFT JOIN user_groups g ON p.accessor_type = 'UserGroup' AND g.id = p.accessor_id ";

inline domain::Permission ReadPermission(const Row& row) {
  domain::Permission permission;
  permission.id = row.GetInt(0);
  permission.token = row.GetText(1);
  permission.target_token = row.GetText(2);
  permission.action = row.GetText(3);
  permission.accessor_type = row.GetText(4);
  permission.accessor_token = row.GetText(5);
  permission.accessor_username = row.GetText(6);
  permission.created_at = row.GetInt(7);
  return permission;
}

// Takes the group's row lock (PostgreSQL) so that concurrent changes to one group's members
// and counts run one after another. Returns false when the group no longer exists.
inline bool LockGroup(Connection& connection, int64_t group_id) {
  return connection.Execute("UPDATE user_groups SET member_count = member_count WHERE id = $1",
                            {group_id}) > 0;
}

// A statement whose parameters are numbered as they are bound.
struct StatementBuilder {
  std::string sql;
  Params params;

  // Adds a parameter and returns its placeholder ("$1", "$2", ...).
  std::string Bind(Value value) {
    params.push_back(std::move(value));
    return "$" + std::to_string(params.size());
  }
};

// A limit that both engines read as "no limit".
inline constexpr int64_t kNoLimit = INT64_MAX;

inline int64_t LimitOf(const domain::PageRequest& page) {
  return page.limit < 0 ? kNoLimit : page.limit;
}

// Runs a query and returns its first row, read by `read`, or nothing.
template <class Reader>
auto QueryOne(Connection& connection, std::string_view sql, const Params& params, Reader read)
    -> std::optional<decltype(read(std::declval<const Row&>()))> {
  std::optional<decltype(read(std::declval<const Row&>()))> result;
  connection.Execute(sql, params, [&](const Row& row) {
    if (!result) result = read(row);
  });
  return result;
}

// Runs a query and returns every row, read by `read`.
template <class Reader>
auto QueryAll(Connection& connection, std::string_view sql, const Params& params, Reader read)
    -> std::vector<decltype(read(std::declval<const Row&>()))> {
  std::vector<decltype(read(std::declval<const Row&>()))> result;
  connection.Execute(sql, params, [&](const Row& row) { result.push_back(read(row)); });
  return result;
}

// Runs a query whose first row's first column is an integer, such as COUNT(*).
inline int64_t QueryInt(Connection& connection, std::string_view sql, const Params& params) {
  int64_t value = 0;
  connection.Execute(sql, params, [&](const Row& row) { value = row.GetInt(0); });
  return value;
}

}  // namespace roster::storage::rows
