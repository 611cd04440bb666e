#include "api/data_sources_api.hpp"

#include <fmt/format.h>

#include "api/api_error.hpp"
#include "api/permissions_api.hpp"
#include "domain/hal.hpp"

namespace roster::api {
namespace json = boost::json;

namespace {

ApiResponse ListDataSources(ApiServices& services, const ApiRequest& request,
                            const PathParams& params) {
  WorkspaceScope scope = AuthorizeWorkspaceAdmin(services, request, params[0]);
  ListPaging paging = ParsePaging(request);
  auto result = services.store.ListDataSources(scope.workspace.id, paging.page);
  paging.paging.total_count = result.total_count;
  std::string self_path = fmt::format("/api/{}/data_sources", scope.workspace.username);
  return JsonResponse(domain::RenderList(
      self_path, "data_sources", result.items, paging.paging,
      [&](domain::JsonWriter& writer, const storage::DataSource& source) {
        domain::WriteDataSource(writer, scope.workspace.username, source);
      }));
}

ApiResponse GetDataSource(ApiServices& services, const ApiRequest& request,
                          const PathParams& params) {
  WorkspaceScope scope = AuthorizeWorkspaceAdmin(services, request, params[0]);
  auto source = services.store.FindDataSource(scope.workspace.id, params[1]);
  if (!source) throw NotFound("Data source");
  return JsonResponse(domain::Render(domain::WriteDataSource, scope.workspace.username, *source));
}

}  // namespace

void RegisterDataSourceRoutes(Router& router) {
  router.Add("GET", "/api/:workspace/data_sources", ListDataSources);
  router.Add("GET", "/api/:workspace/data_sources/:data_source", GetDataSource);
  RegisterPermissionRoutes(router, domain::PermissionTarget::kDataSource);
}

}  // namespace roster::api
