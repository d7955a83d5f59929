// A small rule set shared by the triage tests: enough to exercise every part of the scorer.
#ifndef EARSHOT_TESTS_TRIAGE_TEST_RULES_H_
#define EARSHOT_TESTS_TRIAGE_TEST_RULES_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "matchers/database.h"
#include "matchers/rule_loader.h"

namespace earshot::triage::testing {

inline constexpr const char* kTestRules = R"yaml(
brands:
  - id: acme
    patterns: ['\bacme\b']
    handles: ['@AcmeHelp']
complaints:
  - id: safety.fire
    category: safety
    patterns: ['\bcaught fire\b']
  - id: billing.twice
    category: billing
    patterns: ['\bcharged (me )?twice\b']
  - id: service.hold
    category: service_failure
    patterns: ['\bon hold\b']
    exclude: ['\bhold my beer\b']
  - id: general.sucks
    category: general_negative
    patterns: ['\bsucks\b']
  - id: outage.down
    category: outage
    patterns: ['\b(app|site) is down\b']
  - id: churn.leaving
    category: churn
    patterns: ['\bcancel+ing my account\b']
signals:
  - id: sig.duration
    signal: duration
    patterns: ['\b\d+ (minutes|hours|days)\b']
  - id: sig.repetition
    signal: repetition
    patterns: ['\bagain\b']
  - id: sig.resolution
    signal: resolution
    patterns: ['\bfixed now\b']
  - id: sig.question
    signal: question
    patterns: ['\bhow do i\b']
)yaml";

inline std::shared_ptr<const matchers::Database> BuildTestDatabase(const char* yaml = kTestRules) {
  matchers::LoadOutcome outcome;
  matchers::LoadRulesFromText(yaml, "test_rules.yaml", outcome);
  matchers::FinishLoading(outcome);
  for (const auto& diagnostic : outcome.diagnostics) ADD_FAILURE() << diagnostic.ToString();
  std::vector<matchers::Diagnostic> diagnostics;
  auto database = matchers::Database::Build(std::move(outcome.rules), {}, diagnostics);
  for (const auto& diagnostic : diagnostics) ADD_FAILURE() << diagnostic.ToString();
  if (!database) {
    ADD_FAILURE() << database.error().ToString();
    return nullptr;
  }
  return std::move(*database);
}

}  // namespace earshot::triage::testing

#endif  // EARSHOT_TESTS_TRIAGE_TEST_RULES_H_
