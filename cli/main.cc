// earshot: social-listening crawler and triage engine. This file only wires subcommands to their
// runners and sets up logging; each command lives in its own *_command.cc.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "cli/commands.h"

namespace earshot::cli {
namespace {

int Main(int argc, char** argv) {
  auto logger = spdlog::stderr_color_mt("earshot");
  logger->set_pattern("earshot: %^%l%$: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::info);

  CLI::App app{"Earshot: hears every complaint, triages by what happened, never by who said it."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "earshot 0.1.0");
  bool verbose = false;
  bool quiet = false;
  app.add_flag("-v,--verbose", verbose, "Log debug detail (rule compile/cache, timings)");
  app.add_flag("-q,--quiet", quiet, "Log only errors");

  std::vector<Runner> runners = {RegisterTriage(app), RegisterRules(app), RegisterExplain(app),
                                  RegisterRun(app),    RegisterCrawl(app), RegisterCases(app), RegisterSources(app),
                                  RegisterServe(app)};

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // CLI11 reports usage errors by exception; this is the boundary where they become exit codes.
    const int code = app.exit(error);
    return code == 0 ? kExitOk : kExitBadInput;
  }
  if (verbose) spdlog::set_level(spdlog::level::debug);
  if (quiet) spdlog::set_level(spdlog::level::err);

  for (const Runner& runner : runners) {
    if (int code = runner(); code >= 0) return code;
  }
  return kExitBadInput;
}

}  // namespace
}  // namespace earshot::cli

int main(int argc, char** argv) { return earshot::cli::Main(argc, argv); }
