#include "core/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace earshot::core {

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)), buckets_(upper_bounds_.size() + 1) {}

std::vector<double> Histogram::LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
          0.1,    0.25,    0.5,    1,     2.5,    5,     10,   30};
}

std::vector<double> Histogram::AgeBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,  0.25, 0.5,   1,    2.5,
          5,     10,     30,    60,   300,   900,  3600, 21600, 86400};
}

void Histogram::Observe(double value, uint64_t count) {
  if (count == 0) return;
  const auto bucket = std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value) - upper_bounds_.begin();
  buckets_[static_cast<size_t>(bucket)].fetch_add(count, std::memory_order_relaxed);
  count_.fetch_add(count, std::memory_order_relaxed);
  sum_.fetch_add(value * static_cast<double>(count), std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot snapshot;
  snapshot.upper_bounds = upper_bounds_;
  uint64_t running = 0;
  for (const std::atomic<uint64_t>& bucket : buckets_) {
    running += bucket.load(std::memory_order_relaxed);
    snapshot.cumulative.push_back(running);
  }
  // The buckets are the truth: count_ may be a little ahead of them while observations land.
  snapshot.count = running;
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  return snapshot;
}

double Histogram::Snapshot::Quantile(double q) const {
  if (count == 0 || cumulative.empty()) return 0;
  const double rank = std::clamp(q, 0.0, 1.0) * static_cast<double>(count);
  for (size_t i = 0; i < cumulative.size(); ++i) {
    if (static_cast<double>(cumulative[i]) < rank) continue;
    if (i == upper_bounds.size()) return upper_bounds.empty() ? 0 : upper_bounds.back();  // +Inf bucket
    const double lower = i == 0 ? 0 : upper_bounds[i - 1];
    const double below = i == 0 ? 0 : static_cast<double>(cumulative[i - 1]);
    const double in_bucket = static_cast<double>(cumulative[i]) - below;
    if (in_bucket <= 0) return upper_bounds[i];
    return lower + (upper_bounds[i] - lower) * (rank - below) / in_bucket;
  }
  return upper_bounds.empty() ? 0 : upper_bounds.back();
}

namespace {

void AppendNumber(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else {
    char buffer[32];
    const std::to_chars_result result = value == std::floor(value) && std::fabs(value) < 1e15
                                            ? std::to_chars(buffer, buffer + sizeof buffer, static_cast<int64_t>(value))
                                            : std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, result.ptr);
  }
}

void AppendEscapedLabelValue(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out.push_back(c);
    }
  }
}

}  // namespace

void MetricsText::Family(std::string_view name, std::string_view type, std::string_view help) {
  if (!families_.emplace(name).second) return;
  text_ += "# HELP ";
  text_ += name;
  text_.push_back(' ');
  for (char c : help) {  // HELP escapes only backslash and newline
    if (c == '\\') {
      text_ += "\\\\";
    } else if (c == '\n') {
      text_ += "\\n";
    } else {
      text_.push_back(c);
    }
  }
  text_ += "\n# TYPE ";
  text_ += name;
  text_.push_back(' ');
  text_ += type;
  text_.push_back('\n');
}

void MetricsText::AppendLabels(MetricLabels labels, std::string_view extra_name, std::string_view extra_value) {
  if (labels.size() == 0 && extra_name.empty()) return;
  text_.push_back('{');
  bool first = true;
  auto append = [&](std::string_view name, std::string_view value) {
    if (!first) text_.push_back(',');
    first = false;
    text_ += name;
    text_ += "=\"";
    AppendEscapedLabelValue(text_, value);
    text_.push_back('"');
  };
  for (const auto& [name, value] : labels) append(name, value);
  if (!extra_name.empty()) append(extra_name, extra_value);
  text_.push_back('}');
}

void MetricsText::Sample(std::string_view name, MetricLabels labels, double value) {
  text_ += name;
  AppendLabels(labels, {}, {});
  text_.push_back(' ');
  AppendNumber(text_, value);
  text_.push_back('\n');
}

void MetricsText::HistogramSamples(std::string_view name, MetricLabels labels, const Histogram::Snapshot& snapshot) {
  std::string bound;
  for (size_t i = 0; i < snapshot.cumulative.size(); ++i) {
    bound.clear();
    if (i < snapshot.upper_bounds.size()) {
      AppendNumber(bound, snapshot.upper_bounds[i]);
    } else {
      bound = "+Inf";
    }
    text_ += name;
    text_ += "_bucket";
    AppendLabels(labels, "le", bound);
    text_.push_back(' ');
    AppendNumber(text_, static_cast<double>(snapshot.cumulative[i]));
    text_.push_back('\n');
  }
  text_ += name;
  text_ += "_sum";
  AppendLabels(labels, {}, {});
  text_.push_back(' ');
  AppendNumber(text_, snapshot.sum);
  text_.push_back('\n');
  text_ += name;
  text_ += "_count";
  AppendLabels(labels, {}, {});
  text_.push_back(' ');
  AppendNumber(text_, static_cast<double>(snapshot.count));
  text_.push_back('\n');
}

}  // namespace earshot::core
