// ROC AUC for the evaluation harness: how well a score ranks positives above negatives.
//
// The area under the ROC curve equals the probability that a randomly chosen positive scores
// higher than a randomly chosen negative, counting a tie as half (the Mann–Whitney U statistic
// divided by n_pos × n_neg). It is computed from ranks, not by sweeping thresholds, so it is exact
// and O(n log n). Ties matter here: Earshot's urgency is a sum of a few integer-valued terms, so
// many posts share a score (every unmatched post scores 0), and ignoring ties would make the AUC
// depend on input order. Tied scores get the average of the ranks they span.
//
// Thread safety: pure function.
#ifndef EARSHOT_BENCH_EVAL_ROC_AUC_H_
#define EARSHOT_BENCH_EVAL_ROC_AUC_H_

#include <optional>
#include <span>

namespace earshot::eval {

struct ScoredExample {
  double score = 0;       // higher means "more likely positive"
  bool positive = false;  // the true class
};

// AUC in [0, 1]: 1 when every positive outscores every negative, 0 when the reverse, 0.5 when all
// scores tie. std::nullopt when either class is empty (the AUC is undefined, and reporting 0.5
// would hide that the labelled set lacks a class) or when a score is NaN (it has no rank).
std::optional<double> RocAuc(std::span<const ScoredExample> examples);

}  // namespace earshot::eval

#endif  // EARSHOT_BENCH_EVAL_ROC_AUC_H_
