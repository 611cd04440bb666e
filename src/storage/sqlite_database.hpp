// The embedded SQLite engine: WAL journal, synchronous=FULL, foreign keys on.
#pragma once

#include <string>

#include "storage/database.hpp"

namespace roster::storage {

class SqliteDatabase : public Database {
 public:
  // Opens (and creates) the database file at `path`; the parent folder must exist.
  explicit SqliteDatabase(std::string path);

  std::unique_ptr<Connection> Connect() override;
  std::string_view EngineName() const override { return "sqlite"; }
  std::string DisplayName() const override { return path_; }
  std::string_view IdColumnType() const override { return "INTEGER PRIMARY KEY"; }
  std::string_view MigrationLockSql() const override { return ""; }
  bool SerializesWriters() const override { return true; }

 private:
  std::string path_;
};

}  // namespace roster::storage
