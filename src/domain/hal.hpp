// Renders records as HAL+JSON objects with the links of Mode's management API, written
// straight into the response text (see domain/json_writer.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/json_writer.hpp"
#include "domain/records.hpp"

namespace roster::domain {

// Each Write* function writes one JSON object as the writer's next value.
void WriteGroup(JsonWriter& writer, std::string_view workspace, const Group& group);
void WriteGroupMembership(JsonWriter& writer, std::string_view workspace,
                          const GroupMembership& membership);
void WriteWorkspaceMember(JsonWriter& writer, std::string_view workspace,
                          const WorkspaceMember& member);
void WriteWorkspaceMemberLite(JsonWriter& writer, const WorkspaceMember& member);
void WriteSpace(JsonWriter& writer, std::string_view workspace, const Space& space);
void WriteDataSource(JsonWriter& writer, std::string_view workspace, const DataSource& source);
void WritePermission(JsonWriter& writer, std::string_view workspace, PermissionTarget target,
                     const Permission& permission);
void WriteUser(JsonWriter& writer, const Account& user);
void WriteWorkspace(JsonWriter& writer, const Account& workspace);

// Page numbers of a paged list request.
struct Paging {
  bool requested = false;  // false: the list contains every item and carries no pagination
  int64_t page = 1;
  int64_t per_page = 30;
  int64_t total_count = 0;
};

// Writes {"pagination"?, "_links": {"self", "next_page"?, "prev_page"?}, "_embedded":
// {key: [...]}}. `self_path` is the list's path with its filter query (no paging parameters);
// `write_items` writes `count` items into the open array.
void WriteCollection(JsonWriter& writer, std::string_view self_path, std::string_view key,
                     int64_t count, const Paging& paging,
                     const std::function<void(JsonWriter&)>& write_items);

// The same in two halves, for a list streamed in parts: the text up to and including the
// items' "[", and the text after the last item.
void WriteCollectionStart(JsonWriter& writer, std::string_view self_path, std::string_view key,
                          int64_t count, const Paging& paging);
void WriteCollectionEnd(JsonWriter& writer);

// One record as JSON text: Render(WriteGroup, workspace, group).
template <class Write, class... Args>
std::string Render(Write write, const Args&... args) {
  std::string text;
  text.reserve(1024);
  JsonWriter writer(text);
  write(writer, args...);
  return text;
}

// A list of records as JSON text; `write_item(writer, item)` writes one item.
template <class Item, class WriteItem>
std::string RenderList(std::string_view self_path, std::string_view key,
                       const std::vector<Item>& items, const Paging& paging,
                       WriteItem write_item) {
  std::string text;
  text.reserve(512 + items.size() * 800);
  JsonWriter writer(text);
  WriteCollection(writer, self_path, key, static_cast<int64_t>(items.size()), paging,
                  [&](JsonWriter& out) {
                    for (const Item& item : items) write_item(out, item);
                  });
  return text;
}

}  // namespace roster::domain
