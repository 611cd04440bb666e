// Boost's assertion handler for builds without NDEBUG (CMake defines
// BOOST_ENABLE_ASSERT_DEBUG_HANDLER, so BOOST_ASSERT calls these functions instead of assert();
// NDEBUG builds compile every BOOST_ASSERT away as before).
//
// It exists for one wrong assertion. Beast 1.81's basic_parser::parse_chunk_header asserts
// `n >= 5` when it parses a final chunk ("0\r\n") again after asking for more bytes, but 4 bytes
// are valid there. So a client that sends "0\r\n", then "\r", then "\n" would abort the server.
// Beast fixed the assertion in boostorg/beast pull request 2861 (merged May 2024). Every other
// failed assertion aborts, as assert() does.
#include <boost/assert.hpp>

#include <cstdio>
#include <cstdlib>
#include <string_view>

#if defined(BOOST_ENABLE_ASSERT_DEBUG_HANDLER) && !defined(NDEBUG)

namespace {

bool IsWrongBeastChunkAssertion(std::string_view expression, std::string_view file) {
  return expression == "n >= 5" && file.ends_with("boost/beast/http/impl/basic_parser.ipp");
}

}  // namespace

namespace boost {

void assertion_failed(char const* expression, char const* function, char const* file,
                      long line) {
  if (IsWrongBeastChunkAssertion(expression, file)) return;
  std::fprintf(stderr, "%s:%ld: %s: Assertion `%s' failed.\n", file, line, function, expression);
  std::abort();
}

void assertion_failed_msg(char const* expression, char const* message, char const* function,
                          char const* file, long line) {
  std::fprintf(stderr, "%s:%ld: %s: Assertion `%s' failed: %s\n", file, line, function,
               expression, message);
  std::abort();
}

}  // namespace boost

#endif
