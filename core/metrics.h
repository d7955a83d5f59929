// Metrics: counters and histograms the engine keeps as it runs, and the Prometheus text format
// (version 0.0.4) that `earshot serve` exposes at /metrics.
//
// Why hand-written: prometheus-cpp is not packaged in Debian 12, and what Earshot needs is small —
// lock-free histograms with fixed buckets, and a writer for the text format. Counters are plain
// std::atomic<uint64_t> owned by whoever counts (PipelineStats, FetcherStats); the writer only
// renders them at scrape time, so counting costs one relaxed atomic add and nothing else.
//
// Thread safety: Histogram::Observe and Snapshot may run concurrently from any threads (a snapshot
// taken during observations may be off by the observations in flight, never torn per bucket).
// MetricsText is a plain value used by one thread.
#ifndef EARSHOT_CORE_METRICS_H_
#define EARSHOT_CORE_METRICS_H_

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace earshot::core {

class Histogram {
 public:
  // `upper_bounds` ascending; the +Inf bucket is implicit.
  explicit Histogram(std::vector<double> upper_bounds);
  // Seconds from 100 µs to 30 s in roughly ×2.5 steps: stage and post-to-case latencies.
  static std::vector<double> LatencyBuckets();
  // Seconds from 1 ms to a day: how old a post is when it is committed. A live stream lands in
  // milliseconds, a polled API in seconds to minutes, a replay or a stalled source in hours.
  static std::vector<double> AgeBuckets();

  // Records `count` observations of `value` (a batch's posts all waited the same time).
  void Observe(double value, uint64_t count = 1);

  struct Snapshot {
    std::vector<double> upper_bounds;
    std::vector<uint64_t> cumulative;  // per bound, then +Inf last (== count)
    uint64_t count = 0;
    double sum = 0;
    // The q-quantile (0 < q ≤ 1) by linear interpolation inside its bucket, as Prometheus'
    // histogram_quantile does; 0 when empty.
    double Quantile(double q) const;
  };
  Snapshot snapshot() const;

 private:
  std::vector<double> upper_bounds_;
  std::vector<std::atomic<uint64_t>> buckets_;  // non-cumulative; last is +Inf
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

using MetricLabels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

// Builds one /metrics response. Write a family's header once, then its samples:
//   text.Family("earshot_posts_total", "counter", "Posts committed, by outcome.");
//   text.Sample("earshot_posts_total", {{"outcome", "new"}}, 42);
// Label values are escaped (backslash, double quote, newline); names are trusted.
class MetricsText {
 public:
  void Family(std::string_view name, std::string_view type, std::string_view help);
  void Sample(std::string_view name, MetricLabels labels, double value);
  // A histogram family's _bucket/_sum/_count samples ("le" label added after `labels`).
  void HistogramSamples(std::string_view name, MetricLabels labels, const Histogram::Snapshot& snapshot);

  const std::string& text() const { return text_; }

 private:
  void AppendLabels(MetricLabels labels, std::string_view extra_name, std::string_view extra_value);
  std::string text_;
  std::set<std::string, std::less<>> families_;  // a family's header is written once
};

}  // namespace earshot::core

#endif  // EARSHOT_CORE_METRICS_H_
