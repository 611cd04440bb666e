/* The durable write limit of this machine: inserts one row per transaction into a table shaped
 * like user_groups, with the pragmas Roster uses (WAL, synchronous=FULL), and prints the rate.
 *
 * usage: durable_insert DB_PATH SECONDS MAX_ROWS
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void check(int rc, sqlite3 *db, const char *what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    fprintf(stderr, "durable_insert: %s failed: %s\n", what, sqlite3_errmsg(db));
    exit(1);
  }
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: durable_insert DB_PATH SECONDS MAX_ROWS\n");
    return 2;
  }
  double seconds = atof(argv[2]);
  long max_rows = atol(argv[3]);
  sqlite3 *db;
  check(sqlite3_open(argv[1], &db), db, "open");
  check(sqlite3_exec(db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                     "CREATE TABLE IF NOT EXISTS user_groups (id INTEGER PRIMARY KEY,"
                     " workspace_id BIGINT NOT NULL, token TEXT NOT NULL UNIQUE,"
                     " name TEXT NOT NULL, name_key TEXT NOT NULL, description TEXT NOT NULL,"
                     " managed INTEGER NOT NULL DEFAULT 0, creator_id BIGINT NOT NULL,"
                     " member_count BIGINT NOT NULL DEFAULT 0,"
                     " spaces_count BIGINT NOT NULL DEFAULT 0,"
                     " data_sources_count BIGINT NOT NULL DEFAULT 0,"
                     " created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,"
                     " UNIQUE (workspace_id, name_key));"
                     "CREATE INDEX IF NOT EXISTS user_groups_listing"
                     " ON user_groups (workspace_id, created_at, token);",
                     NULL, NULL, NULL),
        db, "schema");
  sqlite3_stmt *insert;
  check(sqlite3_prepare_v2(db,
                           "INSERT INTO user_groups (workspace_id, token, name, name_key,"
                           " description, creator_id, created_at, updated_at)"
                           " VALUES (1, ?1, ?2, ?2, '', 1, ?3, ?3)",
                           -1, &insert, NULL),
        db, "prepare");
  double start = now_seconds();
  long rows = 0;
  char token[32], name[64];
  while (rows < max_rows && now_seconds() - start < seconds) {
    snprintf(token, sizeof token, "r%011ld", rows);
    snprintf(name, sizeof name, "reference group %ld", rows);
    check(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), db, "begin");
    sqlite3_bind_text(insert, 1, token, -1, SQLITE_STATIC);
    sqlite3_bind_text(insert, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(insert, 3, (sqlite3_int64)(now_seconds() * 1e6));
    check(sqlite3_step(insert), db, "insert");
    sqlite3_reset(insert);
    check(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), db, "commit");
    ++rows;
  }
  double elapsed = now_seconds() - start;
  printf("{\"rows\": %ld, \"seconds\": %.3f, \"inserts_per_second\": %.1f}\n", rows, elapsed,
         rows / elapsed);
  sqlite3_finalize(insert);
  sqlite3_close(db);
  return 0;
}
