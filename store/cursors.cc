#include "store/cursors.h"

namespace earshot::store {

core::Result<std::string> LoadCursor(Txn& txn, std::string_view source_id) {
  core::Result<std::optional<std::string_view>> found = txn.Get(Table::kCursors, source_id);
  if (!found) return found.error();
  return found->has_value() ? std::string(**found) : std::string();
}

core::Status SaveCursor(Txn& txn, std::string_view source_id, std::string_view cursor) {
  return txn.Put(Table::kCursors, source_id, cursor);
}

core::Result<bool> ResetCursor(Txn& txn, std::string_view source_id) { return txn.Delete(Table::kCursors, source_id); }

}  // namespace earshot::store
