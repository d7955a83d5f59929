// Batch triage: Post JSON Lines in, one triage result per valid post out, in input order.
//
// One tbb::parallel_pipeline (STYLE.md 13, PERFORMANCE.md §1.5):
//   serial_in_order  read up to `batch_size` lines (bounded memory: at most `tokens` batches live)
//   parallel         parse (simdjson), scan (Hyperscan, per-thread scratch), score, format JSON
//   serial_in_order  hand results and bad-line reports to the sink, in input order
// Each token carries a batch of posts so the ~90 ns per-token scheduling cost stays below 1%.
//
// Bad input never stops the run: a line that is not a valid post is reported to the sink as
// (line number, reason) and skipped. Only an I/O error on the input or a matcher failure ends it.
//
// Thread safety: TriageStream may be called from one thread at a time per sink; it uses the oneTBB
// arena of the caller (cap threads with tbb::global_control).
#ifndef EARSHOT_TRIAGE_BATCH_TRIAGE_H_
#define EARSHOT_TRIAGE_BATCH_TRIAGE_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string_view>

#include "core/post.h"
#include "core/status.h"
#include "matchers/database.h"
#include "triage/scorer.h"

namespace earshot::triage {

// Receives results in input order, always from one thread at a time.
class TriageSink {
 public:
  virtual ~TriageSink() = default;
  // `json` is the result line (no newline) as AppendTriageResultJson writes it.
  virtual void OnResult(const core::Post& post, const TriageResult& result, std::string_view json) = 0;
  // A line that was skipped (`reason` has no line prefix) or repaired (`skipped` false).
  virtual void OnBadLine(uint64_t line_number, std::string_view reason, bool skipped) = 0;
};

struct BatchOptions {
  size_t batch_size = 128;  // posts per pipeline token
  size_t tokens = 0;        // live batches; 0 means 4 × the arena's concurrency
};

struct BatchStats {
  uint64_t lines = 0;       // lines read, blank ones included
  uint64_t posts = 0;       // valid posts triaged
  uint64_t skipped = 0;     // lines reported and skipped
  uint64_t repaired = 0;    // posts whose invalid UTF-8 was replaced
  uint64_t complaints = 0;  // posts with severity other than none
};

// Triages every line of `input` into `sink`. Returns the counts, or the Status of the I/O or
// matcher failure that stopped the run (results already delivered stay delivered).
core::Result<BatchStats> TriageStream(std::FILE* input, std::shared_ptr<const matchers::Database> database,
                                      const BatchOptions& options, TriageSink& sink);

}  // namespace earshot::triage

#endif  // EARSHOT_TRIAGE_BATCH_TRIAGE_H_
