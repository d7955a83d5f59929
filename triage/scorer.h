// Scorer: turns the rules a post matched into an urgency in [0, 100] and a severity.
//
// The triage principle (DESIGN.md §2) is built into the signature: Score() sees the post's text,
// its author handle (only to recognise a brand's own accounts) and the author's case history. It
// never reads followers, reach, likes or verification, so those cannot move urgency or queue order.
//
// The model is additive and every term is recorded, so `earshot explain` shows exactly how a number
// came about:
//   urgency = base(most severe matched category)        critical 70, high 45, medium 25, low 10
//           + 5 per further distinct category of medium severity or more, at most +10
//           + Σ weight(signal) over distinct signals     from the taxonomy (negative ones lower it)
//   then capped at the top of the top category's band   critical 100, high 69, medium 44, low 24
//   and floored at 0. No complaint category, or a post by the brand's own account: 0.
//   severity = critical ≥ 70 > high ≥ 45 > medium ≥ 25 > low > 0 = none
// The cap is the point of the model: signals say how bad *this* outage is, but no amount of
// duration or shouting lifts an outage above a fire (DESIGN.md §2, "within a category"). Lowering
// signals are not floored at the band, so "fixed now, thanks" really does drop a post.
// Signals come from signal rules (e.g. "30 mins on hold" → duration), from the text's intensity
// (mostly capitals, "!!!"), and from history (a prior unresolved case → repetition).
// Two refinements keep the sum honest: general negativity co-occurs with most real complaints, so
// low-severity categories earn no further-category bonus; and `question` lowers only a post whose
// worst category is low ("how do I get the code? this sucks"), because a question that reports a
// failure ("why is my internet down?") is still that failure.
//
// Thread safety: a Scorer is immutable after construction; Score() may run on many threads.
#ifndef EARSHOT_TRIAGE_SCORER_H_
#define EARSHOT_TRIAGE_SCORER_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/post.h"
#include "core/severity.h"
#include "matchers/rule_set.h"

namespace earshot::triage {

// What the engine knows about this author's earlier cases for the same brand. Empty in plain batch
// triage; `earshot run` fills it from the data directory.
struct AuthorHistory {
  int unresolved_prior_cases = 0;
};

// One addend of the urgency sum, for explanations.
struct ScoreTerm {
  std::string label;  // e.g. "category safety (critical)", "signal duration"
  double points = 0;
};

struct TriageResult {
  double urgency = 0;
  core::Severity severity = core::Severity::kNone;
  std::vector<std::string> brands;      // brand ids, in rule order
  std::vector<std::string> categories;  // most severe first, then by id
  std::vector<std::string> signals;     // taxonomy order
  std::vector<std::string> rules;       // every matched rule id, in rule order
  std::vector<ScoreTerm> terms;         // how `urgency` was added up, before clamping
  bool from_brand_account = false;      // authored by a brand's own handle: not a complaint
};

class Scorer {
 public:
  static constexpr double kMaxUrgency = 100;

  // Keeps a reference to `rules`, which must outlive the Scorer (a Database owns both in practice).
  explicit Scorer(const matchers::RuleSet& rules);

  // `matched_rules` are rule indexes as a Scanner reports them.
  TriageResult Score(const core::Post& post, std::span<const uint32_t> matched_rules,
                     const AuthorHistory& history) const;
  // The same into `result`, every field overwritten, reusing its vectors' capacity: the triage hot
  // path scores millions of posts into the same few results.
  void ScoreInto(const core::Post& post, std::span<const uint32_t> matched_rules, const AuthorHistory& history,
                 TriageResult& result) const;

  // Where a post whose most severe category has `severity` starts, and the most it can reach.
  static double BasePoints(core::Severity severity);
  static double BandCeiling(core::Severity severity);
  static core::Severity SeverityForUrgency(double urgency);

 private:
  bool IsBrandAccount(std::string_view author) const;

  const matchers::RuleSet& rules_;
  std::unordered_set<std::string> brand_handles_;  // lower-case, without leading '@'
};

// True when the text "shouts": at least 12 letters of which 70% or more are capitals, or a run of
// three or more '!'. Exposed for tests.
bool HasIntensity(std::string_view text);

}  // namespace earshot::triage

#endif  // EARSHOT_TRIAGE_SCORER_H_
