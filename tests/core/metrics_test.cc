#include "core/metrics.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace earshot::core {
namespace {

TEST(Histogram, BucketsAreCumulativeAndEndInCount) {
  Histogram histogram({0.1, 1, 10});
  histogram.Observe(0.05);
  histogram.Observe(0.1);  // a value on a bound belongs to that bucket (le = "less or equal")
  histogram.Observe(0.5, 3);
  histogram.Observe(100);
  const Histogram::Snapshot snapshot = histogram.snapshot();
  EXPECT_EQ(snapshot.cumulative, (std::vector<uint64_t>{2, 5, 5, 6}));
  EXPECT_EQ(snapshot.count, 6u);
  EXPECT_DOUBLE_EQ(snapshot.sum, 0.05 + 0.1 + 1.5 + 100);
}

TEST(Histogram, QuantileInterpolatesInsideTheBucket) {
  Histogram histogram({1, 2, 4});
  for (int i = 0; i < 10; ++i) histogram.Observe(0.5);  // all in (0, 1]
  for (int i = 0; i < 10; ++i) histogram.Observe(3);    // all in (2, 4]
  const Histogram::Snapshot snapshot = histogram.snapshot();
  EXPECT_DOUBLE_EQ(snapshot.Quantile(0.25), 0.5);  // rank 5 of 10 in the first bucket
  EXPECT_DOUBLE_EQ(snapshot.Quantile(0.5), 1.0);
  EXPECT_DOUBLE_EQ(snapshot.Quantile(0.75), 3.0);  // rank 15: halfway through (2, 4]
  EXPECT_DOUBLE_EQ(snapshot.Quantile(1.0), 4.0);
  EXPECT_DOUBLE_EQ(Histogram({1}).snapshot().Quantile(0.99), 0.0);
  Histogram overflow({1});
  overflow.Observe(50);
  EXPECT_DOUBLE_EQ(overflow.snapshot().Quantile(0.5), 1.0) << "the +Inf bucket reports the largest bound";
}

TEST(Histogram, ConcurrentObservationsAreAllCounted) {
  Histogram histogram(Histogram::LatencyBuckets());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&histogram, t] {
      for (int i = 0; i < 10000; ++i) histogram.Observe(0.001 * (t + 1));
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(histogram.snapshot().count, 40000u);
  EXPECT_NEAR(histogram.snapshot().sum, 10000 * (0.001 + 0.002 + 0.003 + 0.004), 1e-6);
}

TEST(MetricsText, WritesHelpAndTypeOnceAndEscapesLabelValues) {
  MetricsText text;
  text.Family("earshot_posts_total", "counter", "Posts committed.\nBy outcome \\ kind.");
  text.Sample("earshot_posts_total", {{"outcome", "new"}}, 42);
  text.Family("earshot_posts_total", "counter", "ignored: the header is written once");
  text.Sample("earshot_posts_total", {{"outcome", "a\"b\\c\nd"}}, 0.5);
  text.Sample("earshot_up", {}, 1);
  EXPECT_EQ(text.text(),
            "# HELP earshot_posts_total Posts committed.\\nBy outcome \\\\ kind.\n"
            "# TYPE earshot_posts_total counter\n"
            "earshot_posts_total{outcome=\"new\"} 42\n"
            "earshot_posts_total{outcome=\"a\\\"b\\\\c\\nd\"} 0.5\n"
            "earshot_up 1\n");
}

TEST(MetricsText, HistogramSamplesFollowTheExpositionFormat) {
  Histogram histogram({0.5, 2});
  histogram.Observe(0.25);
  histogram.Observe(3);
  MetricsText text;
  text.Family("earshot_stage_seconds", "histogram", "Per batch.");
  text.HistogramSamples("earshot_stage_seconds", {{"stage", "commit"}}, histogram.snapshot());
  EXPECT_EQ(text.text(),
            "# HELP earshot_stage_seconds Per batch.\n"
            "# TYPE earshot_stage_seconds histogram\n"
            "earshot_stage_seconds_bucket{stage=\"commit\",le=\"0.5\"} 1\n"
            "earshot_stage_seconds_bucket{stage=\"commit\",le=\"2\"} 1\n"
            "earshot_stage_seconds_bucket{stage=\"commit\",le=\"+Inf\"} 2\n"
            "earshot_stage_seconds_sum{stage=\"commit\"} 3.25\n"
            "earshot_stage_seconds_count{stage=\"commit\"} 2\n");
}

}  // namespace
}  // namespace earshot::core
