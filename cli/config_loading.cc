#include "cli/config_loading.h"

#include <spdlog/spdlog.h>

#include <sstream>

namespace earshot::cli {

std::optional<core::Config> LoadConfigOrReport(const std::string& path, bool with_secrets) {
  core::GetEnv getenv = nullptr;  // the process environment
  if (!with_secrets) {
    getenv = [](const char*) -> std::optional<std::string> { return std::string(); };
  }
  core::Result<core::Config> config = core::LoadConfig(path, getenv);
  if (!config) {
    std::istringstream lines(config.error().message());
    for (std::string line; std::getline(lines, line);) spdlog::error("{}", line);
    return std::nullopt;
  }
  return std::move(*config);
}

std::unique_ptr<store::Store> OpenStoreOrReport(const core::Config& config, bool create_if_missing) {
  store::StoreOptions options;
  options.create_if_missing = create_if_missing;
  core::Result<std::unique_ptr<store::Store>> store = store::Store::Open(config.data_dir, options);
  if (!store) {
    spdlog::error("{}", store.error().message());
    return nullptr;
  }
  return std::move(*store);
}

}  // namespace earshot::cli
