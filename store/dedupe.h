// Dedupe: the seen-set that keeps a re-polled post from being triaged twice, and the repost check
// that keeps a retweet/boost or copy of a complaint from opening a second case.
//
// Both live in the store and are written in the batch's transaction, so they are exactly as
// durable as the cases they protect. Seen-set keys are the (source, id) pair itself, so dedupe is
// exact; texts are keyed by a 16-byte XXH3-128 hash, so a false repost needs a 128-bit collision.
//
// Thread safety: functions over the caller's transaction.
#ifndef EARSHOT_STORE_DEDUPE_H_
#define EARSHOT_STORE_DEDUPE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "store/store.h"

namespace earshot::store {

// Marks (source, id) as seen. True if it was new, false if it had been seen before.
core::Result<bool> MarkSeen(Txn& txn, std::string_view source, std::string_view post_id);

// Whether (source, id) has been marked, without marking it (works in a read transaction).
core::Result<bool> IsSeen(Txn& txn, std::string_view source, std::string_view post_id);

// The form of a text that reposts share: a leading "RT @handle:" removed, ASCII letters lower-cased,
// runs of whitespace collapsed to one space, surrounding space trimmed.
std::string NormalizeForRepost(std::string_view text);

// True when `text` starts with a retweet marker ("RT @handle:"), whatever follows.
bool IsRetweet(std::string_view text);

// Words in a normalised text (runs separated by single spaces).
size_t CountWords(std::string_view normalized_text);

// If a complaint with the same normalised text was recorded at most `window_ms` before (or after)
// `time_ms`, returns the case it went to. Otherwise nullopt.
core::Result<std::optional<uint64_t>> FindRepost(Txn& txn, std::string_view normalized_text, int64_t time_ms,
                                                 int64_t window_ms);
// Records the text of a complaint that went to `case_number`.
core::Status RecordText(Txn& txn, std::string_view normalized_text, int64_t time_ms, uint64_t case_number);

}  // namespace earshot::store

#endif  // EARSHOT_STORE_DEDUPE_H_
