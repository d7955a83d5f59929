// Loading the configuration and opening the data directory for the config-driven commands
// (`run`, `cases`), with every problem printed to stderr in the user's terms.
#ifndef EARSHOT_CLI_CONFIG_LOADING_H_
#define EARSHOT_CLI_CONFIG_LOADING_H_

#include <memory>
#include <optional>
#include <string>

#include "core/config.h"
#include "store/store.h"

namespace earshot::cli {

// Loads `path`; prints each problem as "file:line:column: message". `with_secrets` false skips
// reading the environment variables a config names (a queue consumer needs no API tokens), so they
// come back empty. Nullopt on any problem (the caller exits 2).
std::optional<core::Config> LoadConfigOrReport(const std::string& path, bool with_secrets);

// Opens config.data_dir; prints the error and returns null on failure (the caller exits 1).
std::unique_ptr<store::Store> OpenStoreOrReport(const core::Config& config, bool create_if_missing);

}  // namespace earshot::cli

#endif  // EARSHOT_CLI_CONFIG_LOADING_H_
