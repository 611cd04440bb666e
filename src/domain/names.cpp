#include "domain/names.hpp"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <stdexcept>

namespace roster::domain {
namespace {

const icu::Normalizer2& Nfc() {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) throw std::runtime_error("ICU NFC normalizer is unavailable");
  return *nfc;
}

icu::UnicodeString ToNfc(const icu::UnicodeString& text) {
  UErrorCode status = U_ZERO_ERROR;
  icu::UnicodeString out = Nfc().normalize(text, status);
  if (U_FAILURE(status)) throw std::runtime_error("ICU NFC normalization failed");
  return out;
}

std::string ToUtf8(const icu::UnicodeString& text) {
  std::string out;
  text.toUTF8String(out);
  return out;
}

bool IsBidiControl(UChar32 c) {
  return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

icu::UnicodeString TrimWhiteSpace(const icu::UnicodeString& text) {
  int32_t begin = 0;
  int32_t end = text.length();
  while (begin < end && u_isUWhiteSpace(text.char32At(begin))) begin = text.moveIndex32(begin, 1);
  while (end > begin) {
    int32_t last = text.moveIndex32(end, -1);
    if (!u_isUWhiteSpace(text.char32At(last))) break;
    end = last;
  }
  return icu::UnicodeString(text, begin, end - begin);
}

}  // namespace

std::string NameKey(std::string_view name) {
  icu::UnicodeString text = icu::UnicodeString::fromUTF8(icu::StringPiece(name.data(), name.size()));
  text = ToNfc(text);
  text.foldCase(U_FOLD_CASE_DEFAULT);
  return ToUtf8(ToNfc(text));
}

Checked<NormalizedName> NormalizeName(std::string_view raw) {
  icu::UnicodeString text = icu::UnicodeString::fromUTF8(icu::StringPiece(raw.data(), raw.size()));
  text = ToNfc(TrimWhiteSpace(text));
  int32_t code_points = text.countChar32();
  if (code_points == 0) return Checked<NormalizedName>::Fail("must not be blank");
  if (code_points > kMaxNameCodePoints) {
    return Checked<NormalizedName>::Fail("must be at most 255 characters");
  }
  for (int32_t i = 0; i < text.length(); i = text.moveIndex32(i, 1)) {
    UChar32 c = text.char32At(i);
    if (u_charType(c) == U_CONTROL_CHAR) {
      return Checked<NormalizedName>::Fail("must not contain control characters");
    }
    if (IsBidiControl(c)) {
      return Checked<NormalizedName>::Fail(
          "must not contain bidirectional override or isolate characters");
    }
  }
  std::string display = ToUtf8(text);
  std::string key = NameKey(display);
  return Checked<NormalizedName>::Ok({std::move(display), std::move(key)});
}

Checked<std::string> CheckDescription(std::string_view raw) {
  icu::UnicodeString text = icu::UnicodeString::fromUTF8(icu::StringPiece(raw.data(), raw.size()));
  if (text.countChar32() > kMaxDescriptionCodePoints) {
    return Checked<std::string>::Fail("must be at most 4000 characters");
  }
  for (int32_t i = 0; i < text.length(); i = text.moveIndex32(i, 1)) {
    UChar32 c = text.char32At(i);
    bool allowed_control = c == '\t' || c == '\n' || c == '\r';
    if (u_charType(c) == U_CONTROL_CHAR && !allowed_control) {
      return Checked<std::string>::Fail("must not contain control characters other than tab, carriage return and newline");
    }
  }
  return Checked<std::string>::Ok(std::string(raw));
}

}  // namespace roster::domain
