// Author history: what the store remembers about one author's complaints about one brand, so a
// repeated unresolved contact raises urgency (DESIGN.md §2) and a resolved one does not.
//
// Keyed by (post source, author key, brand): the same handle on two networks is two people as far
// as anyone can tell, and a customer of two brands has two histories.
//
// Thread safety: functions over the caller's transaction.
#ifndef EARSHOT_STORE_HISTORY_H_
#define EARSHOT_STORE_HISTORY_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "store/store.h"

namespace earshot::store {

struct AuthorBrandHistory {
  uint64_t current_case = 0;  // the case new posts may join (0: none, or it was resolved)
  int64_t last_post_ms = 0;   // newest post of current_case
  uint32_t unresolved = 0;    // cases opened and not resolved, current_case included
  uint32_t resolved = 0;      // cases resolved
};

// source \0 author_key \0 brand; a key longer than LMDB's 511-byte limit (a long handle in a post)
// is cut to 495 bytes and ends in a 16-byte hash of the whole key.
std::string HistoryKey(std::string_view source, std::string_view author_key, std::string_view brand);

// A default (empty) history when there is none yet.
core::Result<AuthorBrandHistory> LoadHistory(Txn& txn, std::string_view key);
core::Status SaveHistory(Txn& txn, std::string_view key, const AuthorBrandHistory& history);

}  // namespace earshot::store

#endif  // EARSHOT_STORE_HISTORY_H_
