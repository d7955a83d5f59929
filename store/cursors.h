// Cursors: where each configured source stopped, as opaque bytes the source itself defines
// (crawler/source.h). A cursor is saved in the same transaction as the posts read up to it, so a
// crash resumes from the last committed batch: re-read rather than skipped.
//
// Thread safety: functions over the caller's transaction.
#ifndef EARSHOT_STORE_CURSORS_H_
#define EARSHOT_STORE_CURSORS_H_

#include <string>
#include <string_view>

#include "core/status.h"
#include "store/store.h"

namespace earshot::store {

// The saved cursor of `source_id`, empty if none was saved yet.
core::Result<std::string> LoadCursor(Txn& txn, std::string_view source_id);
core::Status SaveCursor(Txn& txn, std::string_view source_id, std::string_view cursor);
// Forgets the cursor: the source's next poll is a first poll. True if there was one.
core::Result<bool> ResetCursor(Txn& txn, std::string_view source_id);

}  // namespace earshot::store

#endif  // EARSHOT_STORE_CURSORS_H_
