#include "cli/commands.hpp"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <fmt/format.h>
#include <iostream>
#include <thread>

#include "api/router.hpp"
#include "auth/authenticator.hpp"
#include "auth/credentials.hpp"
#include "domain/names.hpp"
#include "domain/tokens.hpp"
#include "domain/validation.hpp"
#include "http/server.hpp"
#include "http/server_flags.hpp"
#include "storage/migrations.hpp"
#include "storage/open_store.hpp"

namespace roster::cli {
namespace json = boost::json;

namespace {

// A command-line failure: printed as one line on stderr, exit code 1.
struct CommandError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string DefaultDatabase() {
  const char* from_env = std::getenv("ROSTER_DB");
  return from_env && *from_env ? from_env : "./data/roster.db";
}

void PrintJson(const json::value& value) { std::cout << json::serialize(value) << std::endl; }

json::object AccountJson(const storage::Account& account) {
  json::object out{{"username", account.username}, {"name", account.name},
                   {"token", account.token}};
  if (account.is_workspace) {
    out["plan"] = account.plan;
  } else {
    out["email"] = account.email;
  }
  return out;
}

std::string CheckedUsername(const std::string& username, std::string_view what) {
  auto checked = domain::CheckUsername(username);
  if (!checked.ok()) throw CommandError(fmt::format("invalid {} \"{}\": {}", what, username, checked.problem));
  return *checked.value;
}

storage::Account RequireAccount(storage::Store& store, const std::string& username,
                                bool workspace) {
  auto account = store.FindAccount(username);
  if (!account || account->is_workspace != workspace) {
    throw CommandError(fmt::format("{} \"{}\" not found", workspace ? "workspace" : "user",
                                   username));
  }
  return *account;
}

// Runs `create` and turns a uniqueness conflict into a readable error.
template <class Create>
auto CreateAccount(const std::string& username, Create create) {
  try {
    return create();
  } catch (const storage::StoreError& error) {
    if (error.code() == storage::StoreErrorCode::kConflict) {
      throw CommandError(fmt::format("username \"{}\" is already taken", username));
    }
    throw;
  }
}

json::object IssueToken(storage::Store& store, const storage::Account& owner,
                        storage::TokenScope scope) {
  std::string token = domain::NewToken();
  std::string secret = auth::NewSecret();
  store.CreateApiToken(token, auth::HashSecret(secret), owner, scope);
  return json::object{{"token", token}, {"secret", secret}};
}

http::ServerOptions ParseListen(const std::string& listen, int threads) {
  http::ServerOptions options;
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) throw CommandError("--listen must be HOST:PORT, got " + listen);
  options.host = listen.substr(0, colon);
  if (options.host.size() > 2 && options.host.front() == '[') {
    options.host = options.host.substr(1, options.host.size() - 2);
  }
  auto port = domain::ParsePositiveInt(listen.substr(colon + 1), 65535);
  if (!port && listen.substr(colon + 1) != "0") {
    throw CommandError("--listen port must be 0 to 65535, got " + listen.substr(colon + 1));
  }
  options.port = static_cast<uint16_t>(port.value_or(0));
  options.threads = threads;
  return options;
}

void Serve(storage::Store& store, http::ServerOptions options) {
  auth::Authenticator authenticator(store);
  api::ApiServices services{store, authenticator};
  api::Router router = api::BuildApiRouter();
  http::Server server(options, services, router);
  server.Listen();
  int threads = http::ThreadCount(options.threads);
  spdlog::info("roster listening on {}://{}:{} with {} threads, database {} ({})",
               options.tls_enabled() ? "https" : "http",
               options.host.find(':') == std::string::npos ? options.host : "[" + options.host + "]",
               server.port(), threads, store.database().DisplayName(),
               store.database().EngineName());
  server.Run();
}

// The demo workspace, its admin user and a fresh workspace token, created on first use.
void RunDemo(storage::Store& store, const http::ServerOptions& options) {
  auto workspace = store.FindAccount("acme");
  if (!workspace) workspace = store.CreateWorkspace("acme", "Acme Analytics", "business");
  auto admin = store.FindAccount("acme_admin");
  if (!admin) admin = store.CreateUser("acme_admin", "Acme Admin", "admin@acme.example");
  store.AddWorkspaceMember(*workspace, *admin, true);
  json::object credentials = IssueToken(store, *workspace, storage::TokenScope::kWorkspace);
  std::string token(credentials["token"].as_string());
  std::string secret(credentials["secret"].as_string());
  std::string base = fmt::format("http://{}:{}", options.host, options.port);
  std::cout << "Demo workspace: acme (Business plan), admin user: acme_admin\n"
            << "API token:  " << token << "\nAPI secret: " << secret << "\n"
            << "Try:\n  curl -u " << token << ":" << secret
            << " -H 'Accept: application/hal+json' " << base << "/api/acme/groups\n"
            << std::endl;
}

}  // namespace

