#include "triage/batch_triage.h"

#include <gtest/gtest.h>
#include <oneapi/tbb/global_control.h>

#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/utf8.h"
#include "tests/triage/test_rules.h"

namespace earshot::triage {
namespace {

struct CollectingSink : TriageSink {
  std::vector<std::string> ids;
  std::vector<std::string> lines;
  std::vector<std::pair<uint64_t, std::string>> bad;  // (line number, reason) of skipped lines
  std::vector<uint64_t> repaired;

  void OnResult(const core::Post& post, const TriageResult&, std::string_view json) override {
    ids.push_back(post.id);
    lines.emplace_back(json);
  }
  void OnBadLine(uint64_t line_number, std::string_view reason, bool skipped) override {
    if (skipped) {
      bad.emplace_back(line_number, std::string(reason));
    } else {
      repaired.push_back(line_number);
    }
  }
};

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

// Runs TriageStream over `input` written to a temporary file.
CollectingSink TriageText(const std::string& input, BatchOptions options = {},
                   std::shared_ptr<const matchers::Database> database = testing::BuildTestDatabase()) {
  std::unique_ptr<std::FILE, FileCloser> file(std::tmpfile());
  EXPECT_EQ(std::fwrite(input.data(), 1, input.size(), file.get()), input.size());
  std::rewind(file.get());
  CollectingSink sink;
  auto stats = TriageStream(file.get(), database, options, sink);
  EXPECT_TRUE(stats.has_value()) << stats.error().ToString();
  return sink;
}

std::string PostLine(int id, const std::string& text, const std::string& extra = "") {
  return R"({"source":"test","id":")" + std::to_string(id) + R"(","text":")" + text + "\"" + extra + "}\n";
}

TEST(TriageStream, OutputOrderEqualsInputOrderAtAnyThreadCount) {
  std::string input;
  std::mt19937 random(42);
  const char* texts[] = {"acme caught fire", "fine day", "charged me twice", "on hold again", "acme sucks"};
  for (int i = 0; i < 2000; ++i) input += PostLine(i, texts[random() % 5]);
  for (int threads : {1, 2, 4}) {
    tbb::global_control cap(tbb::global_control::max_allowed_parallelism, threads);
    CollectingSink sink = TriageText(input, BatchOptions{.batch_size = 7, .tokens = 0});
    ASSERT_EQ(sink.ids.size(), 2000u) << threads << " threads";
    for (int i = 0; i < 2000; ++i) ASSERT_EQ(sink.ids[i], std::to_string(i)) << threads << " threads";
  }
}

TEST(TriageStream, BadLinesAreReportedWithTheirLineNumberAndSkipped) {
  std::string deep = "[";
  for (int i = 0; i < 200; ++i) deep += "[";
  for (int i = 0; i < 201; ++i) deep += "]";
  const std::string input =
      "\xEF\xBB\xBF" + PostLine(1, "acme caught fire") +                // 1: BOM before the first post
      "\r\n" +                                                           // 2: blank CRLF line
      PostLine(2, "charged me twice") +                                  // 3
      "{not json}\n" +                                                   // 4
      R"({"source":"test","id":"3"})" "\n" +                             // 5: no text
      R"({"source":"test","id":"4","text":42})" "\n" +                   // 6: wrong type
      R"({"source":"test","id":"5","text":"x","nested":)" + deep + "}\n" +  // 7: absurd nesting
      "   \n" +                                                          // 8: whitespace only
      "[1,2,3]\n" +                                                      // 9: not an object
      R"({"source":"test","id":"6","text":"on hold"})" "\r\n";           // 10: CRLF, no final \n issue
  CollectingSink sink = TriageText(input);
  EXPECT_EQ(sink.ids, (std::vector<std::string>{"1", "2", "6"}));
  std::vector<uint64_t> bad_lines;
  for (const auto& [line, reason] : sink.bad) bad_lines.push_back(line);
  EXPECT_EQ(bad_lines, (std::vector<uint64_t>{4, 5, 6, 7, 9}));
  ASSERT_EQ(sink.bad.size(), 5u);
  EXPECT_NE(sink.bad[0].second.find("not valid JSON"), std::string::npos) << sink.bad[0].second;
  EXPECT_NE(sink.bad[1].second.find("text"), std::string::npos) << sink.bad[1].second;
  EXPECT_NE(sink.bad[2].second.find("text"), std::string::npos) << sink.bad[2].second;
  EXPECT_NE(sink.bad[3].second.find("nesting"), std::string::npos) << sink.bad[3].second;
  EXPECT_NE(sink.bad[4].second.find("object"), std::string::npos) << sink.bad[4].second;
}

TEST(TriageStream, InvalidUtf8IsRepairedNotDropped) {
  const std::string input = PostLine(1, "acme caught fire \xC3\x28 and \xFF");
  CollectingSink sink = TriageText(input);
  ASSERT_EQ(sink.ids.size(), 1u);
  EXPECT_TRUE(core::IsValidUtf8(sink.lines[0]));
  EXPECT_EQ(sink.repaired, std::vector<uint64_t>{1});
  EXPECT_NE(sink.lines[0].find("\"severity\":\"critical\""), std::string::npos) << sink.lines[0];
}

// The triage principle (DESIGN.md §2): who the author is online has no effect at all. Same texts,
// with audience fields from nothing to ten million: the output must be byte-identical.
TEST(TriageStream, AudienceFieldsNeverChangeTheOutput) {
  const char* texts[] = {"acme caught fire", "charged me twice again, 3 days", "acme sucks",
                         "on hold for ages", "lovely weather", "app is down, fixed now"};
  auto build = [&](const std::string& audience) {
    std::string input;
    int id = 0;
    for (const char* text : texts) input += PostLine(++id, text, audience);
    return input;
  };
  const std::string none = build("");
  std::vector<std::string> baseline = TriageText(none).lines;
  ASSERT_EQ(baseline.size(), std::size(texts));
  for (const std::string& audience :
       {std::string(R"(,"followers":0)"), std::string(R"(,"followers":10000000)"),
        std::string(R"(,"followers":10000000,"verified":true,"reach":99999999,"likes":123456)"),
        std::string(R"(,"followers":null,"verified":false)")}) {
    EXPECT_EQ(TriageText(build(audience)).lines, baseline) << audience;
  }
}

TEST(TriageStream, ResultLineFollowsTheContract) {
  CollectingSink sink = TriageText(PostLine(7, "acme charged me twice again"));
  ASSERT_EQ(sink.lines.size(), 1u);
  EXPECT_EQ(sink.lines[0],
            R"({"id":"7","source":"test","urgency":55,"severity":"high","brands":["acme"],)"
            R"("categories":["billing"],"signals":["repetition"],"rules":["acme","billing.twice",)"
            R"("sig.repetition"]})");
}

}  // namespace
}  // namespace earshot::triage
