// Running each rule's `examples` through the real compiled database (`earshot rules test`).
//
// An example under `match` must make its rule match (an include pattern hits and no exclude
// does); one under `no_match` must not. Because the examples run through the same Database and
// Scanner as triage, a passing test means production matches the same way.
//
// Thread safety: pure function of the database.
#ifndef EARSHOT_MATCHERS_RULE_EXAMPLES_H_
#define EARSHOT_MATCHERS_RULE_EXAMPLES_H_

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "matchers/database.h"

namespace earshot::matchers {

struct ExampleFailure {
  std::string rule_id;
  SourceLocation where;  // of the example's own YAML scalar
  std::string text;
  bool expected_match;   // true: a `match` example that did not match
  // "file:line:column: rule 'id': expected a match, got none: \"text\"".
  std::string ToString() const;
};

struct ExampleReport {
  size_t examples = 0;  // examples run
  size_t rules_without_match_example = 0;
  std::vector<ExampleFailure> failures;
};

core::Result<ExampleReport> RunRuleExamples(std::shared_ptr<const Database> database);

}  // namespace earshot::matchers

#endif  // EARSHOT_MATCHERS_RULE_EXAMPLES_H_
