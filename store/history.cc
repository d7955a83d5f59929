#include "store/history.h"

#include <xxhash.h>

namespace earshot::store {
namespace {

// LMDB refuses keys longer than 511 bytes (mdb_env_get_maxkeysize) with MDB_BAD_VALSIZE, which
// would fail the whole batch. The author key comes from the posts, so it can be any length.
constexpr size_t kMaxKeyBytes = 511;

}  // namespace

std::string HistoryKey(std::string_view source, std::string_view author_key, std::string_view brand) {
  std::string key;
  key.reserve(source.size() + author_key.size() + brand.size() + 2);
  key.append(source).push_back('\0');
  key.append(author_key).push_back('\0');
  key.append(brand);
  if (key.size() > kMaxKeyBytes) {
    // Keep the readable start and end in a 128-bit hash of the whole key, so it fits and long keys
    // stay apart. Shorter keys are unchanged, so no stored key changes meaning.
    const XXH128_hash_t hash = XXH3_128bits(key.data(), key.size());
    key.resize(kMaxKeyBytes - 16);
    AppendBigEndian64(key, hash.high64);
    AppendBigEndian64(key, hash.low64);
  }
  return key;
}

core::Result<AuthorBrandHistory> LoadHistory(Txn& txn, std::string_view key) {
  core::Result<std::optional<std::string_view>> found = txn.Get(Table::kThreads, key);
  if (!found) return found.error();
  AuthorBrandHistory history;
  if (!found->has_value()) return history;
  const std::string_view bytes = **found;
  if (bytes.size() != 24) return core::Status::Corruption("author history record has the wrong size");
  history.current_case = ReadBigEndian64(bytes.substr(0, 8));
  history.last_post_ms = static_cast<int64_t>(ReadBigEndian64(bytes.substr(8, 8)));
  const uint64_t counts = ReadBigEndian64(bytes.substr(16, 8));
  history.unresolved = static_cast<uint32_t>(counts >> 32);
  history.resolved = static_cast<uint32_t>(counts & 0xffffffffu);
  return history;
}

core::Status SaveHistory(Txn& txn, std::string_view key, const AuthorBrandHistory& history) {
  std::string value;
  AppendBigEndian64(value, history.current_case);
  AppendBigEndian64(value, static_cast<uint64_t>(history.last_post_ms));
  AppendBigEndian64(value, (static_cast<uint64_t>(history.unresolved) << 32) | history.resolved);
  return txn.Put(Table::kThreads, key, value);
}

}  // namespace earshot::store
