// The jsonl source: a tailing reader must return every line exactly once, with the line numbers an
// editor shows, across appends, restarts, rotation and truncation, and must never block on a pipe.
#include "crawler/sources/jsonl_source.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/config.h"
#include "crawler/internal/fd_handles.h"
#include "crawler/source.h"

namespace earshot::crawler {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::SizeIs;
using Outcome = Source::Outcome;

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

struct Read {
  Outcome outcome;
  uint64_t number;
  std::string text;
  bool operator==(const Read&) const = default;
};

void PrintTo(const Read& read, std::ostream* os) {
  *os << "{" << static_cast<int>(read.outcome) << ", " << read.number << ", \"" << read.text << "\"}";
}

Read Line(uint64_t number, std::string text) { return {Outcome::kLine, number, std::move(text)}; }
Read TooLong(uint64_t number) { return {Outcome::kTooLong, number, ""}; }

core::SourceConfig JsonlConfig(const std::string& path, std::string id = "replay") {
  core::SourceConfig config;
  config.id = std::move(id);
  config.kind = "jsonl";
  config.params["path"] = path;
  return config;
}

// Calls Next once; a failure fails the test and reads as kEnd so loops stop.
Read NextOf(Source& source) {
  std::string line = "stale";  // Next must overwrite whatever the caller's string held
  uint64_t number = 999;
  core::Result<Outcome> outcome = source.Next(line, number);
  EXPECT_TRUE(outcome.has_value()) << outcome.error().ToString();
  if (!outcome) return {Outcome::kEnd, 0, ""};
  if (*outcome == Outcome::kIdle || *outcome == Outcome::kEnd) return {*outcome, 0, line};
  return {*outcome, number, line};
}

// Every kLine/kTooLong until the first kIdle or kEnd, which goes to `stopped`.
std::vector<Read> Drain(Source& source, Outcome* stopped = nullptr) {
  std::vector<Read> reads;
  for (int guard = 0; guard < 1'000'000; ++guard) {
    Read read = NextOf(source);
    if (read.outcome == Outcome::kIdle || read.outcome == Outcome::kEnd) {
      EXPECT_EQ(read.text, "") << "a non-line outcome must leave the line empty";
      if (stopped != nullptr) *stopped = read.outcome;
      break;
    }
    reads.push_back(std::move(read));
  }
  return reads;
}

void WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    ASSERT_GT(written, 0) << "write: " << std::strerror(errno);
    bytes.remove_prefix(static_cast<size_t>(written));
  }
}

class JsonlFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("earshot_crawler_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "posts.jsonl").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Rewrites the file in place (same inode), like a truncating writer.
  void Write(std::string_view content) {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out << content;
    ASSERT_TRUE(out.good());
  }
  void Append(std::string_view content) {
    std::ofstream out(path_, std::ios::binary | std::ios::app);
    out << content;
    ASSERT_TRUE(out.good());
  }

  std::unique_ptr<Source> Open(std::string_view cursor = "", SourceOptions options = {}) {
    warnings_.clear();
    core::Result<std::unique_ptr<Source>> source = MakeSource(JsonlConfig(path_), cursor, options, warnings_);
    EXPECT_TRUE(source.has_value()) << source.error().ToString();
    if (!source) return nullptr;
    return std::move(source).value();
  }

  core::Status OpenError(std::string_view cursor, const std::string& path) {
    warnings_.clear();
    core::Result<std::unique_ptr<Source>> source = MakeSource(JsonlConfig(path), cursor, {}, warnings_);
    EXPECT_FALSE(source.has_value());
    return source ? core::Status::Ok() : std::move(source).error();
  }

  fs::path dir_;
  std::string path_;
  std::vector<std::string> warnings_;
};

TEST_F(JsonlFile, ReturnsLinesNumberedFromOneThenIdles) {
  Write("{\"a\":1}\n{\"b\":2}\n");
  std::unique_ptr<Source> source = Open();
  ASSERT_NE(source, nullptr);
  Outcome stopped = Outcome::kEnd;
  EXPECT_THAT(Drain(*source, &stopped), ElementsAre(Line(1, "{\"a\":1}"), Line(2, "{\"b\":2}")));
  EXPECT_EQ(stopped, Outcome::kIdle) << "a regular file never ends: it may grow";
  EXPECT_EQ(NextOf(*source).outcome, Outcome::kIdle);
  EXPECT_THAT(warnings_, IsEmpty());
}

