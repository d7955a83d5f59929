// RedisPublisher: drains the outbox (outbox.h) into Redis Streams, one stream per severity, so that
// any number of consumers on any machines read cases with consumer groups, the most severe first.
//
// Streams (prefix = queue.redis.stream, default "earshot:cases"):
//   earshot:cases:critical  earshot:cases:high  earshot:cases:medium  earshot:cases:low
// Each entry (XADD … * field value …) has the fields
//   case_id   "c-00000042"
//   version   "3"              (consumers dedupe on case_id + version; a higher version supersedes)
//   severity  "critical"
//   urgency   "97.5"
//   case      the case as one JSON object, exactly a line of `earshot cases list` (DESIGN.md §3.4)
// A case whose severity rose appears in the new severity's stream with its new version; the older
// version stays where it was and is superseded by version.
// The consumer group (queue.redis.group) is created on every stream if missing
// (XGROUP CREATE … 0 MKSTREAM, BUSYGROUP ignored) on each (re)connection, before anything is added:
// a group Earshot creates sees every entry still in the stream, never only the ones after it.
//
// Delivery: a background thread reads a batch of outbox entries, loads their cases, sends the XADDs
// pipelined, and deletes the entries in one write transaction once Redis replied to every one. If
// Redis is unreachable or fails a command, the entries stay, a warning says so (once per outage,
// then every 60 s with the backlog), and the thread retries with backoff (250 ms doubling to 5 s)
// until it returns; then the backlog drains in order. At-least-once: a crash between the XADD and the
// delete re-sends that batch.
//
// Thread safety: all public members may be called from any thread.
#ifndef EARSHOT_STORE_REDIS_PUBLISHER_H_
#define EARSHOT_STORE_REDIS_PUBLISHER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/severity.h"
#include "core/status.h"
#include "store/store.h"

namespace earshot::store {

struct RedisOptions {
  // redis://[:password@]host[:port][/db] or unix:///path/to/redis.sock. A password here is
  // accepted (for local use) but `password` below (from queue.redis.password_env) wins.
  std::string url = "redis://127.0.0.1:6379";
  std::string password;
  std::string stream_prefix = "earshot:cases";
  std::string group = "care";
  size_t batch = 256;  // outbox entries per pipelined round trip
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds command_timeout{5000};
  // Approximate cap per stream (XADD MAXLEN ~ N); 0 keeps everything. Trimming drops the oldest
  // entries even if no consumer read them, so it is off by default.
  uint64_t max_stream_length = 0;
  // Where warnings go ("redis redis://127.0.0.1:6379: connection refused; 12 case updates wait in
  // the outbox, retrying"); null: nowhere. Called from the publisher's thread.
  std::function<void(std::string_view message)> warn;
  std::function<void(std::string_view message)> info;  // reconnection and drained notes
};

// "earshot:cases:critical" etc.; kNone maps to the low stream (no case has severity none).
std::string SeverityStream(std::string_view prefix, core::Severity severity);

struct RedisPublisherStats {
  uint64_t published = 0;        // XADDs acknowledged by Redis
  uint64_t published_by_severity[5] = {};  // indexed by core::Severity
  uint64_t skipped = 0;          // outbox entries whose case version was already sent
  uint64_t failures = 0;         // failed connection attempts and failed round trips
  uint64_t backlog = 0;          // outbox depth when last looked at
  bool connected = false;
  std::string last_error;        // empty when the last attempt succeeded
  int64_t last_publish_ms = 0;   // Unix ms of the last acknowledged batch
};

class RedisPublisher {
  struct PrivateTag {
    explicit PrivateTag() = default;
  };

 public:
  explicit RedisPublisher(PrivateTag);  // use Start(); defined where Impl is complete
  // Checks the options (a URL that does not parse is InvalidArgument naming it) and starts the
  // thread. Redis need not be reachable yet: that is the outage case above.
  static core::Result<std::unique_ptr<RedisPublisher>> Start(Store& store, RedisOptions options);
  ~RedisPublisher();  // stops the thread; what is still in the outbox stays for the next run
  RedisPublisher(const RedisPublisher&) = delete;
  RedisPublisher& operator=(const RedisPublisher&) = delete;

  // A commit appended outbox entries: drain now rather than at the next periodic check (1 s).
  void Notify();
  // Waits until the outbox is empty or `timeout` passes; returns the entries still waiting.
  core::Result<uint64_t> Flush(std::chrono::milliseconds timeout);

  RedisPublisherStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace earshot::store

#endif  // EARSHOT_STORE_REDIS_PUBLISHER_H_
