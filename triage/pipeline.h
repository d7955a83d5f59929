// Pipeline: the durable job of `earshot run` (DESIGN.md §1). One tbb::parallel_pipeline per pass:
//
//   serial_in_order  input   up to `batch_size` Post JSON lines from one source, plus the source's
//                            cursor after the last of them
//   parallel         triage  parse (simdjson), scan (Hyperscan, per-thread scratch), score
//   serial_in_order  commit  one LMDB write transaction per batch: seen-set marks, cases and their
//                            queue entries, author history, and the source cursor
//
// Because the cursor moves in the same transaction as the batch's effects, a crash at any moment
// leaves the store at a batch boundary: the next run re-reads the uncommitted lines, the seen-set
// drops any post it already holds, and no case is queued twice.
//
// A pass reads every due source until it is idle (end of file for now) or ended, or until `stop`
// becomes true; batches already read are still committed, so stopping never loses or half-writes
// a batch. The caller loops passes for a long-running `earshot run` and runs one for `--once`.
//
// Bad input never stops a pass: a line that is not a valid post is reported with its source and
// line number and skipped (its cursor still moves past it). A source that fails to read is
// reported and skipped for this pass. Only a store failure (disk full, corruption) or a matcher
// failure ends the pass with an error; everything committed before it stays committed.
//
// Thread safety: RunPass is called from one thread at a time. stats(), SourceHealthSnapshot(),
// RuleHits() and SwapDatabase() may be called from any thread.
#ifndef EARSHOT_TRIAGE_PIPELINE_H_
#define EARSHOT_TRIAGE_PIPELINE_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/metrics.h"
#include "core/status.h"
#include "crawler/source.h"
#include "matchers/database.h"
#include "store/store.h"
#include "triage/scorer.h"

namespace earshot::triage {

struct PipelineOptions {
  size_t batch_size = 2048;  // posts per token and per LMDB transaction (see core/config.h)
  size_t tokens = 0;         // batches in flight; 0 means 4 × the arena's concurrency
  int64_t case_window_ms = int64_t{24} * 3600 * 1000;
  // `earshot crawl`: no matching, scoring or cases. Each batch's new posts go to
  // PipelineReporter::OnCrawled before the transaction that marks them seen and moves the cursor;
  // the database may then be null.
  bool crawl_only = false;
  // `queue.kind: redis`: every case the batch opens or updates is also appended to the store's
  // outbox (store/outbox.h) in the batch's own transaction, for the Redis publisher to drain.
  bool outbox = false;
  // Called after each commit that appended outbox entries (from the commit stage); may be empty.
  std::function<void()> on_outbox;
};

// Counters of committed work, readable while a pass runs (for progress lines and metrics).
struct PipelineStats {
  std::atomic<uint64_t> lines{0};          // lines read, blank ones excluded
  std::atomic<uint64_t> posts{0};          // new posts triaged and committed
  std::atomic<uint64_t> duplicates{0};     // posts the seen-set already held
  std::atomic<uint64_t> skipped{0};        // lines reported and skipped
  std::atomic<uint64_t> complaints{0};     // new posts with severity other than none
  std::atomic<uint64_t> reposts{0};        // complaints whose text was already filed
  std::atomic<uint64_t> cases_opened{0};
  std::atomic<uint64_t> cases_updated{0};
  std::atomic<uint64_t> batches{0};        // committed transactions
  std::atomic<uint64_t> source_errors{0};  // failed reads of a source (each retried next poll)
  std::atomic<uint64_t> latency_total_us{0};  // Σ (commit time − batch read time) over batches
  std::atomic<uint64_t> store_body_us{0};     // Σ time applying batches in their transactions
  std::atomic<uint64_t> store_commit_us{0};   // Σ time in Store::Write, fsyncs included
  std::atomic<uint64_t> outbox_appended{0};   // outbox entries written (queue.kind: redis)
  // Per batch, in seconds: filling it from its source, triaging it (parse, scan, score), and its
  // commit (Store::Write, fsyncs included). Per post: from its batch being read to its commit.
  core::Histogram read_seconds{core::Histogram::LatencyBuckets()};
  core::Histogram triage_seconds{core::Histogram::LatencyBuckets()};
  core::Histogram commit_seconds{core::Histogram::LatencyBuckets()};
  core::Histogram post_latency_seconds{core::Histogram::LatencyBuckets()};
  // Per new post whose created_at parses: wall-clock seconds from created_at to its commit (0 if
  // created_at is in the future). For a live source this is the platform's delay plus polling plus
  // earshot; for a stream whose writer stamps created_at as it writes (bench/latency.sh) it is the
  // whole time from entering earshot's input to being committed.
  core::Histogram post_age_seconds{core::Histogram::AgeBuckets()};
};

// One source as the operator console and /metrics show it.
struct SourceHealth {
  std::string id;
  std::string kind;
  std::string host;           // a network source's scheme://host:port (Source::HostKey), else ""
  std::string description;    // Source::Describe(): "offset 12.3 MB of 45.6 MB", "min_id 1234"
  int64_t last_poll_ms = 0;   // Unix ms the last poll began (0: never)
  int64_t last_ok_ms = 0;     // Unix ms a poll last finished without error
  uint64_t polls = 0;
  uint64_t lines = 0;         // lines read
  uint64_t posts = 0;         // new posts committed
  uint64_t errors = 0;        // failed polls
  std::string last_error;     // the most recent failure's message, "" once a poll succeeds again
  bool ended = false;         // stdin closed: never polled again
};

// How often one rule matched, over every rule set the pipeline has run since it started.
struct RuleHitCount {
  std::string rule_id;  // brand or complaint rule id
  uint64_t hits = 0;    // new posts (duplicates excluded) that the rule matched
};

// Receives what the operator should see, from the commit stage (one thread at a time).
class PipelineReporter {
 public:
  virtual ~PipelineReporter() = default;
  // "source replay: line 7: expected ..." style problems with a line that was skipped or repaired.
  virtual void OnBadLine(std::string_view source_id, uint64_t line_number, std::string_view reason,
                         bool skipped) = 0;
  // A source failed to read this pass; it is retried on the next one.
  virtual void OnSourceError(std::string_view source_id, const core::Status& status) = 0;
  // A new post's result after its batch committed, in input order, with the history applied and
  // the case it went to ("" when none). Re-polled duplicates are not reported. Off unless
  // wants_results() (so a run that does not write results pays nothing for them).
  virtual bool wants_results() const { return false; }
  virtual void OnResult(const core::Post& /*post*/, const TriageResult& /*result*/, std::string_view /*case_id*/) {}
  // Crawling only (PipelineOptions::crawl_only): a batch's new posts, in input order, before they
  // are marked seen. Return once they are durable (written and synced); an error ends the pass
  // and nothing of the batch is marked, so the next run hands them over again.
  virtual core::Status OnCrawled(std::span<const core::Post* const> /*posts*/) { return core::Status::Ok(); }
};

class Pipeline {
 public:
  // `sources` must be positioned at their stored cursors (see crawler::MakeSource). The store and
  // database must outlive the pipeline.
  Pipeline(store::Store& store, std::shared_ptr<const matchers::Database> database,
           std::vector<std::unique_ptr<crawler::Source>> sources, const PipelineOptions& options,
           PipelineReporter& reporter);
  ~Pipeline();

