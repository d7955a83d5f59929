// Loading and compiling rules for a command, with every diagnostic printed to stderr.
#ifndef EARSHOT_CLI_RULE_LOADING_H_
#define EARSHOT_CLI_RULE_LOADING_H_

#include <CLI/CLI.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "matchers/database.h"

namespace earshot::cli {

// The options every rule-consuming command shares.
struct RuleOptions {
  std::vector<std::string> paths;
  std::string cache_dir;  // empty: the default below
  bool no_cache = false;

  // Adds --rules (repeatable, required) or, for `rules check/test`, positional PATHs.
  void AddTo(CLI::App& command, bool positional);
};

// $XDG_CACHE_HOME/earshot/hs, else $HOME/.cache/earshot/hs, else empty (no cache).
std::filesystem::path DefaultCacheDir();

// Loads and compiles, returning every diagnostic ("file:line:column: rule 'id': message", one per
// line) in an InvalidArgument rather than printing them: for live reloads, which report them their
// own way and keep the running rules.
core::Result<std::shared_ptr<const matchers::Database>> CompileRules(const RuleOptions& options);

// Loads and compiles; prints each diagnostic as "file:line:column: rule 'id': message" and a cache
// note at debug level. Returns null when anything was wrong (the caller exits 2).
std::shared_ptr<const matchers::Database> LoadDatabase(const RuleOptions& options);

}  // namespace earshot::cli

#endif  // EARSHOT_CLI_RULE_LOADING_H_