TEST_F(JsonlFile, StripsCrlfAndTheByteOrderMarkAtOffsetZeroOnly) {
  Write("\xEF\xBB\xBF{\"a\":1}\r\n\xEF\xBB\xBFsecond\r\nthird\n");
  std::unique_ptr<Source> source = Open();
  ASSERT_NE(source, nullptr);
  EXPECT_THAT(Drain(*source),
              ElementsAre(Line(1, "{\"a\":1}"), Line(2, "\xEF\xBB\xBFsecond"), Line(3, "third")));
}

TEST_F(JsonlFile, ReturnsBlankLinesSoNumbersMatchAnEditor) {
  Write("a\n\n\r\n  \nb\n");
  std::unique_ptr<Source> source = Open();
  ASSERT_NE(source, nullptr);
  EXPECT_THAT(Drain(*source),
              ElementsAre(Line(1, "a"), Line(2, ""), Line(3, ""), Line(4, "  "), Line(5, "b")));
}

TEST_F(JsonlFile, SkipsTooLongLinesAndReportsTheirNumbers) {
  // The limit counts the line without "\n" or "\r\n".
  Write("short\n" + std::string(25, 'x') + "\nafter\n" + std::string(10, 'y') + "\r\n" +
        std::string(11, 'z') + "\n" + std::string(10, 'w') + "\n");
  SourceOptions options;
  options.max_line_bytes = 10;
  std::unique_ptr<Source> source = Open("", options);
  ASSERT_NE(source, nullptr);
  EXPECT_THAT(Drain(*source),
              ElementsAre(Line(1, "short"), TooLong(2), Line(3, "after"), Line(4, std::string(10, 'y')),
                          TooLong(5), Line(6, std::string(10, 'w'))));
}

TEST_F(JsonlFile, SkipsALineLongerThanTheReadBufferAndMovesTheCursorPastIt) {
  const std::string huge(3 << 20, 'h');  // three times the 1 MiB read buffer
  Write(huge + "\nnext\n");
  SourceOptions options;
  options.max_line_bytes = 1000;
  std::unique_ptr<Source> source = Open("", options);
  ASSERT_NE(source, nullptr);
  EXPECT_THAT(Drain(*source), ElementsAre(TooLong(1), Line(2, "next")));
  EXPECT_THAT(source->Cursor(), HasSubstr("offset=" + std::to_string(huge.size() + 6) + " line=2 "));
}

TEST_F(JsonlFile, ReadsLinesThatStraddleReadBuffers) {
  // Lines of varying length so that buffer boundaries fall at many places within lines.
  std::string content;
  std::vector<Read> expected;
  for (uint64_t i = 1; content.size() < (5u << 20) / 2; ++i) {
    std::string text =
        "{\"id\":\"" + std::to_string(i) + "\",\"text\":\"" + std::string(i % 997, 't') + "\"}";
    content += text + (i % 3 == 0 ? "\r\n" : "\n");
    expected.push_back(Line(i, std::move(text)));
  }
  Write(content);
  std::unique_ptr<Source> source = Open();
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(Drain(*source), expected);
  EXPECT_THAT(source->Cursor(), HasSubstr("offset=" + std::to_string(content.size()) +
                                          " line=" + std::to_string(expected.size()) + " "));
}

TEST_F(JsonlFile, PicksUpLinesAppendedAfterIdle) {
  Write("a\n");
  std::unique_ptr<Source> source = Open();
  ASSERT_NE(source, nullptr);
  EXPECT_THAT(Drain(*source), ElementsAre(Line(1, "a")));
  Append("b\nc\n");
  Outcome stopped = Outcome::kEnd;
  EXPECT_THAT(Drain(*source, &stopped), ElementsAre(Line(2, "b"), Line(3, "c")));
  EXPECT_EQ(stopped, Outcome::kIdle);
}

