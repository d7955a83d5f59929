// The `earshot` subcommands. Each Register* adds its subcommand to the CLI11 app and returns a
// runner that the dispatcher calls once parsing succeeded. Runners return the process exit status
// of DESIGN.md §3.4: 0 success, 1 runtime failure, 2 bad usage or bad input files.
#ifndef EARSHOT_CLI_COMMANDS_H_
#define EARSHOT_CLI_COMMANDS_H_

#include <CLI/CLI.hpp>

#include <functional>

namespace earshot::cli {

using Runner = std::function<int()>;

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitBadInput = 2;

Runner RegisterTriage(CLI::App& app);
Runner RegisterRules(CLI::App& app);
Runner RegisterExplain(CLI::App& app);
Runner RegisterRun(CLI::App& app);
Runner RegisterCrawl(CLI::App& app);  // run_command.cc: `earshot crawl`, the same job without rules
Runner RegisterCases(CLI::App& app);
Runner RegisterSources(CLI::App& app);
Runner RegisterServe(CLI::App& app);  // run_command.cc: the engine with its HTTP API

}  // namespace earshot::cli

#endif  // EARSHOT_CLI_COMMANDS_H_
