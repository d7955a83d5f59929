// RuleReloader: live rule reload for a running engine (`earshot run`/`serve`).
//
// Triggers: SIGHUP (RequestReload, returns at once), POST /rules/reload (Reload, waits for the
// outcome), and a change to any rule file (a watcher thread compares the rule files' paths, sizes
// and modification times every `watch_interval`, and reloads once the set has stayed the same for
// one more interval, so an editor's half-written save is not compiled).
// The new set is loaded and compiled on the calling (or watcher) thread, never the pipeline's, and
// only a set that compiled cleanly is installed — the pipeline then switches between batches
// (Pipeline::SwapDatabase). A broken file is reported with its file:line:column diagnostics and the
// running rules stay in force. Reloads are serialised: two triggers at once compile twice, in turn.
//
// Thread safety: every public member may be called from any thread.
#ifndef EARSHOT_TRIAGE_RULE_RELOADER_H_
#define EARSHOT_TRIAGE_RULE_RELOADER_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "matchers/database.h"

namespace earshot::triage {

struct ReloadResult {
  bool ok = false;
  uint64_t generation = 0;  // the generation now in force (the old one when !ok)
  size_t rules = 0;         // rules in the set now in force
  std::string error;        // !ok: every diagnostic, one "file:line:column: message" per line
  double compile_ms = 0;
  std::string trigger;      // "SIGHUP", "http", "file change", ...
  int64_t at_ms = 0;        // Unix ms the reload finished
};

class RuleReloader {
 public:
  // Loads and compiles the rule files as they are now; InvalidArgument carrying the diagnostics.
  using Compile = std::function<core::Result<std::shared_ptr<const matchers::Database>>()>;
  // Installs a compiled set; returns its generation (Pipeline::SwapDatabase).
  using Install = std::function<uint64_t(std::shared_ptr<const matchers::Database>)>;
  // Told about every reload, successful or not (for logging); from the reloading thread.
  using Report = std::function<void(const ReloadResult&)>;

  // `watched` are the configured rule paths (files or folders, read as the loader reads them:
  // *.yaml/*.yml, recursively); a `watch_interval` of zero turns file watching off.
  // `current_generation`/`current_rules` describe the set already in force.
  RuleReloader(Compile compile, Install install, Report report, std::vector<std::filesystem::path> watched,
               std::chrono::milliseconds watch_interval, uint64_t current_generation, size_t current_rules);
  ~RuleReloader();  // stops the watcher and waits for a reload in progress
  RuleReloader(const RuleReloader&) = delete;
  RuleReloader& operator=(const RuleReloader&) = delete;

  ReloadResult Reload(std::string_view trigger);
  void RequestReload(std::string_view trigger);

  ReloadResult last() const;  // the most recent outcome (ok, generation 1 before any reload)
  uint64_t reloads_ok() const;
  uint64_t reloads_failed() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace earshot::triage

#endif  // EARSHOT_TRIAGE_RULE_RELOADER_H_
