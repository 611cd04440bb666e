// Versioned schema migrations, one list for every engine.
#pragma once

#include "storage/database.hpp"

namespace roster::storage {

// The schema version this binary reads and writes.
int LatestSchemaVersion();

// Applies every pending migration in order, each in its own transaction under the engine's
// migration lock (so concurrent starts migrate once), and returns the schema version
// afterwards. Throws StoreError(kInternal) when the database's schema is newer than this
// binary, so that an old binary never writes to a newer schema.
int Migrate(Database& database);

}  // namespace roster::storage
