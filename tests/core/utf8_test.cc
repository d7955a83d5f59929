#include "core/utf8.h"

#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace earshot::core {
namespace {

constexpr std::string_view kFffd = "\xEF\xBF\xBD";

TEST(Utf8, AcceptsWellFormedText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));  // é € 😀
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));                           // U+10FFFF
  EXPECT_TRUE(IsValidUtf8("\xED\x9F\xBF"));                               // U+D7FF
  EXPECT_TRUE(IsValidUtf8(std::string_view("a\0b", 3)));
}

TEST(Utf8, RejectsIllFormedText) {
  EXPECT_FALSE(IsValidUtf8("\x80"));              // lone continuation
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // U+110000
  EXPECT_FALSE(IsValidUtf8("\xC3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xFF"));
}

TEST(Utf8, RepairLeavesValidTextUnchanged) {
  const std::string text = "caf\xC3\xA9 \xF0\x9F\x98\x80 ok";
  EXPECT_EQ(RepairUtf8(text), text);
  EXPECT_EQ(RepairUtf8(""), "");
}

struct RepairCase {
  std::string_view input;
  std::string_view expected;  // with '?' standing for U+FFFD
};

class Utf8Repair : public testing::TestWithParam<RepairCase> {};

TEST_P(Utf8Repair, SubstitutesMaximalSubparts) {
  std::string expected;
  for (char c : GetParam().expected) {
    if (c == '?') {
      expected.append(kFffd);
    } else {
      expected.push_back(c);
    }
  }
  const std::string repaired = RepairUtf8(GetParam().input);
  EXPECT_EQ(repaired, expected);
  EXPECT_TRUE(IsValidUtf8(repaired));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, Utf8Repair,
    testing::Values(
        RepairCase{"a\x80z", "a?z"},                  // lone continuation byte
        RepairCase{"\x80\x80", "??"},                 // one U+FFFD per stray continuation
        RepairCase{"\xC0\xAF", "??"},                 // C0 never starts a sequence
        RepairCase{"\xE0\x80\xAF", "???"},            // overlong: E0 then 80 is not a prefix
        RepairCase{"\xED\xA0\x80", "???"},            // surrogate: ED then A0 is not a prefix
        RepairCase{"\xF4\x90\x80\x80", "????"},       // above U+10FFFF
        RepairCase{"\xF5\x80", "??"},                 // F5 never starts a sequence
        RepairCase{"\xE2\x82z", "?z"},                // truncated 3-byte: one U+FFFD for E2 82
        RepairCase{"\xF0\x9F\x98z", "?z"},            // truncated 4-byte: one U+FFFD
        RepairCase{"\xF0\x9F\x98", "?"},              // truncated at end of input
        RepairCase{"\xC3", "?"},
        RepairCase{"\xE2\x82\xC3\xA9", "?\xC3\xA9"},  // the byte that breaks a sequence restarts
        RepairCase{"\xFF\xFE", "??"},
        // The Unicode 3.9 Table 3-8 example: 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64.
        RepairCase{"\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64", "a???b?c??d"}));

}  // namespace
}  // namespace earshot::core
