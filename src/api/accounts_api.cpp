#include "api/accounts_api.hpp"

#include "api/api_error.hpp"
#include "domain/hal.hpp"

namespace roster::api {
namespace json = boost::json;
using storage::TokenScope;

namespace {

ApiResponse Healthz(ApiServices& services, const ApiRequest&, const PathParams&) {
  try {
    services.store.Ping();
  } catch (const storage::StoreError&) {
    throw ServiceUnavailable();
  }
  return JsonResponse(json::object{{"status", "ok"}});
}

ApiResponse Verify(ApiServices& services, const ApiRequest& request, const PathParams&) {
  auth::Caller caller = RequireCaller(services, request);
  if (caller.scope == TokenScope::kWorkspace) {
    return JsonResponse(json::object{{"workspace", caller.account.username},
                                     {"workspace_token", caller.account.token},
                                     {"api_key_scope", "workspace"}});
  }
  return JsonResponse(json::object{{"username", caller.account.username},
                                   {"user_token", caller.account.token},
                                   {"api_key_scope", "member"}});
}

// Whether the caller may read `account`: a user reads themselves and the users they share a
// workspace with; a workspace token reads its workspace and that workspace's active members;
// a user reads the workspaces where they are an active member.
bool MayRead(ApiServices& services, const auth::Caller& caller, const storage::Account& account) {
  if (caller.account.id == account.id) return true;
  bool caller_is_workspace = caller.scope == TokenScope::kWorkspace;
  if (account.is_workspace) {
    if (caller_is_workspace) return false;
    auto member = services.store.FindWorkspaceMember(account.id, caller.account.id);
    return member && member->state == "active";
  }
  if (caller_is_workspace) {
    auto member = services.store.FindWorkspaceMember(caller.account.id, account.id);
    return member && member->state == "active";
  }
  return services.store.ShareWorkspace(caller.account.id, account.id);
}

ApiResponse GetAccount(ApiServices& services, const ApiRequest& request,
                       const PathParams& params) {
  auth::Caller caller = RequireCaller(services, request);
  std::optional<storage::Account> account = services.store.FindAccount(params[0]);
  if (!account || !MayRead(services, caller, *account)) throw NotFound("Account");
  return JsonResponse(account->is_workspace ? domain::Render(domain::WriteWorkspace, *account)
                                            : domain::Render(domain::WriteUser, *account));
}

}  // namespace

void RegisterAccountRoutes(Router& router) {
  router.Add("GET", "/healthz", Healthz);
  router.Add("GET", "/api/verify", Verify);
  router.Add("GET", "/api/:account", GetAccount);
}

}  // namespace roster::api
