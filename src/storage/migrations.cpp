#include "storage/migrations.hpp"

#include "domain/timestamps.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <chrono>
#include <fmt/format.h>
#include <string>

namespace roster::storage {
namespace {

// Each migration's SQL is shared by the engines. "{id}" stands for the engine's auto-numbered
// primary key column type; everything else is SQL that SQLite and PostgreSQL both accept.
// Booleans are INTEGER 0/1 and times are INTEGER microseconds since the Unix epoch.
constexpr std::string_view kInitialSchema = R"sql(
CREATE TABLE accounts (
  id {id},
  username TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('user', 'workspace')),
  name TEXT NOT NULL,
  email TEXT NOT NULL DEFAULT '',
  token TEXT NOT NULL UNIQUE,
  plan TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL
);
CREATE TABLE workspace_members (
  id {id},
  workspace_id BIGINT NOT NULL REFERENCES accounts (id),
  user_id BIGINT NOT NULL REFERENCES accounts (id),
  admin INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('active', 'deactivated')),
  managed_by_scim INTEGER NOT NULL DEFAULT 0,
  activated_at BIGINT NOT NULL,
  UNIQUE (workspace_id, user_id)
);
CREATE INDEX workspace_members_by_user ON workspace_members (user_id);
CREATE TABLE api_tokens (
  token TEXT PRIMARY KEY,
  secret_hash TEXT NOT NULL,
  account_id BIGINT NOT NULL REFERENCES accounts (id),
  scope TEXT NOT NULL CHECK (scope IN ('workspace', 'member')),
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
);
CREATE TABLE user_groups (
  id {id},
  workspace_id BIGINT NOT NULL REFERENCES accounts (id),
  token TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  name_key TEXT NOT NULL,
  description TEXT NOT NULL,
  managed INTEGER NOT NULL DEFAULT 0,
  creator_id BIGINT NOT NULL REFERENCES accounts (id),
  member_count BIGINT NOT NULL DEFAULT 0,
  spaces_count BIGINT NOT NULL DEFAULT 0,
  data_sources_count BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (workspace_id, name_key)
);
CREATE INDEX user_groups_listing ON user_groups (workspace_id, created_at, token);
CREATE TABLE group_memberships (
  id {id},
  token TEXT NOT NULL UNIQUE,
  group_id BIGINT NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
  user_id BIGINT NOT NULL REFERENCES accounts (id),
  creator_id BIGINT NOT NULL REFERENCES accounts (id),
  created_at BIGINT NOT NULL,
  UNIQUE (group_id, user_id)
);
CREATE INDEX group_memberships_listing ON group_memberships (group_id, created_at, token);
CREATE INDEX group_memberships_by_user ON group_memberships (user_id);
CREATE TABLE spaces (
  id {id},
  workspace_id BIGINT NOT NULL REFERENCES accounts (id),
  token TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  creator_id BIGINT NOT NULL REFERENCES accounts (id),
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX spaces_listing ON spaces (workspace_id, created_at, token);
CREATE TABLE data_sources (
  id {id},
  workspace_id BIGINT NOT NULL REFERENCES accounts (id),
  token TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  adapter TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX data_sources_listing ON data_sources (workspace_id, created_at, token);
CREATE TABLE permissions (
  id {id},
  token TEXT NOT NULL UNIQUE,
  workspace_id BIGINT NOT NULL REFERENCES accounts (id),
  target_type TEXT NOT NULL CHECK (target_type IN ('space', 'data_source')),
  target_id BIGINT NOT NULL,
  accessor_type TEXT NOT NULL CHECK (accessor_type IN ('Account', 'UserGroup')),
  accessor_id BIGINT NOT NULL,
  action TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (target_type, target_id, accessor_type, accessor_id)
);
CREATE INDEX permissions_listing ON permissions (target_type, target_id, created_at, token);
CREATE INDEX permissions_by_accessor ON permissions (accessor_type, accessor_id);
)sql";

// Each workspace's group count, kept in a few slots per workspace. Every create or delete
// changes one slot, chosen by the group's token, so concurrent writers on PostgreSQL rarely
// wait for the same row lock. The count is the sum of the slots.
constexpr std::string_view kGroupCounts = R"sql(
CREATE TABLE workspace_group_counts (
  workspace_id BIGINT NOT NULL REFERENCES accounts (id),
  slot INTEGER NOT NULL,
  group_count BIGINT NOT NULL,
  PRIMARY KEY (workspace_id, slot)
);
INSERT INTO workspace_group_counts (workspace_id, slot, group_count)
  SELECT workspace_id, 0, COUNT(*) FROM user_groups GROUP BY workspace_id;
)sql";

constexpr std::array<Migration, 2> kMigrations = {{
    {1, "accounts, tokens, groups, memberships, spaces, data sources, permissions",
     kInitialSchema},
    {2, "group counts per workspace", kGroupCounts},
}};

std::string ForEngine(const Database& database, std::string_view sql) {
  std::string text(sql);
  std::string_view id = database.IdColumnType();
  for (size_t at = text.find("{id}"); at != std::string::npos; at = text.find("{id}", at)) {
    text.replace(at, 4, id);
  }
  return text;
}

constexpr std::string_view kCreateSchemaMigrations =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at BIGINT NOT NULL)";

// How long one migration statement, or the wait for another instance's migration lock, may
// take.
constexpr std::chrono::milliseconds kMigrationStatementTimeout{5 * 60 * 1000};

int ReadVersion(Connection& connection) {
  int64_t version = 0;
  connection.Execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {},
                     [&](const Row& row) { version = row.GetInt(0); });
  return static_cast<int>(version);
}

}  // namespace

int LatestSchemaVersion() { return kMigrations.back().version; }

int Migrate(Database& database) {
  std::unique_ptr<Connection> connection = database.Connect();
  // A second instance waits for the migration lock while the first one migrates.
  connection->SetStatementTimeout(kMigrationStatementTimeout);
  for (const Migration& migration : kMigrations) {
    connection->BeginWrite();
    try {
      // The lock comes first, so that instances starting together on an empty database do
      // not race to create schema_migrations either.
      if (!database.MigrationLockSql().empty()) {
        connection->Execute(database.MigrationLockSql(), {});
      }
      connection->ExecuteScript(kCreateSchemaMigrations);
      int current = ReadVersion(*connection);
      if (current > LatestSchemaVersion()) {
        throw StoreError(StoreErrorCode::kInternal,
                         fmt::format("the database schema is version {}, but this roster binary "
                                     "supports versions up to {}; run a newer roster binary",
                                     current, LatestSchemaVersion()));
      }
      if (current >= migration.version) {
        connection->Rollback();
        continue;
      }
      connection->ExecuteScript(ForEngine(database, migration.sql));
      connection->Execute(
          "INSERT INTO schema_migrations (version, description, applied_at) VALUES ($1, $2, $3)",
          {int64_t{migration.version}, std::string(migration.description), domain::NowMicros()});
      connection->Commit();
      spdlog::info("applied schema migration {}: {}", migration.version, migration.description);
    } catch (...) {
      connection->Rollback();
      throw;
    }
  }
  return ReadVersion(*connection);
}

}  // namespace roster::storage
