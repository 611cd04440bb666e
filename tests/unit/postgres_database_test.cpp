// Tests of the PostgreSQL engine and the connection pool on a real PostgreSQL server.
//
// The tests that need a server run when ROSTER_TEST_PG_ADMIN_URL names one
// (postgresql://postgres@127.0.0.1:PORT/postgres, see scripts/start-postgres.sh); each gets a
// database of its own. Without it they are skipped.
#include "storage/postgres_database.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <thread>

namespace roster::storage {
namespace {

using namespace std::chrono_literals;

std::string AdminUrl() {
  const char* url = std::getenv("ROSTER_TEST_PG_ADMIN_URL");
  return url ? url : "";
}

int64_t QueryInt(Connection& connection, std::string_view sql, const Params& params = {}) {
  int64_t value = 0;
  connection.Execute(sql, params, [&](const Row& row) { value = row.GetInt(0); });
  return value;
}

// Returns a loopback port that nothing listens on (it was free a moment ago).
int ClosedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t size = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  ::close(fd);
  return ntohs(address.sin_port);
}

class PostgresEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    admin_url_ = AdminUrl();
    if (admin_url_.empty()) GTEST_SKIP() << "ROSTER_TEST_PG_ADMIN_URL is not set";
    admin_ = std::make_unique<PostgresDatabase>(admin_url_);
    std::random_device random;
    database_name_ = "roster_unit_" + std::to_string(random()) + std::to_string(::getpid());
    admin_->Connect()->ExecuteScript("CREATE DATABASE " + database_name_);
    std::string url = admin_url_.substr(0, admin_url_.rfind('/') + 1) + database_name_;
    database_ = std::make_unique<PostgresDatabase>(url);
  }

  void TearDown() override {
    if (!admin_) return;
    admin_->Connect()->ExecuteScript("DROP DATABASE IF EXISTS " + database_name_ +
                                     " WITH (FORCE)");
  }

  // Waits until the server has no session with process id `pid` left.
  void WaitForSessionEnd(int64_t pid) {
    auto admin = admin_->Connect();
    for (int i = 0; i < 500; ++i) {
      if (QueryInt(*admin, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", {pid}) == 0) {
        return;
      }
      std::this_thread::sleep_for(10ms);
    }
    FAIL() << "session " << pid << " did not end";
  }

  std::string admin_url_;
  std::string database_name_;
  std::unique_ptr<PostgresDatabase> admin_;
  std::unique_ptr<PostgresDatabase> database_;
};

TEST_F(PostgresEngineTest, ParametersRoundTrip) {
  auto connection = database_->Connect();
  connection->ExecuteScript("CREATE TABLE t (number BIGINT, name TEXT, note TEXT)");
  int64_t changed = connection->Execute("INSERT INTO t VALUES ($1, $2, $3)",
                                        {INT64_MIN, std::string("Caf\u00e9 \u2603"), Value{}});
  EXPECT_EQ(changed, 1);
  int rows = 0;
  connection->Execute("SELECT number, name, note FROM t", {}, [&](const Row& row) {
    ++rows;
    EXPECT_EQ(row.GetInt(0), INT64_MIN);
    EXPECT_EQ(row.GetText(1), "Caf\u00e9 \u2603");
    EXPECT_TRUE(row.IsNull(2));
  });
  EXPECT_EQ(rows, 1);
}

TEST_F(PostgresEngineTest, UniqueViolationIsConflict) {
  auto connection = database_->Connect();
  connection->ExecuteScript("CREATE TABLE t (name TEXT UNIQUE)");
  connection->Execute("INSERT INTO t VALUES ($1)", {std::string("a")});
  try {
    connection->Execute("INSERT INTO t VALUES ($1)", {std::string("a")});
    FAIL() << "expected a conflict";
  } catch (const StoreError& error) {
    EXPECT_EQ(error.code(), StoreErrorCode::kConflict);
    EXPECT_FALSE(connection->IsBroken());
  }
}

