#include "store/dedupe.h"

#include <xxhash.h>

#include <algorithm>
#include <cstring>

namespace earshot::store {
namespace {

std::string HashKey(std::string_view a, std::string_view b) {
  // The separator keeps ("ab","c") and ("a","bc") apart.
  std::string joined;
  joined.reserve(a.size() + b.size() + 1);
  joined.append(a).push_back('\0');
  joined.append(b);
  const XXH128_hash_t hash = XXH3_128bits(joined.data(), joined.size());
  std::string key;
  AppendBigEndian64(key, hash.high64);
  AppendBigEndian64(key, hash.low64);
  return key;
}

// Seen-set keys keep the post id itself, after its source and its length: every API Earshot reads
// hands out ids that grow with time (snowflakes, base-36 counters, TIDs), so new posts land at the
// right edge of the B-tree and a batch dirties a handful of pages instead of one page per post
// (random hash keys made a 1M-post run ~5× slower; PERFORMANCE.md §1.4). The length byte keeps
// numeric ids of different widths in numeric order. Ids too long for a key fall back to a hash.
constexpr size_t kMaxLiteralId = 200;

std::string SeenKey(std::string_view source, std::string_view post_id) {
  std::string key;
  key.reserve(source.size() + post_id.size() + 2);
  key.append(source).push_back('\0');
  if (post_id.size() <= kMaxLiteralId) {
    key.push_back(static_cast<char>(post_id.size()));
    key.append(post_id);
  } else {
    key.push_back(static_cast<char>(0xff));
    key.append(HashKey("id", post_id));
  }
  return key;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

}  // namespace

core::Result<bool> MarkSeen(Txn& txn, std::string_view source, std::string_view post_id) {
  const std::string key = SeenKey(source, post_id);
  core::Result<std::optional<std::string_view>> found = txn.Get(Table::kSeen, key);
  if (!found) return found.error();
  if (found->has_value()) return false;
  EARSHOT_RETURN_IF_ERROR(txn.Put(Table::kSeen, key, {}));
  return true;
}

core::Result<bool> IsSeen(Txn& txn, std::string_view source, std::string_view post_id) {
  core::Result<std::optional<std::string_view>> found = txn.Get(Table::kSeen, SeenKey(source, post_id));
  if (!found) return found.error();
  return found->has_value();
}

std::string NormalizeForRepost(std::string_view text) {
  size_t start = 0;
  while (start < text.size() && IsSpace(text[start])) ++start;
  text.remove_prefix(start);
  // "RT @handle: text" is how a retweet of text arrives from most firehoses; a retweet of a
  // retweet stacks them.
  while (text.size() > 4 && (text.substr(0, 4) == "RT @" || text.substr(0, 4) == "rt @")) {
    const size_t colon = text.find(':');
    const size_t space = text.find(' ', 3);
    if (colon == std::string_view::npos || (space != std::string_view::npos && colon > space)) break;
    text.remove_prefix(colon + 1);
    while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  }
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (char c : text) {
    if (IsSpace(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  return out;
}

bool IsRetweet(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  if (text.size() <= 4 || (text.substr(0, 4) != "RT @" && text.substr(0, 4) != "rt @")) return false;
  const size_t colon = text.find(':');
  const size_t space = text.find(' ', 3);
  return colon != std::string_view::npos && (space == std::string_view::npos || colon < space);
}

size_t CountWords(std::string_view normalized_text) {
  if (normalized_text.empty()) return 0;
  return static_cast<size_t>(std::count(normalized_text.begin(), normalized_text.end(), ' ')) + 1;
}

core::Result<std::optional<uint64_t>> FindRepost(Txn& txn, std::string_view normalized_text, int64_t time_ms,
                                                 int64_t window_ms) {
  core::Result<std::optional<std::string_view>> found = txn.Get(Table::kTexts, HashKey("text", normalized_text));
  if (!found) return found.error();
  if (!found->has_value() || (*found)->size() != 16) return std::optional<uint64_t>();
  const int64_t first_ms = static_cast<int64_t>(ReadBigEndian64((*found)->substr(0, 8)));
  const int64_t distance = first_ms > time_ms ? first_ms - time_ms : time_ms - first_ms;
  if (distance > window_ms) return std::optional<uint64_t>();
  return std::optional<uint64_t>(ReadBigEndian64((*found)->substr(8, 8)));
}

core::Status RecordText(Txn& txn, std::string_view normalized_text, int64_t time_ms, uint64_t case_number) {
  std::string value;
  AppendBigEndian64(value, static_cast<uint64_t>(time_ms));
  AppendBigEndian64(value, case_number);
  return txn.Put(Table::kTexts, HashKey("text", normalized_text), value);
}

}  // namespace earshot::store
