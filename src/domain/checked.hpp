// A value or the reason it was rejected.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace roster::domain {

template <class T>
struct Checked {
  std::optional<T> value;
  std::string problem;  // a sentence fragment such as "is too long", set when value is empty

  static Checked Ok(T v) { return Checked{std::move(v), {}}; }
  static Checked Fail(std::string why) { return Checked{std::nullopt, std::move(why)}; }
  bool ok() const { return value.has_value(); }
};

}  // namespace roster::domain
