// `earshot cases list|pull|ack|nack|resolve`: the embedded queue's consumer interface (DESIGN.md
// §3.4, §3.6). Every command prints one JSON line per case on stdout, so a consumer can pipe it to
// jq or read it from any language; problems go to stderr.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/config_loading.h"
#include "core/time.h"
#include "store/queue.h"

namespace earshot::cli {
namespace {

struct CasesOptions {
  std::string config;
  std::string state = "open";
  size_t limit = 0;
  size_t max = 1;
  double lease_seconds = 300;
  std::vector<std::string> case_ids;
};

void PrintCase(const store::CaseRecord& record, int64_t now_ms) {
  std::string line;
  store::AppendCaseJson(line, record, now_ms);
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stdout);
}

// Loads the config (no secrets: a consumer needs none) and opens its existing data directory.
// On failure prints why and sets `exit_code`: 2 for a bad config, 1 for an unusable directory.
// `leasing`: the command leases or finishes leases, which with queue.kind redis belongs to Redis'
// consumer groups — two lease systems over the same cases would deliver each case twice.
std::unique_ptr<store::Store> OpenQueue(const std::string& config_path, int& exit_code, bool leasing = false) {
  std::optional<core::Config> config = LoadConfigOrReport(config_path, /*with_secrets=*/false);
  if (!config) {
    exit_code = kExitBadInput;
    return nullptr;
  }
  if (leasing && config->queue.kind == core::QueueConfig::Kind::kRedis) {
    spdlog::error("{}: queue.kind is redis: consumers read the streams {}:critical, :high, :medium and :low with "
                  "XREADGROUP (group '{}') and XACK them; `cases list` and `cases resolve` still work here",
                  config->file.string(), config->queue.redis_stream, config->queue.redis_group);
    exit_code = kExitBadInput;
    return nullptr;
  }
  std::unique_ptr<store::Store> store = OpenStoreOrReport(*config, /*create_if_missing=*/false);
  if (!store) exit_code = kExitFailure;
  return store;
}

int RunList(const CasesOptions& options) {
  const std::optional<store::StateFilter> filter = store::ParseStateFilter(options.state);
  if (!filter) {
    spdlog::error("--state must be open, all, queued, leased, acked or resolved, not '{}'", options.state);
    return kExitBadInput;
  }
  int open_failure = kExitOk;
  std::unique_ptr<store::Store> store = OpenQueue(options.config, open_failure);
  if (!store) return open_failure;
  const int64_t now_ms = core::NowMillis();
  core::Status status = store->Read([&](store::Txn& txn) -> core::Status {
    core::Result<std::vector<store::CaseRecord>> cases = store::ListCases(txn, *filter, now_ms, options.limit);
    if (!cases) return cases.error();
    for (const store::CaseRecord& record : *cases) PrintCase(record, now_ms);
    return core::Status::Ok();
  });
  if (!status.ok()) {
    spdlog::error("cases list: {}", status.message());
    return kExitFailure;
  }
  return kExitOk;
}

int RunPull(const CasesOptions& options) {
  if (options.lease_seconds <= 0) {
    spdlog::error("--lease must be a positive number of seconds");
    return kExitBadInput;
  }
  int open_failure = kExitOk;
  std::unique_ptr<store::Store> store = OpenQueue(options.config, open_failure, /*leasing=*/true);
  if (!store) return open_failure;
  const int64_t now_ms = core::NowMillis();
  std::vector<store::CaseRecord> pulled;
  core::Status status = store->Write([&](store::Txn& txn) -> core::Status {
    core::Result<std::vector<store::CaseRecord>> cases =
        store::PullCases(txn, now_ms, options.max, static_cast<int64_t>(options.lease_seconds * 1000));
    if (!cases) return cases.error();
    pulled = std::move(*cases);
    return core::Status::Ok();
  });
  if (!status.ok()) {
    spdlog::error("cases pull: {}", status.message());
    return kExitFailure;
  }
  // Printed only after the commit: a consumer never sees a lease that was not recorded.
  for (const store::CaseRecord& record : pulled) PrintCase(record, now_ms);
  std::fflush(stdout);
  return kExitOk;
}

int RunFinish(const CasesOptions& options, store::Finish finish, const char* verb) {
  std::vector<store::LeaseRef> refs;
  for (const std::string& id : options.case_ids) {
    std::optional<store::LeaseRef> ref = store::ParseCaseOrLeaseId(id);
    if (!ref) {
      spdlog::error("'{}' is not a case id or lease id (they look like c-00000042 and c-00000042.3)", id);
      return kExitBadInput;
    }
    refs.push_back(*ref);
  }
  int open_failure = kExitOk;
  std::unique_ptr<store::Store> store =
      OpenQueue(options.config, open_failure, /*leasing=*/finish != store::Finish::kResolve);
  if (!store) return open_failure;
  int exit_code = kExitOk;
  // One transaction per case: one that cannot be finished does not hold back the others.
  for (size_t i = 0; i < refs.size(); ++i) {
    const uint64_t number = refs[i].number;
    const int64_t now_ms = core::NowMillis();
    store::CaseRecord finished;
    core::Status status = store->Write([&](store::Txn& txn) -> core::Status {
      core::Result<store::CaseRecord> record = store::FinishCase(txn, number, finish, now_ms, refs[i].generation);
      if (!record) return record.error();
      finished = std::move(*record);
      return core::Status::Ok();
    });
    if (!status.ok()) {
      spdlog::error("cases {} {}: {}", verb, options.case_ids[i], status.message());
      exit_code = kExitFailure;
      continue;
    }
    PrintCase(finished, now_ms);
  }
  return exit_code;
}

}  // namespace

