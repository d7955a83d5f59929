// libFuzzer target for the rule loader and, for small rule sets that load cleanly, the Hyperscan
// build and a scan of every example.
//
// Any input may be rejected with diagnostics; what must hold is that nothing crashes, no exception
// escapes, every diagnostic says something, and a rejected build explains itself. A violation
// traps so libFuzzer records the input.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "matchers/database.h"
#include "matchers/rule_loader.h"
#include "matchers/scanner.h"

namespace {

using earshot::matchers::Database;
using earshot::matchers::Diagnostic;

// Compiling is far slower than loading; keep each run short so the fuzzer explores the loader.
constexpr size_t kMaxPatterns = 64;

void CheckDiagnostics(const std::vector<Diagnostic>& diagnostics) {
  for (const Diagnostic& diagnostic : diagnostics) {
    if (diagnostic.message.empty() || diagnostic.ToString().empty()) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view yaml(reinterpret_cast<const char*>(data), size);
  earshot::matchers::LoadOutcome outcome;
  earshot::matchers::LoadRulesFromText(yaml, "fuzz.yaml", outcome);
  earshot::matchers::FinishLoading(outcome);
  CheckDiagnostics(outcome.diagnostics);
  if (!outcome.ok()) return 0;

  size_t patterns = 0;
  for (const auto& rule : outcome.rules.rules)
    patterns += rule.patterns.size() + rule.excludes.size();
  if (patterns >= kMaxPatterns) return 0;

  std::vector<Diagnostic> diagnostics;
  auto database = Database::Build(outcome.rules, earshot::matchers::BuildOptions{}, diagnostics);
  CheckDiagnostics(diagnostics);
  if (!database) {
    // A rule set rejected as invalid must say where and why.
    if (database.error().IsInvalidArgument() && diagnostics.empty()) __builtin_trap();
    return 0;
  }
  auto scanner = earshot::matchers::Scanner::Create(*database);
  if (!scanner) return 0;
  std::vector<uint32_t> matched;
  const auto& rules = (*database)->rules().rules;
  for (const auto& rule : rules) {
    for (const auto* examples : {&rule.match_examples, &rule.no_match_examples}) {
      for (const auto& example : *examples) {
        if (!scanner->Scan(example.text, matched).ok()) __builtin_trap();
        for (uint32_t index : matched) {
          if (index >= rules.size()) __builtin_trap();
        }
      }
    }
  }
  return 0;
}
