#include "matchers/database.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/matchers/test_rules.h"

namespace earshot::matchers {
namespace {

using testing::BuildText;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::Lines;
using testing::LoadText;

// Loads `yaml` (which must load cleanly) and builds it, returning the build's diagnostics.
std::vector<Diagnostic> BuildDiagnostics(const std::string& yaml, core::Status* status = nullptr) {
  LoadOutcome outcome = LoadText(yaml, "p.yaml");
  EXPECT_TRUE(outcome.ok()) << ::testing::PrintToString(Lines(outcome.diagnostics));
  std::vector<Diagnostic> diagnostics;
  core::Result<std::shared_ptr<const Database>> database =
      Database::Build(std::move(outcome.rules), BuildOptions{}, diagnostics);
  EXPECT_FALSE(database.has_value());
  if (!database.has_value() && status != nullptr) *status = database.error();
  return diagnostics;
}

TEST(Database, RejectedPatternIsReportedAtItsOwnScalarWithHyperscansMessage) {
  core::Status status;
  const std::vector<Diagnostic> diagnostics = BuildDiagnostics(
      "complaints:\n"
      "  - id: product_defect.broken\n"
      "    category: product_defect\n"
      "    patterns:\n"
      "      - 'stopped working'\n"
      "      - '(unclosed'\n",
      &status);
  EXPECT_TRUE(status.IsInvalidArgument()) << status.ToString();
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(diagnostics[0].where.ToString(), "p.yaml:6:9");
  EXPECT_EQ(diagnostics[0].rule_id, "product_defect.broken");
  EXPECT_THAT(diagnostics[0].message, HasSubstr("Missing close parenthesis for group"));
  EXPECT_THAT(diagnostics[0].message, HasSubstr("'(unclosed'"));
}

TEST(Database, EveryRejectedPatternIsReported) {
  // '(unclosed' and 'a{2,1}' are syntax errors; 'z*' parses but matches the empty buffer, which
  // only a real compile finds: all three are reported, in pattern order.
  const std::vector<Diagnostic> diagnostics = BuildDiagnostics(
      "brands:\n"
      "  - id: one\n"
      "    patterns: ['ok', 'z*', '(unclosed']\n"
      "  - id: two\n"
      "    patterns: [fine]\n"
      "    exclude: ['a{2,1}']\n");
  EXPECT_THAT(Lines(diagnostics),
              ElementsAre("p.yaml:3:22: rule 'one': pattern 'z*' rejected by Hyperscan: Pattern "
                          "matches empty buffer; use HS_FLAG_ALLOWEMPTY to enable support.",
                          "p.yaml:3:28: rule 'one': pattern '(unclosed' rejected by Hyperscan: "
                          "Missing close parenthesis for group started at index 0.",
                          "p.yaml:6:15: rule 'two': pattern 'a{2,1}' rejected by Hyperscan: "
                          "Invalid repeat at index 1."));
}

TEST(Database, SeveralCompileOnlyErrorsAreAllFound) {
  // None of these is a syntax error, so each needs its own failed compile to be found.
  const std::vector<Diagnostic> diagnostics =
      BuildDiagnostics("brands:\n  - id: a\n    patterns: ['x?', 'good', 'y*', '(z|)', 'fine']\n");
  ASSERT_EQ(diagnostics.size(), 3u);
  EXPECT_EQ(diagnostics[0].where.ToString(), "p.yaml:3:16");
  EXPECT_EQ(diagnostics[1].where.ToString(), "p.yaml:3:30");
  EXPECT_EQ(diagnostics[2].where.ToString(), "p.yaml:3:36");
  for (const Diagnostic& diagnostic : diagnostics) {
    EXPECT_THAT(diagnostic.message, HasSubstr("Pattern matches empty buffer"));
  }
}

TEST(Database, StopsAfterAHundredCompileOnlyErrors) {
  // Each compile-only error costs a whole compile, so a file full of them is cut short, saying so.
  std::string yaml = "brands:\n  - id: many\n    patterns: [good";
  for (int i = 0; i < 105; ++i) yaml += ", '(q" + std::to_string(i) + ")?'";
  yaml += "]\n";
  const std::vector<Diagnostic> diagnostics = BuildDiagnostics(yaml);
  ASSERT_EQ(diagnostics.size(), 101u);
  EXPECT_THAT(diagnostics[0].message, HasSubstr("pattern '(q0)?' rejected by Hyperscan"));
  EXPECT_EQ(diagnostics.back().ToString(),
            "stopped after 100 compile attempts; fix these and check again");
}

TEST(Database, PatternRefsMapDenseIdsBackToRules) {
  std::shared_ptr<const Database> database = BuildText(
      "brands:\n"
      "  - id: first\n"
      "    patterns: [alpha, beta]\n"
      "    exclude: [gamma]\n"
      "  - id: second\n"
      "    case_sensitive: true\n"
      "    patterns: [delta]\n");
  ASSERT_NE(database, nullptr);
  const std::vector<PatternRef>& refs = database->patterns();
  ASSERT_EQ(refs.size(), 4u);
  EXPECT_EQ(refs[0].rule_index, 0u);
  EXPECT_EQ(refs[0].pattern_index, 0u);
  EXPECT_FALSE(refs[0].exclude);
  EXPECT_EQ(refs[1].pattern_index, 1u);
  EXPECT_EQ(refs[2].rule_index, 0u);
  EXPECT_EQ(refs[2].pattern_index, 0u);
  EXPECT_TRUE(refs[2].exclude);
  EXPECT_EQ(refs[3].rule_index, 1u);
  EXPECT_EQ(refs[3].pattern_index, 0u);
  EXPECT_EQ(refs[0].hs_flags, HS_FLAG_UTF8 | HS_FLAG_SINGLEMATCH | HS_FLAG_CASELESS);
  EXPECT_EQ(refs[3].hs_flags, HS_FLAG_UTF8 | HS_FLAG_SINGLEMATCH);
  EXPECT_GT(database->size_bytes(), 0u);
  EXPECT_NE(database->prototype_scratch(), nullptr);
  EXPECT_FALSE(database->loaded_from_cache());
  EXPECT_TRUE(database->cache_key().empty());
}

TEST(Database, EmptyRuleSetBuildsAndMatchesNothing) {
  std::vector<Diagnostic> diagnostics;
  core::Result<std::shared_ptr<const Database>> database =
      Database::Build(RuleSet{}, BuildOptions{}, diagnostics);
  ASSERT_TRUE(database.has_value()) << database.error().ToString();
  EXPECT_TRUE(diagnostics.empty());
  EXPECT_EQ((*database)->hs_database(), nullptr);
  EXPECT_EQ((*database)->size_bytes(), 0u);
  Scanner scanner = testing::MakeScanner(*database);
  std::vector<uint32_t> matched = {7};
  EXPECT_TRUE(scanner.Scan("anything at all", matched).ok());
  EXPECT_TRUE(matched.empty());
  core::Result<std::vector<MatchSpan>> spans = FindMatchSpans(**database, 0, "x");
  EXPECT_FALSE(spans.has_value());
}

TEST(Database, RulesWithoutPatternsStillBuild) {
  RuleSet rules;
  Rule rule;
  rule.kind = RuleKind::kBrand;
  rule.id = "empty";
  rules.rules.push_back(rule);
  std::vector<Diagnostic> diagnostics;
  core::Result<std::shared_ptr<const Database>> database =
      Database::Build(std::move(rules), BuildOptions{}, diagnostics);
  ASSERT_TRUE(database.has_value());
  Scanner scanner = testing::MakeScanner(*database);
  EXPECT_TRUE(testing::MatchIds(scanner, "empty").empty());
}

TEST(Database, InvalidUtf8ExampleInACodeBuiltRuleSetIsRejected) {
  RuleSet rules;
  Rule rule;
  rule.kind = RuleKind::kBrand;
  rule.id = "acme";
  rule.patterns.push_back(Pattern{"acme", false, {"code", 1, 1}});
  rule.match_examples.push_back(Example{"acme \xC0\xAF", {"code", 2, 3}});
  rules.rules.push_back(rule);
  std::vector<Diagnostic> diagnostics;
  core::Result<std::shared_ptr<const Database>> database =
      Database::Build(std::move(rules), BuildOptions{}, diagnostics);
  ASSERT_FALSE(database.has_value());
  EXPECT_TRUE(database.error().IsInvalidArgument());
  EXPECT_THAT(Lines(diagnostics), ElementsAre("code:2:3: rule 'acme': example is not valid UTF-8"));
}

TEST(Database, NulInACodeBuiltPatternIsRejected) {
  RuleSet rules;
  Rule rule;
  rule.kind = RuleKind::kBrand;
  rule.id = "acme";
  rule.patterns.push_back(Pattern{std::string("ac\0me", 5), false, {"code", 4, 2}});
  rules.rules.push_back(rule);
  std::vector<Diagnostic> diagnostics;
  EXPECT_FALSE(Database::Build(std::move(rules), BuildOptions{}, diagnostics).has_value());
  EXPECT_THAT(Lines(diagnostics), ElementsAre("code:4:2: rule 'acme': pattern contains a NUL byte "
                                              "(write \\x00 instead)"));
}

}  // namespace
}  // namespace earshot::matchers
