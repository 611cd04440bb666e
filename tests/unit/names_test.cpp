#include "domain/names.hpp"

#include <gtest/gtest.h>

namespace roster::domain {
namespace {

std::string Repeat(std::string_view text, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += text;
  return out;
}

TEST(NormalizeNameTest, TrimsUnicodeWhiteSpace) {
  auto name = NormalizeName("\u3000\u00a0 Finance \t\n");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(name.value->display, "Finance");
}

TEST(NormalizeNameTest, StoresNfc) {
  auto name = NormalizeName("Cafe\u0301");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(name.value->display, "Caf\u00e9");
}

TEST(NormalizeNameTest, KeyFoldsCaseAndComposition) {
  std::string key = NormalizeName("Caf\u00e9").value->key;
  EXPECT_EQ(NormalizeName("CAFE\u0301").value->key, key);
  EXPECT_EQ(NormalizeName("caf\u00e9").value->key, key);
  EXPECT_NE(NormalizeName("cafe").value->key, key);
}

TEST(NormalizeNameTest, KeyUsesFullCaseFolding) {
  EXPECT_EQ(NormalizeName("Stra\u00dfe").value->key, NormalizeName("STRASSE").value->key);
}

TEST(NormalizeNameTest, RejectsBlank) {
  EXPECT_FALSE(NormalizeName("").ok());
  EXPECT_FALSE(NormalizeName(" \u2003 ").ok());
}

TEST(NormalizeNameTest, CountsCodePointsAfterNfc) {
  EXPECT_TRUE(NormalizeName(Repeat("e\u0301", 255)).ok());
  EXPECT_TRUE(NormalizeName(Repeat("\U0001F600", 255)).ok());
  EXPECT_FALSE(NormalizeName(Repeat("a", 256)).ok());
}

TEST(NormalizeNameTest, RejectsControlAndBidiCharacters) {
  EXPECT_FALSE(NormalizeName("a\x01b").ok());
  EXPECT_FALSE(NormalizeName("a\tb").ok());
  EXPECT_FALSE(NormalizeName("a\u202eb").ok());
  EXPECT_FALSE(NormalizeName("a\u2066b").ok());
  EXPECT_FALSE(NormalizeName("a\u0085b").ok());
}

TEST(CheckDescriptionTest, AllowsTabsAndNewlines) {
  EXPECT_TRUE(CheckDescription("line one\n\tline two\r\n").ok());
  EXPECT_TRUE(CheckDescription("").ok());
}

TEST(CheckDescriptionTest, RejectsOtherControlsAndLength) {
  EXPECT_FALSE(CheckDescription("bell\x07").ok());
  EXPECT_TRUE(CheckDescription(Repeat("\u00e9", 4000)).ok());
  EXPECT_FALSE(CheckDescription(Repeat("a", 4001)).ok());
}

}  // namespace
}  // namespace roster::domain
