// `earshot explain`: which rules matched a text, where, and how its urgency was added up.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/rule_loading.h"
#include "triage/explain.h"

namespace earshot::cli {
namespace {

struct ExplainOptions {
  RuleOptions rules;
  std::vector<std::string> words;
  std::string author;
};

int RunExplain(const ExplainOptions& options) {
  std::shared_ptr<const matchers::Database> database = LoadDatabase(options.rules);
  if (!database) return kExitBadInput;
  std::string text;
  for (const std::string& word : options.words) {
    if (!text.empty()) text += ' ';
    text += word;
  }
  core::Result<std::string> explanation = triage::ExplainText(database, text, options.author);
  if (!explanation) {
    spdlog::error("{}", explanation.error().ToString());
    return kExitFailure;
  }
  std::fwrite(explanation->data(), 1, explanation->size(), stdout);
  return kExitOk;
}

}  // namespace

Runner RegisterExplain(CLI::App& app) {
  auto options = std::make_shared<ExplainOptions>();
  CLI::App* command =
      app.add_subcommand("explain", "Show which rules match TEXT, where, and how its urgency adds up");
  options->rules.AddTo(*command, /*positional=*/false);
  command->add_option("--author", options->author, "Author handle (to see brand-account handling)");
  command->add_option("text", options->words, "The text to explain (words are joined by spaces)")
      ->required();
  return [options, command] { return command->parsed() ? RunExplain(*options) : -1; };
}

}  // namespace earshot::cli
