// ThroughputMeter: posts per second over the last ~10 seconds, for the console's header.
//
// The pipeline keeps only cumulative counters, so a rate needs two readings some time apart. The
// server has no timer thread of its own; instead every /api/stats and /metrics request leaves a
// reading here (the console polls every 2 s, Prometheus every 15 s or so), and the rate is taken
// between the newest reading and the oldest one still inside the window. Until the readings span
// a second, the rate is the average since the engine started.
//
// Thread safety: Record may be called from any thread (requests are served concurrently).
#ifndef EARSHOT_SERVE_INTERNAL_THROUGHPUT_H_
#define EARSHOT_SERVE_INTERNAL_THROUGHPUT_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>

namespace earshot::serve::internal {

class ThroughputMeter {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds kWindow{10'000};

  // Adds the reading `posts` (a cumulative count) taken at `now` and returns posts per second over
  // the window ending at `now`; `uptime` (time since the engine started) gives the fallback rate.
  double Record(Clock::time_point now, uint64_t posts, std::chrono::milliseconds uptime);

 private:
  struct Reading {
    Clock::time_point at;
    uint64_t posts = 0;
  };
  // Readings closer together than this replace the newest one, so a burst of requests cannot grow
  // the ring: it holds at most kWindow / kMinSpacing + 2 readings.
  static constexpr std::chrono::milliseconds kMinSpacing{250};

  std::mutex mutex_;
  std::deque<Reading> readings_;  // guarded by mutex_; oldest first
};

}  // namespace earshot::serve::internal

#endif  // EARSHOT_SERVE_INTERNAL_THROUGHPUT_H_
