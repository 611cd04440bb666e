// Fuzzes request-body handling without a handler or database: Content-Type check, JSON parsing,
// the wrapper object and its string fields, and name and description validation.
//
// Input: the first byte picks the Content-Type header; the rest is the body.
#include <boost/json.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/api_error.hpp"
#include "api/request_context.hpp"
#include "domain/names.hpp"
#include "fuzz_check.hpp"

namespace {

using roster::fuzz::Check;
namespace api = roster::api;
namespace domain = roster::domain;
namespace json = boost::json;

constexpr std::array<std::string_view, 6> kContentTypes = {
    "", "application/json", "application/hal+json; charset=utf-8", "APPLICATION/JSON ; x=y",
    "text/plain", "application/jsonx"};
constexpr std::array<std::string_view, 4> kWrappers = {"user_group", "membership", "permission",
                                                       "space"};
constexpr std::array<std::string_view, 6> kFields = {
    "name", "description", "member_token", "action", "accessor_type", "accessor_token"};

void CheckErrorShape(const api::ApiError& error) {
  Check(error.status() == 400 || error.status() == 413 || error.status() == 415,
        "a body error is 400, 413 or 415");
  json::value body = json::parse(error.Body());
  Check(body.is_object(), "an error body is a JSON object");
  Check(body.as_object().contains("id") && body.as_object().contains("message"),
        "an error body has id and message");
}

void CheckName(const std::string& raw) {
  domain::Checked<domain::NormalizedName> name = domain::NormalizeName(raw);
  if (!name.ok()) return;
  Check(!name.value->display.empty(), "an accepted name is not empty");
  Check(name.value->key == domain::NameKey(name.value->display),
        "the key of an accepted name is NameKey of its display form");
  domain::Checked<domain::NormalizedName> again = domain::NormalizeName(name.value->display);
  Check(again.ok(), "a normalized name is accepted again");
  Check(again.value->display == name.value->display, "name normalization is idempotent");
}

void CheckWrapper(const json::object& body, std::string_view wrapper_key) {
  const json::object* wrapper = nullptr;
  try {
    wrapper = &api::RequireWrapper(body, wrapper_key);
  } catch (const api::ApiError& error) {
    CheckErrorShape(error);
    Check(error.status() == 400, "a missing or mistyped wrapper is 400");
    return;
  }
  for (std::string_view field : kFields) {
    std::string path = std::string(wrapper_key) + "." + std::string(field);
    std::optional<std::string> value;
    try {
      value = api::OptionalString(*wrapper, field, path);
    } catch (const api::ApiError& error) {
      CheckErrorShape(error);
      Check(error.field() == path, "a mistyped field's error names its path");
      continue;
    }
    if (!value) continue;
    if (field == "name") CheckName(*value);
    if (field == "description") {
      domain::Checked<std::string> description = domain::CheckDescription(*value);
      if (description.ok()) Check(*description.value == *value, "a valid description is kept");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  api::ApiRequest request;
  request.method = "POST";
  std::string_view content_type = kContentTypes[data[0] % kContentTypes.size()];
  request.has_content_type = !content_type.empty();
  request.content_type = std::string(content_type);
  request.body.assign(reinterpret_cast<const char*>(data + 1), size - 1);

  json::object body;
  try {
    body = api::ParseJsonBody(request);
  } catch (const api::ApiError& error) {
    CheckErrorShape(error);
    return 0;
  }
  for (std::string_view wrapper : kWrappers) CheckWrapper(body, wrapper);
  return 0;
}
