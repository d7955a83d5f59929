#include "cli/rule_loading.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>

#include "matchers/rule_loader.h"

namespace earshot::cli {

void RuleOptions::AddTo(CLI::App& command, bool positional) {
  if (positional) {
    command.add_option("paths", paths, "Rule files or folders (read recursively for *.yaml)")
        ->required();
  } else {
    command.add_option("--rules", paths, "Rule file or folder; repeatable")->required()->allow_extra_args(false);
  }
  command.add_option("--cache-dir", cache_dir,
                     "Where compiled rule databases are cached (default: ~/.cache/earshot/hs)");
  command.add_flag("--no-cache", no_cache, "Always compile; never read or write the cache");
}

std::filesystem::path DefaultCacheDir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
    return std::filesystem::path(xdg) / "earshot" / "hs";
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return std::filesystem::path(home) / ".cache" / "earshot" / "hs";
  }
  return {};
}

std::shared_ptr<const matchers::Database> LoadDatabase(const RuleOptions& options) {
  std::vector<std::filesystem::path> paths(options.paths.begin(), options.paths.end());
  const auto start = std::chrono::steady_clock::now();
  matchers::LoadOutcome loaded = matchers::LoadRules(paths);
  for (const matchers::Diagnostic& diagnostic : loaded.diagnostics) {
    spdlog::error("{}", diagnostic.ToString());
  }
  if (!loaded.ok()) {
    spdlog::error("{} problem(s) in the rule files; nothing was compiled", loaded.diagnostics.size());
    return nullptr;
  }

  matchers::BuildOptions build;
  if (!options.no_cache) {
    build.cache_dir = options.cache_dir.empty() ? DefaultCacheDir() : std::filesystem::path(options.cache_dir);
  }
  std::vector<matchers::Diagnostic> diagnostics;
  core::Result<std::shared_ptr<const matchers::Database>> database =
      matchers::Database::Build(std::move(loaded.rules), build, diagnostics);
  for (const matchers::Diagnostic& diagnostic : diagnostics) spdlog::error("{}", diagnostic.ToString());
  if (!database) {
    if (diagnostics.empty()) spdlog::error("{}", database.error().ToString());
    return nullptr;
  }
  const auto elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start);
  spdlog::debug("rules: {} rules, {} patterns, {} ({:.0f} ms){}", (*database)->rules().rules.size(),
                (*database)->patterns().size(),
                (*database)->loaded_from_cache() ? "loaded from cache" : "compiled", elapsed.count(),
                (*database)->cache_note().empty() ? "" : "; cache: " + (*database)->cache_note());
  return std::move(*database);
}

}  // namespace earshot::cli
