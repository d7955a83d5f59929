#include "bench/eval/roc_auc.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace earshot::eval {

std::optional<double> RocAuc(std::span<const ScoredExample> examples) {
  size_t positives = 0;
  for (const ScoredExample& example : examples) {
    // NaN breaks the strict weak ordering std::sort needs, so it is refused before sorting.
    if (std::isnan(example.score)) return std::nullopt;
    if (example.positive) ++positives;
  }
  const size_t negatives = examples.size() - positives;
  if (positives == 0 || negatives == 0) return std::nullopt;

  std::vector<ScoredExample> sorted(examples.begin(), examples.end());
  std::sort(sorted.begin(), sorted.end(),
            [](const ScoredExample& a, const ScoredExample& b) { return a.score < b.score; });

  // Sum of the (1-based) ranks of the positives, each tie group taking the mean of its ranks.
  // Ranks are at most n and half-integers, so a double sums them exactly up to ~2^52.
  double positive_rank_sum = 0;
  for (size_t begin = 0; begin < sorted.size();) {
    size_t end = begin;
    size_t group_positives = 0;
    while (end < sorted.size() && sorted[end].score == sorted[begin].score) {
      if (sorted[end].positive) ++group_positives;
      ++end;
    }
    const double mean_rank = (static_cast<double>(begin + 1) + static_cast<double>(end)) / 2;
    positive_rank_sum += mean_rank * static_cast<double>(group_positives);
    begin = end;
  }

  const double n_pos = static_cast<double>(positives);
  const double n_neg = static_cast<double>(negatives);
  const double u = positive_rank_sum - n_pos * (n_pos + 1) / 2;
  return u / (n_pos * n_neg);
}

}  // namespace earshot::eval
