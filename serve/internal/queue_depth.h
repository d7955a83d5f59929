// QueueDepth: how many open cases wait or are leased, by severity, and how deep the Redis outbox
// is — read in one snapshot for /metrics and /api/stats.
//
// Cost: the store keeps no per-severity counters, so this lists every open case (the ready and
// lease index tables, then each case record): O(open cases) per call. With the console polling
// every 2 s and Prometheus every 15 s that is negligible for queues of thousands; a queue of
// millions of open cases has a bigger problem than its metrics.
//
// Thread safety: ReadQueueDepth may run on any thread (Store::Read is thread-safe).
#ifndef EARSHOT_SERVE_INTERNAL_QUEUE_DEPTH_H_
#define EARSHOT_SERVE_INTERNAL_QUEUE_DEPTH_H_

#include <array>
#include <cstdint>

#include "core/severity.h"
#include "core/status.h"
#include "store/store.h"

namespace earshot::serve::internal {

struct QueueDepth {
  // Indexed by core::Severity. A lease that has expired counts as queued, as a pull would see it.
  std::array<uint64_t, 5> queued{};
  std::array<uint64_t, 5> leased{};
  uint64_t outbox = 0;

  uint64_t open(core::Severity severity) const {
    return queued[static_cast<size_t>(severity)] + leased[static_cast<size_t>(severity)];
  }
  uint64_t total_open() const;
};

core::Result<QueueDepth> ReadQueueDepth(store::Store& store, int64_t now_ms);

}  // namespace earshot::serve::internal

#endif  // EARSHOT_SERVE_INTERNAL_QUEUE_DEPTH_H_
