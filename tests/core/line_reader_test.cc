#include "core/line_reader.h"

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace earshot::core {
namespace {

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

// A tmpfile holding `content`, rewound for reading.
File TempFileWith(std::string_view content) {
  File file(std::tmpfile());
  EXPECT_NE(file, nullptr);
  if (!file) return file;
  EXPECT_EQ(std::fwrite(content.data(), 1, content.size(), file.get()), content.size());
  std::rewind(file.get());
  return file;
}

struct ReadLine {
  LineReader::Outcome outcome;
  uint64_t number;
  std::string text;
  bool operator==(const ReadLine&) const = default;
};

void PrintTo(const ReadLine& line, std::ostream* os) {
  *os << "{" << static_cast<int>(line.outcome) << ", " << line.number << ", \"" << line.text
      << "\"}";
}

// Reads to the end and returns every kLine/kTooLong outcome.
std::vector<ReadLine> ReadAll(std::string_view content, size_t max_line_bytes = 1024) {
  File file = TempFileWith(content);
  LineReader reader(file.get(), max_line_bytes);
  std::vector<ReadLine> lines;
  std::string line = "stale";
  uint64_t number = 0;
  for (int guard = 0; guard < 1000; ++guard) {
    Result<LineReader::Outcome> outcome = reader.Next(line, number);
    EXPECT_TRUE(outcome.has_value()) << outcome.error().ToString();
    if (!outcome || *outcome == LineReader::Outcome::kEndOfFile) break;
    lines.push_back({*outcome, number, line});
  }
  return lines;
}

constexpr auto kLine = LineReader::Outcome::kLine;
constexpr auto kTooLong = LineReader::Outcome::kTooLong;

TEST(LineReader, EmptyInputHasNoLines) { EXPECT_TRUE(ReadAll("").empty()); }

TEST(LineReader, SplitsAndNumbersLines) {
  EXPECT_EQ(ReadAll("a\nbb\nccc\n"),
            (std::vector<ReadLine>{{kLine, 1, "a"}, {kLine, 2, "bb"}, {kLine, 3, "ccc"}}));
}

TEST(LineReader, ReturnsLastLineWithoutNewline) {
  EXPECT_EQ(ReadAll("a\nlast"), (std::vector<ReadLine>{{kLine, 1, "a"}, {kLine, 2, "last"}}));
}

TEST(LineReader, ReturnsBlankLinesAsEmpty) {
  EXPECT_EQ(ReadAll("\n\na\n\r\n"), (std::vector<ReadLine>{{kLine, 1, ""},
                                                          {kLine, 2, ""},
                                                          {kLine, 3, "a"},
                                                          {kLine, 4, ""}}));
}

TEST(LineReader, StripsCarriageReturnOfCrlf) {
  EXPECT_EQ(ReadAll("a\r\nb\r\nc\r"),
            (std::vector<ReadLine>{{kLine, 1, "a"}, {kLine, 2, "b"}, {kLine, 3, "c"}}));
  // Only the \r right before the newline belongs to the line ending.
  EXPECT_EQ(ReadAll("a\rb\n"), (std::vector<ReadLine>{{kLine, 1, "a\rb"}}));
}

TEST(LineReader, StripsByteOrderMarkOnFirstLineOnly) {
  EXPECT_EQ(ReadAll("\xEF\xBB\xBF{}\n\xEF\xBB\xBFx\n"),
            (std::vector<ReadLine>{{kLine, 1, "{}"}, {kLine, 2, "\xEF\xBB\xBFx"}}));
  EXPECT_EQ(ReadAll("\xEF\xBB\xBF"), (std::vector<ReadLine>{{kLine, 1, ""}}));
}

TEST(LineReader, SkipsTooLongLineAndKeepsNumbering) {
  const std::string long_line(100, 'x');
  EXPECT_EQ(ReadAll("ok\n" + long_line + "\nafter\n" + long_line, /*max_line_bytes=*/10),
            (std::vector<ReadLine>{{kLine, 1, "ok"},
                                   {kTooLong, 2, ""},
                                   {kLine, 3, "after"},
                                   {kTooLong, 4, ""}}));
}

TEST(LineReader, LimitAppliesToContentWithoutLineEnding) {
  EXPECT_EQ(ReadAll("1234567890\r\n12345678901\n", /*max_line_bytes=*/10),
            (std::vector<ReadLine>{{kLine, 1, "1234567890"}, {kTooLong, 2, ""}}));
}

TEST(LineReader, HandlesLinesSpanningManyBufferFills) {
  // Longer than the 1 MiB read buffer, so lines cross refills.
  const std::string big(3 * 1024 * 1024 + 17, 'y');
  const std::string content = "first\n" + big + "\r\nmiddle\n" + big;
  std::vector<ReadLine> lines = ReadAll(content, /*max_line_bytes=*/4 * 1024 * 1024);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], (ReadLine{kLine, 1, "first"}));
  EXPECT_EQ(lines[1].text.size(), big.size());
  EXPECT_EQ(lines[1].text, big);
  EXPECT_EQ(lines[2], (ReadLine{kLine, 3, "middle"}));
  EXPECT_EQ(lines[3].text, big);

  // The same input with a smaller limit skips the big lines without buffering them.
  lines = ReadAll(content, /*max_line_bytes=*/1000);
  EXPECT_EQ(lines, (std::vector<ReadLine>{{kLine, 1, "first"},
                                          {kTooLong, 2, ""},
                                          {kLine, 3, "middle"},
                                          {kTooLong, 4, ""}}));
}

TEST(LineReader, EndOfFileIsSticky) {
  File file = TempFileWith("only");
  LineReader reader(file.get());
  std::string line;
  uint64_t number = 0;
  ASSERT_EQ(*reader.Next(line, number), kLine);
  EXPECT_EQ(line, "only");
  EXPECT_EQ(*reader.Next(line, number), LineReader::Outcome::kEndOfFile);
  EXPECT_EQ(*reader.Next(line, number), LineReader::Outcome::kEndOfFile);
  EXPECT_EQ(line, "");
}

TEST(LineReader, ReportsReadErrorAsStatus) {
  // A stream opened only for writing fails every read (EBADF).
  File file(std::fopen("/dev/null", "w"));
  ASSERT_NE(file, nullptr);
  LineReader reader(file.get());
  std::string line;
  uint64_t number = 0;
  Result<LineReader::Outcome> outcome = reader.Next(line, number);
  ASSERT_FALSE(outcome.has_value());
  EXPECT_TRUE(outcome.error().IsIOError()) << outcome.error().ToString();
  EXPECT_EQ(outcome.error().message().rfind("read <input>: ", 0), 0u) << outcome.error().message();
}

}  // namespace
}  // namespace earshot::core
