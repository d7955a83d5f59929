#include "serve/internal/throughput.h"

namespace earshot::serve::internal {

double ThroughputMeter::Record(Clock::time_point now, uint64_t posts, std::chrono::milliseconds uptime) {
  std::scoped_lock lock(mutex_);
  if (!readings_.empty() && now - readings_.back().at < kMinSpacing && readings_.size() > 1) {
    readings_.back() = Reading{now, posts};
  } else {
    readings_.push_back(Reading{now, posts});
  }
  // Keep one reading at or beyond the window's start, so the rate spans the whole window.
  while (readings_.size() > 2 && now - readings_[1].at >= kWindow) readings_.pop_front();

  const Reading& oldest = readings_.front();
  const double span_s = std::chrono::duration<double>(now - oldest.at).count();
  if (span_s >= 1.0 && posts >= oldest.posts) return static_cast<double>(posts - oldest.posts) / span_s;
  const double uptime_s = std::chrono::duration<double>(uptime).count();
  return uptime_s > 0 ? static_cast<double>(posts) / uptime_s : 0;
}

}  // namespace earshot::serve::internal
