// `earshot rules check` and `earshot rules test`: fast feedback for rule authors.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/rule_loading.h"
#include "matchers/rule_examples.h"

namespace earshot::cli {
namespace {

void PrintSummary(const matchers::Database& database) {
  size_t brands = 0, complaints = 0, signals = 0;
  for (const matchers::Rule& rule : database.rules().rules) {
    switch (rule.kind) {
      case matchers::RuleKind::kBrand: ++brands; break;
      case matchers::RuleKind::kComplaint: ++complaints; break;
      case matchers::RuleKind::kSignal: ++signals; break;
    }
  }
  std::printf("ok: %zu files, %zu brands, %zu complaint rules, %zu signal rules, %zu patterns (%s)\n",
              database.rules().files.size(), brands, complaints, signals, database.patterns().size(),
              database.loaded_from_cache() ? "database from cache" : "compiled");
}

int RunCheck(const RuleOptions& options) {
  std::shared_ptr<const matchers::Database> database = LoadDatabase(options);
  if (!database) return kExitBadInput;
  PrintSummary(*database);
  return kExitOk;
}

int RunTest(const RuleOptions& options) {
  std::shared_ptr<const matchers::Database> database = LoadDatabase(options);
  if (!database) return kExitBadInput;
  core::Result<matchers::ExampleReport> report = matchers::RunRuleExamples(database);
  if (!report) {
    spdlog::error("{}", report.error().ToString());
    return kExitFailure;
  }
  for (const matchers::ExampleFailure& failure : report->failures) {
    std::printf("FAIL %s\n", failure.ToString().c_str());
  }
  std::printf("%zu examples, %zu passed, %zu failed (%zu rules have no match example)\n",
              report->examples, report->examples - report->failures.size(), report->failures.size(),
              report->rules_without_match_example);
  return report->failures.empty() ? kExitOk : kExitFailure;
}

}  // namespace

Runner RegisterRules(CLI::App& app) {
  CLI::App* rules = app.add_subcommand("rules", "Validate rule files or run their examples");
  rules->require_subcommand(1);
  auto check_options = std::make_shared<RuleOptions>();
  CLI::App* check = rules->add_subcommand(
      "check", "Load and compile rule files; print every problem as file:line:column (exit 2)");
  check_options->AddTo(*check, /*positional=*/true);
  auto test_options = std::make_shared<RuleOptions>();
  CLI::App* test = rules->add_subcommand(
      "test", "Run every rule's examples.match / no_match through the compiled rules (exit 1 on failure)");
  test_options->AddTo(*test, /*positional=*/true);
  return [=]() -> int {
    if (check->parsed()) return RunCheck(*check_options);
    if (test->parsed()) return RunTest(*test_options);
    return -1;
  };
}

}  // namespace earshot::cli
