#include "triage/pipeline.h"

#include <oneapi/tbb/enumerable_thread_specific.h>
#include <oneapi/tbb/parallel_pipeline.h>
#include <oneapi/tbb/task_arena.h>

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <new>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>

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

double Seconds(int64_t micros) { return static_cast<double>(std::max<int64_t>(micros, 0)) / 1e6; }

double RepetitionWeight(const matchers::RuleSet& rules) {
  const matchers::SignalKind* signal = rules.taxonomy.FindSignal("repetition");
  return signal != nullptr ? signal->weight : 0;
}

// Everything that depends on the rule set, built once per SwapDatabase. Immutable, so the triage
// threads and the commit stage read it without locks. Each batch holds the generation that was
// current when it was read, which keeps that generation (and its Database) alive until the batch
// has committed: a swap never changes the rules under a batch in flight.
struct RuleGeneration {
  RuleGeneration(uint64_t number_in, std::shared_ptr<const matchers::Database> database_in,
                 const PipelineOptions& options)
      : number(number_in),
        database(std::move(database_in)),
        scorer(rules()),
        builder(scorer, RepetitionWeight(rules()), std::max<int64_t>(options.case_window_ms, 1), options.outbox) {}

  const matchers::RuleSet& rules() const { return database ? database->rules() : no_rules; }

  const uint64_t number;
  const std::shared_ptr<const matchers::Database> database;  // null when crawling only
  const matchers::RuleSet no_rules;  // what the scorer reads when crawling only (it never scores)
  const Scorer scorer;
  const CaseBuilder builder;  // re-scores with `scorer` when history applies
};

// One input line on its way through the pipeline. Items are reused batch after batch, so their
// strings and vectors keep their capacity.
struct Item {
  uint64_t line_number = 0;
  std::string line;
  bool skipped = false;
  std::string reason;  // why it was skipped
  bool repaired = false;
  core::Post post;
  int64_t created_ms = -1;  // post.created_at in Unix ms; -1 when absent or malformed
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
  // The rules this batch is triaged, scored and filed with; the commit stage lets go of it.
  std::shared_ptr<const RuleGeneration> generation;
  int64_t read_us = 0;    // steady clock when the batch was complete
  int64_t fill_us = 0;    // time spent filling it from its source
  int64_t triage_us = 0;  // time the triage stage spent on it
};

bool IsBlank(std::string_view line) { return line.find_first_not_of(" \t\r\f\v") == std::string_view::npos; }

// How soon to ask again a network source whose response is on its way. Asking costs one mutex;
// waiting longer would only delay the posts.
constexpr int64_t kPendingRecheckMs = 50;

// A source and its schedule. Everything but `health` belongs to the serial read stage (and the
// thread calling RunPass between passes); `health` is also read by SourceHealthSnapshot and
// DescribeSources from any thread, hence its mutex.
struct SourceSlot {
  std::unique_ptr<crawler::Source> source;
  std::string committed_cursor;  // what the store holds, so a cursor that moved without lines is saved
  int64_t next_poll_ms = 0;
  bool ended = false;
  // A poll has begun and not yet ended (idle, ended or failed). A network source still waiting for
  // its responses is asked again on later passes; that is the same poll, not a new one.
  bool polling = false;
  mutable std::mutex health_mutex;
  SourceHealth health;  // guarded by health_mutex
};

}  // namespace

// Thread safety / invariants:
//  - `generation` is replaced whole under `generation_mutex` (SwapDatabase, any thread) and read
//    under it once per batch by the read stage; everything a batch needs from it then travels with
//    the batch, and TBB orders one token's stages, so the triage and commit stages take no lock.
//  - Generation numbers rise by one per swap, and the read stage stamps batches in input order, so
//    in one source's input order the rule sets used never go back.
//  - `rule_hits` is folded in by the commit stage once per committed batch, under `hits_mutex`,
//    so RuleHits never sees half a batch. Counting by rule id (not index) is what carries counts
//    across generations whose rule indexes differ.
//  - Everything else is either immutable after construction or touched only by the serial stages.
struct Pipeline::Impl {
  Impl(store::Store& store_in, std::shared_ptr<const matchers::Database> database_in,
       const PipelineOptions& options_in, PipelineReporter& reporter_in)
      : store(store_in),
        options(options_in),
        reporter(reporter_in),
        generation(std::make_shared<const RuleGeneration>(1, std::move(database_in), options)) {
    ListRules(*generation);
  }

