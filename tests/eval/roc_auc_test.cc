#include "bench/eval/roc_auc.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

namespace earshot::eval {
namespace {

std::vector<ScoredExample> Examples(const std::vector<double>& positives,
                                    const std::vector<double>& negatives) {
  std::vector<ScoredExample> examples;
  for (double score : positives) examples.push_back(ScoredExample{score, true});
  for (double score : negatives) examples.push_back(ScoredExample{score, false});
  return examples;
}

// The definition the rank formula must agree with: over every (positive, negative) pair, count a
// win as 1 and a tie as 1/2.
double PairwiseAuc(const std::vector<ScoredExample>& examples) {
  double wins = 0;
  double pairs = 0;
  for (const ScoredExample& p : examples) {
    if (!p.positive) continue;
    for (const ScoredExample& n : examples) {
      if (n.positive) continue;
      pairs += 1;
      wins += p.score > n.score ? 1.0 : p.score == n.score ? 0.5 : 0.0;
    }
  }
  return wins / pairs;
}

TEST(RocAuc, PerfectlySeparatedIsOne) { EXPECT_EQ(RocAuc(Examples({5, 7, 9}, {1, 2, 3})), 1.0); }

TEST(RocAuc, ReversedIsZero) { EXPECT_EQ(RocAuc(Examples({1, 2, 3}, {5, 7, 9})), 0.0); }

TEST(RocAuc, AllTiedIsOneHalf) { EXPECT_EQ(RocAuc(Examples({0, 0, 0}, {0, 0})), 0.5); }

TEST(RocAuc, TiesCountOneHalfInAHandComputedCase) {
  // Positives {0.8, 0.5, 0.5}, negatives {0.5, 0.2}. Ranks: 0.2→1; the three 0.5s share 2,3,4 → 3;
  // 0.8→5. Positive rank sum 3+3+5 = 11, U = 11 − 3·4/2 = 5, AUC = 5/(3·2). By pairs: 0.8 beats
  // both (2), each 0.5 ties 0.5 (½+½) and beats 0.2 (1+1): 5 of 6.
  std::optional<double> auc = RocAuc(Examples({0.8, 0.5, 0.5}, {0.5, 0.2}));
  ASSERT_TRUE(auc.has_value());
  EXPECT_DOUBLE_EQ(*auc, 5.0 / 6.0);
}

TEST(RocAuc, EmptyClassIsUndefined) {
  EXPECT_EQ(RocAuc(Examples({1, 2}, {})), std::nullopt);
  EXPECT_EQ(RocAuc(Examples({}, {1, 2})), std::nullopt);
  EXPECT_EQ(RocAuc(std::vector<ScoredExample>{}), std::nullopt);
}

TEST(RocAuc, NanScoreIsUndefined) {
  EXPECT_EQ(RocAuc(Examples({1, std::numeric_limits<double>::quiet_NaN()}, {0})), std::nullopt);
}

TEST(RocAuc, DoesNotDependOnInputOrder) {
  std::vector<ScoredExample> examples = Examples({10, 0, 25, 25, 45}, {0, 0, 25, 10, 70});
  const std::optional<double> forward = RocAuc(examples);
  std::vector<ScoredExample> reversed(examples.rbegin(), examples.rend());
  EXPECT_EQ(RocAuc(reversed), forward);
}

TEST(RocAuc, MatchesPairwiseDefinitionOnManyTies) {
  // Urgency-like scores: few distinct values, so most pairs tie. A fixed LCG keeps it reproducible.
  std::vector<ScoredExample> examples;
  uint32_t state = 2026;
  for (int i = 0; i < 300; ++i) {
    state = state * 1664525u + 1013904223u;
    const bool positive = (state >> 8) % 3 != 0;
    const double score = static_cast<double>(((state >> 16) % 7) * 10 + (positive ? (state >> 24) % 3 : 0));
    examples.push_back(ScoredExample{score, positive});
  }
  std::optional<double> auc = RocAuc(examples);
  ASSERT_TRUE(auc.has_value());
  EXPECT_NEAR(*auc, PairwiseAuc(examples), 1e-12);
}

}  // namespace
}  // namespace earshot::eval
