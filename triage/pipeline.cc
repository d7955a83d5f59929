#include "triage/pipeline.h"

#include <oneapi/tbb/enumerable_thread_specific.h>
#include <oneapi/tbb/parallel_pipeline.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <new>
#include <optional>
#include <unordered_set>

#include "core/time.h"
#include "store/cursors.h"
#include "store/case_record.h"
#include "store/dedupe.h"
#include "triage/case_builder.h"
#include "triage/internal/triage_worker.h"
#include "triage/scorer.h"

namespace earshot::triage {
namespace {

int64_t SteadyMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// One input line on its way through the pipeline. Items are reused batch after batch, so their
// strings and vectors keep their capacity.
struct Item {
  uint64_t line_number = 0;
  std::string line;
  bool skipped = false;
  std::string reason;  // why it was skipped
  bool repaired = false;
  core::Post post;
  TriageResult result;
  std::vector<uint32_t> matched;
  // Set by the commit stage: whether the post was new, and where it went.
  bool fresh = false;
  uint64_t case_number = 0;
  std::optional<TriageResult> history_result;  // a complaint's result with the author's history applied
};

struct Batch {
  size_t source = 0;
  std::vector<Item> items;
  size_t count = 0;
  bool cursor_moved = false;  // lines were consumed (blank or too long ones included)
  std::string cursor;
  core::Status source_error;  // the source failed to read; reported by the commit stage
  core::Status failure;       // matching itself failed
  int64_t read_us = 0;
};

bool IsBlank(std::string_view line) { return line.find_first_not_of(" \t\r\f\v") == std::string_view::npos; }

// How soon to ask again a network source whose response is on its way. Asking costs one mutex;
// waiting longer would only delay the posts.
constexpr int64_t kPendingRecheckMs = 50;

struct SourceSlot {
  std::unique_ptr<crawler::Source> source;
  std::string committed_cursor;  // what the store holds, so a cursor that moved without lines is saved
  int64_t next_poll_ms = 0;
  bool ended = false;
  mutable std::mutex description_mutex;
  std::string description;
};

}  // namespace

struct Pipeline::Impl {
  Impl(store::Store& store_in, std::shared_ptr<const matchers::Database> database_in,
       const PipelineOptions& options_in, PipelineReporter& reporter_in)
      : store(store_in),
        database(std::move(database_in)),
        scorer(database ? database->rules() : no_rules),
        options(options_in),
        reporter(reporter_in),
        builder(scorer, RepetitionWeight(database ? database->rules() : no_rules),
                std::max<int64_t>(options_in.case_window_ms, 1)) {}

  static double RepetitionWeight(const matchers::RuleSet& rules) {
    const matchers::SignalKind* signal = rules.taxonomy.FindSignal("repetition");
    return signal != nullptr ? signal->weight : 0;
  }

