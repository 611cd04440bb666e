// Opens the Store that a --db value names.
#pragma once

#include <memory>
#include <string>

#include "storage/store.hpp"

namespace roster::storage {

// Opens a PostgreSQL database for a postgresql:// or postgres:// URL and a SQLite file for
// anything else (creating its parent folder), applies pending migrations, and returns the
// Store. Throws StoreError when the database cannot be opened or is newer than this binary.
std::unique_ptr<Store> OpenStore(const std::string& location, size_t pool_size);

// Whether `location` names a PostgreSQL database.
bool IsPostgresLocation(const std::string& location);

}  // namespace roster::storage