TEST_F(JsonlFile, HoldsBackAPartialLastLineUntilItsNewlineArrives) {
  Write("a\n{\"par");
  std::unique_ptr<Source> source = Open();
  ASSERT_NE(source, nullptr);
  Outcome stopped = Outcome::kEnd;
  EXPECT_THAT(Drain(*source, &stopped), ElementsAre(Line(1, "a")));
  EXPECT_EQ(stopped, Outcome::kIdle);
  EXPECT_EQ(NextOf(*source).outcome, Outcome::kIdle) << "the writer may still be mid-line";
  EXPECT_THAT(source->Cursor(), HasSubstr("offset=2 line=1 "))
      << "the cursor stays after the last whole line";
  Append("tial\"}\r\n");
  EXPECT_THAT(Drain(*source), ElementsAre(Line(2, "{\"partial\"}")));
  EXPECT_THAT(source->Cursor(), HasSubstr("offset=15 line=2 "));
}

TEST_F(JsonlFile, OnceReturnsAPartialLastLineAndMovesPastIt) {
  Write("a\nlast");
  SourceOptions options;
  options.once = true;
  std::unique_ptr<Source> source = Open("", options);
  ASSERT_NE(source, nullptr);
  Outcome stopped = Outcome::kEnd;
  EXPECT_THAT(Drain(*source, &stopped), ElementsAre(Line(1, "a"), Line(2, "last")));
  EXPECT_EQ(stopped, Outcome::kIdle);
  EXPECT_THAT(source->Cursor(), HasSubstr("offset=6 line=2 "));
}

TEST_F(JsonlFile, CursorHasTheDocumentedFormat) {
  Write("a\nb\n");
  std::unique_ptr<Source> source = Open();
  ASSERT_NE(source, nullptr);
  struct stat info;
  ASSERT_EQ(::stat(path_.c_str(), &info), 0);
  const std::string identity = " dev=" + std::to_string(info.st_dev) + " ino=" + std::to_string(info.st_ino);
  EXPECT_EQ(source->Cursor(), "jsonl1 offset=0 line=0" + identity);
  EXPECT_THAT(Drain(*source), SizeIs(2));
  EXPECT_EQ(source->Cursor(), "jsonl1 offset=4 line=2" + identity);
}

TEST_F(JsonlFile, CursorResumesJustAfterTheLastReturnedLine) {
  Write(std::string(kByteOrderMark) + "a\r\nb\n\nc");
  std::string cursor;
  {
    std::unique_ptr<Source> source = Open();
    ASSERT_NE(source, nullptr);
    EXPECT_EQ(NextOf(*source), Line(1, "a"));
    EXPECT_EQ(NextOf(*source), Line(2, "b"));
    cursor = source->Cursor();
  }
  {
    std::unique_ptr<Source> source = Open(cursor);
    ASSERT_NE(source, nullptr);
    EXPECT_THAT(warnings_, IsEmpty());
    // Line 3 is blank; "c" has no newline yet, so it waits.
    EXPECT_THAT(Drain(*source), ElementsAre(Line(3, "")));
    cursor = source->Cursor();
  }
  Append("d\ne\n");
  std::unique_ptr<Source> source = Open(cursor);
  ASSERT_NE(source, nullptr);
  EXPECT_THAT(warnings_, IsEmpty());
  EXPECT_THAT(Drain(*source), ElementsAre(Line(4, "cd"), Line(5, "e")));
}

TEST_F(JsonlFile, TruncatedFileIsReadFromTheStartWithAWarning) {
  Write("a\nb\nc\n");
  std::string cursor;
  {
    std::unique_ptr<Source> source = Open();
    ASSERT_NE(source, nullptr);
    EXPECT_THAT(Drain(*source), SizeIs(3));
    cursor = source->Cursor();
  }
  Write("x\n");  // same inode, now shorter than the saved offset
  std::unique_ptr<Source> source = Open(cursor);
  ASSERT_NE(source, nullptr);
  ASSERT_THAT(warnings_, SizeIs(1));
  EXPECT_THAT(warnings_[0], HasSubstr("source replay: " + path_));
  EXPECT_THAT(warnings_[0], HasSubstr("truncated"));
  EXPECT_THAT(warnings_[0], HasSubstr("reading it from the start"));
  EXPECT_THAT(Drain(*source), ElementsAre(Line(1, "x")));
}

