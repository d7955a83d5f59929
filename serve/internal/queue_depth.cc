#include "serve/internal/queue_depth.h"

#include <vector>

#include "store/outbox.h"
#include "store/queue.h"

namespace earshot::serve::internal {

uint64_t QueueDepth::total_open() const {
  uint64_t total = 0;
  for (size_t i = 0; i < queued.size(); ++i) total += queued[i] + leased[i];
  return total;
}

core::Result<QueueDepth> ReadQueueDepth(store::Store& store, int64_t now_ms) {
  QueueDepth depth;
  core::Status status = store.Read([&](store::Txn& txn) -> core::Status {
    depth = QueueDepth{};  // derived from this snapshot only
    core::Result<std::vector<store::CaseRecord>> open = store::ListCases(txn, store::StateFilter::kOpen, now_ms, 0);
    if (!open) return open.error();
    for (const store::CaseRecord& record : *open) {
      const size_t severity = static_cast<size_t>(record.severity);
      if (severity >= depth.queued.size()) continue;
      const bool leased = record.state == store::CaseState::kLeased && record.lease_until_ms > now_ms;
      ++(leased ? depth.leased : depth.queued)[severity];
    }
    core::Result<uint64_t> outbox = store::OutboxDepth(txn);
    if (!outbox) return outbox.error();
    depth.outbox = *outbox;
    return core::Status::Ok();
  });
  if (!status.ok()) return status.WithContext("reading the queue depth");
  return depth;
}

}  // namespace earshot::serve::internal
