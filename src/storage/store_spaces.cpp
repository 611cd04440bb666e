// Store: spaces, data sources and the permissions of accounts and groups on them.
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

// The SQL names of a permission target.
struct TargetNames {
  std::string_view table;         // "spaces" or "data_sources"
  std::string_view type;          // permissions.target_type
  std::string_view count_column;  // the user_groups column that counts a group's permissions
};

TargetNames NamesOf(PermissionTarget target) {
  if (target == PermissionTarget::kSpace) return {"spaces", "space", "spaces_count"};
  return {"data_sources", "data_source", "data_sources_count"};
}

std::string PermissionSelect(const TargetNames& names) {
  return fmt::format("{} JOIN {} t ON t.id = p.target_id WHERE p.target_type = '{}' ",
                     rows::kPermissionColumns, names.table, names.type);
}

// Takes the target's row lock, so that permission changes on one target run one after
// another. Returns false when the target is not in the workspace.
bool LockTarget(Connection& connection, const TargetNames& names, int64_t workspace_id,
                int64_t target_id) {
  std::string sql = fmt::format(
      "UPDATE {} SET workspace_id = workspace_id WHERE id = $1 AND workspace_id = $2",
      names.table);
  return connection.Execute(sql, {target_id, workspace_id}) > 0;
}

// Adds `delta` to the counts of the groups that hold a permission on the target.
void CountGroupPermissions(Connection& connection, const TargetNames& names, int64_t target_id,
                           int64_t delta) {
  std::string sql = fmt::format(
      "UPDATE user_groups SET {0} = {0} + $2, updated_at = $3 WHERE id IN "
      "(SELECT accessor_id FROM permissions WHERE target_type = '{1}' AND target_id = $1 "
      "AND accessor_type = 'UserGroup')",
      names.count_column, names.type);
  connection.Execute(sql, {target_id, delta, NowMicros()});
}

void DeleteTargetPermissions(Connection& connection, const TargetNames& names,
                             int64_t target_id) {
  CountGroupPermissions(connection, names, target_id, -1);
  connection.Execute("DELETE FROM permissions WHERE target_type = $1 AND target_id = $2",
                     {std::string(names.type), target_id});
}

// Returns the id of the accessor in the workspace: a group, or a user with an active
// membership; 0 when there is none.
int64_t ResolveAccessor(Connection& connection, int64_t workspace_id,
                        const std::string& accessor_type, const std::string& token) {
  static constexpr std::string_view kGroup =
      "SELECT id FROM user_groups WHERE workspace_id = $1 AND token = $2";
  static constexpr std::string_view kMember =
      "SELECT a.id FROM accounts a JOIN workspace_members m ON m.user_id = a.id "
      "WHERE m.workspace_id = $1 AND a.token = $2 AND m.state = 'active'";
  std::string_view sql = accessor_type == "UserGroup" ? kGroup : kMember;
  return QueryInt(connection, sql, {workspace_id, token});
}

std::optional<Space> SelectSpace(Connection& connection, int64_t workspace_id,
                                 const std::string& token) {
  return QueryOne(connection,
                  std::string(rows::kSpaceSelect) + "WHERE s.workspace_id = $1 AND s.token = $2",
                  {workspace_id, token}, rows::ReadSpace);
}

std::optional<DataSource> SelectDataSource(Connection& connection, int64_t workspace_id,
                                           const std::string& token) {
  return QueryOne(
      connection,
      std::string(rows::kDataSourceSelect) + "WHERE d.workspace_id = $1 AND d.token = $2",
      {workspace_id, token}, rows::ReadDataSource);
}

std::optional<Permission> SelectPermission(Connection& connection, const TargetNames& names,
                                           int64_t target_id, std::string_view condition,
                                           const Value& value) {
  return QueryOne(connection,
                  PermissionSelect(names) + "AND p.target_id = $1 AND " + std::string(condition),
                  {target_id, value}, rows::ReadPermission);
}

}  // namespace

ListResult<Space> Store::ListSpaces(int64_t workspace_id, const PageRequest& page) {
  std::string sql = std::string(rows::kSpaceSelect) +
                    "WHERE s.workspace_id = $1 ORDER BY s.created_at, s.token LIMIT $2 OFFSET $3";
  ListResult<Space> result;
  RunRead(pool_, [&](Connection& connection) {
    result.items =
        QueryAll(connection, sql, {workspace_id, rows::LimitOf(page), page.offset}, rows::ReadSpace);
    result.total_count =
        QueryInt(connection, "SELECT COUNT(*) FROM spaces WHERE workspace_id = $1", {workspace_id});
  });
  return result;
}

std::optional<Space> Store::FindSpace(int64_t workspace_id, const std::string& token) {
  std::optional<Space> space;
  RunStatementReads(pool_, [&](Connection& connection) {
    space = SelectSpace(connection, workspace_id, token);
  });
  return space;
}

