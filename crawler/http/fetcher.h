// Fetcher: the crawler's HTTP engine. One background thread drives a libcurl multi handle, so many
// transfers are in flight at once (keep-alive, HTTP/2 multiplexing where the server offers it,
// gzip/brotli/zstd, TLS verification on), while every request waits its turn under the politeness
// rules of its host:
//
//  * A token bucket per host (scheme://host:port). Its rate is the lowest `max_requests_per_minute`
//    any source on that host asked for (LimitHost), else FetcherOptions::default_requests_per_minute;
//    its burst is one second's worth of that rate, at least one request.
//  * The server's own budget: `X-RateLimit-Remaining`/`X-RateLimit-Reset` (Mastodon: reset is an
//    ISO 8601 time; Reddit: seconds until the period ends) and the IETF draft `RateLimit-Remaining`/
//    `RateLimit-Reset` (Bluesky). Remaining 0 blocks the host until the reset; otherwise the host is
//    paced so the remaining requests spread over the time left. A reset above 10^9 is read as Unix
//    seconds, a smaller number as seconds from now, anything else as an RFC 3339 / HTTP date.
//  * 429 and 503 with `Retry-After` (delta seconds or an HTTP date) block the whole host until then.
//    429/5xx without it, transport failures (timeout, refused, reset, truncated body) and Reddit's
//    `403` whose body says "blocked" back off exponentially with "equal jitter" (uniform in [e/2, e],
//    e = base × 2^(attempt-1), capped), so waits grow per attempt yet never align; host-wide. The request is retried up to `max_attempts` in all; after that the last
//    response (or transport error) is delivered to the caller. A wait longer than `max_retry_wait`
//    is not waited out: the response is delivered at once (the host stays blocked for later calls).
//
// Bodies over `max_body_bytes` are aborted and delivered as ResourceExhausted (not retried: the
// same page would be too big again). Authorization and Cookie headers are never logged or
// echoed in errors; error texts name the method and URL (with the query string, which must
// therefore never carry a secret — adapters put tokens in headers).
//
// Thread safety: every public method may be called from any thread. Callbacks run on the fetcher
// thread, one at a time, and must not block; they may call Submit.
#ifndef EARSHOT_CRAWLER_HTTP_FETCHER_H_
#define EARSHOT_CRAWLER_HTTP_FETCHER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace earshot::crawler {

struct HttpRequest {
  std::string method = "GET";  // GET or POST
  std::string url;             // absolute http:// or https:// URL
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. {"If-None-Match", "\"abc\""}
  std::string body;                                         // POST only
};

struct HttpResponse {
  // Ok when an HTTP response arrived, whatever its status code. Otherwise the transport failure
  // after the last attempt: Unavailable ("GET URL: Timeout was reached (after 3 attempts)"),
  // ResourceExhausted for a body over the limit, Cancelled when the fetcher shut down first.
  core::Status transport;
  long code = 0;  // HTTP status of the last attempt; 0 when no response arrived
  std::string body;  // decoded (gzip/br/zstd undone)
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, final response only
  int attempts = 0;
  std::string url;  // the request's URL, for error messages

  // The first header named `lowercase_name`, or empty.
  std::string_view Header(std::string_view lowercase_name) const;
  bool ok() const { return transport.ok() && code >= 200 && code < 300; }
};

struct FetcherOptions {
  std::string user_agent = "earshot/0.1 (social-listening crawler; +https://github.com/earshot/earshot)";
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds request_timeout{60'000};  // whole transfer; a slow drip past it fails
  size_t max_body_bytes = size_t{32} << 20;
  size_t max_transfers = 64;          // in flight over all hosts
  size_t max_transfers_per_host = 4;  // in flight per host (HTTP/2 multiplexes them on one connection)
  double default_requests_per_minute = 60;
  int max_attempts = 5;
  std::chrono::milliseconds backoff_base{1'000};
  std::chrono::milliseconds backoff_cap{300'000};
  std::chrono::milliseconds max_retry_wait{900'000};
  bool verify_tls = true;
  uint64_t jitter_seed = 0;  // 0: seeded from the clock; tests fix it
};

// Counters for progress lines and metrics; readable from any thread.
struct FetcherStats {
  uint64_t requests = 0;         // attempts sent
  uint64_t responses = 0;        // HTTP responses received (any status)
  uint64_t retries = 0;          // attempts after the first
  uint64_t rate_limited = 0;     // 429/503/403-blocked responses and zero-remaining headers seen
  uint64_t transport_errors = 0; // attempts that got no response
  uint64_t bytes = 0;            // decoded body bytes received
  uint64_t not_modified = 0;     // 304 responses
};

// What the fetcher knows of one host, for `earshot serve`'s source health.
struct HostState {
  std::string host;         // scheme://host:port
  double requests_per_minute = 0;
  int64_t blocked_until_ms = 0;  // Unix ms; 0 or past when not blocked
  std::string blocked_reason;    // "Retry-After", "X-RateLimit-Remaining: 0", "backoff after HTTP 500"
  size_t queued = 0;
  size_t in_flight = 0;
  uint64_t requests = 0;
};

class Fetcher {
 public:
  using Callback = std::function<void(HttpResponse response)>;

  // Starts the fetcher thread. Fails (Internal) only if libcurl cannot be initialised.
  static core::Result<std::unique_ptr<Fetcher>> Start(const FetcherOptions& options);
  // Stops the thread; requests still queued or in flight complete with Cancelled.
  ~Fetcher();
  Fetcher(const Fetcher&) = delete;
  Fetcher& operator=(const Fetcher&) = delete;

  // Queues `request`; `done` is called exactly once with the outcome (on the fetcher thread).
  // A URL that libcurl cannot parse completes with InvalidArgument.
  void Submit(HttpRequest request, Callback done);

  // Sets the rate for the host of `url`: the first call sets it (above or below the default), later
  // calls only lower it. Sources on one host share its budget, the lowest any of them asked for.
  void LimitHost(std::string_view url, double requests_per_minute);

  // "scheme://host:port" of `url` (default ports filled in), or empty if it cannot be parsed.
  static std::string HostKey(std::string_view url);

  FetcherStats stats() const;
  std::vector<HostState> hosts() const;

 private:
  Fetcher() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace earshot::crawler

#endif  // EARSHOT_CRAWLER_HTTP_FETCHER_H_