  store::Store& store;
  std::shared_ptr<const matchers::Database> database;  // null when crawling only
  const matchers::RuleSet no_rules;  // what the scorer reads when crawling only (it never scores)
  Scorer scorer;
  PipelineOptions options;
  PipelineReporter& reporter;
  CaseBuilder builder;
  std::vector<std::unique_ptr<SourceSlot>> slots;
  // Kept across passes: a tailing run over network sources passes every few tens of milliseconds
  // while their responses are on the way, and rebuilding batches and Hyperscan scratch each time
  // cost more than the waiting itself.
  std::vector<Batch> ring;
  tbb::enumerable_thread_specific<internal::TriageWorker> workers{
      [this] { return internal::TriageWorker(database); }};
};

Pipeline::Pipeline(store::Store& store, std::shared_ptr<const matchers::Database> database,
                   std::vector<std::unique_ptr<crawler::Source>> sources, const PipelineOptions& options,
                   PipelineReporter& reporter)
    : impl_(std::make_unique<Impl>(store, std::move(database), options, reporter)) {
  for (std::unique_ptr<crawler::Source>& source : sources) {
    auto slot = std::make_unique<SourceSlot>();
    slot->description = source->Describe();
    slot->committed_cursor = source->Cursor();
    slot->source = std::move(source);
    impl_->slots.push_back(std::move(slot));
  }
}

Pipeline::~Pipeline() = default;

int64_t Pipeline::MillisUntilNextPoll() const {
  const int64_t now = core::NowMillis();
  int64_t best = -1;
  for (const auto& slot : impl_->slots) {
    if (slot->ended) continue;
    const int64_t wait = std::max<int64_t>(slot->next_poll_ms - now, 0);
    best = best < 0 ? wait : std::min(best, wait);
  }
  return best;
}

std::vector<std::string> Pipeline::DescribeSources() const {
  std::vector<std::string> lines;
  for (const auto& slot : impl_->slots) {
    std::scoped_lock lock(slot->description_mutex);
    lines.push_back(slot->source->config().id + ": " + slot->description + (slot->ended ? " (ended)" : ""));
  }
  return lines;
}

core::Status Pipeline::RunPass(const std::atomic<bool>& stop, bool ignore_schedule) {
  Impl& impl = *impl_;
  const size_t batch_size = std::max<size_t>(impl.options.batch_size, 1);
  const size_t tokens = impl.options.tokens > 0
                            ? impl.options.tokens
                            : 4 * static_cast<size_t>(tbb::this_task_arena::max_concurrency());

  // The sources this pass reads, visited round-robin one batch at a time so a huge backlog in one
  // source does not starve the others.
  std::vector<size_t> active;
  const int64_t start_ms = core::NowMillis();
  for (size_t i = 0; i < impl.slots.size(); ++i) {
    if (!impl.slots[i]->ended && (ignore_schedule || impl.slots[i]->next_poll_ms <= start_ms)) active.push_back(i);
  }
  if (active.empty()) return core::Status::Ok();
  // Network sources start fetching now, all at once; their pages arrive while others are read.
  for (size_t index : active) impl.slots[index]->source->BeginPoll();
  size_t turn = 0;

  std::vector<Batch>& ring = impl.ring;
  if (ring.size() != tokens) ring.resize(tokens);
  for (Batch& batch : ring) batch.items.resize(batch_size);
  size_t next_slot = 0;
  tbb::enumerable_thread_specific<internal::TriageWorker>& workers = impl.workers;

  std::atomic<bool> failed{false};
  core::Status commit_failure;

  // Fills `batch` from one source; returns false when that source has nothing more this pass.
  auto fill_from = [&](size_t index, Batch& batch) -> bool {
    SourceSlot& slot = *impl.slots[index];
    batch.source = index;
    while (batch.count < batch_size) {
      Item& item = batch.items[batch.count];
      core::Result<crawler::Source::Outcome> outcome = slot.source->Next(item.line, item.line_number);
      if (!outcome) {
        batch.source_error = outcome.error();
        slot.next_poll_ms = core::NowMillis() + slot.source->config().every.count();
        return false;
      }
      switch (*outcome) {
        case crawler::Source::Outcome::kLine:
          batch.cursor_moved = true;
          if (IsBlank(item.line)) continue;
          item.skipped = false;
          item.reason.clear();
          ++batch.count;
          continue;
        case crawler::Source::Outcome::kTooLong:
          batch.cursor_moved = true;
          item.skipped = true;
          item.reason = "line too long";
          item.line.clear();
          ++batch.count;
          continue;
        case crawler::Source::Outcome::kIdle:
          slot.next_poll_ms = core::NowMillis() + slot.source->config().every.count();
          return false;
        case crawler::Source::Outcome::kEnd:
          slot.ended = true;
          return false;
        case crawler::Source::Outcome::kPending:
          slot.next_poll_ms = core::NowMillis() + kPendingRecheckMs;
          return false;
      }
    }
    return true;
  };

  auto read_stage = [&](tbb::flow_control& control) -> Batch* {
    Batch& batch = ring[next_slot];
    for (;;) {
      if (failed.load(std::memory_order_relaxed) || stop.load(std::memory_order_relaxed) || active.empty()) {
        control.stop();
        return nullptr;
      }
      batch.count = 0;
      batch.cursor_moved = false;
      batch.source_error = core::Status::Ok();
      batch.failure = core::Status::Ok();
      turn %= active.size();
      const size_t index = active[turn];
      const bool more = fill_from(index, batch);
      SourceSlot& slot = *impl.slots[index];
      batch.cursor = slot.source->Cursor();
      if (batch.cursor != slot.committed_cursor) {
        // A page with no new lines (all boosts, say) still moves a network source's cursor.
        batch.cursor_moved = true;
        slot.committed_cursor = batch.cursor;
      }
      {
        std::scoped_lock lock(slot.description_mutex);
        slot.description = slot.source->Describe();
      }
      if (more) {
        ++turn;
      } else {
        active.erase(active.begin() + static_cast<std::ptrdiff_t>(turn));
      }
      if (batch.count > 0 || batch.cursor_moved || !batch.source_error.ok()) {
        batch.read_us = SteadyMicros();
        next_slot = (next_slot + 1) % ring.size();
        return &batch;
      }
    }
  };

  auto triage_stage = [&](Batch* batch) -> Batch* {
    internal::TriageWorker& worker = workers.local();
    if (!worker.init_failure.ok()) {
      batch->failure = worker.init_failure;
      return batch;
    }
    // No exception may leave a TBB filter (STYLE.md 6): bad_alloc becomes this batch's failure.
    try {
      for (size_t i = 0; i < batch->count && batch->failure.ok(); ++i) {
        Item& item = batch->items[i];
        if (item.skipped) continue;
        if (impl.options.crawl_only) {
          core::Result<core::Post> parsed = worker.parser.Parse(item.line, &item.repaired);
          item.skipped = !parsed;
          if (parsed) {
            item.post = std::move(*parsed);
          } else {
            item.reason = parsed.error().message();
          }
          continue;
        }
        internal::LineTriage outcome;
        core::Status status =
            internal::TriageLine(worker, impl.scorer, item.line, item.post, item.matched, item.result, outcome);
        if (!status.ok()) {
          batch->failure = status.WithContext("line " + std::to_string(item.line_number));
          break;
        }
        item.skipped = !outcome.is_post;
        item.reason = std::move(outcome.reason);
        item.repaired = outcome.repaired;
      }
    } catch (const std::bad_alloc&) {
      batch->failure = core::Status::Internal("out of memory while triaging a batch");
    }
    return batch;
  };

  // Crawling only: the batch's posts that the store has not seen (first of each id), handed to the
  // reporter in input order. One writer holds the data directory, so what this read transaction
  // sees is what the write transaction after it will find.
  auto HandOverCrawled = [&](const Batch& batch) -> core::Status {
    std::vector<const core::Post*> fresh;
    std::unordered_set<std::string> in_batch;
    EARSHOT_RETURN_IF_ERROR(impl.store.Read([&](store::Txn& txn) -> core::Status {
      fresh.clear();
      in_batch.clear();
      for (size_t i = 0; i < batch.count; ++i) {
        const Item& item = batch.items[i];
        if (item.skipped) continue;
        std::string key = item.post.source;
        key.push_back('\0');
        key.append(item.post.id);
        if (!in_batch.insert(std::move(key)).second) continue;
        core::Result<bool> seen = store::IsSeen(txn, item.post.source, item.post.id);
        if (!seen) return seen.error();
        if (!*seen) fresh.push_back(&item.post);
      }
      return core::Status::Ok();
    }));
    if (fresh.empty()) return core::Status::Ok();
    return impl.reporter.OnCrawled(fresh);
  };

  auto commit_stage = [&](Batch* batch) {
    if (failed.load(std::memory_order_relaxed)) return;  // never commit past a failed batch
    if (!batch->failure.ok()) {
      commit_failure = batch->failure;
      failed = true;
      return;
    }
    const std::string& source_id = impl.slots[batch->source]->source->config().id;
    struct Counts {
      uint64_t posts = 0, duplicates = 0, complaints = 0, reposts = 0, opened = 0, updated = 0;
    } counts;
    const int64_t now_ms = core::NowMillis();
    const int64_t write_start_us = SteadyMicros();
    int64_t body_us = 0;
    if (impl.options.crawl_only) {
      // The new posts go out (and are synced) before the transaction marks them seen: a crash in
      // between writes them again on the next run, rather than never.
      core::Status handed_over = HandOverCrawled(*batch);
      if (!handed_over.ok()) {
        commit_failure = handed_over;
        failed = true;
        return;
      }
    }
    core::Status status = impl.store.Write([&](store::Txn& txn) -> core::Status {
      const int64_t body_start_us = SteadyMicros();
      counts = Counts{};  // the body re-runs from scratch if the map had to grow
      for (size_t i = 0; i < batch->count; ++i) {
        Item& item = batch->items[i];
        item.fresh = false;
        item.case_number = 0;
        item.history_result.reset();
        if (item.skipped) continue;
        core::Result<bool> fresh = store::MarkSeen(txn, item.post.source, item.post.id);
        if (!fresh) return fresh.error();
        item.fresh = *fresh;
        if (!*fresh) {
          ++counts.duplicates;
          continue;
        }
        ++counts.posts;
        if (impl.options.crawl_only) continue;
        if (item.result.severity == core::Severity::kNone || item.result.from_brand_account) continue;
        ++counts.complaints;
        core::Result<CaseOutcome> outcome = impl.builder.File(txn, item.post, item.matched, item.result, now_ms);
        if (!outcome) {
          return outcome.error().WithContext("source " + source_id + ": line " + std::to_string(item.line_number) +
                                             ": post " + item.post.id);
        }
        if (outcome->kind == CaseOutcome::Kind::kRepost) ++counts.reposts;
        item.case_number = outcome->case_number;
        item.history_result = std::move(outcome->result);
        counts.opened += static_cast<uint64_t>(outcome->cases_opened);
        counts.updated += static_cast<uint64_t>(outcome->cases_joined);
      }
      if (batch->cursor_moved && !batch->cursor.empty()) {
        EARSHOT_RETURN_IF_ERROR(store::SaveCursor(txn, source_id, batch->cursor));
      }
      body_us = SteadyMicros() - body_start_us;
      return core::Status::Ok();
    });
    stats_.store_body_us += static_cast<uint64_t>(body_us);
    stats_.store_commit_us += static_cast<uint64_t>(SteadyMicros() - write_start_us);
    if (!status.ok()) {
      commit_failure = status;
      failed = true;
      return;
    }
    // One pass after the commit: report bad lines and (if wanted) results, in input order.
    const bool report_results = impl.reporter.wants_results();
    uint64_t skipped = 0;
    for (size_t i = 0; i < batch->count; ++i) {
      const Item& item = batch->items[i];
      if (item.skipped) {
        ++skipped;
        impl.reporter.OnBadLine(source_id, item.line_number, item.reason, /*skipped=*/true);
        continue;
      }
      if (item.repaired) {
        impl.reporter.OnBadLine(source_id, item.line_number, "invalid UTF-8 replaced with U+FFFD", false);
      }
      if (report_results && item.fresh) {
        const std::string case_id = item.case_number != 0 ? store::CaseId(item.case_number) : std::string();
        impl.reporter.OnResult(item.post, item.history_result ? *item.history_result : item.result, case_id);
      }
    }
    if (!batch->source_error.ok()) {
      ++stats_.source_errors;
      impl.reporter.OnSourceError(source_id, batch->source_error);
    }
    stats_.lines += batch->count;
    stats_.skipped += skipped;
    stats_.posts += counts.posts;
    stats_.duplicates += counts.duplicates;
    stats_.complaints += counts.complaints;
    stats_.reposts += counts.reposts;
    stats_.cases_opened += counts.opened;
    stats_.cases_updated += counts.updated;
    stats_.batches += 1;
    stats_.latency_total_us += static_cast<uint64_t>(std::max<int64_t>(SteadyMicros() - batch->read_us, 0));
  };

  tbb::parallel_pipeline(
      tokens, tbb::make_filter<void, Batch*>(tbb::filter_mode::serial_in_order, read_stage) &
                  tbb::make_filter<Batch*, Batch*>(tbb::filter_mode::parallel, triage_stage) &
                  tbb::make_filter<Batch*, void>(tbb::filter_mode::serial_in_order, commit_stage));
  return commit_failure;
}

}  // namespace earshot::triage
