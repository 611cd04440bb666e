// Invariant checks for fuzz targets: a failed check prints what broke and aborts, which
// libFuzzer reports as a crash and saves the input.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace roster::fuzz {

inline void Check(bool condition, std::string_view invariant) {
  if (condition) return;
  std::fprintf(stderr, "fuzz invariant violated: %.*s\n", static_cast<int>(invariant.size()),
               invariant.data());
  std::abort();
}

}  // namespace roster::fuzz
