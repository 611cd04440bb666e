#include "storage/open_store.hpp"

#include <filesystem>

#include "storage/migrations.hpp"
#include "storage/postgres_database.hpp"
#include "storage/sqlite_database.hpp"

namespace roster::storage {

// How long a request waits for a free pooled connection before it fails with 503.
constexpr std::chrono::milliseconds kPoolAcquireWait{5000};

bool IsPostgresLocation(const std::string& location) {
  return location.starts_with("postgresql://") || location.starts_with("postgres://");
}

std::unique_ptr<Store> OpenStore(const std::string& location, size_t pool_size) {
  std::unique_ptr<Database> database;
  if (IsPostgresLocation(location)) {
    database = std::make_unique<PostgresDatabase>(location);
  } else {
    std::filesystem::path parent = std::filesystem::path(location).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    database = std::make_unique<SqliteDatabase>(location);
  }
  Migrate(*database);
  return std::make_unique<Store>(std::move(database), pool_size, kPoolAcquireWait);
}

}  // namespace roster::storage
