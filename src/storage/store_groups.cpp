// Store: groups and group memberships.
#include <fmt/format.h>

#include "domain/timestamps.hpp"
#include "domain/tokens.hpp"
#include "storage/store.hpp"
#include "storage/store_rows.hpp"

namespace roster::storage {

using domain::NowMicros;
using rows::QueryAll;
using rows::QueryInt;
using rows::LockGroup;
using rows::QueryOne;

namespace {

// Builds the WHERE clause of a group list and its parameters: every engine needs each
// parameter it is sent to appear in the statement.
void AppendGroupFilter(const GroupFilter& filter, int64_t workspace_id,
                       rows::StatementBuilder& statement) {
  statement.sql += "WHERE g.workspace_id = " + statement.Bind(workspace_id) + " ";
  if (filter.member_user_id != 0) {
    statement.sql +=
        "AND EXISTS (SELECT 1 FROM group_memberships m WHERE m.group_id = g.id AND m.user_id = " +
        statement.Bind(filter.member_user_id) + ") ";
  }
  if (filter.data_source_id != 0) {
    statement.sql +=
        "AND EXISTS (SELECT 1 FROM permissions p WHERE p.target_type = 'data_source' "
        "AND p.target_id = " +
        statement.Bind(filter.data_source_id) +
        " AND p.accessor_type = 'UserGroup' AND p.accessor_id = g.id) ";
  }
}

std::optional<Group> SelectGroup(Connection& connection, int64_t workspace_id,
                                 const std::string& token) {
  return QueryOne(connection,
                  std::string(rows::kGroupSelect) + "WHERE g.workspace_id = $1 AND g.token = $2",
                  {workspace_id, token}, rows::ReadGroup);
}

std::optional<GroupMembership> SelectMembership(Connection& connection, std::string_view where,
                                                const Params& params) {
  return QueryOne(connection, std::string(rows::kGroupMembershipSelect) + std::string(where),
                  params, rows::ReadGroupMembership);
}

}  // namespace

ListResult<Group> Store::ListGroups(int64_t workspace_id, const GroupFilter& filter,
                                    const PageRequest& page) {
  rows::StatementBuilder count{"SELECT COUNT(*) FROM user_groups g "};
  AppendGroupFilter(filter, workspace_id, count);
  rows::StatementBuilder list{std::string(rows::kGroupSelect)};
  AppendGroupFilter(filter, workspace_id, list);
  list.sql += "ORDER BY g.created_at, g.token LIMIT " + list.Bind(rows::LimitOf(page)) +
              " OFFSET " + list.Bind(page.offset);
  ListResult<Group> result;
  RunRead(pool_, [&](Connection& connection) {
    result.items = QueryAll(connection, list.sql, list.params, rows::ReadGroup);
    result.total_count = page.limit < 0 && page.offset == 0
                             ? static_cast<int64_t>(result.items.size())
                             : QueryInt(connection, count.sql, count.params);
  });
  return result;
}

std::optional<Group> Store::FindGroup(int64_t workspace_id, const std::string& token) {
  std::optional<Group> group;
  RunRead(pool_, [&](Connection& connection) {
    group = SelectGroup(connection, workspace_id, token);
  });
  return group;
}

Group Store::CreateGroup(int64_t workspace_id, const domain::NormalizedName& name,
                         const std::string& description, int64_t creator_id, bool managed) {
  static constexpr std::string_view kInsert =
      "INSERT INTO user_groups (workspace_id, token, name, name_key, description, creator_id, "
      "created_at, updated_at, managed) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8)";
  std::string token = domain::NewToken();
  std::optional<Group> group;
  RunWrite(pool_, [&](Connection& connection) {
    connection.Execute(kInsert, {workspace_id, token, name.display, name.key, description,
                                 creator_id, NowMicros(), int64_t{managed}});
    group = SelectGroup(connection, workspace_id, token);
  });
  return *group;
}

std::optional<Group> Store::UpdateGroup(int64_t workspace_id, const std::string& token,
                                        const std::optional<domain::NormalizedName>& name,
                                        const std::optional<std::string>& description) {
  // Only a real change moves updated_at: renaming a group to its current name is a no-op.
  static constexpr std::string_view kUpdate =
      "UPDATE user_groups SET name = COALESCE($3, name), name_key = COALESCE($4, name_key), "
      "description = COALESCE($5, description), updated_at = $6 "
      "WHERE workspace_id = $1 AND token = $2 "
      "AND (name <> COALESCE($3, name) OR description <> COALESCE($5, description))";
  Value new_name, new_key, new_description;
  if (name) {
    new_name = name->display;
    new_key = name->key;
  }
  if (description) new_description = *description;
  std::optional<Group> group;
  RunWrite(pool_, [&](Connection& connection) {
    connection.Execute(kUpdate,
                       {workspace_id, token, new_name, new_key, new_description, NowMicros()});
    group = SelectGroup(connection, workspace_id, token);
  });
  return group;
}

std::optional<Group> Store::DeleteGroup(int64_t workspace_id, const std::string& token) {
  std::optional<Group> group;
  RunWrite(pool_, [&](Connection& connection) {
    group = SelectGroup(connection, workspace_id, token);
    if (!group || !LockGroup(connection, group->id)) {
      group.reset();
      return;
    }
    // Re-read under the lock: a concurrent change may have moved the counts.
    group = SelectGroup(connection, workspace_id, token);
    connection.Execute(
        "DELETE FROM permissions WHERE accessor_type = 'UserGroup' AND accessor_id = $1",
        {group->id});
    connection.Execute("DELETE FROM group_memberships WHERE group_id = $1", {group->id});
    connection.Execute("DELETE FROM user_groups WHERE id = $1", {group->id});
    group->state = "soft_deleted";
  });
  return group;
}

ListResult<GroupMembership> Store::ListGroupMemberships(const Group& group,
                                                        const PageRequest& page,
                                                        bool newest_first) {
  std::string order = newest_first ? "ORDER BY m.created_at DESC, m.token DESC "
                                   : "ORDER BY m.created_at, m.token ";
  std::string sql = std::string(rows::kGroupMembershipSelect) + "WHERE m.group_id = $1 " +
                    order + "LIMIT $2 OFFSET $3";
  ListResult<GroupMembership> result;
  RunRead(pool_, [&](Connection& connection) {
    result.items = QueryAll(connection, sql, {group.id, rows::LimitOf(page), page.offset},
                            rows::ReadGroupMembership);
    result.total_count = QueryInt(
        connection, "SELECT COUNT(*) FROM group_memberships WHERE group_id = $1", {group.id});
  });
  return result;
}

std::optional<GroupMembership> Store::FindGroupMembership(const Group& group,
                                                          const std::string& token) {
  std::optional<GroupMembership> membership;
  RunRead(pool_, [&](Connection& connection) {
    membership = SelectMembership(connection, "WHERE m.group_id = $1 AND m.token = $2",
                                  {group.id, token});
  });
  return membership;
}

std::optional<GroupMembership> Store::FindGroupMembershipOfUser(const Group& group,
                                                                int64_t user_id) {
  std::optional<GroupMembership> membership;
  RunRead(pool_, [&](Connection& connection) {
    membership = SelectMembership(connection, "WHERE m.group_id = $1 AND m.user_id = $2",
                                  {group.id, user_id});
  });
  return membership;
}

AddMemberResult Store::AddGroupMember(const Group& group, int64_t user_id, int64_t creator_id) {
  // Locks the workspace membership row, so that a concurrent deactivation either runs first
  // (and the add fails) or after (and removes the new membership).
  static constexpr std::string_view kLockActiveMember =
      "UPDATE workspace_members SET state = state "
      "WHERE workspace_id = $1 AND user_id = $2 AND state = 'active'";
  static constexpr std::string_view kInsert =
      "INSERT INTO group_memberships (token, group_id, user_id, creator_id, created_at) "
      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (group_id, user_id) DO NOTHING";
  static constexpr std::string_view kCountMember =
      "UPDATE user_groups SET member_count = member_count + 1, updated_at = $2 WHERE id = $1";
  AddMemberResult result{AddMemberOutcome::kGroupNotFound, {}};
  RunWrite(pool_, [&](Connection& connection) {
    result.outcome = AddMemberOutcome::kGroupNotFound;
    if (!LockGroup(connection, group.id)) return;
    if (connection.Execute(kLockActiveMember, {group.workspace_id, user_id}) == 0) {
      result.outcome = AddMemberOutcome::kNotActiveMember;
      return;
    }
    int64_t now = NowMicros();
    bool added = connection.Execute(kInsert, {domain::NewToken(), group.id, user_id,
                                              creator_id, now}) > 0;
    if (added) connection.Execute(kCountMember, {group.id, now});
    result.outcome = added ? AddMemberOutcome::kAdded : AddMemberOutcome::kAlreadyMember;
    result.membership = *SelectMembership(
        connection, "WHERE m.group_id = $1 AND m.user_id = $2", {group.id, user_id});
  });
  return result;
}

std::optional<GroupMembership> Store::RemoveGroupMembership(const Group& group,
                                                            const std::string& token) {
  static constexpr std::string_view kUncountMember =
      "UPDATE user_groups SET member_count = member_count - 1, updated_at = $2 WHERE id = $1";
  std::optional<GroupMembership> membership;
  RunWrite(pool_, [&](Connection& connection) {
    if (!LockGroup(connection, group.id)) return;
    membership = SelectMembership(connection, "WHERE m.group_id = $1 AND m.token = $2",
                                  {group.id, token});
    if (!membership) return;
    connection.Execute("DELETE FROM group_memberships WHERE id = $1", {membership->id});
    connection.Execute(kUncountMember, {group.id, NowMicros()});
  });
  return membership;
}

}  // namespace roster::storage