TEST_F(PostgresEngineTest, StatementTimeoutIsUnavailable) {
  auto connection = database_->Connect();
  connection->SetStatementTimeout(100ms);
  try {
    connection->Execute("SELECT pg_sleep(5)", {});
    FAIL() << "expected a statement timeout";
  } catch (const StoreError& error) {
    EXPECT_EQ(error.code(), StoreErrorCode::kUnavailable);
    EXPECT_EQ(error.fault(), ConnectionFault::kNone);
    EXPECT_NE(std::string(error.what()).find("57014"), std::string::npos) << error.what();
  }
}

TEST_F(PostgresEngineTest, TerminatedIdleConnectionIsReplaced) {
  ConnectionPool pool(*database_, 2, 5s);
  int64_t first_pid = 0;
  RunRead(pool, [&](Connection& c) { first_pid = QueryInt(c, "SELECT pg_backend_pid()"); });
  auto admin = admin_->Connect();
  admin->Execute("SELECT pg_terminate_backend($1::integer)", {first_pid});
  WaitForSessionEnd(first_pid);

  int64_t second_pid = 0;
  EXPECT_NO_THROW(
      RunRead(pool, [&](Connection& c) { second_pid = QueryInt(c, "SELECT pg_backend_pid()"); }));
  EXPECT_NE(second_pid, 0);
  EXPECT_NE(second_pid, first_pid);
}

TEST_F(PostgresEngineTest, CheckAliveSeesTerminatedSession) {
  auto connection = database_->Connect();
  EXPECT_TRUE(connection->CheckAlive());
  int64_t pid = QueryInt(*connection, "SELECT pg_backend_pid()");
  admin_->Connect()->Execute("SELECT pg_terminate_backend($1::integer)", {pid});
  WaitForSessionEnd(pid);
  EXPECT_FALSE(connection->CheckAlive());
  EXPECT_TRUE(connection->IsBroken());
}

TEST_F(PostgresEngineTest, SerializationFailureIsRetried) {
  ConnectionPool pool(*database_, 2, 5s);
  int attempts = 0;
  RunWrite(pool, [&](Connection& c) {
    ++attempts;
    if (attempts == 1) {
      c.ExecuteScript("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$");
    }
  });
  EXPECT_EQ(attempts, 2);
}

TEST_F(PostgresEngineTest, RetriesStopAfterThreeAttempts) {
  ConnectionPool pool(*database_, 2, 5s);
  int attempts = 0;
  try {
    RunWrite(pool, [&](Connection& c) {
      ++attempts;
      c.ExecuteScript("DO $$ BEGIN RAISE EXCEPTION 'deadlock' USING ERRCODE = '40P01'; END $$");
    });
    FAIL() << "expected the last attempt's error";
  } catch (const StoreError& error) {
    EXPECT_EQ(error.code(), StoreErrorCode::kRetry);
  }
  EXPECT_EQ(attempts, 3);
}

TEST(PostgresPool, UnreachableServerFailsAtOnceAfterFirstAttempt) {
  PostgresDatabase database("postgresql://postgres@127.0.0.1:" + std::to_string(ClosedPort()) +
                            "/postgres");
  ConnectionPool pool(database, 2, 5s);
  try {
    pool.Acquire();
    FAIL() << "expected the connection to fail";
  } catch (const StoreError& error) {
    EXPECT_EQ(error.code(), StoreErrorCode::kUnavailable);
    EXPECT_NE(std::string(error.what()).find("cannot connect"), std::string::npos);
  }
  // Within kConnectRetryDelay of the failure, the pool does not try the network again.
  try {
    pool.Acquire();
    FAIL() << "expected the pool to fail at once";
  } catch (const StoreError& error) {
    EXPECT_EQ(error.code(), StoreErrorCode::kUnavailable);
    EXPECT_NE(std::string(error.what()).find("last attempt"), std::string::npos) << error.what();
  }
}

TEST(PostgresDatabaseName, HidesPasswords) {
  EXPECT_EQ(PostgresDatabase("postgresql://roster:s3cret@db:5432/roster").DisplayName(),
            "postgresql://roster:***@db:5432/roster");
  EXPECT_EQ(PostgresDatabase("postgresql://db/roster?user=r&password=s3cret&sslmode=require")
                .DisplayName(),
            "postgresql://db/roster?user=r&password=***&sslmode=require");
  EXPECT_EQ(PostgresDatabase("postgresql://db/roster").DisplayName(), "postgresql://db/roster");
}

}  // namespace
}  // namespace roster::storage
