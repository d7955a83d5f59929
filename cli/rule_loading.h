// Loading and compiling rules for a command, with every diagnostic printed to stderr.
#ifndef EARSHOT_CLI_RULE_LOADING_H_
#define EARSHOT_CLI_RULE_LOADING_H_

#include <CLI/CLI.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

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

// Loads and compiles; prints each diagnostic as "file:line:column: rule 'id': message" and a cache
// note at debug level. Returns null when anything was wrong (the caller exits 2).
std::shared_ptr<const matchers::Database> LoadDatabase(const RuleOptions& options);

}  // namespace earshot::cli

#endif  // EARSHOT_CLI_RULE_LOADING_H_
