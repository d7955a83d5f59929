#include "store/case_record.h"

#include <charconv>
#include <cstring>

#include "core/json_writer.h"
#include "core/time.h"

namespace earshot::store {
namespace {

// Record format: a version byte, then fixed-width little-endian integers, doubles as their bit
// pattern, and strings as u32 length + bytes. Small, explicit and checked on decode.
constexpr uint8_t kRecordVersion = 1;

class Encoder {
 public:
  explicit Encoder(std::string& out) : out_(out) {}
  template <typename T>
  void Fixed(T value) {
    char bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));
    out_.append(bytes, sizeof(T));
  }
  void String(std::string_view value) {
    Fixed(static_cast<uint32_t>(value.size()));
    out_.append(value);
  }
  void Strings(const std::vector<std::string>& values) {
    Fixed(static_cast<uint32_t>(values.size()));
    for (const std::string& value : values) String(value);
  }

 private:
  std::string& out_;
};

class Decoder {
 public:
  explicit Decoder(std::string_view in) : in_(in) {}
  template <typename T>
  bool Fixed(T& value) {
    if (in_.size() - pos_ < sizeof(T)) return false;
    std::memcpy(&value, in_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool String(std::string& value) {
    uint32_t size = 0;
    if (!Fixed(size) || in_.size() - pos_ < size) return false;
    value.assign(in_.substr(pos_, size));
    pos_ += size;
    return true;
  }
  bool Strings(std::vector<std::string>& values) {
    uint32_t count = 0;
    if (!Fixed(count) || count > in_.size() - pos_) return false;  // each string takes ≥ 4 bytes
    values.resize(count);
    for (std::string& value : values) {
      if (!String(value)) return false;
    }
    return true;
  }
  bool done() const { return pos_ == in_.size(); }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace

std::string_view CaseStateName(CaseState state) {
  switch (state) {
    case CaseState::kQueued: return "queued";
    case CaseState::kLeased: return "leased";
    case CaseState::kAcked: return "acked";
    case CaseState::kResolved: return "resolved";
  }
  return "queued";
}

void CaseRecord::AddPost(CasePost post) {
  ++post_count;
  if (posts.size() >= kMaxStoredPosts) posts.erase(posts.begin() + 1);  // keep the first post
  posts.push_back(std::move(post));
}

std::string CaseId(uint64_t number) {
  char digits[24];
  std::snprintf(digits, sizeof digits, "c-%08llu", static_cast<unsigned long long>(number));
  return digits;
}

std::optional<uint64_t> ParseCaseId(std::string_view id) {
  if (id.size() < 3 || id.substr(0, 2) != "c-") return std::nullopt;
  uint64_t number = 0;
  const char* begin = id.data() + 2;
  const char* end = id.data() + id.size();
  auto [ptr, ec] = std::from_chars(begin, end, number);
  if (ec != std::errc() || ptr != end || number == 0) return std::nullopt;
  return number;
}

std::string LeaseId(uint64_t number, uint32_t generation) {
  return CaseId(number) + "." + std::to_string(generation);
}

std::optional<LeaseRef> ParseCaseOrLeaseId(std::string_view id) {
  LeaseRef ref;
  const size_t dot = id.find('.');
  if (dot != std::string_view::npos) {
    uint32_t generation = 0;
    const std::string_view digits = id.substr(dot + 1);
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), generation);
    if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size()) return std::nullopt;
    ref.generation = generation;
    id = id.substr(0, dot);
  }
  std::optional<uint64_t> number = ParseCaseId(id);
  if (!number) return std::nullopt;
  ref.number = *number;
  return ref;
}

std::string EncodeCase(const CaseRecord& record) {
  std::string out;
  Encoder e(out);
  e.Fixed(kRecordVersion);
  e.Fixed(record.version);
  e.Fixed(static_cast<uint8_t>(record.state));
  e.Fixed(record.urgency);
  e.Fixed(static_cast<uint8_t>(record.severity));
  e.String(record.brand);
  e.String(record.source);
  e.String(record.author);
  e.String(record.author_key);
  e.Strings(record.categories);
  e.Strings(record.signals);
  e.Fixed(record.opened_ms);
  e.Fixed(record.updated_ms);
  e.Fixed(record.last_post_ms);
  e.Fixed(record.lease_until_ms);
  e.Fixed(record.leased_version);
  e.Fixed(record.lease_generation);
  e.Fixed(record.post_count);
  e.Fixed(static_cast<uint32_t>(record.posts.size()));
  for (const CasePost& post : record.posts) {
    e.String(post.id);
    e.String(post.source);
    e.String(post.text);
    e.String(post.url);
    e.String(post.created_at);
    e.Fixed(post.urgency);
    e.Fixed(static_cast<uint8_t>(post.severity));
  }
  return out;
}

