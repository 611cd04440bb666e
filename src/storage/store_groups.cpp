// Store: groups and group memberships.
#include <fmt/format.h>

#include <algorithm>
#include <functional>

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

// Slots per workspace in workspace_group_counts.
constexpr size_t kGroupCountSlots = 8;

// Adds `delta` to one slot of the workspace's group count, chosen by the group's token.
void CountGroup(Connection& connection, int64_t workspace_id, const std::string& token,
                int64_t delta) {
  static constexpr std::string_view kUpsert =
      "INSERT INTO workspace_group_counts (workspace_id, slot, group_count) VALUES ($1, $2, $3) "
      "ON CONFLICT (workspace_id, slot) "
      "DO UPDATE SET group_count = workspace_group_counts.group_count + $3";
  int64_t slot = static_cast<int64_t>(std::hash<std::string>{}(token) % kGroupCountSlots);
  connection.Execute(kUpsert, {workspace_id, slot, delta});
}

int64_t CountGroups(Connection& connection, int64_t workspace_id) {
  return QueryInt(connection,
                  "SELECT COALESCE(SUM(group_count), 0) FROM workspace_group_counts "
                  "WHERE workspace_id = $1",
                  {workspace_id});
}

// The LIMIT and OFFSET of a page, counted from whichever end of the list is nearer. OFFSET
// costs one step per skipped row, so the last page of a million groups is read backwards.
struct PagePlan {
  bool from_end = false;
  int64_t limit = 0;
  int64_t offset = 0;
};

PagePlan PlanPage(const PageRequest& page, int64_t total) {
  int64_t limit = rows::LimitOf(page);
  int64_t remaining = std::max<int64_t>(total - page.offset, 0);
  if (page.limit < 0 || page.offset <= total / 2) return {false, limit, page.offset};
  int64_t count = std::min(limit, remaining);
  return {true, count, remaining - count};
}

std::optional<GroupMembership> SelectMembership(Connection& connection, std::string_view where,
                                                const Params& params) {
  return QueryOne(connection, std::string(rows::kGroupMembershipSelect) + std::string(where),
                  params, rows::ReadGroupMembership);
}

}  // namespace

ListResult<Group> Store::ListGroups(int64_t workspace_id, const GroupFilter& filter,
                                    const PageRequest& page) {
  bool filtered = filter.member_user_id != 0 || filter.data_source_id != 0;
  ListResult<Group> result;
  RunRead(pool_, [&](Connection& connection) {
    if (filtered) {
      rows::StatementBuilder count{"SELECT COUNT(*) FROM user_groups g ", {}};
      AppendGroupFilter(filter, workspace_id, count);
      result.total_count = QueryInt(connection, count.sql, count.params);
    } else {
      result.total_count = CountGroups(connection, workspace_id);
    }
    PagePlan plan = PlanPage(page, result.total_count);
    std::string_view order = plan.from_end ? "ORDER BY g.created_at DESC, g.token DESC "
                                           : "ORDER BY g.created_at, g.token ";
    // The rows of the page are chosen from the listing index alone, and only they are joined
    // and read in full: OFFSET then skips index entries, not whole rows.
    rows::StatementBuilder list{std::string(rows::kGroupSelect) +
                                    "WHERE g.id IN (SELECT g.id FROM user_groups g ",
                                {}};
    AppendGroupFilter(filter, workspace_id, list);
    list.sql += std::string(order) + "LIMIT " + list.Bind(plan.limit) + " OFFSET " +
                list.Bind(plan.offset) + ") " + std::string(order);
    result.items = QueryAll(connection, list.sql, list.params, rows::ReadGroup);
    if (plan.from_end) std::reverse(result.items.begin(), result.items.end());
  });
  return result;
}

std::vector<Group> Store::ListGroupsAfter(int64_t workspace_id, const GroupFilter& filter,
                                         const std::optional<GroupCursor>& after,
                                         int64_t limit) {
  rows::StatementBuilder list{std::string(rows::kGroupSelect), {}};
  AppendGroupFilter(filter, workspace_id, list);
  if (after) {
    // A row-value comparison, which both engines evaluate with the listing index.
    std::string created_at = list.Bind(after->created_at);
    list.sql += "AND (g.created_at, g.token) > (" + created_at + ", " + list.Bind(after->token) +
                ") ";
  }
  list.sql += "ORDER BY g.created_at, g.token LIMIT " + list.Bind(limit);
  std::vector<Group> groups;
  RunStatementReads(pool_, [&](Connection& connection) {
    groups = QueryAll(connection, list.sql, list.params, rows::ReadGroup);
  });
  return groups;
}

std::optional<Group> Store::FindGroup(int64_t workspace_id, const std::string& token) {
  std::optional<Group> group;
  RunStatementReads(pool_, [&](Connection& connection) {
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
    CountGroup(connection, workspace_id, token, 1);
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
    CountGroup(connection, workspace_id, token, -1);
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
    // The group's member_count column changes in every transaction that adds or removes a
    // member, so it equals COUNT(*) here without scanning a large group.
    result.total_count = QueryInt(
        connection, "SELECT member_count FROM user_groups WHERE id = $1", {group.id});
  });
  return result;
}

std::optional<GroupMembership> Store::FindGroupMembership(const Group& group,
                                                          const std::string& token) {
  std::optional<GroupMembership> membership;
  RunStatementReads(pool_, [&](Connection& connection) {
    membership = SelectMembership(connection, "WHERE m.group_id = $1 AND m.token = $2",
                                  {group.id, token});
  });
  return membership;
}

std::optional<GroupMembership> Store::FindGroupMembershipOfUser(const Group& group,
                                                                int64_t user_id) {
  std::optional<GroupMembership> membership;
  RunStatementReads(pool_, [&](Connection& connection) {
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
