// Queue: the embedded case queue of DESIGN.md §3.6, in the same LMDB environment as everything
// else, so a case is queued in the very transaction that stored its posts.
//
// Order: highest urgency first; ties go to the oldest case (lowest number). Two index tables make
// both operations a B-tree walk rather than a scan of all cases:
//   ready   (10000 − urgency×100 as u16 BE, case number u64 BE) → ∅   queued cases, in pull order
//   leases  (lease expiry ms u64 BE, case number u64 BE)           → ∅   leased cases, by expiry
//
// States and transitions (every one a single write transaction):
//   queued  ──pull──► leased ──ack──► acked ──a new post joins──► queued
//      ▲                │  └──nack / lease expires──► queued
//      └────────────────┘  any unresolved ──resolve──► resolved (history: unresolved−1, resolved+1)
// A post joining a leased case updates it in place (version+1); acking that lease then puts the
// case back in the queue, because the consumer acked an older version than the one now stored.
//
// Delivery is at-least-once: a consumer that dies holding a lease gets its cases handed to someone
// else when the lease expires. LMDB serialises write transactions across processes, so two pulls
// can never lease the same case while a lease is live.
//
// Thread safety: functions over the caller's transaction.
#ifndef EARSHOT_STORE_QUEUE_H_
#define EARSHOT_STORE_QUEUE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "store/case_record.h"
#include "store/store.h"

namespace earshot::store {

// The next case number (1, 2, ...), persisted in the transaction.
core::Result<uint64_t> AllocateCaseNumber(Txn& txn);

// Nullopt when there is no such case.
core::Result<std::optional<CaseRecord>> LoadCase(Txn& txn, uint64_t number);

// Writes `current` and moves its index entries: those of `previous` (the stored version, or null
// for a new case) are removed, those of `current` added.
core::Status SaveCase(Txn& txn, const CaseRecord* previous, const CaseRecord& current);

// Returns expired leases to the queue, then leases up to `max` cases for `lease_ms`, highest
// urgency first. The returned records are in their leased state.
core::Result<std::vector<CaseRecord>> PullCases(Txn& txn, int64_t now_ms, size_t max, int64_t lease_ms);

enum class Finish {
  kAck,      // leased → acked (or → queued if a post joined after the pull)
  kNack,     // leased → queued
  kResolve,  // any unresolved state → resolved, and the author's history records it
};
// NotFound for an unknown case; InvalidArgument when the transition does not apply (acking a case
// that is not leased, resolving a resolved one), naming the case and its state. With a lease
// generation (from a lease id), the case must still be held under that very lease: a consumer
// whose lease expired and whose case was pulled by someone else gets InvalidArgument saying so.
core::Result<CaseRecord> FinishCase(Txn& txn, uint64_t number, Finish finish, int64_t now_ms,
                                    std::optional<uint32_t> lease_generation = std::nullopt);

enum class StateFilter { kOpen, kAll, kQueued, kLeased, kAcked, kResolved };
// "open" (queued or leased), "all", or one state name.
std::optional<StateFilter> ParseStateFilter(std::string_view name);

// Cases in queue order (urgency descending, then oldest first); `limit` 0 means all. An expired
// lease counts as queued.
core::Result<std::vector<CaseRecord>> ListCases(Txn& txn, StateFilter filter, int64_t now_ms, size_t limit);

}  // namespace earshot::store

#endif  // EARSHOT_STORE_QUEUE_H_
