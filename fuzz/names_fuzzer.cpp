// Fuzzes the Unicode name rules and the username check on arbitrary bytes, invalid UTF-8
// included (the command-line tool passes its arguments to them unchecked).
#include <cstdint>
#include <string>
#include <string_view>

#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include "domain/names.hpp"
#include "domain/validation.hpp"
#include "fuzz_check.hpp"

namespace {

using roster::fuzz::Check;
namespace domain = roster::domain;

bool IsUsernameChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

void CheckNormalizedName(std::string_view raw) {
  domain::Checked<domain::NormalizedName> name = domain::NormalizeName(raw);
  if (!name.ok()) {
    Check(!name.problem.empty(), "a rejected name has a reason");
    return;
  }
  const std::string& display = name.value->display;
  icu::UnicodeString text = icu::UnicodeString::fromUTF8(display);
  int32_t code_points = text.countChar32();
  Check(code_points >= 1 && code_points <= domain::kMaxNameCodePoints,
        "an accepted name has 1 to 255 code points");
  Check(!u_isUWhiteSpace(text.char32At(0)), "an accepted name has no leading white space");
  Check(!u_isUWhiteSpace(text.char32At(text.length() - 1)),
        "an accepted name has no trailing white space");
  for (int32_t i = 0; i < text.length(); i = text.moveIndex32(i, 1)) {
    UChar32 c = text.char32At(i);
    Check(u_charType(c) != U_CONTROL_CHAR, "an accepted name has no control character");
    Check(!(c >= 0x202A && c <= 0x202E) && !(c >= 0x2066 && c <= 0x2069),
          "an accepted name has no bidirectional override or isolate");
  }
  Check(name.value->key == domain::NameKey(display), "the key is NameKey of the display form");
  domain::Checked<domain::NormalizedName> again = domain::NormalizeName(display);
  Check(again.ok(), "a normalized name is accepted again");
  Check(again.value->display == display, "name normalization is idempotent");
  Check(again.value->key == name.value->key, "the key of a normalized name is stable");
}

void CheckUsername(std::string_view raw) {
  domain::Checked<std::string> username = domain::CheckUsername(raw);
  if (!username.ok()) return;
  const std::string& value = *username.value;
  Check(!value.empty() && value.size() <= 64, "an accepted username has 1 to 64 characters");
  Check(value[0] >= 'a' && value[0] <= 'z', "an accepted username starts with a letter");
  for (char c : value) Check(IsUsernameChar(c), "an accepted username is [a-z0-9_]");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  CheckNormalizedName(raw);
  domain::Checked<std::string> description = domain::CheckDescription(raw);
  if (description.ok()) Check(*description.value == raw, "a valid description is kept as sent");
  CheckUsername(raw);
  return 0;
}
