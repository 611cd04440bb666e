// Fills one workspace with many users, groups and memberships through the storage layer, in
// large transactions, for the benchmark's scale set; writes the credentials and sample tokens
// that the wrk scripts read.
//
// usage: roster_bench_loader --db DB --workspace SLUG --groups N --users N
//            --memberships-per-user N --big-group-members N --out DIR
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "auth/credentials.hpp"
#include "domain/timestamps.hpp"
#include "domain/tokens.hpp"
#include "storage/open_store.hpp"

namespace {

using roster::storage::Connection;
using roster::storage::Params;

// Rows per transaction: large enough that fsync cost vanishes, small enough for the WAL.
constexpr int64_t kRowsPerTransaction = 50000;

// Runs `insert(i)` for i in [0, count) in transactions of kRowsPerTransaction rows.
template <class Insert>
void InsertInBatches(Connection& connection, int64_t count, std::string_view what,
                     Insert insert) {
  auto started = std::chrono::steady_clock::now();
  for (int64_t first = 0; first < count; first += kRowsPerTransaction) {
    connection.BeginWrite();
    int64_t last = std::min(count, first + kRowsPerTransaction);
    for (int64_t i = first; i < last; ++i) insert(i);
    connection.Commit();
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  spdlog::info("inserted {} {} in {:.1f} s", count, what, seconds);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Fill a Roster workspace for the benchmark's scale set"};
  std::string db, slug = "bench", out = "bench-data";
  int64_t groups = 1000, users = 100, per_user = 5, big_group_members = 0;
  app.add_option("--db", db, "SQLite file or postgresql:// URL")->required();
  app.add_option("--workspace", slug, "Workspace to create or fill");
  app.add_option("--groups", groups, "Groups to insert");
  app.add_option("--users", users, "Users to insert, each an active member");
  app.add_option("--memberships-per-user", per_user, "Groups each user joins");
  app.add_option("--big-group-members", big_group_members,
                 "Extra members of the first group (the large-group scenario)");
  app.add_option("--out", out, "Folder for credentials.json, groups.txt, users.txt");
  CLI11_PARSE(app, argc, argv);

  roster::auth::InitializeCrypto();
  auto store = roster::storage::OpenStore(db, 2);
  auto workspace = store->FindAccount(slug);
  if (!workspace) workspace = store->CreateWorkspace(slug, slug, "business");
  std::string token = roster::domain::NewToken();
  std::string secret = roster::auth::NewSecret();
  store->CreateApiToken(token, roster::auth::HashSecret(secret), *workspace,
                        roster::storage::TokenScope::kWorkspace);

  std::filesystem::create_directories(out);
  std::ofstream(std::filesystem::path(out) / "credentials.json")
      << fmt::format("{{\"token\": \"{}\", \"secret\": \"{}\"}}\n", token, secret);
  std::ofstream group_file(std::filesystem::path(out) / "groups.txt");
  std::ofstream user_file(std::filesystem::path(out) / "users.txt");

  auto connection = store->database().Connect();
  int64_t now = roster::domain::NowMicros();
  int64_t workspace_id = workspace->id;
  std::string prefix = roster::domain::NewToken().substr(0, 4);
  std::vector<int64_t> user_ids(users);
  InsertInBatches(*connection, users, "users", [&](int64_t i) {
    std::string user_token = roster::domain::NewToken();
    std::string username = fmt::format("u{}_{}", prefix, i);
    connection->Execute(
        "INSERT INTO accounts (username, kind, name, email, token, created_at) "
        "VALUES ($1, 'user', $1, '', $2, $3)",
        {username, user_token, now});
    connection->Execute("SELECT id FROM accounts WHERE token = $1", {user_token},
                        [&](const roster::storage::Row& row) { user_ids[i] = row.GetInt(0); });
    connection->Execute(
        "INSERT INTO workspace_members (workspace_id, user_id, admin, state, activated_at) "
        "VALUES ($1, $2, 0, 'active', $3)",
        {workspace_id, user_ids[i], now});
    // The last users are outside the big group, so adding them to it inserts rows.
    if (i >= users - 10000) user_file << user_token << "\n";
  });
  std::vector<int64_t> group_ids(groups);
  InsertInBatches(*connection, groups, "groups", [&](int64_t i) {
    std::string group_token = roster::domain::NewToken();
    std::string name = fmt::format("group {} {}", prefix, i);
    connection->Execute(
        "INSERT INTO user_groups (workspace_id, token, name, name_key, description, creator_id, "
        "created_at, updated_at) VALUES ($1, $2, $3, $3, '', $1, $4, $4)",
        {workspace_id, group_token, name, now + i});
    connection->Execute("SELECT id FROM user_groups WHERE token = $1", {group_token},
                        [&](const roster::storage::Row& row) { group_ids[i] = row.GetInt(0); });
    if (i == 0 || (i % std::max<int64_t>(1, groups / 1000) == 0)) group_file << group_token << "\n";
  });
  auto add_membership = [&](int64_t group_index, int64_t user_index) {
    connection->Execute(
        "INSERT INTO group_memberships (token, group_id, user_id, creator_id, created_at) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (group_id, user_id) DO NOTHING",
        {roster::domain::NewToken(), group_ids[group_index], user_ids[user_index], workspace_id,
         now});
  };
  if (groups > 0 && users > 0) {
    InsertInBatches(*connection, users * per_user, "memberships", [&](int64_t i) {
      int64_t user_index = i / per_user;
      add_membership((user_index * per_user + i % per_user) % groups, user_index);
    });
    InsertInBatches(*connection, std::min(big_group_members, users), "big-group memberships",
                    [&](int64_t i) { add_membership(0, i); });
    connection->BeginWrite();
    connection->Execute(
        "UPDATE user_groups SET member_count = (SELECT COUNT(*) FROM group_memberships m "
        "WHERE m.group_id = user_groups.id) WHERE workspace_id = $1",
        {workspace_id});
    connection->Commit();
  }
  // The rows above bypass the store, so the workspace's group count is set here in one slot.
  connection->BeginWrite();
  connection->Execute("DELETE FROM workspace_group_counts WHERE workspace_id = $1",
                      {workspace_id});
  connection->Execute(
      "INSERT INTO workspace_group_counts (workspace_id, slot, group_count) "
      "SELECT $1, 0, COUNT(*) FROM user_groups WHERE workspace_id = $1",
      {workspace_id});
  connection->Commit();
  spdlog::info("workspace {} is filled; credentials in {}/credentials.json", slug, out);
  return 0;
}
