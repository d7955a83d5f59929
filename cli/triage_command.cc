// `earshot triage`: batch triage of Post JSONL into triage results (DESIGN.md §3.2, §3.4).
#include <oneapi/tbb/global_control.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/rule_loading.h"
#include "triage/batch_triage.h"

namespace earshot::cli {
namespace {

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

struct TriageOptions {
  RuleOptions rules;
  std::string input = "-";
  std::string output = "-";
  size_t threads = 0;
  size_t batch_size = 128;
  bool most_urgent_first = false;
};

// Writes each result line as it arrives; reports bad lines with the input's name.
class StreamingSink : public triage::TriageSink {
 public:
  StreamingSink(std::FILE* out, std::string input_name) : out_(out), input_name_(std::move(input_name)) {}

  void OnResult(const core::Post&, const triage::TriageResult&, std::string_view json) override {
    std::fwrite(json.data(), 1, json.size(), out_);
    std::fputc('\n', out_);
  }
  void OnBadLine(uint64_t line_number, std::string_view reason, bool skipped) override {
    spdlog::warn("{}: line {}: {}{}", input_name_, line_number, reason, skipped ? " (skipped)" : "");
  }

 private:
  std::FILE* out_;
  std::string input_name_;
};

// Keeps every result and writes them most urgent first (ties: input order). Memory grows with the
// input, so this is for demos and small files; the queue (`earshot run`) is the scalable path.
class SortingSink : public StreamingSink {
 public:
  using StreamingSink::StreamingSink;

  void OnResult(const core::Post&, const triage::TriageResult& result, std::string_view json) override {
    held_.push_back({result.urgency, std::string(json)});
  }
  void Flush(std::FILE* out) {
    std::stable_sort(held_.begin(), held_.end(),
                     [](const Held& a, const Held& b) { return a.urgency > b.urgency; });
    for (const Held& held : held_) {
      std::fwrite(held.json.data(), 1, held.json.size(), out);
      std::fputc('\n', out);
    }
  }

 private:
  struct Held {
    double urgency;
    std::string json;
  };
  std::vector<Held> held_;
};

int RunTriage(const TriageOptions& options) {
  std::shared_ptr<const matchers::Database> database = LoadDatabase(options.rules);
  if (!database) return kExitBadInput;

  File input_file;
  std::FILE* input = stdin;
  if (options.input != "-") {
    input_file.reset(std::fopen(options.input.c_str(), "rb"));
    if (!input_file) {
      spdlog::error("{}", core::Status::FromErrno("open", options.input, errno).message());
      return kExitBadInput;
    }
    input = input_file.get();
  }
  File output_file;
  std::FILE* output = stdout;
  if (options.output != "-") {
    output_file.reset(std::fopen(options.output.c_str(), "wb"));
    if (!output_file) {
      spdlog::error("{}", core::Status::FromErrno("create", options.output, errno).message());
      return kExitFailure;
    }
    output = output_file.get();
  }

  std::optional<tbb::global_control> thread_cap;
  if (options.threads > 0) {
    thread_cap.emplace(tbb::global_control::max_allowed_parallelism, options.threads);
  }
  const std::string input_name = options.input == "-" ? "<stdin>" : options.input;
  triage::BatchOptions batch;
  batch.batch_size = options.batch_size;

  std::unique_ptr<StreamingSink> sink = options.most_urgent_first
                                            ? std::make_unique<SortingSink>(output, input_name)
                                            : std::make_unique<StreamingSink>(output, input_name);
  core::Result<triage::BatchStats> stats = triage::TriageStream(input, database, batch, *sink);
  if (options.most_urgent_first) static_cast<SortingSink&>(*sink).Flush(output);

  // A full disk shows up here, not at each fwrite: check before claiming success.
  if (std::fflush(output) != 0 || std::ferror(output)) {
    spdlog::error("{}", core::Status::FromErrno("write", options.output == "-" ? "<stdout>" : options.output, errno).message());
    return kExitFailure;
  }
  if (!stats) {
    spdlog::error("{}: {}", input_name, stats.error().ToString());
    return kExitFailure;
  }
  spdlog::info("{}: {} lines, {} posts triaged, {} complaints, {} skipped, {} repaired", input_name,
               stats->lines, stats->posts, stats->complaints, stats->skipped, stats->repaired);
  return kExitOk;
}

}  // namespace

Runner RegisterTriage(CLI::App& app) {
  auto options = std::make_shared<TriageOptions>();
  CLI::App* command = app.add_subcommand(
      "triage", "Batch-triage Post JSONL (stdin by default) into triage results (stdout by default)");
  options->rules.AddTo(*command, /*positional=*/false);
  command->add_option("--in", options->input, "Post JSONL to read; - for stdin");
  command->add_option("--out", options->output, "Where to write results; - for stdout");
  command->add_option("--threads", options->threads, "Worker threads (default: all cores)");
  command->add_option("--batch", options->batch_size, "Posts per pipeline batch")
      ->check(CLI::Range(1, 1 << 20));
  command->add_flag("--most-urgent-first", options->most_urgent_first,
                    "Write results most urgent first instead of in input order (holds all results "
                    "in memory)");
  return [options, command] { return command->parsed() ? RunTriage(*options) : -1; };
}

}  // namespace earshot::cli
