#include "cli/rule_loading.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <sstream>

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

core::Result<std::shared_ptr<const matchers::Database>> CompileRules(const RuleOptions& options) {
  std::vector<std::filesystem::path> paths(options.paths.begin(), options.paths.end());
  const auto start = std::chrono::steady_clock::now();
  matchers::LoadOutcome loaded = matchers::LoadRules(paths);
  if (!loaded.ok()) {
    std::string message;
    for (const matchers::Diagnostic& diagnostic : loaded.diagnostics) message += diagnostic.ToString() + "\n";
    message += std::to_string(loaded.diagnostics.size()) + " problem(s) in the rule files; nothing was compiled";
    return core::Status::InvalidArgument(std::move(message));
  }

  matchers::BuildOptions build;
  if (!options.no_cache) {
    build.cache_dir = options.cache_dir.empty() ? DefaultCacheDir() : std::filesystem::path(options.cache_dir);
  }
  std::vector<matchers::Diagnostic> diagnostics;
  core::Result<std::shared_ptr<const matchers::Database>> database =
      matchers::Database::Build(std::move(loaded.rules), build, diagnostics);
  if (!database) {
    std::string message;
    for (const matchers::Diagnostic& diagnostic : diagnostics) {
      if (!message.empty()) message.push_back('\n');
      message += diagnostic.ToString();
    }
    if (message.empty()) message = database.error().ToString();
    return core::Status::InvalidArgument(std::move(message));
  }
  // Diagnostics beside a built database are warnings worth showing.
  for (const matchers::Diagnostic& diagnostic : diagnostics) spdlog::error("{}", diagnostic.ToString());
  const auto elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start);
  spdlog::debug("rules: {} rules, {} patterns, {} ({:.0f} ms){}", (*database)->rules().rules.size(),
                (*database)->patterns().size(),
                (*database)->loaded_from_cache() ? "loaded from cache" : "compiled", elapsed.count(),
                (*database)->cache_note().empty() ? "" : "; cache: " + (*database)->cache_note());
  return std::move(*database);
}

std::shared_ptr<const matchers::Database> LoadDatabase(const RuleOptions& options) {
  core::Result<std::shared_ptr<const matchers::Database>> database = CompileRules(options);
  if (!database) {
    std::istringstream lines(database.error().message());
    for (std::string line; std::getline(lines, line);) spdlog::error("{}", line);
    return nullptr;
  }
  return std::move(*database);
}

}  // namespace earshot::cli
