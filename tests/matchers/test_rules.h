// Helpers shared by the matchers tests: load YAML text, build a database, scan.
#ifndef EARSHOT_TESTS_MATCHERS_TEST_RULES_H_
#define EARSHOT_TESTS_MATCHERS_TEST_RULES_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "matchers/database.h"
#include "matchers/rule_loader.h"
#include "matchers/scanner.h"

namespace earshot::matchers::testing {

// Loads one YAML text as `file_name` and runs the cross-file checks.
inline LoadOutcome LoadText(std::string_view yaml, std::string_view file_name = "test.yaml") {
  LoadOutcome outcome;
  LoadRulesFromText(yaml, file_name, outcome);
  FinishLoading(outcome);
  return outcome;
}

// Every diagnostic as "file:line:column: rule 'id': message", for exact comparisons.
inline std::vector<std::string> Lines(const std::vector<Diagnostic>& diagnostics) {
  std::vector<std::string> lines;
  for (const Diagnostic& diagnostic : diagnostics) lines.push_back(diagnostic.ToString());
  return lines;
}

// Loads and builds `yaml`, failing the test (and returning null) on any diagnostic.
inline std::shared_ptr<const Database> BuildText(std::string_view yaml,
                                                 const BuildOptions& options = {}) {
  LoadOutcome outcome = LoadText(yaml);
  EXPECT_TRUE(outcome.ok()) << ::testing::PrintToString(Lines(outcome.diagnostics));
  if (!outcome.ok()) return nullptr;
  std::vector<Diagnostic> diagnostics;
  core::Result<std::shared_ptr<const Database>> database =
      Database::Build(std::move(outcome.rules), options, diagnostics);
  EXPECT_TRUE(database.has_value())
      << database.error().ToString() << " " << ::testing::PrintToString(Lines(diagnostics));
  if (!database.has_value()) return nullptr;
  return *database;
}

// The ids of the rules that match `text`.
inline std::vector<std::string> MatchIds(Scanner& scanner, std::string_view text) {
  std::vector<uint32_t> matched;
  core::Status status = scanner.Scan(text, matched);
  EXPECT_TRUE(status.ok()) << status.ToString();
  std::vector<std::string> ids;
  for (uint32_t index : matched) ids.push_back(scanner.database().rules().rules[index].id);
  return ids;
}

inline Scanner MakeScanner(std::shared_ptr<const Database> database) {
  core::Result<Scanner> scanner = Scanner::Create(std::move(database));
  EXPECT_TRUE(scanner.has_value());
  return std::move(scanner).value();
}

}  // namespace earshot::matchers::testing

#endif  // EARSHOT_TESTS_MATCHERS_TEST_RULES_H_
