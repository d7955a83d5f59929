#include "store/outbox.h"

#include <optional>
#include <string>
#include <string_view>

namespace earshot::store {
namespace {

constexpr std::string_view kNextOutbox = "next_outbox";
constexpr size_t kKeyBytes = 8;
constexpr size_t kValueBytes = 8 + 4;

std::string SequenceKey(uint64_t sequence) {
  std::string key;
  AppendBigEndian64(key, sequence);
  return key;
}

std::string EncodeEntry(const CaseRecord& record) {
  std::string value;
  AppendBigEndian64(value, record.number);
  for (int shift = 24; shift >= 0; shift -= 8) value.push_back(static_cast<char>((record.version >> shift) & 0xff));
  return value;
}

// Hex of a key that is not a sequence, so the message still says which entry to look at.
std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

core::Result<OutboxEntry> DecodeEntry(std::string_view key, std::string_view value) {
  if (key.size() != kKeyBytes) {
    return core::Status::Corruption("outbox entry with key 0x" + Hex(key) + ": key is " + std::to_string(key.size()) +
                                    " bytes, expected " + std::to_string(kKeyBytes));
  }
  OutboxEntry entry;
  entry.sequence = ReadBigEndian64(key);
  if (value.size() != kValueBytes) {
    return core::Status::Corruption("outbox entry " + std::to_string(entry.sequence) + ": value is " +
                                    std::to_string(value.size()) + " bytes, expected " + std::to_string(kValueBytes));
  }
  entry.case_number = ReadBigEndian64(value.substr(0, 8));
  for (unsigned char c : value.substr(8)) entry.version = (entry.version << 8) | c;
  return entry;
}

}  // namespace

core::Status AppendToOutbox(Txn& txn, const CaseRecord& record) {
  core::Result<std::optional<std::string_view>> found = txn.Get(Table::kMeta, kNextOutbox);
  if (!found) return found.error();
  // The counter only grows, even when the outbox empties: a sequence is never reused, so an entry
  // that a publisher already removed cannot come back under the same key.
  const uint64_t sequence = found->has_value() ? ReadBigEndian64(**found) : 1;
  EARSHOT_RETURN_IF_ERROR(txn.Put(Table::kMeta, kNextOutbox, SequenceKey(sequence + 1)));
  return txn.Put(Table::kOutbox, SequenceKey(sequence), EncodeEntry(record));
}

core::Result<std::vector<OutboxEntry>> PeekOutbox(Txn& txn, size_t max) {
  std::vector<OutboxEntry> entries;
  if (max == 0) return entries;
  core::Status decode_error;
  core::Status status = txn.Scan(Table::kOutbox, {}, [&](std::string_view key, std::string_view value) {
    core::Result<OutboxEntry> entry = DecodeEntry(key, value);
    if (!entry) {
      decode_error = entry.error();
      return false;
    }
    entries.push_back(*entry);
    return entries.size() < max;
  });
  EARSHOT_RETURN_IF_ERROR(status);
  EARSHOT_RETURN_IF_ERROR(decode_error);
  return entries;
}

core::Status RemoveFromOutbox(Txn& txn, std::span<const uint64_t> sequences) {
  for (uint64_t sequence : sequences) {
    core::Result<bool> removed = txn.Delete(Table::kOutbox, SequenceKey(sequence));
    if (!removed) return removed.error();
  }
  return core::Status::Ok();
}

core::Result<uint64_t> OutboxDepth(Txn& txn) { return txn.Count(Table::kOutbox); }

}  // namespace earshot::store