  std::shared_ptr<const RuleGeneration> CurrentGeneration() const {
    std::scoped_lock lock(generation_mutex);
    return generation;
  }

  // Lists a generation's rules with no hits yet, so a rule that never fires shows up as such.
  void ListRules(const RuleGeneration& rules) {
    std::scoped_lock lock(hits_mutex);
    for (const matchers::Rule& rule : rules.rules().rules) rule_hits.try_emplace(rule.id, 0);
  }

  store::Store& store;
  const PipelineOptions options;
  PipelineReporter& reporter;
  std::vector<std::unique_ptr<SourceSlot>> slots;

  mutable std::mutex generation_mutex;
  std::shared_ptr<const RuleGeneration> generation;  // guarded by generation_mutex; never null

  mutable std::mutex hits_mutex;
  std::unordered_map<std::string, uint64_t> rule_hits;  // guarded by hits_mutex
  std::vector<uint64_t> batch_hits;  // commit stage only: one batch's hits per rule index

  // Kept across passes: a tailing run over network sources passes every few tens of milliseconds
  // while their responses are on the way, and rebuilding batches and Hyperscan scratch each time
  // cost more than the waiting itself. A worker re-clones its scratch only after a rule swap.
  std::vector<Batch> ring;
  tbb::enumerable_thread_specific<internal::TriageWorker> workers;
};

Pipeline::Pipeline(store::Store& store, std::shared_ptr<const matchers::Database> database,
                   std::vector<std::unique_ptr<crawler::Source>> sources, const PipelineOptions& options,
                   PipelineReporter& reporter)
    : impl_(std::make_unique<Impl>(store, std::move(database), options, reporter)) {
  for (std::unique_ptr<crawler::Source>& source : sources) {
    auto slot = std::make_unique<SourceSlot>();
    slot->health.id = source->config().id;
    slot->health.kind = source->config().kind;
    slot->health.host = source->HostKey();
    slot->health.description = source->Describe();
    slot->committed_cursor = source->Cursor();
    slot->source = std::move(source);
    impl_->slots.push_back(std::move(slot));
  }
}

Pipeline::~Pipeline() = default;

bool Pipeline::WaitForInput(std::chrono::milliseconds timeout, const std::atomic<bool>& stop) {
  std::vector<pollfd> fds;
  std::vector<SourceSlot*> owners;
  for (const auto& slot : impl_->slots) {
    if (slot->ended) continue;
    const int fd = slot->source->WaitableFd();
    if (fd < 0) continue;
    fds.push_back(pollfd{.fd = fd, .events = POLLIN, .revents = 0});
    owners.push_back(slot.get());
  }
  if (fds.empty()) return false;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || stop.load()) return true;
    const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(std::min<int64_t>(left.count(), 50)));
    if (ready < 0 && errno != EINTR) return true;  // cannot wait on them: the timeout is lost, not a line
    if (ready <= 0) continue;
    // POLLIN or POLLHUP: Next now returns a line or the end of the stream. A descriptor in error
    // stays readable-looking forever, so it is dropped from the wait and its source keeps `every`
    // (its next read reports the error once per interval, not in a busy loop).
    bool due = false;
    for (size_t i = 0; i < fds.size(); ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP)) != 0) {
        owners[i]->next_poll_ms = 0;
        due = true;
      } else if (fds[i].revents != 0) {
        fds[i].fd = -1;  // poll ignores negative descriptors
      }
    }
    if (due) return true;
  }
}

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
    std::scoped_lock lock(slot->health_mutex);
    lines.push_back(slot->health.id + ": " + slot->health.description + (slot->health.ended ? " (ended)" : ""));
  }
  return lines;
}

