#include "storage/store.hpp"

#include <fmt/format.h>

#include "domain/timestamps.hpp"
#include "domain/tokens.hpp"
#include "storage/store_rows.hpp"

namespace roster::storage {

using domain::NowMicros;
using rows::QueryAll;
using rows::QueryInt;
using rows::QueryOne;

Store::Store(std::unique_ptr<Database> database, size_t pool_size,
             std::chrono::milliseconds acquire_wait)
    : database_(std::move(database)), pool_(*database_, pool_size, acquire_wait) {}

void Store::Ping() {
  RunStatementReads(pool_, [](Connection& connection) { QueryInt(connection, "SELECT 1", {}); });
}

namespace {

constexpr std::string_view kInsertAccount =
    "INSERT INTO accounts (username, kind, name, email, token, plan, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7)";
constexpr std::string_view kAccountByUsername = "WHERE a.username = $1";

Account InsertAccount(ConnectionPool& pool, Account account) {
  account.token = domain::NewToken();
  account.created_at = NowMicros();
  RunWrite(pool, [&](Connection& connection) {
    connection.Execute(kInsertAccount,
                       {account.username, std::string(account.is_workspace ? "workspace" : "user"),
                        account.name, account.email, account.token, account.plan,
                        account.created_at});
    account.id = QueryInt(connection, "SELECT id FROM accounts WHERE token = $1",
                          {account.token});
  });
  return account;
}

}  // namespace

Account Store::CreateWorkspace(const std::string& username, const std::string& name,
                               const std::string& plan) {
  Account workspace;
  workspace.username = username;
  workspace.name = name;
  workspace.is_workspace = true;
  workspace.plan = plan;
  return InsertAccount(pool_, std::move(workspace));
}

Account Store::CreateUser(const std::string& username, const std::string& name,
                          const std::string& email) {
  Account user;
  user.username = username;
  user.name = name;
  user.email = email;
  return InsertAccount(pool_, std::move(user));
}

namespace {

std::optional<Account> SelectAccount(Connection& connection, const std::string& username) {
  static const std::string kSql =
      fmt::format("SELECT {} FROM accounts a {}", rows::kAccountColumns, kAccountByUsername);
  return QueryOne(connection, kSql, {username},
                  [](const Row& row) { return rows::ReadAccount(row); });
}

}  // namespace

std::optional<Account> Store::FindAccount(const std::string& username) {
  std::optional<Account> account;
  RunStatementReads(pool_, [&](Connection& connection) { account = SelectAccount(connection, username); });
  return account;
}

WorkspaceMember Store::AddWorkspaceMember(const Account& workspace, const Account& user,
                                          bool admin) {
  static constexpr std::string_view kUpsert =
      "INSERT INTO workspace_members (workspace_id, user_id, admin, state, activated_at) "
      "VALUES ($1, $2, $3, 'active', $4) ON CONFLICT (workspace_id, user_id) "
      "DO UPDATE SET admin = excluded.admin, state = 'active', "
      "activated_at = CASE WHEN workspace_members.state = 'active' "
      "THEN workspace_members.activated_at ELSE excluded.activated_at END";
  std::optional<WorkspaceMember> member;
  RunWrite(pool_, [&](Connection& connection) {
    connection.Execute(kUpsert, {workspace.id, user.id, int64_t{admin}, NowMicros()});
    member = QueryOne(connection,
                      std::string(rows::kWorkspaceMemberSelect) +
                          "WHERE m.workspace_id = $1 AND m.user_id = $2",
                      {workspace.id, user.id}, rows::ReadWorkspaceMember);
  });
  return *member;
}

namespace {

std::optional<WorkspaceMember> SelectMemberWhere(Connection& connection, std::string_view where,
                                                 const Params& params) {
  return QueryOne(connection, std::string(rows::kWorkspaceMemberSelect) + std::string(where),
                  params, rows::ReadWorkspaceMember);
}

std::optional<WorkspaceMember> FindMemberWhere(ConnectionPool& pool, std::string_view where,
                                               const Params& params) {
  std::optional<WorkspaceMember> member;
  RunStatementReads(pool, [&](Connection& connection) {
    member = SelectMemberWhere(connection, where, params);
  });
  return member;
}

}  // namespace

std::optional<WorkspaceMember> Store::FindWorkspaceMember(int64_t workspace_id, int64_t user_id) {
  return FindMemberWhere(pool_, "WHERE m.workspace_id = $1 AND m.user_id = $2",
                         {workspace_id, user_id});
}

std::optional<WorkspaceMember> Store::FindWorkspaceMemberByUsername(int64_t workspace_id,
                                                                    const std::string& username) {
  return FindMemberWhere(pool_, "WHERE m.workspace_id = $1 AND a.username = $2",
                         {workspace_id, username});
}

std::optional<WorkspaceMember> Store::FindWorkspaceMemberByToken(int64_t workspace_id,
                                                                 const std::string& user_token) {
  return FindMemberWhere(pool_, "WHERE m.workspace_id = $1 AND a.token = $2",
                         {workspace_id, user_token});
}

ListResult<WorkspaceMember> Store::ListWorkspaceMembers(int64_t workspace_id) {
  ListResult<WorkspaceMember> result;
  RunRead(pool_, [&](Connection& connection) {
    result.items = QueryAll(connection,
                            std::string(rows::kWorkspaceMemberSelect) +
                                "WHERE m.workspace_id = $1 ORDER BY m.id",
                            {workspace_id}, rows::ReadWorkspaceMember);
  });
  result.total_count = static_cast<int64_t>(result.items.size());
  return result;
}

std::optional<WorkspaceMember> Store::DeactivateWorkspaceMember(int64_t workspace_id,
                                                                int64_t user_id) {
  static constexpr std::string_view kDeactivate =
      "UPDATE workspace_members SET state = 'deactivated' "
      "WHERE workspace_id = $1 AND user_id = $2";
  static constexpr std::string_view kGroupMemberships =
      "SELECT m.id, m.group_id FROM group_memberships m JOIN user_groups g ON g.id = m.group_id "
      "WHERE g.workspace_id = $1 AND m.user_id = $2";
  static constexpr std::string_view kDecrementGroup =
      "UPDATE user_groups SET member_count = member_count - 1, updated_at = $2 WHERE id = $1";
  static constexpr std::string_view kUserGroupIds =
      "SELECT m.group_id FROM group_memberships m JOIN user_groups g ON g.id = m.group_id "
      "WHERE g.workspace_id = $1 AND m.user_id = $2 ORDER BY m.group_id";
  std::optional<WorkspaceMember> member;
  RunWrite(pool_, [&](Connection& connection) {
    // Locks the user's groups in id order before the workspace membership: adding and removing
    // a group member lock the group first too, so on PostgreSQL they cannot deadlock with this.
    std::vector<int64_t> group_ids = QueryAll(connection, kUserGroupIds, {workspace_id, user_id},
                                              [](const Row& row) { return row.GetInt(0); });
    for (int64_t group_id : group_ids) rows::LockGroup(connection, group_id);
    if (connection.Execute(kDeactivate, {workspace_id, user_id}) == 0) return;
    std::vector<std::pair<int64_t, int64_t>> memberships;
    connection.Execute(kGroupMemberships, {workspace_id, user_id}, [&](const Row& row) {
      memberships.emplace_back(row.GetInt(0), row.GetInt(1));
    });
    // Decrements a group only when this transaction deleted the row: on PostgreSQL a
    // concurrent removal of the same membership may commit first, and then owns the decrement.
    int64_t now = NowMicros();
    for (const auto& [membership_id, group_id] : memberships) {
      if (connection.Execute("DELETE FROM group_memberships WHERE id = $1", {membership_id}) > 0) {
        connection.Execute(kDecrementGroup, {group_id, now});
      }
    }
    member = QueryOne(connection,
                      std::string(rows::kWorkspaceMemberSelect) +
                          "WHERE m.workspace_id = $1 AND m.user_id = $2",
                      {workspace_id, user_id}, rows::ReadWorkspaceMember);
  });
  return member;
}

bool Store::ShareWorkspace(int64_t user_id, int64_t other_user_id) {
  static constexpr std::string_view kShared =
      "SELECT COUNT(*) FROM workspace_members x JOIN workspace_members y "
      "ON y.workspace_id = x.workspace_id WHERE x.user_id = $1 AND y.user_id = $2 "
      "AND x.state = 'active' AND y.state = 'active'";
  int64_t shared = 0;
  RunStatementReads(pool_, [&](Connection& connection) {
    shared = QueryInt(connection, kShared, {user_id, other_user_id});
  });
  return shared > 0;
}

void Store::CreateApiToken(const std::string& token, const std::string& secret_hash,
                           const Account& owner, TokenScope scope) {
  static constexpr std::string_view kInsert =
      "INSERT INTO api_tokens (token, secret_hash, account_id, scope, created_at) "
      "VALUES ($1, $2, $3, $4, $5)";
  std::string scope_name = scope == TokenScope::kWorkspace ? "workspace" : "member";
  RunWrite(pool_, [&](Connection& connection) {
    connection.Execute(kInsert, {token, secret_hash, owner.id, scope_name, NowMicros()});
  });
}

namespace {

std::optional<ApiTokenRecord> SelectApiToken(Connection& connection, const std::string& token) {
  static const std::string kSql = fmt::format(
      "SELECT t.token, t.secret_hash, t.scope, t.revoked_at, {} FROM api_tokens t "
      "JOIN accounts a ON a.id = t.account_id WHERE t.token = $1",
      rows::kAccountColumns);
  return QueryOne(connection, kSql, {token}, [](const Row& row) {
    ApiTokenRecord found;
    found.token = row.GetText(0);
    found.secret_hash = row.GetText(1);
    found.scope = row.GetText(2) == "workspace" ? TokenScope::kWorkspace : TokenScope::kMember;
    found.revoked = !row.IsNull(3);
    found.owner = rows::ReadAccount(row, 4);
    return found;
  });
}

}  // namespace

std::optional<ApiTokenRecord> Store::FindApiToken(const std::string& token) {
  std::optional<ApiTokenRecord> record;
  RunStatementReads(pool_, [&](Connection& connection) { record = SelectApiToken(connection, token); });
  return record;
}

AccessRecord Store::FindAccess(const std::string& token, const std::string& workspace_username,
                               const std::function<bool(const ApiTokenRecord&)>& accept) {
  AccessRecord access;
  RunStatementReads(pool_, [&](Connection& connection) {
    access = AccessRecord{};
    access.token = SelectApiToken(connection, token);
    if (!access.token || !accept(*access.token)) return;
    access.accepted = true;
    access.workspace = SelectAccount(connection, workspace_username);
    if (!access.workspace || access.token->scope != TokenScope::kMember) return;
    access.membership = SelectMemberWhere(connection, "WHERE m.workspace_id = $1 AND m.user_id = $2",
                                          {access.workspace->id, access.token->owner.id});
  });
  return access;
}

bool Store::RevokeApiToken(const std::string& token) {
  static constexpr std::string_view kRevoke =
      "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE token = $1";
  int64_t changed = 0;
  RunWrite(pool_, [&](Connection& connection) {
    changed = connection.Execute(kRevoke, {token, NowMicros()});
  });
  return changed > 0;
}

}  // namespace roster::storage
