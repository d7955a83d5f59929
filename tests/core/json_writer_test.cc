#include "core/json_writer.h"

#include <cmath>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "core/utf8.h"

namespace earshot::core {
namespace {

std::string JsonString(std::string_view value) {
  std::string out;
  AppendJsonString(out, value);
  return out;
}

std::string JsonNumber(double value, int decimals = 2) {
  std::string out;
  AppendJsonNumber(out, value, decimals);
  return out;
}

TEST(JsonWriter, CopiesPlainTextQuoted) {
  EXPECT_EQ(JsonString(""), R"("")");
  EXPECT_EQ(JsonString("router down"), R"("router down")");
  EXPECT_EQ(JsonString("caf\xC3\xA9 \xF0\x9F\x98\x80"), "\"caf\xC3\xA9 \xF0\x9F\x98\x80\"");
}

TEST(JsonWriter, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(JsonString("say \"hi\""), R"("say \"hi\"")");
  EXPECT_EQ(JsonString(R"(C:\path)"), R"("C:\\path")");
  EXPECT_EQ(JsonString("a\nb\rc\td\be\ff"), R"("a\nb\rc\td\be\ff")");
  EXPECT_EQ(JsonString(std::string_view("\0\x01\x1f", 3)), R"("\u0000\u0001\u001f")");
  EXPECT_EQ(JsonString("\x7f/"), "\"\x7f/\"");  // DEL and '/' need no escape
}

TEST(JsonWriter, WritesInvalidUtf8AsReplacementCharacter) {
  const std::string out = JsonString("bad \xC3 byte\n");
  EXPECT_EQ(out, "\"bad \xEF\xBF\xBD byte\\n\"");
  EXPECT_TRUE(IsValidUtf8(out));
}

TEST(JsonWriter, AppendsToExistingContent) {
  std::string out = "{\"a\":";
  AppendJsonString(out, "b");
  EXPECT_EQ(out, R"({"a":"b")");
}

TEST(JsonWriter, FormatsNumbersWithTrimmedDecimals) {
  EXPECT_EQ(JsonNumber(71.5), "71.5");
  EXPECT_EQ(JsonNumber(0), "0");
  EXPECT_EQ(JsonNumber(100), "100");
  EXPECT_EQ(JsonNumber(33.333333), "33.33");
  EXPECT_EQ(JsonNumber(33.335, 3), "33.335");
  EXPECT_EQ(JsonNumber(2.999), "3");
  EXPECT_EQ(JsonNumber(0.05), "0.05");
  EXPECT_EQ(JsonNumber(-12.5), "-12.5");
  EXPECT_EQ(JsonNumber(1234.5678, 0), "1235");
  EXPECT_EQ(JsonNumber(1e20), "100000000000000000000");
}

TEST(JsonWriter, NeverWritesNegativeZero) {
  EXPECT_EQ(JsonNumber(-0.0), "0");
  EXPECT_EQ(JsonNumber(-0.001), "0");
}

TEST(JsonWriter, WritesNonFiniteAsZero) {
  EXPECT_EQ(JsonNumber(std::numeric_limits<double>::quiet_NaN()), "0");
  EXPECT_EQ(JsonNumber(std::numeric_limits<double>::infinity()), "0");
  EXPECT_EQ(JsonNumber(-std::numeric_limits<double>::infinity()), "0");
}

TEST(JsonWriter, WritesExtremeFiniteValues) {
  const std::string max = JsonNumber(std::numeric_limits<double>::max());
  EXPECT_EQ(max.size(), 309u);
  EXPECT_EQ(max.substr(0, 4), "1797");
  EXPECT_EQ(JsonNumber(std::numeric_limits<double>::denorm_min(), 5), "0");
}

TEST(JsonWriter, WritesStringArrays) {
  std::string out;
  AppendJsonStringArray(out, {});
  EXPECT_EQ(out, "[]");
  out.clear();
  const std::vector<std::string> values = {"netgear", "say \"x\"", ""};
  AppendJsonStringArray(out, values);
  EXPECT_EQ(out, R"(["netgear","say \"x\"",""])");
}

}  // namespace
}  // namespace earshot::core