TEST_F(JsonlFile, ReplacedFileIsReadFromTheStartWithAWarning) {
  Write("a\nb\n");
  std::string cursor;
  {
    std::unique_ptr<Source> source = Open();
    ASSERT_NE(source, nullptr);
    EXPECT_THAT(Drain(*source), SizeIs(2));
    cursor = source->Cursor();
  }
  // Rotation by rename: the new file exists before the old one goes, so its inode differs, and it
  // is longer than the saved offset, so only the identity check can catch it.
  const fs::path rotated = dir_ / "next.jsonl";
  std::ofstream(rotated, std::ios::binary) << "new1\nnew2\nnew3\n";
  struct stat before;
  struct stat after;
  ASSERT_EQ(::stat(path_.c_str(), &before), 0);
  fs::rename(rotated, path_);
  ASSERT_EQ(::stat(path_.c_str(), &after), 0);
  ASSERT_NE(before.st_ino, after.st_ino);
  std::unique_ptr<Source> source = Open(cursor);
  ASSERT_NE(source, nullptr);
  ASSERT_THAT(warnings_, SizeIs(1));
  EXPECT_THAT(warnings_[0], HasSubstr("source replay: " + path_ + " was replaced"));
  EXPECT_THAT(warnings_[0], HasSubstr("reading it from the start"));
  EXPECT_THAT(Drain(*source), ElementsAre(Line(1, "new1"), Line(2, "new2"), Line(3, "new3")));
}

TEST_F(JsonlFile, MalformedCursorIsCorruptionNamingTheSource) {
  Write("a\n");
  const std::string good_identity = " dev=1 ino=2";
  const std::vector<std::string> cursors = {"garbage",
                                            "jsonl2 offset=1 line=1" + good_identity,
                                            "jsonl1 offset=x line=1" + good_identity,
                                            "jsonl1 offset=-1 line=1" + good_identity,
                                            "jsonl1 offset=2 line=1 dev=1",
                                            "jsonl1 offset=2 line=1" + good_identity + " ",
                                            "jsonl1  offset=2 line=1" + good_identity,
                                            "jsonl1 line=1 offset=2" + good_identity,
                                            "jsonl1 offset=2 line=3" + good_identity,
                                            "jsonl1 offset=2 line=0" + good_identity,
                                            "jsonl1 offset=99999999999999999999 line=1" + good_identity};
  for (const std::string& cursor : cursors) {
    SCOPED_TRACE(cursor);
    const core::Status status = OpenError(cursor, path_);
    EXPECT_TRUE(status.IsCorruption()) << status.ToString();
    EXPECT_THAT(status.message(), HasSubstr("source replay: malformed saved cursor"));
  }
}

TEST_F(JsonlFile, MissingFileIsNotFoundNamingTheSourceAndPath) {
  const std::string missing = (dir_ / "missing.jsonl").string();
  const core::Status status = OpenError("", missing);
  EXPECT_TRUE(status.IsNotFound()) << status.ToString();
  EXPECT_EQ(status.message(), "source replay: open " + missing + ": No such file or directory");
}

TEST_F(JsonlFile, DirectoryIsAnError) {
  const core::Status status = OpenError("", dir_.string());
  EXPECT_TRUE(status.IsIOError()) << status.ToString();
  EXPECT_THAT(status.message(), HasSubstr("source replay: open " + dir_.string() + ": Is a directory"));
}

TEST_F(JsonlFile, MissingPathIsInvalidArgument) {
  core::SourceConfig config = JsonlConfig("");
  config.params.clear();
  core::Result<std::unique_ptr<Source>> source = MakeSource(config, "", {}, warnings_);
  ASSERT_FALSE(source.has_value());
  EXPECT_TRUE(source.error().IsInvalidArgument());
  EXPECT_THAT(source.error().message(), HasSubstr("source replay: kind 'jsonl' needs a 'path'"));
}

