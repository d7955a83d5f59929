#include "store/case_record.h"

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

namespace earshot::store {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kOpenedMs = 1752746400123;  // 2025-07-17T10:00:00.123Z

CasePost MakePost(std::string id, std::string text, double urgency, core::Severity severity) {
  CasePost post;
  post.id = std::move(id);
  post.source = "mastodon";
  post.text = std::move(text);
  post.url = "https://example.social/@ann/" + post.id;
  post.created_at = "2025-07-17T10:00:00Z";
  post.urgency = urgency;
  post.severity = severity;
  return post;
}

// A record with every field set to something other than its default.
CaseRecord FullRecord() {
  CaseRecord record;
  record.number = 42;
  record.version = 3;
  record.state = CaseState::kLeased;
  record.urgency = 71.5;
  record.severity = core::Severity::kHigh;
  record.brand = "acme";
  record.source = "mastodon";
  record.author = "@ann@example.social";
  record.author_key = "109876";
  record.categories = {"outage", "billing"};
  record.signals = {"repetition", "urgent_words", ""};
  record.opened_ms = kOpenedMs;
  record.updated_ms = kOpenedMs + 61000;
  record.last_post_ms = kOpenedMs + 60000;
  record.lease_until_ms = kOpenedMs + 3600000;
  record.leased_version = 2;
  record.lease_generation = 4;
  record.AddPost(MakePost("1", "my router is down", 45, core::Severity::kHigh));
  CasePost odd = MakePost("2", "quote \" backslash \\ newline \n tab \t nul ", 0, core::Severity::kNone);
  odd.text.push_back('\0');
  odd.created_at.clear();
  odd.url.clear();
  record.AddPost(odd);
  record.AddPost(MakePost("3", "still down \xF0\x9F\x98\xA1", 71.5, core::Severity::kCritical));
  return record;
}

auto PostFields(const CasePost& p) {
  return std::tie(p.id, p.source, p.text, p.url, p.created_at, p.urgency, p.severity);
}

void ExpectSameCase(const CaseRecord& a, const CaseRecord& b) {
  EXPECT_EQ(a.number, b.number);
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.urgency, b.urgency);
  EXPECT_EQ(a.severity, b.severity);
  EXPECT_EQ(a.brand, b.brand);
  EXPECT_EQ(a.source, b.source);
  EXPECT_EQ(a.author, b.author);
  EXPECT_EQ(a.author_key, b.author_key);
  EXPECT_EQ(a.categories, b.categories);
  EXPECT_EQ(a.signals, b.signals);
  EXPECT_EQ(a.opened_ms, b.opened_ms);
  EXPECT_EQ(a.updated_ms, b.updated_ms);
  EXPECT_EQ(a.last_post_ms, b.last_post_ms);
  EXPECT_EQ(a.lease_until_ms, b.lease_until_ms);
  EXPECT_EQ(a.leased_version, b.leased_version);
  EXPECT_EQ(a.post_count, b.post_count);
  ASSERT_EQ(a.posts.size(), b.posts.size());
  for (size_t i = 0; i < a.posts.size(); ++i)
    EXPECT_TRUE(PostFields(a.posts[i]) == PostFields(b.posts[i])) << i;
}

void ExpectCorruptionNamingCase(const core::Result<CaseRecord>& decoded, std::string_view what) {
  ASSERT_FALSE(decoded.has_value()) << what;
  EXPECT_TRUE(decoded.error().IsCorruption()) << what << ": " << decoded.error().ToString();
  EXPECT_THAT(decoded.error().message(), HasSubstr("c-00000042")) << what;
}

// --- Record format ---------------------------------------------------------------------------

TEST(CaseRecord, EncodeDecodeRoundTripsEveryField) {
  const CaseRecord record = FullRecord();
  ASSERT_EQ(record.post_count, 3u);
  core::Result<CaseRecord> decoded = DecodeCase(42, EncodeCase(record));
  ASSERT_TRUE(decoded.has_value()) << decoded.error().ToString();
  ExpectSameCase(*decoded, record);
}

