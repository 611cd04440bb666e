// Renders records as HAL+JSON objects with the links of Mode's management API.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "domain/records.hpp"

namespace roster::domain {

// A link object: {"href": ..., "templated": ...}.
boost::json::object Link(std::string_view href, bool templated = false);

boost::json::object RenderGroup(std::string_view workspace, const Group& group);
boost::json::object RenderGroupMembership(std::string_view workspace,
                                          const GroupMembership& membership);
boost::json::object RenderWorkspaceMember(std::string_view workspace,
                                          const WorkspaceMember& member);
boost::json::object RenderWorkspaceMemberLite(const WorkspaceMember& member);
boost::json::object RenderSpace(std::string_view workspace, const Space& space);
boost::json::object RenderDataSource(std::string_view workspace, const DataSource& source);
boost::json::object RenderPermission(std::string_view workspace, PermissionTarget target,
                                     const Permission& permission);
boost::json::object RenderUser(const Account& user);
boost::json::object RenderWorkspace(const Account& workspace);

// Page numbers of a paged list request.
struct Paging {
  bool requested = false;  // false: the list contains every item and carries no pagination
  int64_t page = 1;
  int64_t per_page = 30;
  int64_t total_count = 0;
};

// Renders {"_links": {"self", "next_page"?, "prev_page"?}, "_embedded": {key: items},
// "pagination"?}. `self_path` is the list's path with its filter query (no paging parameters).
boost::json::object RenderCollection(std::string_view self_path, std::string_view key,
                                     boost::json::array items, const Paging& paging);

}  // namespace roster::domain
