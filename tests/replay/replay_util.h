// Small helpers of the replay server: id ordering, HTTP/RSS dates, hashing, URL building and the
// id styles of the imitated APIs.
//
// Thread safety: pure functions.
#ifndef EARSHOT_TESTS_REPLAY_REPLAY_UTIL_H_
#define EARSHOT_TESTS_REPLAY_REPLAY_UTIL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace earshot::replay {

// Orders decimal or base36 id strings the way Mastodon says to: by length, then lexically (never as
// integers, so "9" < "10" and 20-digit ids work). <0, 0, >0 like strcmp.
int CompareIds(std::string_view a, std::string_view b);

// "Tue, 14 Feb 2017 00:00:00 GMT" (RFC 9110 IMF-fixdate), from Unix milliseconds (floored to s).
std::string FormatHttpDate(int64_t millis);
// "Tue, 14 Feb 2017 00:00:00 +0000" (RFC 822 as RSS 2.0 pubDate writes it).
std::string FormatRfc822Date(int64_t millis);
// Parses "Tue, 14 Feb 2017 00:00:00 GMT" / "... +0100" / "14 Feb 2017 00:00 GMT" (weekday optional,
// seconds optional, zone GMT/UT/UTC/Z/EST.. or ±hhmm). Nullopt if malformed.
std::optional<int64_t> ParseHttpDate(std::string_view text);

// FNV-1a, 64 bit: ETags and deterministic pseudo-random ids (not security relevant).
uint64_t Fnv1a64(std::string_view data, uint64_t seed = 0xcbf29ce484222325ULL);

// Percent-encodes everything except RFC 3986 unreserved characters.
std::string UrlEncode(std::string_view text);
// Escapes & < > " for XML text and attributes, and for HTML (the synthetic comments' content).
std::string XmlEscape(std::string_view text);
// "k1=v1&k2=v2", each part percent-encoded, in the given order.
std::string BuildQuery(const std::vector<std::pair<std::string, std::string>>& params);

// Reddit ids are lower-case base36.
std::optional<uint64_t> ParseBase36(std::string_view text);
std::string FormatBase36(uint64_t value);

// An AT Protocol TID (13 characters, base32-sortable) from microseconds since the epoch and a
// 10-bit clock id: the record key style of app.bsky.feed.post.
std::string AtprotoTid(int64_t micros, unsigned clock_id);
// A CIDv1 (dag-cbor, sha2-256) look-alike, "bafyrei" + 52 base32 characters, derived from `seed`.
std::string FakeCid(std::string_view seed);

// Replaces every occurrence of `from` (non-empty) in `text`. Returns whether any was replaced.
bool ReplaceAll(std::string& text, std::string_view from, std::string_view to);

// Parses a whole decimal integer ("-12"); nullopt for anything else.
std::optional<int64_t> ParseInt(std::string_view text);

}  // namespace earshot::replay

#endif  // EARSHOT_TESTS_REPLAY_REPLAY_UTIL_H_
