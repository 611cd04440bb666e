// Fuzzes the HTTP request path from raw bytes to response: Beast's request parser with the
// server's limits, fed in pieces as a network read loop would, then ToApiRequest and
// api::Router::Dispatch with authentication, the throttle and every handler, on a Store in a
// temporary SQLite file.
//
// The database is seeded once with objects whose tokens are fixed, so inputs can address
// them: workspace "acme" (Business plan) with workspace token fuzzfuzzfuzz (secret
// "fuzz-secret"), admin user fuzz_admin (account token fuzzuser0001, member API token
// fuzzmember01, same secret), group fuzzgroup001, space fuzzspace001 and data source
// fuzzsource01. Inputs change that state as they run, so an input can behave differently
// depending on the inputs before it. Replaying a saved crash starts from the fresh seed.
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unistd.h>

#include "api/router.hpp"
#include "auth/authenticator.hpp"
#include "auth/credentials.hpp"
#include "domain/names.hpp"
#include "fuzz_check.hpp"
#include "http/session.hpp"
#include "storage/open_store.hpp"

namespace {

using roster::fuzz::Check;
namespace api = roster::api;
namespace auth = roster::auth;
namespace storage = roster::storage;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

constexpr size_t kHeaderLimit = 16 * 1024;
constexpr size_t kBodyLimit = 64 * 1024;

struct Harness {
  std::filesystem::path directory;
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<auth::Authenticator> authenticator;
  std::unique_ptr<auth::AuthThrottle> throttle;
  std::unique_ptr<api::ApiServices> services;
  api::Router router = api::BuildApiRouter();
  uint64_t request_number = 0;
  bool print_status = std::getenv("FUZZ_PRINT_STATUS") != nullptr;  // for checking seeds
};

Harness* harness = nullptr;

void RemoveDatabase() {
  if (!harness) return;
  std::error_code ignored;
  std::filesystem::remove_all(harness->directory, ignored);
}

// Gives the newest row of `table` a fixed token.
void FixToken(storage::Store& store, const std::string& table, const std::string& token) {
  std::unique_ptr<storage::Connection> connection = store.database().Connect();
  connection->Execute("UPDATE " + table + " SET token = $1 WHERE id = (SELECT MAX(id) FROM " +
                          table + ")",
                      {token});
}

void Seed(storage::Store& store) {
  storage::Account workspace = store.CreateWorkspace("acme", "Acme", "business");
  store.CreateWorkspace("freews", "Free", "free");
  storage::Account admin = store.CreateUser("fuzz_admin", "Fuzz Admin", "admin@example.com");
  FixToken(store, "accounts", "fuzzuser0001");
  admin = *store.FindAccount("fuzz_admin");
  store.AddWorkspaceMember(workspace, admin, true);
  storage::Account other = store.CreateUser("fuzz_other", "Other", "other@example.com");
  store.AddWorkspaceMember(workspace, other, false);
  std::string secret_hash = auth::HashSecret("fuzz-secret");
  store.CreateApiToken("fuzzfuzzfuzz", secret_hash, workspace, storage::TokenScope::kWorkspace);
  store.CreateApiToken("fuzzmember01", secret_hash, admin, storage::TokenScope::kMember);
  store.CreateGroup(workspace.id, *roster::domain::NormalizeName("Fuzz group").value, "",
                    workspace.id);
  FixToken(store, "user_groups", "fuzzgroup001");
  store.CreateSpace(workspace.id, "Fuzz space", "", workspace.id);
  FixToken(store, "spaces", "fuzzspace001");
  store.CreateDataSource(workspace.id, "Fuzz source", "", "postgres");
  FixToken(store, "data_sources", "fuzzsource01");
}

void CheckResponse(const api::ApiResponse& response) {
  // Dispatch turns an unexpected exception into 500, so a 500 is a bug found.
  Check(response.status != 500, "no request causes an internal server error");
  Check(response.status >= 200 && response.status < 600, "the status is a valid HTTP status");
  boost::system::error_code error;
  boost::json::value body = boost::json::parse(response.body, error);
  Check(!error, "the response body is JSON");
  Check(body.is_object(), "the response body is a JSON object");
  if (response.status >= 400) {
    Check(body.as_object().contains("id"), "an error body has an id");
    Check(body.as_object().contains("message"), "an error body has a message");
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  roster::auth::InitializeCrypto();
  harness = new Harness();
  // /dev/shm keeps SQLite's fsync calls cheap where it exists.
  std::filesystem::path base = std::filesystem::exists("/dev/shm") ? "/dev/shm"
                                                                    : std::filesystem::temp_directory_path();
  harness->directory = base / ("roster-fuzz-" + std::to_string(getpid()));
  std::filesystem::create_directories(harness->directory);
  std::atexit(RemoveDatabase);
  harness->store = storage::OpenStore((harness->directory / "roster.db").string(), 2);
  Seed(*harness->store);
  harness->authenticator = std::make_unique<auth::Authenticator>(*harness->store);
  harness->throttle = std::make_unique<auth::AuthThrottle>(auth::FailureLimit{}, 100);
  harness->services = std::make_unique<api::ApiServices>(
      api::ApiServices{*harness->store, *harness->authenticator, harness->throttle.get(), nullptr});
  return 0;
}

namespace {

// Delivers an input to a parser the way Beast's read loop does over a stream that returns at
// most `piece` bytes per read (0: everything at once): bytes the parser did not use stay
// pending, and after need_more the next piece is appended before put() runs again.
class PieceFeeder {
 public:
  PieceFeeder(std::string_view input, size_t piece) : input_(input), piece_(piece) {}

  // Runs `parser` until its header is done (`header_only`) or the message is done; returns
  // the parse error, if any. At the end of the input it calls put_eof, as a read loop does at
  // the end of the stream.
  beast::error_code Run(bhttp::request_parser<bhttp::string_body>& parser, bool header_only) {
    beast::error_code error;
    while (!(header_only ? parser.is_header_done() : parser.is_done())) {
      if (pending_.empty() || need_more_) {
        if (next_ == input_.size()) {
          if (!parser.got_some()) return bhttp::error::end_of_stream;
          parser.put_eof(error);
          return error;
        }
        size_t take = input_.size() - next_;
        if (piece_ > 0 && piece_ < take) take = piece_;
        pending_.append(input_.substr(next_, take));
        next_ += take;
        need_more_ = false;
      }
      size_t used = parser.put(boost::asio::buffer(pending_), error);
      pending_.erase(0, used);
      if (error == bhttp::error::need_more || (!error && used == 0)) {
        error = {};
        need_more_ = true;
        continue;
      }
      if (error) return error;
    }
    return error;
  }

 private:
  std::string_view input_;
  size_t piece_;
  size_t next_ = 0;
  std::string pending_;
  bool need_more_ = false;
};

}  // namespace

// Input: the first byte is the read size in bytes (0: the whole input at once); the rest is
// what the client sends.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  PieceFeeder feeder(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1),
                     data[0]);
  // The same steps as the server's session: the header without a body limit, then the
  // Content-Length check, then the body under the limit.
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(kHeaderLimit);
  parser.body_limit(boost::none);
  parser.eager(false);
  if (feeder.Run(parser, true)) return 0;

  bool body_too_large = false;
  auto length = parser.content_length();
  if (length && *length > kBodyLimit) {
    body_too_large = true;
  } else if (!parser.is_done()) {
    parser.body_limit(kBodyLimit);
    parser.eager(true);
    beast::error_code error = feeder.Run(parser, false);
    body_too_large = error == bhttp::error::body_limit;
    if (error && !body_too_large) return 0;
  }

  api::ApiRequest request = roster::http::ToApiRequest(parser.get(), "192.0.2.1");
  request.body_too_large = body_too_large;
  request.request_id = "fuzz-" + std::to_string(++harness->request_number);
  api::ApiResponse response = harness->router.Dispatch(*harness->services, request);
  if (harness->print_status) {
    std::fprintf(stderr, "%s %s -> %u\n", request.method.c_str(), request.path.c_str(),
                 response.status);
  }
  CheckResponse(response);
  return 0;
}
