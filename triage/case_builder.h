// CaseBuilder: turns a triaged complaint post into a new or updated case, inside the batch's
// write transaction (DESIGN.md §1 "group into cases").
//
// Grouping: complaint posts (severity other than none) by one author about one brand within the
// case window of each other join one case; a post naming no configured brand groups under the
// empty brand. A post naming two brands joins (or opens) one case per brand, because each brand's
// care team owns its own case.
// Urgency: each post is scored with the author's history for that brand, so a prior unresolved
// case adds the repetition signal (DESIGN.md §2). A case's urgency is the maximum of its posts';
// the first time a case gets a second post it also gains the repetition weight once, capped at
// the top of its severity band (the customer came back: that is repetition whatever they wrote).
// Reposts: a complaint whose normalised text was already filed within the window opens nothing and
// joins nothing when it is a retweet ("RT @x: …"), a copy long enough (8+ words) that two people
// would not write it independently, or the same author sending the same words again. Short
// identical complaints from different people ("@acme no internet") are different customers.
//
// Outbox (`queue.kind: redis`): with `outbox` set, every case a post opens or joins is also
// appended to the store's outbox (store/outbox.h) right after it is saved, in the same
// transaction, so a case is published exactly when it commits. The builder does this rather than
// its caller because only it holds each touched case's record: a post naming two brands touches
// two cases, and a repost touches none.
//
// Thread safety: File() is const and touches only the caller's transaction, so one builder may
// serve any thread; in practice the pipeline's serial commit stage calls it, with one builder per
// rule generation (its scorer re-scores with that generation's rules).
#ifndef EARSHOT_TRIAGE_CASE_BUILDER_H_
#define EARSHOT_TRIAGE_CASE_BUILDER_H_

#include <cstdint>
#include <span>
#include <string>

#include "core/post.h"
#include "core/status.h"
#include "store/store.h"
#include "triage/scorer.h"

namespace earshot::triage {

struct CaseOutcome {
  enum class Kind { kNone, kOpened, kJoined, kRepost };
  Kind kind = Kind::kNone;
  uint64_t case_number = 0;  // the first brand's case (or the reposted one)
  int cases_opened = 0;
  int cases_joined = 0;
  int outbox_appended = 0;   // outbox entries written: one per case opened or joined, with `outbox`
  TriageResult result;       // the result with history applied (first brand)
};

class CaseBuilder {
 public:
  // `scorer` must outlive the builder. `window_ms` > 0. `outbox`: also append every case opened
  // or joined to the store's outbox (see above).
  CaseBuilder(const Scorer& scorer, double repetition_weight, int64_t window_ms, bool outbox = false)
      : scorer_(scorer), repetition_weight_(repetition_weight), window_ms_(window_ms), outbox_(outbox) {}

  // Files one complaint post (result.severity != none). `matched_rules` are the scanner's rule
  // indexes, needed to re-score with history. `post_ms` is the post's time (its created_at, which
  // the caller has already parsed, or `now_ms` when it has none); `now_ms` stamps opened/updated
  // times.
  core::Result<CaseOutcome> File(store::Txn& txn, const core::Post& post, std::span<const uint32_t> matched_rules,
                                 const TriageResult& result, int64_t post_ms, int64_t now_ms) const;

 private:
  const Scorer& scorer_;
  double repetition_weight_;
  int64_t window_ms_;
  bool outbox_;
};

}  // namespace earshot::triage

#endif  // EARSHOT_TRIAGE_CASE_BUILDER_H_