  // Reads every source whose poll is due (all of them with `ignore_schedule`) until each is idle
  // or ended, or until `stop`. Returns the store or matcher failure that ended it, if any.
  core::Status RunPass(const std::atomic<bool>& stop, bool ignore_schedule);

  // Milliseconds until the next source is due; 0 if one is due now, -1 if all have ended.
  int64_t MillisUntilNextPoll() const;

  // Between passes: waits up to `timeout` for a stream source (Source::WaitableFd: stdin, a pipe)
  // to have input, and makes such a source due at once, so a live stream's posts are triaged
  // within milliseconds instead of at its next `every`. Waits in slices of at most 50 ms to notice
  // `stop`. Returns false at once, without waiting, when no source has such a descriptor (the
  // caller then sleeps as before).
  bool WaitForInput(std::chrono::milliseconds timeout, const std::atomic<bool>& stop);

  const PipelineStats& stats() const { return stats_; }
  // "replay: offset 12.3 MB of 45.6 MB" per source, for progress lines.
  std::vector<std::string> DescribeSources() const;
  // Any thread.
  std::vector<SourceHealth> SourceHealthSnapshot() const;

  // Live rule reload (any thread): batches read after this call are triaged with `database`
  // (and scored with its taxonomy); batches already read finish with the rules they started with.
  // So every post is scored exactly once, by one rule set, and the switch falls between batches.
  // Returns the new rule generation (1 is the set given to the constructor). Not for crawl_only.
  uint64_t SwapDatabase(std::shared_ptr<const matchers::Database> database);
  uint64_t rules_generation() const;
  // The rule set new batches use now.
  std::shared_ptr<const matchers::Database> database() const;
  // Cumulative per rule id across generations, most hits first. Any thread.
  std::vector<RuleHitCount> RuleHits() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  PipelineStats stats_;
};

}  // namespace earshot::triage

#endif  // EARSHOT_TRIAGE_PIPELINE_H_