Space Store::CreateSpace(int64_t workspace_id, const std::string& name,
                         const std::string& description, int64_t creator_id) {
  static constexpr std::string_view kInsert =
      "INSERT INTO spaces (workspace_id, token, name, description, creator_id, created_at, "
      "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)";
  std::string token = domain::NewToken();
  std::optional<Space> space;
  RunWrite(pool_, [&](Connection& connection) {
    connection.Execute(kInsert,
                       {workspace_id, token, name, description, creator_id, NowMicros()});
    space = SelectSpace(connection, workspace_id, token);
  });
  return *space;
}

std::optional<Space> Store::UpdateSpace(int64_t workspace_id, const std::string& token,
                                        const std::optional<std::string>& name,
                                        const std::optional<std::string>& description) {
  static constexpr std::string_view kUpdate =
      "UPDATE spaces SET name = COALESCE($3, name), description = COALESCE($4, description), "
      "updated_at = $5 WHERE workspace_id = $1 AND token = $2 "
      "AND (name <> COALESCE($3, name) OR description <> COALESCE($4, description))";
  Value new_name = name ? Value(*name) : Value();
  Value new_description = description ? Value(*description) : Value();
  std::optional<Space> space;
  RunWrite(pool_, [&](Connection& connection) {
    connection.Execute(kUpdate, {workspace_id, token, new_name, new_description, NowMicros()});
    space = SelectSpace(connection, workspace_id, token);
  });
  return space;
}

std::optional<Space> Store::DeleteSpace(int64_t workspace_id, const std::string& token) {
  TargetNames names = NamesOf(PermissionTarget::kSpace);
  std::optional<Space> space;
  RunWrite(pool_, [&](Connection& connection) {
    space = SelectSpace(connection, workspace_id, token);
    if (!space || !LockTarget(connection, names, workspace_id, space->id)) {
      space.reset();
      return;
    }
    DeleteTargetPermissions(connection, names, space->id);
    connection.Execute("DELETE FROM spaces WHERE id = $1", {space->id});
    space->state = "soft_deleted";
  });
  return space;
}

DataSource Store::CreateDataSource(int64_t workspace_id, const std::string& name,
                                   const std::string& description, const std::string& adapter) {
  static constexpr std::string_view kInsert =
      "INSERT INTO data_sources (workspace_id, token, name, description, adapter, created_at) "
      "VALUES ($1, $2, $3, $4, $5, $6)";
  std::string token = domain::NewToken();
  std::optional<DataSource> source;
  RunWrite(pool_, [&](Connection& connection) {
    connection.Execute(kInsert, {workspace_id, token, name, description, adapter, NowMicros()});
    source = SelectDataSource(connection, workspace_id, token);
  });
  return *source;
}

ListResult<DataSource> Store::ListDataSources(int64_t workspace_id, const PageRequest& page) {
  std::string sql = std::string(rows::kDataSourceSelect) +
                    "WHERE d.workspace_id = $1 ORDER BY d.created_at, d.token LIMIT $2 OFFSET $3";
  ListResult<DataSource> result;
  RunRead(pool_, [&](Connection& connection) {
    result.items = QueryAll(connection, sql, {workspace_id, rows::LimitOf(page), page.offset},
                            rows::ReadDataSource);
    result.total_count = QueryInt(
        connection, "SELECT COUNT(*) FROM data_sources WHERE workspace_id = $1", {workspace_id});
  });
  return result;
}

std::optional<DataSource> Store::FindDataSource(int64_t workspace_id, const std::string& token) {
  std::optional<DataSource> source;
  RunStatementReads(pool_, [&](Connection& connection) {
    source = SelectDataSource(connection, workspace_id, token);
  });
  return source;
}

std::optional<DataSource> Store::DeleteDataSource(int64_t workspace_id,
                                                  const std::string& token) {
  TargetNames names = NamesOf(PermissionTarget::kDataSource);
  std::optional<DataSource> source;
  RunWrite(pool_, [&](Connection& connection) {
    source = SelectDataSource(connection, workspace_id, token);
    if (!source || !LockTarget(connection, names, workspace_id, source->id)) {
      source.reset();
      return;
    }
    DeleteTargetPermissions(connection, names, source->id);
    connection.Execute("DELETE FROM data_sources WHERE id = $1", {source->id});
  });
  return source;
}

