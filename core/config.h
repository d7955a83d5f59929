// Config: the YAML configuration of `earshot run`, `crawl`, `cases` and `serve` (DESIGN.md §3.5).
//
//   data_dir: ./earshot-data          # LMDB environment: seen-set, cursors, history, queue
//   rules: [../rules/, brands.yaml]   # files or folders, as `--rules`
//   cases: {window: 24h}              # complaint posts by one author about one brand join a case
//   pipeline: {batch: 2048, threads: 0}
//   sources:
//     - id: replay
//       kind: jsonl                   # mastodon | reddit | hackernews | bluesky | rss | wordpress | jsonl
//       path: ./firehose.jsonl        # kind-specific keys land in SourceConfig::params
//       every: 1s
//       token_env: MASTODON_TOKEN     # a secret: the NAME of an environment variable, never the value
//   http: {user_agent: "linux:earshot:0.1 (by /u/me)", timeout: 60s, attempts: 5, backoff: 1s}
//   queue:
//     kind: lmdb                      # or: redis
//     redis: {url: redis://127.0.0.1:6379, stream: earshot:cases, group: care, password_env: REDIS_PASSWORD}
//   serve: {listen: "127.0.0.1:8080", token_env: EARSHOT_TOKEN}
//
// Relative paths (data_dir, rules, a jsonl `path`) are resolved against the directory holding the
// config file, so a config means the same thing whatever the working directory.
//
// Validation is strict because a typo in a config silently changing behaviour is worse than an
// error: unknown top-level keys, a missing or duplicate source id, an unknown kind, a bad duration,
// a secret written inline (`token: abc`), and an environment variable that is named but not set are
// all errors. Every error names "file:line:column: message"; all of them are reported in one pass.
//
// Secrets: any key ending in `_env` names an environment variable. Its value is read at load time
// into SourceConfig::secrets (key without the `_env` suffix), QueueConfig::redis_password or
// ServeConfig::token and is never logged or echoed back in an error message.
//
// Thread safety: plain values.
#ifndef EARSHOT_CORE_CONFIG_H_
#define EARSHOT_CORE_CONFIG_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace earshot::core {

struct SourceConfig {
  std::string id;    // [a-z0-9_.-]+, unique in the file; names the cursor in the data directory
  std::string kind;  // one of kSourceKinds
  std::chrono::milliseconds every{std::chrono::seconds(60)};  // poll interval, > 0; jsonl default 1s
  std::optional<int> max_requests_per_minute;                 // > 0 when given
  // Every other scalar key as written (e.g. "path", "base_url", "hashtag"); a jsonl `path` is
  // already resolved against the config's directory ("-" means stdin and stays "-").
  std::map<std::string, std::string> params;
  std::map<std::string, std::string> secrets;  // "token" → value of $MASTODON_TOKEN, for `token_env`
  int line = 0;                                // where `- id:` stands, for later messages
};

struct QueueConfig {
  enum class Kind { kLmdb, kRedis };
  Kind kind = Kind::kLmdb;
  std::string redis_url = "redis://127.0.0.1:6379";
  std::string redis_stream = "earshot:cases";
  std::string redis_group = "care";
  std::string redis_password;  // from `password_env`, empty if none
  uint64_t redis_max_length = 0;  // `max_len`: approximate cap per stream (XADD MAXLEN ~); 0 keeps all
};

// serve: the HTTP API and operator console of `earshot serve` / `earshot run --serve`.
struct ServeConfig {
  std::string host = "127.0.0.1";  // `listen: "host:port"`; anything but loopback needs a token
  int port = 8080;
  std::string token;               // from `token_env`; empty: no token (loopback only)
};

// http: how network sources fetch (crawler/http/fetcher.h). Reddit asks every client for a unique
// User-Agent ("<platform>:<app ID>:<version> (by /u/<name>)"); set user_agent when polling it live.
struct HttpConfig {
  std::string user_agent;                      // empty: Earshot's default
  std::chrono::milliseconds timeout{60'000};   // one whole request, a slow drip included
  int attempts = 5;                            // per request, for 429/5xx/transport failures
  std::chrono::milliseconds backoff{1'000};    // first backoff; it doubles per attempt, with jitter
  std::chrono::milliseconds max_backoff{300'000};
};

struct Config {
  std::filesystem::path file;      // the config file as given
  std::filesystem::path data_dir;  // resolved; required
  std::vector<std::filesystem::path> rules;  // resolved; required, at least one
  std::vector<SourceConfig> sources;          // may be empty for `cases` commands
  QueueConfig queue;
  std::chrono::seconds case_window{std::chrono::hours(24)};  // cases.window, > 0
  // pipeline.batch: posts per pipeline token and per LMDB transaction. Each durable commit costs two
  // fsyncs, so bigger batches amortise them (1M posts: 512 → 2048 was ~1.3× faster); a tailing
  // source hands over whatever has arrived, so under light load batches stay small and prompt.
  size_t batch_size = 2048;
  int threads = 0;          // pipeline.threads: 0 means all cores
  HttpConfig http;
  ServeConfig serve;
};

// Every source kind DESIGN.md §3.5 names, in that order.
inline constexpr const char* kSourceKinds[] = {"mastodon", "reddit",    "hackernews", "bluesky",
                                               "rss",      "wordpress", "jsonl"};

// Parses "250ms", "30s", "5m", "24h", "2d", or a bare integer meaning seconds. Nullopt otherwise:
// empty text, a sign, spaces, fractions, unknown units, or a value that overflows milliseconds.
// "0" parses; callers that need a positive duration check it.
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text);

// "127.0.0.1:8080", "localhost:0", "[::1]:8080" → host (brackets removed) and port 0–65535.
struct ListenAddress {
  std::string host;
  int port = 0;
};
std::optional<ListenAddress> ParseListenAddress(std::string_view text);

// Loads and validates `file`. On failure the Status is InvalidArgument with one line per problem,
// each "file:line:column: message" (or NotFound/IOError "open FILE: reason" when unreadable,
// "read FILE: reason" when it cannot be read, e.g. a directory).
// `getenv` is injectable for tests; by default the process environment. It returns nullopt when
// the variable is unset. Only the names given in `*_env` keys are looked up.
// Never throws: a YAML syntax error is InvalidArgument "file:line:column: YAML syntax error: ...";
// anything else thrown (out of memory) becomes Internal.
using GetEnv = std::optional<std::string> (*)(const char* name);
Result<Config> LoadConfig(const std::filesystem::path& file, GetEnv getenv = nullptr);

}  // namespace earshot::core

#endif  // EARSHOT_CORE_CONFIG_H_