core::Result<CaseRecord> DecodeCase(uint64_t number, std::string_view bytes) {
  CaseRecord record;
  record.number = number;
  Decoder d(bytes);
  uint8_t format = 0, state = 0, severity = 0;
  uint32_t stored_posts = 0;
  bool ok = d.Fixed(format) && format == kRecordVersion && d.Fixed(record.version) && d.Fixed(state) &&
            state <= static_cast<uint8_t>(CaseState::kResolved) && d.Fixed(record.urgency) && d.Fixed(severity) &&
            severity <= static_cast<uint8_t>(core::Severity::kCritical) && d.String(record.brand) &&
            d.String(record.source) && d.String(record.author) && d.String(record.author_key) &&
            d.Strings(record.categories) && d.Strings(record.signals) && d.Fixed(record.opened_ms) &&
            d.Fixed(record.updated_ms) && d.Fixed(record.last_post_ms) && d.Fixed(record.lease_until_ms) &&
            d.Fixed(record.leased_version) && d.Fixed(record.lease_generation) && d.Fixed(record.post_count) && d.Fixed(stored_posts) &&
            stored_posts <= CaseRecord::kMaxStoredPosts;
  record.state = static_cast<CaseState>(state);
  record.severity = static_cast<core::Severity>(severity);
  for (uint32_t i = 0; ok && i < stored_posts; ++i) {
    CasePost post;
    uint8_t post_severity = 0;
    ok = d.String(post.id) && d.String(post.source) && d.String(post.text) && d.String(post.url) &&
         d.String(post.created_at) && d.Fixed(post.urgency) && d.Fixed(post_severity) &&
         post_severity <= static_cast<uint8_t>(core::Severity::kCritical);
    post.severity = static_cast<core::Severity>(post_severity);
    record.posts.push_back(std::move(post));
  }
  if (!ok || !d.done()) {
    return core::Status::Corruption("case " + CaseId(number) + ": stored record does not decode");
  }
  return record;
}

void AppendCaseJson(std::string& out, const CaseRecord& record, int64_t now_ms) {
  const bool lease_live = record.state == CaseState::kLeased && record.lease_until_ms > now_ms;
  const CaseState shown =
      record.state == CaseState::kLeased && !lease_live ? CaseState::kQueued : record.state;
  out += "{\"case_id\":";
  core::AppendJsonString(out, CaseId(record.number));
  out += ",\"version\":" + std::to_string(record.version);
  out += ",\"state\":";
  core::AppendJsonString(out, CaseStateName(shown));
  out += ",\"urgency\":";
  core::AppendJsonNumber(out, record.urgency);
  out += ",\"severity\":";
  core::AppendJsonString(out, core::SeverityName(record.severity));
  out += ",\"brand\":";
  if (record.brand.empty()) {
    out += "null";
  } else {
    core::AppendJsonString(out, record.brand);
  }
  out += ",\"author\":";
  core::AppendJsonString(out, record.author);
  out += ",\"source\":";
  core::AppendJsonString(out, record.source);
  out += ",\"categories\":";
  core::AppendJsonStringArray(out, record.categories);
  out += ",\"signals\":";
  core::AppendJsonStringArray(out, record.signals);
  out += ",\"opened_at\":";
  core::AppendJsonString(out, core::FormatRfc3339Millis(record.opened_ms));
  out += ",\"updated_at\":";
  core::AppendJsonString(out, core::FormatRfc3339Millis(record.updated_ms));
  if (lease_live) {
    out += ",\"lease_id\":";
    core::AppendJsonString(out, LeaseId(record.number, record.lease_generation));
    out += ",\"lease_expires_at\":";
    core::AppendJsonString(out, core::FormatRfc3339Millis(record.lease_until_ms));
  }
  out += ",\"post_count\":" + std::to_string(record.post_count);
  out += ",\"posts\":[";
  for (size_t i = 0; i < record.posts.size(); ++i) {
    const CasePost& post = record.posts[i];
    if (i > 0) out += ',';
    out += "{\"id\":";
    core::AppendJsonString(out, post.id);
    out += ",\"source\":";
    core::AppendJsonString(out, post.source);
    out += ",\"text\":";
    core::AppendJsonString(out, post.text);
    out += ",\"url\":";
    core::AppendJsonString(out, post.url);
    out += ",\"created_at\":";
    core::AppendJsonString(out, post.created_at);
    out += ",\"urgency\":";
    core::AppendJsonNumber(out, post.urgency);
    out += ",\"severity\":";
    core::AppendJsonString(out, core::SeverityName(post.severity));
    out += '}';
  }
  out += "]}";
}

}  // namespace earshot::store