std::vector<SourceHealth> Pipeline::SourceHealthSnapshot() const {
  std::vector<SourceHealth> health;
  health.reserve(impl_->slots.size());
  for (const auto& slot : impl_->slots) {
    std::scoped_lock lock(slot->health_mutex);
    health.push_back(slot->health);
  }
  return health;
}

uint64_t Pipeline::SwapDatabase(std::shared_ptr<const matchers::Database> database) {
  Impl& impl = *impl_;
  // The replaced generation is released after the lock, so a Database freed with it (no batch
  // holds it any more) is not freed under the mutex the read stage waits on.
  std::shared_ptr<const RuleGeneration> replaced;
  std::shared_ptr<const RuleGeneration> installed;
  {
    std::scoped_lock lock(impl.generation_mutex);
    installed = std::make_shared<const RuleGeneration>(impl.generation->number + 1, std::move(database), impl.options);
    replaced = std::exchange(impl.generation, installed);
  }
  impl.ListRules(*installed);
  return installed->number;
}

uint64_t Pipeline::rules_generation() const { return impl_->CurrentGeneration()->number; }

std::shared_ptr<const matchers::Database> Pipeline::database() const { return impl_->CurrentGeneration()->database; }

std::vector<RuleHitCount> Pipeline::RuleHits() const {
  std::vector<RuleHitCount> hits;
  {
    std::scoped_lock lock(impl_->hits_mutex);
    hits.reserve(impl_->rule_hits.size());
    for (const auto& [rule_id, count] : impl_->rule_hits) hits.push_back(RuleHitCount{rule_id, count});
  }
  std::sort(hits.begin(), hits.end(), [](const RuleHitCount& a, const RuleHitCount& b) {
    return a.hits != b.hits ? a.hits > b.hits : a.rule_id < b.rule_id;
  });
  return hits;
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
  for (size_t index : active) {
    SourceSlot& slot = *impl.slots[index];
    slot.source->BeginPoll();
    const bool new_poll = !slot.polling;
    slot.polling = true;
    std::scoped_lock lock(slot.health_mutex);
    if (new_poll) {
      slot.health.last_poll_ms = start_ms;
      ++slot.health.polls;
    }
    slot.health.host = slot.source->HostKey();
  }
  size_t turn = 0;

  std::vector<Batch>& ring = impl.ring;
  if (ring.size() != tokens) ring.resize(tokens);
  for (Batch& batch : ring) batch.items.resize(batch_size);
  size_t next_slot = 0;
  tbb::enumerable_thread_specific<internal::TriageWorker>& workers = impl.workers;

  std::atomic<bool> failed{false};
  core::Status commit_failure;

  // A poll of `slot` ended: idle or ended (`error` null), or failed.
  auto end_poll = [](SourceSlot& slot, const core::Status* error) {
    slot.polling = false;
    std::scoped_lock lock(slot.health_mutex);
    if (error != nullptr) {
      ++slot.health.errors;
      slot.health.last_error = error->message();
    } else {
      slot.health.last_ok_ms = core::NowMillis();
      slot.health.last_error.clear();
    }
    slot.health.ended = slot.ended;
  };

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
        end_poll(slot, &batch.source_error);
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
          end_poll(slot, nullptr);
          return false;
        case crawler::Source::Outcome::kEnd:
          slot.ended = true;
          end_poll(slot, nullptr);
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
      const int64_t fill_start_us = SteadyMicros();
      const bool more = fill_from(index, batch);
      SourceSlot& slot = *impl.slots[index];
      batch.cursor = slot.source->Cursor();
      if (batch.cursor != slot.committed_cursor) {
        // A page with no new lines (all boosts, say) still moves a network source's cursor.
        batch.cursor_moved = true;
        slot.committed_cursor = batch.cursor;
      }
      {
        std::scoped_lock lock(slot.health_mutex);
        slot.health.description = slot.source->Describe();
        slot.health.host = slot.source->HostKey();
      }
      if (more) {
        ++turn;
      } else {
        active.erase(active.begin() + static_cast<std::ptrdiff_t>(turn));
      }
      if (batch.count > 0 || batch.cursor_moved || !batch.source_error.ok()) {
        // Stamped once the batch is complete: every batch read after a SwapDatabase returns uses
        // the new rules, and one whose reading straddled the call uses them too.
        batch.generation = impl.CurrentGeneration();
        batch.read_us = SteadyMicros();
        batch.fill_us = batch.read_us - fill_start_us;
        next_slot = (next_slot + 1) % ring.size();
        return &batch;
      }
    }
  };

  auto triage_stage = [&](Batch* batch) -> Batch* {
    const int64_t start_us = SteadyMicros();
    internal::TriageWorker& worker = workers.local();
    const RuleGeneration& generation = *batch->generation;
    // No exception may leave a TBB filter (STYLE.md 6): bad_alloc becomes this batch's failure.
    try {
      if (!impl.options.crawl_only) {
        if (!generation.database) {
          batch->failure = core::Status::InvalidArgument("triage: no rule database (rule generation " +
                                                         std::to_string(generation.number) + ")");
        } else if (core::Status ready = worker.Use(generation.database); !ready.ok()) {
          batch->failure = ready;
        }
      }
      for (size_t i = 0; i < batch->count && batch->failure.ok(); ++i) {
        Item& item = batch->items[i];
        if (item.skipped) continue;
        if (impl.options.crawl_only) {
          core::Status parsed = worker.parser.ParseInto(item.line, item.post, &item.repaired);
          item.skipped = !parsed.ok();
          if (!parsed.ok()) item.reason = parsed.message();
          continue;
        }
        internal::LineTriage outcome;
        core::Status status =
            internal::TriageLine(worker, generation.scorer, item.line, item.post, item.matched, item.result, outcome);
        if (!status.ok()) {
          batch->failure = status.WithContext("line " + std::to_string(item.line_number));
          break;
        }
        item.skipped = !outcome.is_post;
        item.reason = std::move(outcome.reason);
        item.repaired = outcome.repaired;
      }
      // Parsed here, in parallel, once: the serial commit stage files cases and measures post age
      // with it.
      for (size_t i = 0; i < batch->count; ++i) {
        Item& item = batch->items[i];
        item.created_ms = item.skipped ? -1 : core::ParseRfc3339Millis(item.post.created_at).value_or(-1);
      }
    } catch (const std::bad_alloc&) {
      batch->failure = core::Status::Internal("out of memory while triaging a batch");
    }
    batch->triage_us = SteadyMicros() - start_us;
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
    // Taken from the batch so the ring, which outlives the pass, does not pin old rule sets.
    const std::shared_ptr<const RuleGeneration> generation = std::move(batch->generation);
    if (failed.load(std::memory_order_relaxed)) return;  // never commit past a failed batch
    if (!batch->failure.ok()) {
      commit_failure = batch->failure;
      failed = true;
      return;
    }
    SourceSlot& slot = *impl.slots[batch->source];
    const std::string& source_id = slot.source->config().id;
    struct Counts {
      uint64_t posts = 0, duplicates = 0, complaints = 0, reposts = 0, opened = 0, updated = 0, outbox = 0;
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
    const int64_t commit_start_us = SteadyMicros();
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
        core::Result<CaseOutcome> outcome =
            generation->builder.File(txn, item.post, item.matched, item.result,
                                     item.created_ms >= 0 ? item.created_ms : now_ms, now_ms);
        if (!outcome) {
          return outcome.error().WithContext("source " + source_id + ": line " + std::to_string(item.line_number) +
                                             ": post " + item.post.id);
        }
        if (outcome->kind == CaseOutcome::Kind::kRepost) ++counts.reposts;
        item.case_number = outcome->case_number;
        item.history_result = std::move(outcome->result);
        counts.opened += static_cast<uint64_t>(outcome->cases_opened);
        counts.updated += static_cast<uint64_t>(outcome->cases_joined);
        counts.outbox += static_cast<uint64_t>(outcome->outbox_appended);
      }
      if (batch->cursor_moved && !batch->cursor.empty()) {
        EARSHOT_RETURN_IF_ERROR(store::SaveCursor(txn, source_id, batch->cursor));
      }
      body_us = SteadyMicros() - body_start_us;
      return core::Status::Ok();
    });
    const int64_t committed_us = SteadyMicros();
    const int64_t committed_ms = core::NowMillis();
    stats_.store_body_us += static_cast<uint64_t>(body_us);
    stats_.store_commit_us += static_cast<uint64_t>(committed_us - write_start_us);
    if (!status.ok()) {
      commit_failure = status;
      failed = true;
      return;
    }
    if (counts.outbox > 0 && impl.options.on_outbox) impl.options.on_outbox();
    // One pass after the commit: report bad lines and (if wanted) results, in input order, and
    // count the rules the batch's new posts matched (by this batch's rule indexes).
    const bool report_results = impl.reporter.wants_results();
    const bool count_hits = !impl.options.crawl_only;
    std::vector<uint64_t>& batch_hits = impl.batch_hits;
    if (count_hits) batch_hits.assign(generation->rules().rules.size(), 0);
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
      if (!item.fresh) continue;
      if (item.created_ms >= 0) {
        stats_.post_age_seconds.Observe(static_cast<double>(std::max<int64_t>(committed_ms - item.created_ms, 0)) / 1e3);
      }
      if (count_hits) {
        for (uint32_t rule : item.matched) ++batch_hits[rule];
      }
      if (report_results) {
        const std::string case_id = item.case_number != 0 ? store::CaseId(item.case_number) : std::string();
        impl.reporter.OnResult(item.post, item.history_result ? *item.history_result : item.result, case_id);
      }
    }
    if (count_hits) {
      const std::vector<matchers::Rule>& rules = generation->rules().rules;
      std::scoped_lock lock(impl.hits_mutex);
      for (size_t rule = 0; rule < batch_hits.size(); ++rule) {
        if (batch_hits[rule] != 0) impl.rule_hits[rules[rule].id] += batch_hits[rule];
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
    stats_.outbox_appended += counts.outbox;
    {
      std::scoped_lock lock(slot.health_mutex);
      slot.health.lines += batch->count;
      slot.health.posts += counts.posts;
    }
    // Every committed batch is observed once in each per-batch histogram (so their counts equal
    // `batches`), and post latency once per new post (so its count equals `posts`).
    const int64_t latency_us = std::max<int64_t>(committed_us - batch->read_us, 0);
    stats_.read_seconds.Observe(Seconds(batch->fill_us));
    stats_.triage_seconds.Observe(Seconds(batch->triage_us));
    stats_.commit_seconds.Observe(Seconds(committed_us - commit_start_us));
    if (counts.posts > 0) stats_.post_latency_seconds.Observe(Seconds(latency_us), counts.posts);
    stats_.batches += 1;
    stats_.latency_total_us += static_cast<uint64_t>(latency_us);
  };

  tbb::parallel_pipeline(
      tokens, tbb::make_filter<void, Batch*>(tbb::filter_mode::serial_in_order, read_stage) &
                  tbb::make_filter<Batch*, Batch*>(tbb::filter_mode::parallel, triage_stage) &
                  tbb::make_filter<Batch*, void>(tbb::filter_mode::serial_in_order, commit_stage));
  return commit_failure;
}

}  // namespace earshot::triage