TEST_F(JsonlFile, DescribeGivesOffsetAndSize) {
  const std::string line(12'344, 'a');  // 12,345 bytes with its newline
  Write(line + "\n" + line + "\n");
  std::unique_ptr<Source> source = Open();
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(source->Describe(), "offset 0 B of 24.7 kB");
  EXPECT_EQ(NextOf(*source).outcome, Outcome::kLine);
  EXPECT_EQ(source->Describe(), "offset 12.3 kB of 24.7 kB");
}

TEST_F(JsonlFile, NamedPipeIsReadAsAStream) {
  const std::string fifo = (dir_ / "posts.fifo").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
  warnings_.clear();
  core::Result<std::unique_ptr<Source>> opened = MakeSource(JsonlConfig(fifo), "", {}, warnings_);
  ASSERT_TRUE(opened.has_value()) << opened.error().ToString() << " (opening must not wait for a writer)";
  Source& source = **opened;
  EXPECT_EQ(NextOf(source).outcome, Outcome::kIdle) << "no writer yet";
  internal::UniqueFd writer(::open(fifo.c_str(), O_WRONLY | O_CLOEXEC));
  ASSERT_TRUE(writer.valid()) << std::strerror(errno);
  WriteAll(writer.get(), "x\n");
  EXPECT_EQ(NextOf(source), Line(1, "x"));
  writer.Reset();
  EXPECT_EQ(NextOf(source).outcome, Outcome::kEnd);
  EXPECT_EQ(source.Cursor(), "");
  EXPECT_EQ(source.Describe(), fifo + ", 1 line");
}

class JsonlPipe : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0) << std::strerror(errno);
    writer_ = internal::UniqueFd(fds[1]);
    source_ = JsonlSource::OpenStream(JsonlConfig("-", "live"), internal::UniqueFd(fds[0]), "pipe", {});
  }

  internal::UniqueFd writer_;
  std::unique_ptr<Source> source_;
};

// The run loop waits on a stream's descriptor between passes; the source offers it until the end.
TEST_F(JsonlPipe, OffersItsDescriptorToWaitOnUntilItEnds) {
  EXPECT_GE(source_->WaitableFd(), 0);
  writer_.Reset();
  EXPECT_EQ(NextOf(*source_).outcome, Outcome::kEnd);
  EXPECT_EQ(source_->WaitableFd(), -1);
}

TEST_F(JsonlPipe, ReturnsEachLineAsSoonAsItArrivesAndNeverBlocks) {
  // Each Next below would hang the test if it blocked in read().
  EXPECT_EQ(NextOf(*source_).outcome, Outcome::kIdle);
  WriteAll(writer_.get(), "{\"a\":1}\n");
  EXPECT_EQ(NextOf(*source_), Line(1, "{\"a\":1}"));
  EXPECT_EQ(NextOf(*source_).outcome, Outcome::kIdle);
  WriteAll(writer_.get(), "{\"b\"");
  EXPECT_EQ(NextOf(*source_).outcome, Outcome::kIdle) << "half a line is not a line";
  WriteAll(writer_.get(), ":2}\r\n\n");
  EXPECT_EQ(NextOf(*source_), Line(2, "{\"b\":2}"));
  EXPECT_EQ(NextOf(*source_), Line(3, ""));
  EXPECT_EQ(NextOf(*source_).outcome, Outcome::kIdle);
  writer_.Reset();
  EXPECT_EQ(NextOf(*source_).outcome, Outcome::kEnd);
  EXPECT_EQ(NextOf(*source_).outcome, Outcome::kEnd) << "kEnd is final";
}

TEST_F(JsonlPipe, ReturnsAnUnterminatedLastLineWhenTheWriterCloses) {
  WriteAll(writer_.get(), "\xEF\xBB\xBFx\ny");
  writer_.Reset();
  Outcome stopped = Outcome::kIdle;
  EXPECT_THAT(Drain(*source_, &stopped), ElementsAre(Line(1, "x"), Line(2, "y")));
  EXPECT_EQ(stopped, Outcome::kEnd);
}