Runner RegisterCases(CLI::App& app) {
  auto options = std::make_shared<CasesOptions>();
  CLI::App* cases = app.add_subcommand("cases", "List, pull, ack, nack or resolve queued cases");
  cases->require_subcommand(1);
  auto add_config = [&](CLI::App* command) {
    command->add_option("--config", options->config, "Configuration file (its data_dir holds the queue)")
        ->required();
  };
  CLI::App* list = cases->add_subcommand("list", "Cases as JSON lines, most urgent first");
  add_config(list);
  list->add_option("--state", options->state, "open (queued or leased; default), all, queued, leased, acked, resolved");
  list->add_option("--limit", options->limit, "At most this many cases (default: all)");
  CLI::App* pull = cases->add_subcommand("pull", "Lease up to N cases, highest urgency first");
  add_config(pull);
  pull->add_option("--max", options->max, "How many cases to lease (default 1)");
  pull->add_option("--lease", options->lease_seconds,
                   "Seconds the cases stay hidden from other pulls (default 300); ack, nack or resolve "
                   "before then, or they return to the queue");
  struct FinishCommand {
    const char* name;
    const char* help;
    store::Finish finish;
  };
  static constexpr FinishCommand kFinishes[] = {
      {"ack", "Finish leased cases (done with them)", store::Finish::kAck},
      {"nack", "Return leased cases to the queue now", store::Finish::kNack},
      {"resolve", "Close cases; the author's history records the resolution", store::Finish::kResolve},
  };
  std::vector<std::pair<CLI::App*, const FinishCommand*>> finishers;
  for (const FinishCommand& command : kFinishes) {
    CLI::App* sub = cases->add_subcommand(command.name, command.help);
    add_config(sub);
    sub->add_option("case_ids", options->case_ids,
                    "Case ids (c-00000042), or lease ids from pull (c-00000042.3) to act only while that lease "
                    "is still yours")
        ->required();
    finishers.emplace_back(sub, &command);
  }
  return [options, cases, list, pull, finishers]() -> int {
    if (!cases->parsed()) return -1;
    if (list->parsed()) return RunList(*options);
    if (pull->parsed()) return RunPull(*options);
    for (const auto& [sub, command] : finishers) {
      if (sub->parsed()) return RunFinish(*options, command->finish, command->name);
    }
    return kExitBadInput;
  };
}

}  // namespace earshot::cli