TEST(CaseRecord, EncodeDecodeRoundTripsDefaultsAndEveryStateAndSeverity) {
  for (CaseState state : {CaseState::kQueued, CaseState::kLeased, CaseState::kAcked, CaseState::kResolved}) {
    for (core::Severity severity : {core::Severity::kNone, core::Severity::kLow, core::Severity::kMedium,
                                    core::Severity::kHigh, core::Severity::kCritical}) {
      CaseRecord record;
      record.number = 7;
      record.state = state;
      record.severity = severity;
      core::Result<CaseRecord> decoded = DecodeCase(7, EncodeCase(record));
      ASSERT_TRUE(decoded.has_value()) << decoded.error().ToString();
      ExpectSameCase(*decoded, record);
    }
  }
}

TEST(CaseRecord, DecodeTakesTheNumberFromTheKeyNotTheBytes) {
  CaseRecord record = FullRecord();
  core::Result<CaseRecord> decoded = DecodeCase(99, EncodeCase(record));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->number, 99u);
}

TEST(CaseRecord, EveryTruncationIsCorruptionNamingTheCase) {
  const std::string bytes = EncodeCase(FullRecord());
  for (size_t size = 0; size < bytes.size(); ++size) {
    ExpectCorruptionNamingCase(DecodeCase(42, std::string_view(bytes).substr(0, size)),
                               "first " + std::to_string(size) + " bytes");
  }
}

TEST(CaseRecord, TrailingBytesAreCorruptionNamingTheCase) {
  const std::string bytes = EncodeCase(FullRecord());
  ExpectCorruptionNamingCase(DecodeCase(42, bytes + "x"), "one byte more");
  ExpectCorruptionNamingCase(DecodeCase(42, bytes + std::string(8, '\0')), "eight zero bytes more");
}

TEST(CaseRecord, OutOfRangeBytesAreCorruption) {
  // Layout of the head of a record with empty strings: format u8, version u32, state u8,
  // urgency f64, severity u8, brand/source/author/author_key as u32 length + bytes, categories...
  const std::string bytes = EncodeCase(CaseRecord{});
  auto patched = [&](size_t offset, std::string_view with) {
    std::string copy = bytes;
    copy.replace(offset, with.size(), with);
    return copy;
  };
  ExpectCorruptionNamingCase(DecodeCase(42, patched(0, "\x02")), "unknown format version");
  ExpectCorruptionNamingCase(DecodeCase(42, patched(5, "\x04")), "state 4");
  ExpectCorruptionNamingCase(DecodeCase(42, patched(14, "\x05")), "severity 5");
  ExpectCorruptionNamingCase(DecodeCase(42, patched(15, "\xff\xff\xff\xff")), "brand of 4 GiB");
  ExpectCorruptionNamingCase(DecodeCase(42, patched(31, "\xff\xff\xff\x7f")), "2^31 categories");
  ExpectCorruptionNamingCase(DecodeCase(42, "garbage"), "garbage");
}

TEST(CaseRecord, AddPostKeepsAllPostsUpToTheLimit) {
  CaseRecord record;
  for (size_t i = 0; i < CaseRecord::kMaxStoredPosts; ++i) {
    record.AddPost(MakePost("p" + std::to_string(i), "text", 10, core::Severity::kLow));
  }
  ASSERT_EQ(record.posts.size(), CaseRecord::kMaxStoredPosts);
  EXPECT_EQ(record.post_count, CaseRecord::kMaxStoredPosts);
  for (size_t i = 0; i < record.posts.size(); ++i) EXPECT_EQ(record.posts[i].id, "p" + std::to_string(i));
}

TEST(CaseRecord, AddPostBeyondTheLimitKeepsTheFirstAndTheLatestAndCountsAll) {
  constexpr size_t kAdded = 120;
  CaseRecord record;
  record.number = 42;
  for (size_t i = 0; i < kAdded; ++i) {
    record.AddPost(MakePost("p" + std::to_string(i), "text " + std::to_string(i), 10, core::Severity::kLow));
  }
  EXPECT_EQ(record.post_count, kAdded);
  ASSERT_EQ(record.posts.size(), CaseRecord::kMaxStoredPosts);
  EXPECT_EQ(record.posts.front().id, "p0");
  const size_t first_latest = kAdded - (CaseRecord::kMaxStoredPosts - 1);
  for (size_t i = 1; i < record.posts.size(); ++i) {
    EXPECT_EQ(record.posts[i].id, "p" + std::to_string(first_latest + i - 1)) << i;
  }
  // A full record still decodes.
  core::Result<CaseRecord> decoded = DecodeCase(42, EncodeCase(record));
  ASSERT_TRUE(decoded.has_value()) << decoded.error().ToString();
  ExpectSameCase(*decoded, record);
}