ListResult<Permission> Store::ListPermissions(int64_t workspace_id, PermissionTarget target,
                                              int64_t target_id, const PageRequest& page) {
  TargetNames names = NamesOf(target);
  std::string sql = PermissionSelect(names) +
                    "AND p.target_id = $1 AND p.workspace_id = $2 "
                    "ORDER BY p.created_at, p.token LIMIT $3 OFFSET $4";
  ListResult<Permission> result;
  RunRead(pool_, [&](Connection& connection) {
    result.items = QueryAll(connection, sql,
                            {target_id, workspace_id, rows::LimitOf(page), page.offset},
                            rows::ReadPermission);
    result.total_count = QueryInt(
        connection,
        "SELECT COUNT(*) FROM permissions WHERE target_type = $1 AND target_id = $2 "
        "AND workspace_id = $3",
        {std::string(names.type), target_id, workspace_id});
  });
  return result;
}

std::optional<Permission> Store::FindPermission(int64_t workspace_id, PermissionTarget target,
                                                int64_t target_id, const std::string& token) {
  std::optional<Permission> permission;
  RunStatementReads(pool_, [&](Connection& connection) {
    permission = SelectPermission(connection, NamesOf(target), target_id, "p.token = $2", token);
  });
  return permission;
}

GrantResult Store::GrantPermission(int64_t workspace_id, PermissionTarget target,
                                   int64_t target_id, const std::string& accessor_type,
                                   const std::string& accessor_token, const std::string& action) {
  static constexpr std::string_view kFindExisting =
      "SELECT id FROM permissions WHERE target_type = $1 AND target_id = $2 "
      "AND accessor_type = $3 AND accessor_id = $4";
  static constexpr std::string_view kInsert =
      "INSERT INTO permissions (token, workspace_id, target_type, target_id, accessor_type, "
      "accessor_id, action, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
  TargetNames names = NamesOf(target);
  std::string type(names.type);
  GrantResult result{GrantOutcome::kTargetNotFound, {}};
  RunWrite(pool_, [&](Connection& connection) {
    result.outcome = GrantOutcome::kTargetNotFound;
    if (!LockTarget(connection, names, workspace_id, target_id)) return;
    int64_t accessor_id = ResolveAccessor(connection, workspace_id, accessor_type, accessor_token);
    bool is_group = accessor_type == "UserGroup";
    if (accessor_id == 0 || (is_group && !LockGroup(connection, accessor_id))) {
      result.outcome = GrantOutcome::kAccessorNotFound;
      return;
    }
    int64_t existing =
        QueryInt(connection, kFindExisting, {type, target_id, accessor_type, accessor_id});
    if (existing != 0) {
      connection.Execute("UPDATE permissions SET action = $2 WHERE id = $1", {existing, action});
      result.outcome = GrantOutcome::kUpdated;
    } else {
      connection.Execute(kInsert, {domain::NewToken(), workspace_id, type, target_id,
                                   accessor_type, accessor_id, action, NowMicros()});
      if (is_group) {
        std::string count = fmt::format(
            "UPDATE user_groups SET {0} = {0} + 1, updated_at = $2 WHERE id = $1",
            names.count_column);
        connection.Execute(count, {accessor_id, NowMicros()});
      }
      result.outcome = GrantOutcome::kGranted;
    }
    result.permission = *QueryOne(
        connection,
        PermissionSelect(names) +
            "AND p.target_id = $1 AND p.accessor_type = $2 AND p.accessor_id = $3",
        {target_id, accessor_type, accessor_id}, rows::ReadPermission);
  });
  return result;
}

std::optional<Permission> Store::UpdatePermission(int64_t workspace_id, PermissionTarget target,
                                                  int64_t target_id, const std::string& token,
                                                  const std::string& action) {
  TargetNames names = NamesOf(target);
  std::optional<Permission> permission;
  RunWrite(pool_, [&](Connection& connection) {
    int64_t changed = connection.Execute(
        "UPDATE permissions SET action = $4 WHERE target_type = $1 AND target_id = $2 "
        "AND token = $3",
        {std::string(names.type), target_id, token, action});
    if (changed == 0) return;
    permission = SelectPermission(connection, names, target_id, "p.token = $2", token);
  });
  return permission;
}

std::optional<Permission> Store::RevokePermission(int64_t workspace_id, PermissionTarget target,
                                                  int64_t target_id, const std::string& token) {
  TargetNames names = NamesOf(target);
  std::optional<Permission> permission;
  RunWrite(pool_, [&](Connection& connection) {
    if (!LockTarget(connection, names, workspace_id, target_id)) return;
    permission = SelectPermission(connection, names, target_id, "p.token = $2", token);
    if (!permission) return;
    if (permission->accessor_type == "UserGroup") {
      std::string uncount = fmt::format(
          "UPDATE user_groups SET {0} = {0} - 1, updated_at = $2 WHERE id = "
          "(SELECT accessor_id FROM permissions WHERE id = $1)",
          names.count_column);
      connection.Execute(uncount, {permission->id, NowMicros()});
    }
    connection.Execute("DELETE FROM permissions WHERE id = $1", {permission->id});
  });
  return permission;
}

}  // namespace roster::storage
