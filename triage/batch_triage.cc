#include "triage/batch_triage.h"

#include <oneapi/tbb/enumerable_thread_specific.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/parallel_pipeline.h>
#include <oneapi/tbb/task_arena.h>

#include <atomic>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "core/line_reader.h"
#include "triage/internal/triage_worker.h"
#include "triage/result_json.h"

namespace earshot::triage {
namespace {

enum class ItemState { kPost, kSkipped };

// One input line on its way through the pipeline. Items are reused batch after batch, so their
// strings keep their capacity and the steady state allocates little.
struct Item {
  uint64_t line_number = 0;
  std::string line;
  ItemState state = ItemState::kPost;
  std::string reason;  // why it was skipped
  bool repaired = false;
  core::Post post;
  TriageResult result;
  std::string json;
};

struct Batch {
  std::vector<Item> items;
  size_t count = 0;
  core::Status failure;  // set by the parallel stage when matching itself failed
};

// A worker thread's parser and scanner, plus its reusable matched-rule buffer.
struct Worker {
  explicit Worker(const std::shared_ptr<const matchers::Database>& database) : triage(database) {}
  internal::TriageWorker triage;
  std::vector<uint32_t> matched;
};

bool IsBlank(std::string_view line) {
  return line.find_first_not_of(" \t\r\f\v") == std::string_view::npos;
}

void ProcessItem(Item& item, Worker& worker, const Scorer& scorer, core::Status& failure) {
  internal::LineTriage outcome;
  core::Status status = internal::TriageLine(worker.triage, scorer, item.line, item.post, worker.matched,
                                             item.result, outcome);
  if (!status.ok()) {
    failure = status.WithContext("line " + std::to_string(item.line_number));
    return;
  }
  if (!outcome.is_post) {
    item.state = ItemState::kSkipped;
    item.reason = std::move(outcome.reason);
    return;
  }
  item.state = ItemState::kPost;
  item.repaired = outcome.repaired;
  item.json.clear();
  AppendTriageResultJson(item.json, item.post, item.result);
}

}  // namespace

core::Result<BatchStats> TriageStream(std::FILE* input, std::shared_ptr<const matchers::Database> database,
                                      const BatchOptions& options, TriageSink& sink) {
  const size_t batch_size = std::max<size_t>(options.batch_size, 1);
  const size_t tokens = options.tokens > 0
                            ? options.tokens
                            : 4 * static_cast<size_t>(tbb::this_task_arena::max_concurrency());
  const Scorer scorer(database->rules());

  // A ring of `tokens` batches: the pipeline never has more than `tokens` in flight and finishes
  // them in order, so when batch k enters, batch k - tokens has already left the output stage.
  std::vector<Batch> ring(tokens);
  for (Batch& batch : ring) batch.items.resize(batch_size);

  tbb::enumerable_thread_specific<Worker> workers([&database] { return Worker(database); });

  core::LineReader reader(input);
  BatchStats stats;
  // The two serial stages may run at the same time on different threads, so each has its own.
  core::Status read_failure;
  core::Status match_failure;
  std::atomic<bool> failed{false};
  size_t next_slot = 0;

  auto read_stage = [&](tbb::flow_control& control) -> Batch* {
    if (failed.load(std::memory_order_relaxed)) {
      control.stop();
      return nullptr;
    }
    Batch& batch = ring[next_slot];
    next_slot = (next_slot + 1) % ring.size();
    batch.count = 0;
    batch.failure = core::Status::Ok();
    while (batch.count < batch_size) {
      Item& item = batch.items[batch.count];
      core::Result<core::LineReader::Outcome> outcome = reader.Next(item.line, item.line_number);
      if (!outcome) {
        read_failure = outcome.error();
        failed = true;
        break;
      }
      if (*outcome == core::LineReader::Outcome::kEndOfFile) break;
      ++stats.lines;
      if (*outcome == core::LineReader::Outcome::kTooLong) {
        item.state = ItemState::kSkipped;
        item.reason = "line longer than " + std::to_string(core::LineReader::kDefaultMaxLineBytes) +
                      " bytes";
        item.line.clear();
        ++batch.count;
        continue;
      }
      if (IsBlank(item.line)) continue;
      item.state = ItemState::kPost;  // the parallel stage decides
      item.reason.clear();
      ++batch.count;
    }
    if (batch.count == 0) {
      control.stop();
      return nullptr;
    }
    return &batch;
  };

  auto match_stage = [&](Batch* batch) -> Batch* {
    Worker& worker = workers.local();
    if (!worker.triage.init_failure.ok()) {
      batch->failure = worker.triage.init_failure;
      return batch;
    }
    // No exception may leave a TBB filter (STYLE.md 6): bad_alloc becomes this batch's failure.
    try {
      for (size_t i = 0; i < batch->count && batch->failure.ok(); ++i) {
        Item& item = batch->items[i];
        if (item.state == ItemState::kSkipped) continue;  // too long to read: nothing to parse
        ProcessItem(item, worker, scorer, batch->failure);
      }
    } catch (const std::bad_alloc&) {
      batch->failure = core::Status::Internal("out of memory while triaging a batch");
    }
    return batch;
  };

  auto write_stage = [&](Batch* batch) {
    if (!batch->failure.ok()) {
      if (match_failure.ok()) match_failure = batch->failure;
      failed = true;
      return;
    }
    if (failed.load(std::memory_order_relaxed)) return;
    for (size_t i = 0; i < batch->count; ++i) {
      const Item& item = batch->items[i];
      if (item.state == ItemState::kSkipped) {
        ++stats.skipped;
        sink.OnBadLine(item.line_number, item.reason, /*skipped=*/true);
        continue;
      }
      if (item.repaired) {
        ++stats.repaired;
        sink.OnBadLine(item.line_number, "invalid UTF-8 replaced with U+FFFD", /*skipped=*/false);
      }
      ++stats.posts;
      if (item.result.severity != core::Severity::kNone) ++stats.complaints;
      sink.OnResult(item.post, item.result, item.json);
    }
  };

  tbb::parallel_pipeline(
      tokens,
      tbb::make_filter<void, Batch*>(tbb::filter_mode::serial_in_order, read_stage) &
          tbb::make_filter<Batch*, Batch*>(tbb::filter_mode::parallel, match_stage) &
          tbb::make_filter<Batch*, void>(tbb::filter_mode::serial_in_order, write_stage));

  if (!read_failure.ok()) return read_failure;
  if (!match_failure.ok()) return match_failure;
  return stats;
}

}  // namespace earshot::triage