// --- Ids -------------------------------------------------------------------------------------

TEST(CaseRecord, CaseIdIsZeroPaddedToEightDigits) {
  EXPECT_EQ(CaseId(42), "c-00000042");
  EXPECT_EQ(CaseId(1), "c-00000001");
  EXPECT_EQ(CaseId(99999999), "c-99999999");
  EXPECT_EQ(CaseId(123456789), "c-123456789");  // wider numbers are not cut
  EXPECT_EQ(CaseId(UINT64_MAX), "c-18446744073709551615");
  EXPECT_LT(CaseId(9), CaseId(10));  // ids sort by age
}

TEST(CaseRecord, ParseCaseIdAcceptsAnyNumberOfDigits) {
  EXPECT_EQ(ParseCaseId("c-00000042"), 42u);
  EXPECT_EQ(ParseCaseId("c-42"), 42u);
  EXPECT_EQ(ParseCaseId("c-1"), 1u);
  EXPECT_EQ(ParseCaseId("c-000000000000000000001"), 1u);
  EXPECT_EQ(ParseCaseId("c-123456789"), 123456789u);
  EXPECT_EQ(ParseCaseId("c-18446744073709551615"), UINT64_MAX);
  for (uint64_t number : {uint64_t{1}, uint64_t{42}, uint64_t{99999999}, uint64_t{100000000}, UINT64_MAX}) {
    EXPECT_EQ(ParseCaseId(CaseId(number)), number);
  }
}

TEST(CaseRecord, ParseCaseIdRejectsAnythingElse) {
  auto expect_rejected = [](std::initializer_list<std::string_view> ids) {
    for (std::string_view id : ids) EXPECT_EQ(ParseCaseId(id), std::nullopt) << '"' << id << '"';
  };
  expect_rejected({"", "c", "c-", "x-1", "C-1", "c_1", "-1", "1"});             // prefix or digits missing
  expect_rejected({"c-0", "c-00000000"});                                       // numbers start at 1
  expect_rejected({"c-12a", "c-a12", "c--1", "c-+1", "c- 1", " c-1", "c-1 "});  // other characters
  expect_rejected({"c-1.0", "c-0x1", std::string_view("c-1\0", 4)});
  expect_rejected({"c-18446744073709551616", "c-99999999999999999999999"});  // beyond uint64
}

TEST(CaseRecord, LeaseIdsRoundTripAndPlainCaseIdsHaveNoGeneration) {
  EXPECT_EQ(LeaseId(42, 3), "c-00000042.3");
  std::optional<LeaseRef> lease = ParseCaseOrLeaseId("c-00000042.3");
  ASSERT_TRUE(lease.has_value());
  EXPECT_EQ(lease->number, 42u);
  EXPECT_EQ(lease->generation, std::optional<uint32_t>(3));
  std::optional<LeaseRef> plain = ParseCaseOrLeaseId("c-00000042");
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->number, 42u);
  EXPECT_FALSE(plain->generation.has_value());
  for (const char* bad : {"c-00000042.", "c-00000042.x", "c-00000042.3.1", "c-.3", "x-1.2", "c-1.-2", ".3"}) {
    EXPECT_FALSE(ParseCaseOrLeaseId(bad).has_value()) << bad;
  }
}

TEST(CaseRecord, CaseStateNamesAreTheContractSpelling) {
  EXPECT_EQ(CaseStateName(CaseState::kQueued), "queued");
  EXPECT_EQ(CaseStateName(CaseState::kLeased), "leased");
  EXPECT_EQ(CaseStateName(CaseState::kAcked), "acked");
  EXPECT_EQ(CaseStateName(CaseState::kResolved), "resolved");
}

// --- JSON --------------------------------------------------------------------------------------

