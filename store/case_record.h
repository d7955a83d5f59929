// CaseRecord: one case as the queue stores it and as consumers see it (DESIGN.md §3.4, §3.6).
//
// A case gathers the complaint posts of one author about one brand within the case window. Its
// id is "c-" followed by a zero-padded decimal number that only grows, so ids sort by age.
// `version` starts at 1 and goes up whenever a post joins, so a consumer can tell an update of a
// case it already has from a re-delivery of the same content (dedupe on case_id + version).
//
// Thread safety: plain values.
#ifndef EARSHOT_STORE_CASE_RECORD_H_
#define EARSHOT_STORE_CASE_RECORD_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/severity.h"
#include "core/status.h"

namespace earshot::store {

enum class CaseState : uint8_t {
  kQueued = 0,    // waiting to be pulled
  kLeased = 1,    // pulled; hidden from other pulls until lease_until_ms
  kAcked = 2,     // a consumer finished it (e.g. opened a ticket); comes back if a new post joins
  kResolved = 3,  // closed; recorded in the author's history
};
std::string_view CaseStateName(CaseState state);

struct CasePost {
  std::string id;
  std::string source;
  std::string text;
  std::string url;
  std::string created_at;  // as the source gave it (may be empty)
  double urgency = 0;
  core::Severity severity = core::Severity::kNone;
};

struct CaseRecord {
  // A busy author can post hundreds of times; the case keeps the first post (how it started) and
  // the most recent ones, and counts them all in post_count.
  static constexpr size_t kMaxStoredPosts = 50;

  uint64_t number = 0;
  uint32_t version = 1;
  CaseState state = CaseState::kQueued;
  double urgency = 0;
  core::Severity severity = core::Severity::kNone;
  std::string brand;       // brand id, empty when the post named no configured brand
  std::string source;      // the posts' source ("mastodon", "jsonl", ...)
  std::string author;      // handle as shown
  std::string author_key;  // author_id when the source gives one, else the handle: history key
  std::vector<std::string> categories;  // union over the posts, most severe first
  std::vector<std::string> signals;     // union over the posts
  int64_t opened_ms = 0;       // when the case was created (commit time)
  int64_t updated_ms = 0;      // last change of content or state
  int64_t last_post_ms = 0;    // time of the newest post (its created_at, else its commit time)
  int64_t lease_until_ms = 0;  // meaningful in kLeased
  uint32_t leased_version = 0; // version handed out by the current lease
  uint32_t lease_generation = 0;  // +1 per pull: names one lease, so a stale holder can be told apart
  uint32_t post_count = 0;
  std::vector<CasePost> posts;

  void AddPost(CasePost post);
};

// "c-00000042" and back. ParseCaseId accepts any number of digits and rejects anything else.
std::string CaseId(uint64_t number);
std::optional<uint64_t> ParseCaseId(std::string_view id);

// A lease id names one lease of one case: "c-00000042.3" is the third pull of case 42. A consumer
// that acks with it cannot finish a case whose lease expired and went to someone else.
struct LeaseRef {
  uint64_t number = 0;
  std::optional<uint32_t> generation;  // absent for a plain case id
};
std::string LeaseId(uint64_t number, uint32_t generation);
// Accepts "c-00000042" or "c-00000042.3".
std::optional<LeaseRef> ParseCaseOrLeaseId(std::string_view id);

// Binary record format of the cases table. DecodeCase returns Corruption naming the case when the
// bytes do not decode.
std::string EncodeCase(const CaseRecord& record);
core::Result<CaseRecord> DecodeCase(uint64_t number, std::string_view bytes);

// One line of `earshot cases list/pull` (no newline):
// {"case_id","version","state","urgency","severity","brand","author","source","categories",
//  "signals","opened_at","updated_at"[,"lease_id","lease_expires_at"],"post_count","posts":[{"id","source",
//  "text","url","created_at","urgency","severity"}]}
// A lease that has expired by `now_ms` is shown as state "queued": that is what a pull would see.
void AppendCaseJson(std::string& out, const CaseRecord& record, int64_t now_ms);

}  // namespace earshot::store

#endif  // EARSHOT_STORE_CASE_RECORD_H_
