// Time stamps: stored as microseconds since the Unix epoch, shown as RFC 3339 UTC.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace roster::domain {

int64_t NowMicros();

// Characters in "2026-12-04T13:05:09Z".
inline constexpr size_t kRfc3339Size = 20;

// Formats as "2026-12-04T13:05:09Z" (whole seconds, UTC, years 0000-9999).
std::string FormatRfc3339(int64_t micros);

// Writes the same text into `out`, which has room for kRfc3339Size characters, and returns
// kRfc3339Size.
size_t FormatRfc3339(int64_t micros, char* out);

}  // namespace roster::domain
