// Outbox: case changes waiting to be published to Redis Streams (`queue.kind: redis`).
//
// Redis is not part of the LMDB transaction, so publishing straight from the commit stage could
// lose a case (crash after the commit, before the XADD) or publish one that never committed. The
// outbox makes the hand-off exactly as safe as the embedded queue: the batch's transaction appends
// one entry per case it opened or updated, and the publisher (redis_publisher.h) drains entries in
// sequence order, deleting each only after Redis acknowledged its XADD. A crash or a Redis outage in
// between re-sends; it never loses. Consumers dedupe on case_id + version.
//
//   outbox  (sequence u64 BE) → (case number u64 BE, version u32 BE)
//   meta    "next_outbox" → the next sequence (u64 BE)
//
// An entry names a case and the version that was committed; the publisher sends the case as it is
// stored when it drains (so an entry whose case has moved on sends the newer version, and a later
// entry for that same version is then skipped as already sent).
//
// Thread safety: functions over the caller's transaction.
#ifndef EARSHOT_STORE_OUTBOX_H_
#define EARSHOT_STORE_OUTBOX_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/status.h"
#include "store/case_record.h"
#include "store/store.h"

namespace earshot::store {

struct OutboxEntry {
  uint64_t sequence = 0;
  uint64_t case_number = 0;
  uint32_t version = 0;
};

// Appends "case `record.number` is now at `record.version`" in the caller's write transaction.
core::Status AppendToOutbox(Txn& txn, const CaseRecord& record);

// Up to `max` entries, oldest first.
core::Result<std::vector<OutboxEntry>> PeekOutbox(Txn& txn, size_t max);

// Deletes the given entries (absent ones are ignored: another drainer got there first).
core::Status RemoveFromOutbox(Txn& txn, std::span<const uint64_t> sequences);

// How many entries wait.
core::Result<uint64_t> OutboxDepth(Txn& txn);

}  // namespace earshot::store

#endif  // EARSHOT_STORE_OUTBOX_H_
