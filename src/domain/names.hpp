// Unicode rules for group names, space names and descriptions.
#pragma once

#include <string>
#include <string_view>

#include "domain/checked.hpp"

namespace roster::domain {

// A name as stored (`display`, NFC) and as compared for uniqueness (`key`).
struct NormalizedName {
  std::string display;
  std::string key;  // NFC of the full case folding of `display`
};

inline constexpr int kMaxNameCodePoints = 255;
inline constexpr int kMaxDescriptionCodePoints = 4000;

// Trims surrounding Unicode white space, normalizes to NFC and checks the length (1 to 255 code
// points) and that no control or bidirectional override/isolate character is present. The input
// must be valid UTF-8 (Boost.JSON guarantees it for parsed strings).
Checked<NormalizedName> NormalizeName(std::string_view raw);

// Checks a description: at most 4,000 code points, no control character except tab, LF and CR.
Checked<std::string> CheckDescription(std::string_view raw);

// Returns the uniqueness key of an already valid name.
std::string NameKey(std::string_view name);

}  // namespace roster::domain
