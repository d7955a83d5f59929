// Differential test (PERFORMANCE.md: a matcher must be checked against a reference engine, since
// Vectorscan once silently missed caseless literal matches). Random short texts from a small
// vocabulary, chosen so that near-misses are common, are matched by the Hyperscan database and by
// std::regex (ECMAScript, icase unless the pattern is case-sensitive) over the same patterns,
// restricted to syntax both engines read the same way on ASCII. Every (text, rule) verdict must
// agree.
#include <gtest/gtest.h>

#include <random>
#include <regex>
#include <string>
#include <vector>

#include "tests/matchers/test_rules.h"

namespace earshot::matchers {
namespace {

struct ReferenceRule {
  std::string id;
  std::vector<std::string> patterns;
  std::vector<std::string> excludes;
  bool case_sensitive = false;
};

const std::vector<ReferenceRule> kRules = {
    {"netgear", {R"(\bnet\s?gear\b)", "@netgear"}, {R"(fishing net\s?gear)"}},
    {"on_hold", {"on hold"}, {}},
    {"hold_word", {R"(\bhold\b)"}, {"hold on"}},
    {"colour", {"colou?r"}, {}},
    {"charged", {"charged (twice|two times)"}, {}},
    {"no_callback", {R"(\bno call\s?back\b)"}, {}},
    {"never_again", {"never again", "^never"}, {"never again!"}},
    {"call_back", {"(call|ring) back"}, {"no call back"}},
    {"hours", {R"([0-9]+ hours?\b)"}, {}},
    {"gear_only", {R"(\bgear\b)"}, {R"(\bnet\b)"}},
    {"hold_caps", {"HOLD"}, {}, true},
    {"back_end", {"back$"}, {}},
    {"two_times", {R"(two\s+times)"}, {}},
    {"either", {"fishing|callback"}, {}},
    {"x_pair", {"x x"}, {}},
    {"class", {"[a-c]gain"}, {}},
};

const std::vector<std::string> kVocabulary = {
    "net",    "gear",  "netgear", "NetGear", "NET",   "fishing",  "on",       "hold",    "HOLD",
    "Hold",   "never", "again",   "again!",  "Never", "charged",  "twice",    "two",     "times",
    "colour", "color", "COLOR",   "no",      "call",  "callback", "back",     "ring",    "3",
    "12",     "hours", "hour",    "x",       "X",     "Gear",     "@netgear", "@NETGEAR"};

std::string Yaml() {
  std::string yaml = "brands:\n";
  const auto quoted_list = [](const std::vector<std::string>& items) {
    std::string out = "[";
    for (const std::string& item : items) out += (out.size() > 1 ? ", '" : "'") + item + "'";
    return out + "]";
  };
  for (const ReferenceRule& rule : kRules) {
    yaml += "  - id: " + rule.id + "\n    patterns: " + quoted_list(rule.patterns) + "\n";
    if (!rule.excludes.empty()) yaml += "    exclude: " + quoted_list(rule.excludes) + "\n";
    if (rule.case_sensitive) yaml += "    case_sensitive: true\n";
  }
  return yaml;
}

TEST(Differential, HyperscanAgreesWithStdRegex) {
  std::shared_ptr<const Database> database = testing::BuildText(Yaml());
  ASSERT_NE(database, nullptr);
  Scanner scanner = testing::MakeScanner(database);

  struct Compiled {
    std::vector<std::regex> patterns;
    std::vector<std::regex> excludes;
  };
  std::vector<Compiled> reference;
  for (const ReferenceRule& rule : kRules) {
    const auto flags = std::regex::ECMAScript |
                       (rule.case_sensitive ? std::regex::flag_type{} : std::regex::icase);
    Compiled compiled;
    for (const std::string& p : rule.patterns) compiled.patterns.emplace_back(p, flags);
    for (const std::string& p : rule.excludes) compiled.excludes.emplace_back(p, flags);
    reference.push_back(std::move(compiled));
  }
  const auto any = [](const std::vector<std::regex>& regexes, const std::string& text) {
    for (const std::regex& regex : regexes) {
      if (std::regex_search(text, regex)) return true;
    }
    return false;
  };

  std::mt19937 random(20240717);  // fixed: a failure must reproduce
  std::uniform_int_distribution<size_t> word(0, kVocabulary.size() - 1);
  std::uniform_int_distribution<int> length(1, 8);
  std::uniform_int_distribution<int> separator(0, 9);
  size_t positives = 0;
  size_t verdicts = 0;
  std::vector<uint32_t> matched;
  for (int n = 0; n < 600; ++n) {
    std::string text;
    const int words = length(random);
    for (int w = 0; w < words; ++w) {
      if (w > 0) {
        const int s = separator(random);
        text += s == 0 ? "" : (s == 1 ? "  " : (s == 2 ? "\t" : " "));  // joins make near-misses
      }
      text += kVocabulary[word(random)];
    }
    ASSERT_TRUE(scanner.Scan(text, matched).ok());
    for (uint32_t r = 0; r < kRules.size(); ++r) {
      const bool expected = any(reference[r].patterns, text) && !any(reference[r].excludes, text);
      const bool actual = std::find(matched.begin(), matched.end(), r) != matched.end();
      EXPECT_EQ(actual, expected) << "rule " << kRules[r].id << " on text '" << text << "'";
      positives += expected ? 1 : 0;
      ++verdicts;
    }
  }
  // Guard against a vacuous pass: the corpus must exercise both outcomes, and every rule.
  EXPECT_GT(positives, verdicts / 50);
  EXPECT_LT(positives, verdicts / 2);
}

}  // namespace
}  // namespace earshot::matchers
