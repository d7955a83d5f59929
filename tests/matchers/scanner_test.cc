#include "matchers/scanner.h"

#include <gtest/gtest.h>

#include <barrier>
#include <string>
#include <thread>
#include <vector>

#include "tests/matchers/test_rules.h"

namespace earshot::matchers {
namespace {

using testing::BuildText;
using testing::MakeScanner;
using testing::MatchIds;
using Ids = std::vector<std::string>;

constexpr char kBrands[] =
    "brands:\n"
    "  - id: netgear\n"
    "    patterns: ['\\bnet\\s?gear\\b', '@netgear\\b']\n"
    "    exclude: ['fishing net\\s?gear']\n"
    "  - id: acme\n"
    "    case_sensitive: true\n"
    "    patterns: ['\\bACME\\b']\n"
    "  - id: mixed\n"
    "    patterns: [{pattern: 'Exact', case_sensitive: true}, 'loose']\n";

TEST(Scanner, BrandExcludeVetoesTheRule) {
  Scanner scanner = MakeScanner(BuildText(kBrands));
  EXPECT_EQ(MatchIds(scanner, "my Netgear router died"), Ids{"netgear"});
  EXPECT_EQ(MatchIds(scanner, "NET GEAR support"), Ids{"netgear"});
  EXPECT_EQ(MatchIds(scanner, "cc @NetGear"), Ids{"netgear"});
  EXPECT_EQ(MatchIds(scanner, "bought fishing net gear"), Ids{});
  EXPECT_EQ(MatchIds(scanner, "fishing netgear"), Ids{});
  // An exclude anywhere in the post vetoes the brand, even next to a real mention.
  EXPECT_EQ(MatchIds(scanner, "my netgear died while I bought fishing net gear"), Ids{});
  EXPECT_EQ(MatchIds(scanner, "netgearing"), Ids{});
}

TEST(Scanner, CaselessByDefaultCaseSensitiveWhenAsked) {
  Scanner scanner = MakeScanner(BuildText(kBrands));
  EXPECT_EQ(MatchIds(scanner, "ACME anvils"), Ids{"acme"});
  EXPECT_EQ(MatchIds(scanner, "the acme of perfection"), Ids{});
  EXPECT_EQ(MatchIds(scanner, "Acme"), Ids{});
  EXPECT_EQ(MatchIds(scanner, "Exact"), Ids{"mixed"});
  EXPECT_EQ(MatchIds(scanner, "exact"), Ids{});
  EXPECT_EQ(MatchIds(scanner, "LOOSE"), Ids{"mixed"});
}

TEST(Scanner, DotIsOneCodePoint) {
  Scanner scanner =
      MakeScanner(BuildText("brands:\n"
                            "  - {id: one, patterns: ['^.$']}\n"
                            "  - {id: two, patterns: ['^..$']}\n"
                            "  - {id: cafe, patterns: ['^caf.$']}\n"
                            "  - {id: emoji, patterns: ['^.x$']}\n"));
  EXPECT_EQ(MatchIds(scanner, "\xC3\xA9"), Ids{"one"});  // é: two bytes, one code point
  EXPECT_EQ(MatchIds(scanner, "ab"), Ids{"two"});
  EXPECT_EQ(MatchIds(scanner, "caf\xC3\xA9"), Ids{"cafe"});
  // A four-byte code point then "x": two code points.
  EXPECT_EQ(MatchIds(scanner, "\xF0\x9F\x98\xA1x"), (Ids{"two", "emoji"}));
}

TEST(Scanner, ZeroLengthTextMatchesNothing) {
  Scanner scanner = MakeScanner(BuildText(kBrands));
  std::vector<uint32_t> matched = {1, 2, 3};
  EXPECT_TRUE(scanner.Scan("", matched).ok());
  EXPECT_TRUE(matched.empty());
  EXPECT_TRUE(scanner.Scan(std::string_view(), matched).ok());
  EXPECT_TRUE(matched.empty());
}

TEST(Scanner, ResultsAreAscendingRuleIndexesAndStateResetsBetweenScans) {
  Scanner scanner = MakeScanner(BuildText(kBrands));
  std::vector<uint32_t> matched;
  // Text order is the reverse of rule order.
  ASSERT_TRUE(scanner.Scan("loose ACME netgear", matched).ok());
  EXPECT_EQ(matched, (std::vector<uint32_t>{0, 1, 2}));
  ASSERT_TRUE(scanner.Scan("nothing here", matched).ok());
  EXPECT_TRUE(matched.empty());
  // The exclude hit of the previous scan must not leak into this one.
  ASSERT_TRUE(scanner.Scan("fishing net gear", matched).ok());
  ASSERT_TRUE(scanner.Scan("netgear", matched).ok());
  EXPECT_EQ(matched, (std::vector<uint32_t>{0}));
}

TEST(Scanner, SecondRulesPatternsMapToSecondRule) {
  // Hyperscan ids are pattern indexes, never rule indexes: the second rule's patterns have ids 3
  // and 4 here, and its exclude id 5. Each must land on rule 1.
  Scanner scanner =
      MakeScanner(BuildText("brands:\n"
                            "  - {id: first, patterns: [aaa, bbb], exclude: [ccc]}\n"
                            "  - {id: second, patterns: [ddd, eee], exclude: [fff]}\n"));
  EXPECT_EQ(MatchIds(scanner, "eee"), Ids{"second"});
  EXPECT_EQ(MatchIds(scanner, "ddd"), Ids{"second"});
  EXPECT_EQ(MatchIds(scanner, "ddd fff"), Ids{});
  EXPECT_EQ(MatchIds(scanner, "ddd ccc"), Ids{"second"});
  EXPECT_EQ(MatchIds(scanner, "bbb fff"), Ids{"first"});
}

TEST(Scanner, CreateRejectsNullDatabase) { EXPECT_FALSE(Scanner::Create(nullptr).has_value()); }

// Property: scanners sharing one Database, each with its own cloned scratch, scanning at the same
// time, produce exactly the single-threaded results. Run at 2 and 4 threads.
TEST(Scanner, ConcurrentScannersOverOneDatabaseAgreeWithSingleThread) {
  std::shared_ptr<const Database> database = BuildText(kBrands);
  ASSERT_NE(database, nullptr);
  std::vector<std::string> texts;
  const char* pieces[] = {"netgear", "ACME", "acme",     "fishing net gear", "loose",
                          "Exact",   "x",    "@netgear", "caf\xC3\xA9"};
  for (int i = 0; i < 2000; ++i) {
    std::string text;
    for (int j = 0; j <= i % 4; ++j) text += std::string(pieces[(i * 7 + j * 3) % 9]) + " ";
    texts.push_back(text);
  }
  std::vector<std::vector<uint32_t>> expected(texts.size());
  {
    Scanner scanner = MakeScanner(database);
    for (size_t i = 0; i < texts.size(); ++i) ASSERT_TRUE(scanner.Scan(texts[i], expected[i]).ok());
  }
  for (int thread_count : {2, 4}) {
    std::vector<std::vector<std::vector<uint32_t>>> results(thread_count);
    std::barrier start(thread_count);
    std::vector<std::thread> threads;
    for (int t = 0; t < thread_count; ++t) {
      threads.emplace_back([&, t] {
        core::Result<Scanner> scanner = Scanner::Create(database);
        start.arrive_and_wait();  // all scanning at once
        if (!scanner.has_value()) return;
        results[t].resize(texts.size());
        // Each thread walks the texts from a different offset so they overlap differently.
        for (size_t k = 0; k < texts.size(); ++k) {
          const size_t i = (k + static_cast<size_t>(t) * 997) % texts.size();
          if (!scanner->Scan(texts[i], results[t][i]).ok()) results[t][i] = {999};
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    for (int t = 0; t < thread_count; ++t) {
      EXPECT_EQ(results[t], expected) << thread_count << " threads, thread " << t;
    }
  }
}

TEST(FindMatchSpans, ReportsLeftmostOffsetsOfEachMatchingPattern) {
  std::shared_ptr<const Database> database = BuildText(
      "complaints:\n"
      "  - id: service_failure.hold\n"
      "    category: service_failure\n"
      "    patterns: ['on hold', '\\b\\d+ minutes\\b', 'never matches']\n"
      "    exclude: ['hold my beer']\n");
  ASSERT_NE(database, nullptr);
  //                       0         1         2         3
  //                       0123456789012345678901234567890123456
  const std::string text = "30 minutes On Hold, still on hold";
  core::Result<std::vector<MatchSpan>> spans = FindMatchSpans(*database, 0, text);
  ASSERT_TRUE(spans.has_value()) << spans.error().ToString();
  ASSERT_EQ(spans->size(), 2u);
  EXPECT_EQ((*spans)[0].pattern_index, 0u);
  EXPECT_FALSE((*spans)[0].exclude);
  EXPECT_EQ((*spans)[0].begin, 11u);  // the leftmost, case-insensitively
  EXPECT_EQ((*spans)[0].end, 18u);
  EXPECT_EQ((*spans)[1].pattern_index, 1u);
  EXPECT_EQ((*spans)[1].begin, 0u);
  EXPECT_EQ((*spans)[1].end, 10u);

  spans = FindMatchSpans(*database, 0, "hold my beer");
  ASSERT_TRUE(spans.has_value());
  ASSERT_EQ(spans->size(), 1u);
  EXPECT_TRUE((*spans)[0].exclude);
  EXPECT_EQ((*spans)[0].pattern_index, 0u);
  EXPECT_EQ((*spans)[0].begin, 0u);
  EXPECT_EQ((*spans)[0].end, 12u);

  EXPECT_FALSE(FindMatchSpans(*database, 1, text).has_value());
}

TEST(FindMatchSpans, FallsBackToEndOffsetsWhenStartCannotBeTracked) {
  // SOM_LEFTMOST rejects this bounded repeat ("Pattern is too large"); the end is still known.
  std::shared_ptr<const Database> database = BuildText(
      "complaints:\n"
      "  - id: churn.brand\n"
      "    category: churn\n"
      "    patterns: ['\\b(customer service|never again)\\b.{0,40}\\bBrand(\\s+account)?\\b']\n");
  ASSERT_NE(database, nullptr);
  const std::string text = "never again will I use Brand";
  core::Result<std::vector<MatchSpan>> spans = FindMatchSpans(*database, 0, text);
  ASSERT_TRUE(spans.has_value()) << spans.error().ToString();
  ASSERT_EQ(spans->size(), 1u);
  EXPECT_FALSE((*spans)[0].begin.has_value());
  EXPECT_EQ((*spans)[0].end, text.size());
}

}  // namespace
}  // namespace earshot::matchers
