// ReplayServer: a local HTTP server that imitates the social APIs Earshot polls, for tests (run it
// in-process) and for `make run` (the earshot-replay executable, main.cc).
//
// It serves recorded real API responses (tests/replay/fixtures) with the APIs' real paging
// parameters, validation errors and rate-limit headers (see README.md for the endpoint list):
//   Mastodon   GET  /api/v1/timelines/public, /api/v1/timelines/tag/{tag}
//   Reddit     GET  /r/{sub}/new.json, /r/{sub}/search.json, /search.json (also without .json)
//   HN Algolia GET  /api/v1/search_by_date
//   Bluesky    POST /xrpc/com.atproto.server.createSession, .refreshSession;
//              GET  /xrpc/app.bsky.feed.searchPosts (Bearer token from createSession)
//   WordPress  GET  /wp-json/wp/v2/comments
//   Feeds      GET  /feeds/{fixture file name}, /feeds/comments (RSS of the WordPress comments)
// Every listener (one per "host") serves all of them from the same datasets, but keeps its own
// rate-limit budgets, faults and request log. Control endpoints under /_replay/ (add, ids, fault,
// reset, log, limit, expire_tokens) mirror the C++ methods below; they are never faulted, limited
// or logged.
//
// Thread safety: every public method may be called from any thread while the server runs.
#ifndef EARSHOT_TESTS_REPLAY_REPLAY_SERVER_H_
#define EARSHOT_TESTS_REPLAY_REPLAY_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "tests/replay/datasets.h"

namespace earshot::replay {

struct ReplayOptions {
  std::filesystem::path fixtures_dir;  // holds mastodon/ reddit/ hackernews/ bluesky/ wordpress/ feeds/
  std::vector<int> ports{0};           // one listener per entry; 0 = an ephemeral port
  std::string bind_address = "127.0.0.1";
  std::string app_password = "replay-app-password";  // Bluesky createSession accepts it, any identifier
  int threads_per_listener = 8;
  // Per-listener API budgets (the real defaults), each over a window aligned to the wall clock.
  int mastodon_limit = 300;  // per 5 min: X-RateLimit-Limit/Remaining/Reset (ISO 8601)
  int reddit_limit = 1000;   // per 10 min (~100 QPM averaged): X-Ratelimit-Used/Remaining/Reset (s left)
  int bluesky_limit = 3000;  // per 5 min: RateLimit-Limit/Remaining/Reset (Unix s)/Policy
  size_t wordpress_synthetic = 24;  // comments synthesised after the recorded one
};

enum class FaultKind { kStatus, kHang, kTruncate, kMalformed, kDrip, kOversize, kHuge };

// A fault applies to the next `count` requests whose path starts with `path_prefix`.
struct FaultSpec {
  std::string path_prefix = "/";
  FaultKind kind = FaultKind::kStatus;
  int count = 1;
  // kStatus: the status, an optional Retry-After value (seconds or HTTP date, sent verbatim) and
  // body (default: a JSON error that fits the code; 403 is Reddit's "blocked" message).
  int status_code = 503;
  std::string retry_after;
  std::string body;
  int hang_ms = 0;  // kHang: accept, send nothing for this long, then respond normally
  // kDrip: send the body `drip_bytes` at a time every `drip_interval_ms` (chunked).
  size_t drip_bytes = 64;
  int drip_interval_ms = 100;
  size_t extra_items = 1;  // kOversize: items beyond limit/per_page/hitsPerPage
  size_t huge_bytes = 0;   // kHuge: pad the body with spaces to this size
  // kTruncate: full Content-Length, half the body, then the connection closes.
  // kMalformed: 200, the body cut in half, Content-Length of the cut body.

  // Parses the query parameters of POST /_replay/fault (path, kind, count, code, retry_after,
  // body, ms, bytes, interval_ms, items). InvalidArgument names the bad parameter.
  static core::Result<FaultSpec> FromParams(const std::vector<std::pair<std::string, std::string>>& params);
  // "status:429", "hang:2000", "truncate", ... (the log's "fault" field).
  std::string Describe() const;
};

struct LogEntry {
  int64_t t_ms = 0;  // when the request arrived (Unix ms)
  size_t listener = 0;
  std::string method;
  std::string path;
  std::string query;  // raw, without '?'
  int status = 0;
  size_t bytes = 0;   // body bytes sent (truncate/malformed: the cut body)
  std::string fault;  // FaultSpec::Describe(), "limit" for the per-minute budget, or empty
  std::string ToJson() const;  // one line, no newline
};

enum class RateApi { kMastodon, kReddit, kBluesky };

class ReplayServer {
 public:
  static constexpr size_t kAllListeners = static_cast<size_t>(-1);

  // Loads the fixtures, binds every listener (so ports() is final and connections are accepted as
  // soon as this returns) and starts serving. Errors: NotFound/InvalidArgument for fixtures,
  // Unavailable when a port cannot be bound.
  static core::Result<std::unique_ptr<ReplayServer>> Start(const ReplayOptions& options);
  ~ReplayServer();  // Stop()
  ReplayServer(const ReplayServer&) = delete;
  ReplayServer& operator=(const ReplayServer&) = delete;

  // Stops every listener: wakes hanging/dripping responses, waits for the threads. Idempotent.
  void Stop();

  size_t listener_count() const;
  std::vector<int> ports() const;
  std::string base_url(size_t listener = 0) const;  // "http://127.0.0.1:PORT"

  // Appends `count` new items newer than all others (clones of recorded ones with fresh ids) and
  // returns their ids as the crawler reports them (status id, fullname, objectID, at:// uri,
  // comment id). Same as POST /_replay/add?dataset=...&count=N.
  core::Result<std::vector<std::string>> AddItems(Dataset dataset, size_t count);
  // All ids, oldest → newest (GET /_replay/ids?dataset=...).
  std::vector<std::string> Ids(Dataset dataset) const;

  // listener: an index, or kAllListeners. InvalidArgument if out of range.
  core::Status InjectFault(const FaultSpec& fault, size_t listener = kAllListeners);
  // Clears faults, logs, budgets and limits back to the options (datasets stay).
  void Reset(size_t listener = kAllListeners);
  // Requests served (control requests excluded), in arrival order.
  std::vector<LogEntry> Log(size_t listener = kAllListeners) const;
  // A sliding 60 s budget for every API path on the listener: over it → 429 with Retry-After.
  // 0 turns it off (the default).
  core::Status SetPerMinuteLimit(int per_minute, size_t listener = kAllListeners);
  // Changes an API's budget per window (see ReplayOptions) and restarts its count.
  core::Status SetApiLimit(RateApi api, int limit, size_t listener = kAllListeners);
  // Every Bluesky access token issued so far now answers 400 ExpiredToken.
  void ExpireTokens();

  struct Impl;  // opaque: defined in replay_server.cc

 private:
  struct Passkey {
    explicit Passkey() = default;
  };

 public:
  ReplayServer(Passkey, std::unique_ptr<Impl> impl);  // only Start() can call it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace earshot::replay

#endif  // EARSHOT_TESTS_REPLAY_REPLAY_SERVER_H_