// Parses one JSON line that must be a valid object (simdjson also checks the UTF-8).
class CaseJson {
 public:
  CaseJson(const CaseRecord& record, int64_t now_ms) {
    AppendCaseJson(line_, record, now_ms);
    simdjson::dom::element element;
    const simdjson::error_code error = parser_.parse(line_).get(element);
    EXPECT_EQ(error, simdjson::SUCCESS) << simdjson::error_message(error) << " in " << line_;
    if (error == simdjson::SUCCESS) {
      EXPECT_EQ(element.get_object().get(object_), simdjson::SUCCESS) << line_;
    }
  }

  const std::string& line() const { return line_; }
  const simdjson::dom::object& object() const { return object_; }

  std::vector<std::string> Keys() const { return KeysOf(object_); }
  bool Has(std::string_view key) const { return object_[key].error() == simdjson::SUCCESS; }
  std::string String(std::string_view key) const { return StringOf(object_, key); }
  double Number(std::string_view key) const { return NumberOf(object_, key); }
  std::vector<std::string> Strings(std::string_view key) const {
    std::vector<std::string> out;
    simdjson::dom::array array;
    EXPECT_EQ(object_[key].get_array().get(array), simdjson::SUCCESS) << key;
    for (simdjson::dom::element element : array) {
      std::string_view value;
      EXPECT_EQ(element.get_string().get(value), simdjson::SUCCESS) << key;
      out.emplace_back(value);
    }
    return out;
  }
  std::vector<simdjson::dom::object> Posts() const {
    std::vector<simdjson::dom::object> out;
    simdjson::dom::array array;
    EXPECT_EQ(object_["posts"].get_array().get(array), simdjson::SUCCESS);
    for (simdjson::dom::element element : array) {
      simdjson::dom::object post;
      EXPECT_EQ(element.get_object().get(post), simdjson::SUCCESS);
      out.push_back(post);
    }
    return out;
  }

  static std::vector<std::string> KeysOf(const simdjson::dom::object& object) {
    std::vector<std::string> keys;
    for (simdjson::dom::key_value_pair field : object) keys.emplace_back(field.key);
    return keys;
  }
  static std::string StringOf(const simdjson::dom::object& object, std::string_view key) {
    std::string_view value;
    if (object[key].get_string().get(value) != simdjson::SUCCESS) {
      ADD_FAILURE() << key << " is not a string";
      return "<not a string>";
    }
    return std::string(value);
  }
  static double NumberOf(const simdjson::dom::object& object, std::string_view key) {
    double value = -1;
    EXPECT_EQ(object[key].get_double().get(value), simdjson::SUCCESS) << key << " is not a number";
    return value;
  }

 private:
  std::string line_;
  simdjson::dom::parser parser_;
  simdjson::dom::object object_;
};

TEST(CaseRecord, JsonHasTheContractFieldsInOrder) {
  const CaseRecord record = FullRecord();
  const CaseJson json(record, record.lease_until_ms - 1);  // the lease is live
  EXPECT_EQ(json.line().find('\n'), std::string::npos);
  EXPECT_EQ(json.Keys(),
            (std::vector<std::string>{"case_id", "version", "state", "urgency", "severity", "brand", "author",
                                      "source", "categories", "signals", "opened_at", "updated_at",
                                      "lease_id", "lease_expires_at", "post_count", "posts"}));
  EXPECT_EQ(json.String("lease_id"), "c-00000042.4");
  EXPECT_EQ(json.String("case_id"), "c-00000042");
  EXPECT_EQ(json.Number("version"), 3);
  EXPECT_EQ(json.String("state"), "leased");
  EXPECT_EQ(json.Number("urgency"), 71.5);
  EXPECT_EQ(json.String("severity"), "high");
  EXPECT_EQ(json.String("brand"), "acme");
  EXPECT_EQ(json.String("author"), "@ann@example.social");
  EXPECT_EQ(json.String("source"), "mastodon");
  EXPECT_EQ(json.Strings("categories"), record.categories);
  EXPECT_EQ(json.Strings("signals"), record.signals);
  EXPECT_EQ(json.String("opened_at"), "2025-07-17T10:00:00.123Z");
  EXPECT_EQ(json.String("updated_at"), "2025-07-17T10:01:01.123Z");
  EXPECT_EQ(json.String("lease_expires_at"), "2025-07-17T11:00:00.123Z");
  EXPECT_EQ(json.Number("post_count"), 3);

  const std::vector<simdjson::dom::object> posts = json.Posts();
  ASSERT_EQ(posts.size(), record.posts.size());
  for (size_t i = 0; i < posts.size(); ++i) {
    SCOPED_TRACE(i);
    const CasePost& post = record.posts[i];
    EXPECT_EQ(CaseJson::KeysOf(posts[i]),
              (std::vector<std::string>{"id", "source", "text", "url", "created_at", "urgency", "severity"}));
    EXPECT_EQ(CaseJson::StringOf(posts[i], "id"), post.id);
    EXPECT_EQ(CaseJson::StringOf(posts[i], "source"), post.source);
    EXPECT_EQ(CaseJson::StringOf(posts[i], "text"), post.text);  // quotes, controls and NULs survive
    EXPECT_EQ(CaseJson::StringOf(posts[i], "url"), post.url);
    EXPECT_EQ(CaseJson::StringOf(posts[i], "created_at"), post.created_at);
    EXPECT_EQ(CaseJson::NumberOf(posts[i], "urgency"), post.urgency);
    EXPECT_EQ(CaseJson::StringOf(posts[i], "severity"), core::SeverityName(post.severity));
  }
}