int RunCommandLine(int argc, char** argv) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("roster"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");

  CLI::App app{"Roster: Mode's workspace management API for groups, self-hosted"};
  app.require_subcommand(1);
  std::string db = DefaultDatabase();
  app.add_option("--db", db, "SQLite file or postgresql:// URL (default: $ROSTER_DB or ./data/roster.db)");

  std::string slug, username, name, email, plan = "business", adapter = "postgres", description;
  std::string token_workspace, token_user, token, listen = "127.0.0.1:8080";
  bool admin = false, managed = false;
  int threads = 0;

  auto* workspace = app.add_subcommand("workspace", "Manage workspaces")->require_subcommand(1);
  auto* workspace_create = workspace->add_subcommand("create", "Create a workspace");
  workspace_create->add_option("SLUG", slug, "Workspace username")->required();
  workspace_create->add_option("--name", name, "Display name (default: the slug)");
  workspace_create->add_option("--plan", plan, "Plan")->check(CLI::IsMember({"business", "free"}));

  auto* user = app.add_subcommand("user", "Manage users")->require_subcommand(1);
  auto* user_create = user->add_subcommand("create", "Create a user");
  user_create->add_option("USERNAME", username, "User's username")->required();
  user_create->add_option("--name", name, "Display name (default: the username)");
  user_create->add_option("--email", email, "E-mail address");

  auto* member = app.add_subcommand("member", "Manage workspace memberships")->require_subcommand(1);
  auto* member_add = member->add_subcommand("add", "Add a user to a workspace, or reactivate them");
  member_add->add_option("SLUG", slug, "Workspace username")->required();
  member_add->add_option("USERNAME", username, "User's username")->required();
  member_add->add_flag("--admin", admin, "Make the user an admin of the workspace");
  auto* member_deactivate = member->add_subcommand(
      "deactivate", "Deactivate a membership and remove the user from the workspace's groups");
  member_deactivate->add_option("SLUG", slug, "Workspace username")->required();
  member_deactivate->add_option("USERNAME", username, "User's username")->required();

  auto* token_cmd = app.add_subcommand("token", "Manage API tokens")->require_subcommand(1);
  auto* token_create = token_cmd->add_subcommand("create", "Create an API token and print its secret");
  auto* for_workspace = token_create->add_option("--workspace", token_workspace, "Workspace the token administers");
  auto* for_user = token_create->add_option("--user", token_user, "User the token acts as");
  for_workspace->excludes(for_user);
  for_user->excludes(for_workspace);
  auto* token_revoke = token_cmd->add_subcommand("revoke", "Revoke an API token");
  token_revoke->add_option("TOKEN", token, "API token")->required();

  auto* group = app.add_subcommand("group", "Manage groups outside the API")->require_subcommand(1);
  auto* group_create = group->add_subcommand(
      "create", "Create a group; --managed marks it as provisioned by an identity provider");
  group_create->add_option("SLUG", slug, "Workspace username")->required();
  group_create->add_option("NAME", name, "Group name")->required();
  group_create->add_flag("--managed", managed, "Mark the group as managed (read-only over the API)");

  auto* source = app.add_subcommand("data-source", "Manage data sources")->require_subcommand(1);
  auto* source_add = source->add_subcommand("add", "Register a data source");
  source_add->add_option("SLUG", slug, "Workspace username")->required();
  source_add->add_option("NAME", name, "Data source name")->required();
  source_add->add_option("--adapter", adapter, "Adapter, such as postgres or snowflake");
  source_add->add_option("--description", description, "Description");
  auto* source_remove = source->add_subcommand("remove", "Remove a data source and its permissions");
  source_remove->add_option("SLUG", slug, "Workspace username")->required();
  source_remove->add_option("TOKEN", token, "Data source token")->required();

  app.add_subcommand("migrate", "Apply pending schema migrations and print the schema version");
  auto* serve = app.add_subcommand("serve", "Serve the API");
  serve->add_option("--listen", listen, "HOST:PORT to listen on (default 127.0.0.1:8080)");
  serve->add_option("--threads", threads, "I/O threads (default: four per core)")->check(CLI::Range(0, 256));
  http::ServerFlags server_flags;
  http::AddServerFlags(*serve, server_flags);
  auto* demo = app.add_subcommand("demo", "Create the demo workspace and a token, then serve");
  demo->add_option("--listen", listen, "HOST:PORT to listen on (default 127.0.0.1:8080)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "roster: " << e.what() << " (see roster --help)" << std::endl;
    return 2;
  }

  try {
    auth::InitializeCrypto();
    size_t pool_size = static_cast<size_t>(
        http::ThreadCount(threads) + 2);
    std::unique_ptr<storage::Store> store = storage::OpenStore(db, pool_size);

    if (workspace_create->parsed()) {
      CheckedUsername(slug, "workspace username");
      std::string display = name.empty() ? slug : name;
      PrintJson(AccountJson(CreateAccount(slug, [&] { return store->CreateWorkspace(slug, display, plan); })));
    } else if (user_create->parsed()) {
      CheckedUsername(username, "username");
      std::string display = name.empty() ? username : name;
      PrintJson(AccountJson(CreateAccount(username, [&] { return store->CreateUser(username, display, email); })));
    } else if (member_add->parsed()) {
      auto ws = RequireAccount(*store, slug, true);
      auto added = store->AddWorkspaceMember(ws, RequireAccount(*store, username, false), admin);
      PrintJson(json::object{{"workspace", ws.username}, {"username", added.user.username},
                             {"member_token", added.user.token}, {"admin", added.admin},
                             {"state", added.state}});
    } else if (member_deactivate->parsed()) {
      auto ws = RequireAccount(*store, slug, true);
      auto target = RequireAccount(*store, username, false);
      auto result = store->DeactivateWorkspaceMember(ws.id, target.id);
      if (!result) throw CommandError(fmt::format("{} is not a member of {}", username, slug));
      PrintJson(json::object{{"workspace", ws.username}, {"username", username}, {"state", result->state}});
    } else if (token_create->parsed()) {
      if (token_workspace.empty() == token_user.empty()) {
        throw CommandError("token create needs exactly one of --workspace SLUG or --user USERNAME");
      }
      bool is_workspace = !token_workspace.empty();
      auto owner = RequireAccount(*store, is_workspace ? token_workspace : token_user, is_workspace);
      PrintJson(IssueToken(*store, owner, is_workspace ? storage::TokenScope::kWorkspace
                                                       : storage::TokenScope::kMember));
    } else if (token_revoke->parsed()) {
      if (!store->RevokeApiToken(token)) throw CommandError(fmt::format("token \"{}\" not found", token));
      PrintJson(json::object{{"token", token}, {"revoked", true}});
    } else if (group_create->parsed()) {
      auto ws = RequireAccount(*store, slug, true);
      auto checked = domain::NormalizeName(name);
      if (!checked.ok()) throw CommandError("invalid group name: name " + checked.problem);
      try {
        auto created = store->CreateGroup(ws.id, *checked.value, "", ws.id, managed);
        PrintJson(json::object{{"token", created.token}, {"name", created.name}, {"managed", created.managed}});
      } catch (const storage::StoreError& error) {
        if (error.code() != storage::StoreErrorCode::kConflict) throw;
        throw CommandError(fmt::format("a group named \"{}\" already exists in {}", name, slug));
      }
    } else if (source_add->parsed()) {
      auto ws = RequireAccount(*store, slug, true);
      // Data source names follow the group name rules, so the API never shows a blank name.
      auto checked_name = domain::NormalizeName(name);
      if (!checked_name.ok()) throw CommandError("invalid data source name: name " + checked_name.problem);
      auto checked_description = domain::CheckDescription(description);
      if (!checked_description.ok()) {
        throw CommandError("invalid --description: description " + checked_description.problem);
      }
      if (adapter.empty()) throw CommandError("--adapter must name an adapter, such as postgres or snowflake");
      auto created = store->CreateDataSource(ws.id, checked_name.value->display,
                                             *checked_description.value, adapter);
      PrintJson(json::object{{"token", created.token}, {"name", created.name}, {"adapter", created.adapter}});
    } else if (source_remove->parsed()) {
      auto ws = RequireAccount(*store, slug, true);
      if (!store->DeleteDataSource(ws.id, token)) {
        throw CommandError(fmt::format("data source \"{}\" not found in {}", token, slug));
      }
      PrintJson(json::object{{"token", token}, {"removed", true}});
    } else if (app.got_subcommand("migrate")) {
      PrintJson(json::object{{"schema_version", storage::LatestSchemaVersion()},
                             {"database", store->database().DisplayName()}});
    } else if (serve->parsed()) {
      http::ServerOptions options = ParseListen(listen, threads);
      http::ApplyServerFlags(server_flags, options);
      Serve(*store, options);
    } else if (demo->parsed()) {
      http::ServerOptions options = ParseListen(listen, threads);
      RunDemo(*store, options);
      Serve(*store, options);
    }
    return 0;
  } catch (const CommandError& error) {
    std::cerr << "roster: " << error.what() << std::endl;
  } catch (const storage::StoreError& error) {
    std::cerr << "roster: database error: " << error.what() << std::endl;
  } catch (const std::exception& error) {
    std::cerr << "roster: " << error.what() << std::endl;
  }
  return 1;
}

}  // namespace roster::cli
