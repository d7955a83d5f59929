#include "matchers/rule_examples.h"

#include <algorithm>

#include "matchers/scanner.h"

namespace earshot::matchers {

std::string ExampleFailure::ToString() const {
  std::string out = where.ToString() + ": rule '" + rule_id + "': ";
  out += expected_match ? "expected a match, got none: \"" : "expected no match, but it matched: \"";
  out += text + "\"";
  return out;
}

core::Result<ExampleReport> RunRuleExamples(std::shared_ptr<const Database> database) {
  core::Result<Scanner> scanner = Scanner::Create(database);
  if (!scanner) return scanner.error();
  ExampleReport report;
  std::vector<uint32_t> matched;
  const std::vector<Rule>& rules = database->rules().rules;
  for (uint32_t index = 0; index < rules.size(); ++index) {
    const Rule& rule = rules[index];
    if (rule.match_examples.empty()) ++report.rules_without_match_example;
    auto check = [&](const Example& example, bool expected_match) -> core::Status {
      ++report.examples;
      EARSHOT_RETURN_IF_ERROR(scanner->Scan(example.text, matched));
      const bool did_match = std::binary_search(matched.begin(), matched.end(), index);
      if (did_match != expected_match) {
        report.failures.push_back({rule.id, example.where, example.text, expected_match});
      }
      return core::Status::Ok();
    };
    for (const Example& example : rule.match_examples) EARSHOT_RETURN_IF_ERROR(check(example, true));
    for (const Example& example : rule.no_match_examples) EARSHOT_RETURN_IF_ERROR(check(example, false));
  }
  return report;
}

}  // namespace earshot::matchers