TEST(CaseRecord, JsonAppendsToWhatIsAlreadyThere) {
  std::string out = "prefix";
  AppendCaseJson(out, FullRecord(), 0);
  EXPECT_EQ(out.rfind("prefix{\"case_id\":", 0), 0u) << out;
  EXPECT_EQ(out.back(), '}');
}

TEST(CaseRecord, JsonBrandIsNullWhenEmpty) {
  CaseRecord record = FullRecord();
  record.brand.clear();
  const CaseJson json(record, 0);
  EXPECT_TRUE(json.object()["brand"].is_null());
  EXPECT_THAT(json.line(), HasSubstr("\"brand\":null"));
}

TEST(CaseRecord, JsonShowsLeaseExpiryOnlyForALiveLease) {
  CaseRecord record = FullRecord();
  {
    SCOPED_TRACE("live lease");
    const CaseJson json(record, record.lease_until_ms - 1);
    EXPECT_EQ(json.String("state"), "leased");
    EXPECT_TRUE(json.Has("lease_expires_at"));
    EXPECT_TRUE(json.Has("lease_id"));
  }
  {
    SCOPED_TRACE("lease expired just now: what a pull would see");
    const CaseJson json(record, record.lease_until_ms);
    EXPECT_EQ(json.String("state"), "queued");
    EXPECT_FALSE(json.Has("lease_expires_at"));
  }
  {
    SCOPED_TRACE("lease expired long ago");
    const CaseJson json(record, record.lease_until_ms + 86400000);
    EXPECT_EQ(json.String("state"), "queued");
    EXPECT_FALSE(json.Has("lease_expires_at"));
  }
  for (CaseState state : {CaseState::kQueued, CaseState::kAcked, CaseState::kResolved}) {
    SCOPED_TRACE(CaseStateName(state));
    record.state = state;  // lease_until_ms is still in the future, but means nothing here
    const CaseJson json(record, record.lease_until_ms - 1);
    EXPECT_EQ(json.String("state"), CaseStateName(state));
    EXPECT_FALSE(json.Has("lease_expires_at"));
  }
}

TEST(CaseRecord, JsonOfADefaultRecordIsValid) {
  const CaseJson json(CaseRecord{}, 0);
  EXPECT_EQ(json.String("case_id"), "c-00000000");
  EXPECT_EQ(json.String("state"), "queued");
  EXPECT_EQ(json.String("severity"), "none");
  EXPECT_EQ(json.String("opened_at"), "1970-01-01T00:00:00.000Z");
  EXPECT_TRUE(json.Strings("categories").empty());
  EXPECT_TRUE(json.Posts().empty());
  EXPECT_EQ(json.Number("post_count"), 0);
}

TEST(CaseRecord, JsonReplacesInvalidUtf8SoTheLineStaysValid) {
  CaseRecord record = FullRecord();
  record.author = "bad \xC3\x28 byte";
  record.posts[0].text = "cut \xF0\x9F\x98";
  const CaseJson json(record, 0);  // the constructor fails the test if simdjson rejects the line
  EXPECT_EQ(json.String("author"), "bad \xEF\xBF\xBD( byte");
}

}  // namespace
}  // namespace earshot::store
