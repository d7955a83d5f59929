// The fetcher's politeness and retry rules, as plain values and functions: the per-host token
// bucket and pacing state (HostPacer), the server's own budget from rate-limit headers, Retry-After
// and rate-limit reset parsing, equal-jitter backoff, and which HTTP statuses are retried.
//
// Kept apart from fetcher.cc so the rules (documented in fetcher.h) can be read and unit-tested
// without a libcurl multi loop, handles or a server: every function here takes the current time as
// an argument instead of reading a clock. fetcher.cc owns the loop, the queues and the locking and
// calls these under its state mutex. (HTTP dates are parsed with curl_getdate, a pure function;
// no libcurl type appears in this header.)
//
// Thread safety: pure functions; a HostPacer belongs to one host entry and is guarded by its owner.
#ifndef EARSHOT_CRAWLER_HTTP_POLITENESS_H_
#define EARSHOT_CRAWLER_HTTP_POLITENESS_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "crawler/http/fetcher.h"

namespace earshot::crawler::internal {

// Delay in ms from a Retry-After value: delta seconds or an HTTP date (a past date means 0).
// Nullopt for a negative number or anything unparseable.
std::optional<int64_t> ParseRetryAfterMillis(std::string_view text, int64_t now_ms);

// A rate-limit reset as Unix ms: a number above 10^9 is Unix seconds, a smaller one seconds from
// now; otherwise an RFC 3339 time (Mastodon) or an HTTP date. Nullopt for a negative number, one
// above 10^13, or anything unparseable.
std::optional<int64_t> ParseResetMillis(std::string_view text, int64_t now_ms);

// Equal jitter: uniform in [e/2, e] with e = min(cap, base × 2^(attempts-1)), drawn from `rng`.
std::chrono::milliseconds EqualJitterBackoff(int attempts, std::chrono::milliseconds base,
                                             std::chrono::milliseconds cap, std::mt19937_64& rng);

// What an HTTP response's status (and, for 403, its body) means for retrying.
struct StatusVerdict {
  bool retryable = false;            // 429, 500, 502, 503, 504, or a 403 whose body says "blocked"
  bool rate_limited = false;         // 429, 503, 403 "blocked": a FetcherStats::rate_limited event
  bool honours_retry_after = false;  // 429, 503: a Retry-After header sets the wait
};
StatusVerdict ClassifyStatus(long code, std::string_view body);

// When one host (scheme://host:port) may next be sent a request: its token bucket, a block (Retry-
// After, zero remaining, backoff) and pacing from the server's announced budget.
struct HostPacer {
  using Clock = std::chrono::steady_clock;

  double requests_per_minute = 0;
  bool limited = false;  // a Limit call set the rate (else it is the default)
  double tokens = 0;
  Clock::time_point refilled;
  Clock::time_point blocked_until;
  int64_t blocked_until_ms = 0;  // the same instant on the wall clock, for Fetcher::hosts()
  std::string blocked_reason;
  // Pacing from the server's own budget: at most one request per `pace_interval` until
  // `pace_until` (the reset time it announced).
  Clock::time_point last_sent;
  Clock::time_point pace_until;
  Clock::duration pace_interval{};
  uint64_t requests = 0;  // requests sent

  // A fresh host at `requests_per_minute`, its bucket full: it may use its burst at once.
  void Init(double rate, Clock::time_point now);

  double PerSecond() const { return requests_per_minute / 60.0; }
  // One second's worth of the rate, at least one request, so a slow host still gets a request
  // through as soon as it is due.
  double Capacity() const;
  void Refill(Clock::time_point now);

  // The first call sets the rate; later calls only lower it.
  void Limit(double rate, Clock::time_point now);

  // When the host may next send (never before `now`), given its block, bucket and pacing.
  Clock::time_point EligibleAt(Clock::time_point now);

  // A request went out at `now`: spends a token.
  void Sent(Clock::time_point now);

  // Blocks the host for `wait` from `now` (`now_ms` on the wall clock), unless it is already
  // blocked for longer.
  void Block(Clock::time_point now, int64_t now_ms, std::chrono::milliseconds wait,
             std::string reason);

  // X-RateLimit-* (Mastodon, Reddit) or the IETF draft RateLimit-* (Bluesky): zero remaining blocks
  // the host until the reset; otherwise the remaining requests are spread over the time left.
  // Returns true when the server said none remain (a rate-limit event).
  bool ApplyServerBudget(const HttpResponse& response, Clock::time_point now, int64_t now_ms);
};

}  // namespace earshot::crawler::internal

#endif  // EARSHOT_CRAWLER_HTTP_POLITENESS_H_