TEST_F(JsonlPipe, HasNoCursorAndDescribesLinesRead) {
  EXPECT_EQ(source_->Cursor(), "") << "a pipe cannot be resumed";
  WriteAll(writer_.get(), "a\nb\n");
  EXPECT_THAT(Drain(*source_), SizeIs(2));
  EXPECT_EQ(source_->Cursor(), "");
  EXPECT_EQ(source_->Describe(), "pipe, 2 lines");
}

TEST_F(JsonlPipe, ReadsEverythingAConcurrentWriterSends) {
  // More than a pipe's 64 KiB capacity, so the writer blocks and the reader sees partial lines.
  constexpr int kLines = 20'000;
  std::thread writer([fd = std::move(writer_)]() mutable {
    for (int i = 1; i <= kLines; ++i) WriteAll(fd.get(), "{\"id\":\"" + std::to_string(i) + "\"}\n");
    fd.Reset();  // end of stream
  });
  std::vector<Read> reads;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    Read read = NextOf(*source_);
    if (read.outcome == Outcome::kEnd) break;
    if (read.outcome == Outcome::kIdle) {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
      continue;
    }
    reads.push_back(std::move(read));
  }
  writer.join();
  ASSERT_THAT(reads, SizeIs(kLines));
  for (int i = 1; i <= kLines; ++i) {
    ASSERT_EQ(reads[i - 1], Line(i, "{\"id\":\"" + std::to_string(i) + "\"}"));
  }
  EXPECT_EQ(source_->Describe(), "pipe, 20000 lines");
}

TEST(JsonlStdin, HasAnEmptyCursorAndWarnsThatASavedOneCannotBeUsed) {
  if (::fcntl(STDIN_FILENO, F_GETFD) < 0) GTEST_SKIP() << "stdin is closed";
  std::vector<std::string> warnings;
  core::Result<std::unique_ptr<Source>> source = MakeSource(JsonlConfig("-"), "", {}, warnings);
  ASSERT_TRUE(source.has_value()) << source.error().ToString();
  EXPECT_EQ((*source)->Cursor(), "");
  EXPECT_EQ((*source)->Describe(), "stdin, 0 lines");
  EXPECT_THAT(warnings, IsEmpty());

  source = MakeSource(JsonlConfig("-"), "jsonl1 offset=4 line=2 dev=1 ino=2", {}, warnings);
  ASSERT_TRUE(source.has_value()) << source.error().ToString();
  ASSERT_THAT(warnings, SizeIs(1));
  EXPECT_THAT(warnings[0], HasSubstr("source replay: stdin is a stream and cannot resume"));

  source = MakeSource(JsonlConfig("-"), "nonsense", {}, warnings);
  ASSERT_FALSE(source.has_value());
  EXPECT_TRUE(source.error().IsCorruption()) << source.error().ToString();
}

// Every kind DESIGN.md names is built; a network kind needs the fetcher (the CLI passes it).
TEST(MakeSource, EveryNetworkKindIsRegisteredAndNeedsTheFetcher) {
  for (std::string_view kind : core::kSourceKinds) {
    if (kind == "jsonl") continue;
    SCOPED_TRACE(kind);
    EXPECT_TRUE(IsNetworkKind(kind));
    core::SourceConfig config;
    config.id = "masto";
    config.kind = kind;
    std::vector<std::string> warnings;
    core::Result<std::unique_ptr<Source>> source = MakeSource(config, "", {}, warnings);
    ASSERT_FALSE(source.has_value());
    EXPECT_EQ(source.error().message(),
              "source masto: a " + std::string(kind) + " source needs the HTTP fetcher");
  }
  EXPECT_FALSE(IsNetworkKind("jsonl"));
}

TEST(MakeSource, RejectsAnUnknownKind) {
  core::SourceConfig config;
  config.id = "x";
  config.kind = "gopher";
  std::vector<std::string> warnings;
  core::Result<std::unique_ptr<Source>> source = MakeSource(config, "", {}, warnings);
  ASSERT_FALSE(source.has_value());
  EXPECT_TRUE(source.error().IsInvalidArgument());
  EXPECT_THAT(source.error().message(),
              HasSubstr("source x: kind 'gopher' is unknown (expected one of: mastodon"));
}

}  // namespace
}  // namespace earshot::crawler
