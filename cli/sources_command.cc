// `earshot sources list|reset`: what each configured source has read, and a way to start it over —
// what feed-watcher users ask for when a feed was mis-configured or a backfill is wanted.
//
//   list   one JSON line per configured source: id, kind, cursor (the adapter's text, "" = never
//          polled, so the next poll is a first poll)
//   reset  forgets the named sources' cursors: their next poll is a first poll again (the newest
//          page; a jsonl file from its start). The seen-set stays, so posts already stored are
//          not triaged twice. Refused while `earshot run`/`crawl` holds the data directory, whose
//          next commit would write the old cursor back.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/config_loading.h"
#include "cli/run_lock.h"
#include "core/json_writer.h"
#include "store/cursors.h"

namespace earshot::cli {
namespace {

struct SourcesOptions {
  std::string config;
  std::vector<std::string> ids;
};

int RunList(const SourcesOptions& options) {
  std::optional<core::Config> config = LoadConfigOrReport(options.config, /*with_secrets=*/false);
  if (!config) return kExitBadInput;
  std::unique_ptr<store::Store> store = OpenStoreOrReport(*config, /*create_if_missing=*/false);
  if (!store) return kExitFailure;
  std::string out;
  core::Status status = store->Read([&](store::Txn& txn) -> core::Status {
    out.clear();
    for (const core::SourceConfig& source : config->sources) {
      core::Result<std::string> cursor = store::LoadCursor(txn, source.id);
      if (!cursor) return cursor.error();
      out.append("{\"id\":");
      core::AppendJsonString(out, source.id);
      out.append(",\"kind\":");
      core::AppendJsonString(out, source.kind);
      out.append(",\"cursor\":");
      core::AppendJsonString(out, *cursor);
      out.append("}\n");
    }
    return core::Status::Ok();
  });
  if (!status.ok()) {
    spdlog::error("{}", status.message());
    return kExitFailure;
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return kExitOk;
}

int RunReset(const SourcesOptions& options) {
  std::optional<core::Config> config = LoadConfigOrReport(options.config, /*with_secrets=*/false);
  if (!config) return kExitBadInput;
  for (const std::string& id : options.ids) {
    const bool configured = std::any_of(config->sources.begin(), config->sources.end(),
                                        [&](const core::SourceConfig& source) { return source.id == id; });
    if (!configured) {
      spdlog::error("{}: no source '{}' is configured", config->file.string(), id);
      return kExitBadInput;
    }
  }
  std::unique_ptr<store::Store> store = OpenStoreOrReport(*config, /*create_if_missing=*/false);
  if (!store) return kExitFailure;
  std::unique_ptr<RunLock> lock = RunLock::Acquire(config->data_dir);
  if (!lock) return kExitFailure;
  std::vector<bool> had;
  core::Status status = store->Write([&](store::Txn& txn) -> core::Status {
    had.clear();
    for (const std::string& id : options.ids) {
      core::Result<bool> removed = store::ResetCursor(txn, id);
      if (!removed) return removed.error();
      had.push_back(*removed);
    }
    return core::Status::Ok();
  });
  if (!status.ok()) {
    spdlog::error("{}", status.message());
    return kExitFailure;
  }
  for (size_t i = 0; i < options.ids.size(); ++i) {
    spdlog::info("source {}: {}", options.ids[i],
                 had[i] ? "cursor reset; its next poll starts over" : "had no cursor (never polled)");
  }
  return kExitOk;
}

}  // namespace

Runner RegisterSources(CLI::App& app) {
  auto options = std::make_shared<SourcesOptions>();
  CLI::App* command = app.add_subcommand("sources", "Inspect or reset where each configured source stopped");
  command->require_subcommand(1);
  CLI::App* list = command->add_subcommand("list", "Each source's saved cursor, as JSON lines");
  list->add_option("--config", options->config, "Configuration file (DESIGN.md §3.5)")->required();
  CLI::App* reset = command->add_subcommand("reset", "Forget sources' cursors: their next poll is a first poll");
  reset->add_option("--config", options->config, "Configuration file (DESIGN.md §3.5)")->required();
  reset->add_option("ids", options->ids, "Source ids")->required();
  return [options, list, reset] {
    if (list->parsed()) return RunList(*options);
    if (reset->parsed()) return RunReset(*options);
    return -1;
  };
}

}  // namespace earshot::cli
