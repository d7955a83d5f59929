// Golden files for rule errors (the idea of Hyperscan's unit/hyperscan/bad_patterns.txt): every
// rules/testdata/bad/NAME.yaml has a sibling NAME.expected listing, one per line and in order,
// the exact diagnostics that loading and then compiling it must produce. Each file is loaded
// under its bare name so the expected text does not depend on where the source tree lives.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "matchers/database.h"
#include "matchers/rule_loader.h"
#include "tests/matchers/test_rules.h"

namespace earshot::matchers {
namespace {

namespace fs = std::filesystem;

fs::path BadDir() { return fs::path(EARSHOT_SOURCE_DIR) / "rules" / "testdata" / "bad"; }

std::vector<std::string> GoldenNames() {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(BadDir(), error)) {
    if (entry.path().extension() == ".yaml") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> ReadLines(const fs::path& path) {
  std::vector<std::string> lines;
  std::istringstream text(ReadFile(path));
  for (std::string line; std::getline(text, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// Loading diagnostics, or, if the file loads cleanly, the diagnostics of compiling it.
std::vector<std::string> Diagnose(const std::string& name) {
  LoadOutcome outcome;
  LoadRulesFromText(ReadFile(BadDir() / (name + ".yaml")), name + ".yaml", outcome);
  FinishLoading(outcome);
  if (!outcome.ok()) return testing::Lines(outcome.diagnostics);
  std::vector<Diagnostic> diagnostics;
  core::Result<std::shared_ptr<const Database>> database =
      Database::Build(std::move(outcome.rules), BuildOptions{}, diagnostics);
  EXPECT_FALSE(database.has_value()) << "a bad file compiled";
  return testing::Lines(diagnostics);
}

class GoldenDiagnostics : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenDiagnostics, MatchesExpectedFile) {
  const fs::path expected_path = BadDir() / (GetParam() + ".expected");
  ASSERT_TRUE(fs::exists(expected_path)) << expected_path << " is missing";
  const std::vector<std::string> expected = ReadLines(expected_path);
  ASSERT_FALSE(expected.empty()) << "a bad file must produce at least one diagnostic";
  EXPECT_EQ(Diagnose(GetParam()), expected);
}

INSTANTIATE_TEST_SUITE_P(RulesTestdataBad, GoldenDiagnostics, ::testing::ValuesIn(GoldenNames()),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           return param_info.param;
                         });

// Guards against the suite silently running over nothing (e.g. a moved directory).
TEST(GoldenDiagnosticsData, DirectoryHoldsTheGoldenFiles) {
  EXPECT_GE(GoldenNames().size(), 8u) << BadDir();
}

// The good examples load, compile and pass their own examples.
TEST(GoldenDiagnosticsData, GoodFilesLoadAndCompile) {
  const fs::path good = fs::path(EARSHOT_SOURCE_DIR) / "rules" / "testdata" / "good";
  LoadOutcome outcome = LoadRules({good});
  ASSERT_TRUE(outcome.ok()) << ::testing::PrintToString(testing::Lines(outcome.diagnostics));
  ASSERT_GE(outcome.rules.rules.size(), 3u);
  std::vector<Diagnostic> diagnostics;
  core::Result<std::shared_ptr<const Database>> database =
      Database::Build(std::move(outcome.rules), BuildOptions{}, diagnostics);
  ASSERT_TRUE(database.has_value()) << database.error().ToString();
  Scanner scanner = testing::MakeScanner(*database);
  std::vector<uint32_t> matched;
  const std::vector<Rule>& rules = (*database)->rules().rules;
  for (uint32_t r = 0; r < rules.size(); ++r) {
    for (const Example& example : rules[r].match_examples) {
      ASSERT_TRUE(scanner.Scan(example.text, matched).ok());
      EXPECT_TRUE(std::find(matched.begin(), matched.end(), r) != matched.end())
          << example.where.ToString() << " " << example.text;
    }
    for (const Example& example : rules[r].no_match_examples) {
      ASSERT_TRUE(scanner.Scan(example.text, matched).ok());
      EXPECT_TRUE(std::find(matched.begin(), matched.end(), r) == matched.end())
          << example.where.ToString() << " " << example.text;
    }
  }
}

}  // namespace
}  // namespace earshot::matchers
