// The per-thread work both pipelines share (batch_triage.h, pipeline.h): parse one Post JSON line,
// scan it, score it. Kept in one place so `earshot triage` and `earshot run` cannot drift apart.
//
// Thread safety: a TriageWorker belongs to one thread (tbb::enumerable_thread_specific); the
// database and scorer it reads are immutable and shared. After a rule reload the pipeline points
// each worker at the batch's database (Use), so batches of two rule sets may be in flight at once
// without their threads sharing scratch.
#ifndef EARSHOT_TRIAGE_INTERNAL_TRIAGE_WORKER_H_
#define EARSHOT_TRIAGE_INTERNAL_TRIAGE_WORKER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/post.h"
#include "core/post_json.h"
#include "core/status.h"
#include "matchers/database.h"
#include "matchers/scanner.h"
#include "triage/scorer.h"

namespace earshot::triage::internal {

struct TriageWorker {
  core::PostParser parser;
  std::optional<matchers::Scanner> scanner;
  core::Status init_failure;  // scratch allocation failed: every batch on this thread reports it

  TriageWorker() = default;  // no scanner until Use()
  explicit TriageWorker(const std::shared_ptr<const matchers::Database>& database) { init_failure = Use(database); }

  // Makes `scanner` scan `database` (null: crawling only, parse and never scan). Scratch is cloned
  // only when the database differs from the one scanned last, i.e. once per thread per rule reload;
  // the scanner's own reference keeps its database alive, so comparing addresses is sound.
  core::Status Use(const std::shared_ptr<const matchers::Database>& database) {
    if (!database) {
      scanner.reset();
      return core::Status::Ok();
    }
    if (scanner && &scanner->database() == database.get()) return core::Status::Ok();
    scanner.reset();  // an old rule set's scratch and database go before the new scratch is cloned
    core::Result<matchers::Scanner> created = matchers::Scanner::Create(database);
    if (!created) return created.error();
    scanner.emplace(std::move(*created));
    return core::Status::Ok();
  }
};

// What one line turned into.
struct LineTriage {
  bool is_post = false;   // false: `reason` says why the line is not a post
  bool repaired = false;  // invalid UTF-8 was replaced with U+FFFD
  std::string reason;
};

// Parses `line` into `post`, scans it into `matched` and scores it into `result` with no author
// history. A line that is not a valid post is not an error (see LineTriage); a matcher failure is.
inline core::Status TriageLine(TriageWorker& worker, const Scorer& scorer, std::string_view line,
                               core::Post& post, std::vector<uint32_t>& matched, TriageResult& result,
                               LineTriage& outcome) {
  outcome.repaired = false;
  if (core::Status parsed = worker.parser.ParseInto(line, post, &outcome.repaired); !parsed.ok()) {
    outcome.is_post = false;
    outcome.reason = parsed.message();
    return core::Status::Ok();
  }
  outcome.is_post = true;
  EARSHOT_RETURN_IF_ERROR(worker.scanner->Scan(post.text, matched));
  scorer.ScoreInto(post, matched, AuthorHistory{}, result);
  return core::Status::Ok();
}

}  // namespace earshot::triage::internal

#endif  // EARSHOT_TRIAGE_INTERNAL_TRIAGE_WORKER_H_
