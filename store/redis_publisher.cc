#include "store/redis_publisher.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/json_writer.h"
#include "core/time.h"
#include "store/case_record.h"
#include "store/outbox.h"
#include "store/queue.h"

namespace earshot::store {
namespace {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kFirstBackoff{250};
constexpr milliseconds kMaxBackoff{5000};
constexpr milliseconds kIdleCheck{1000};
constexpr auto kWarnAgainAfter = std::chrono::seconds(60);
// The versions sent are remembered only to skip outbox entries whose version went out with an
// earlier entry of the same case; forgetting one costs a duplicate XADD (consumers dedupe), never a
// loss, so the memory is capped rather than exact.
constexpr size_t kMaxRememberedCases = size_t{1} << 16;
constexpr std::array kStreamSeverities = {core::Severity::kCritical, core::Severity::kHigh, core::Severity::kMedium,
                                          core::Severity::kLow};
constexpr std::string_view kUrlForms =
    "expected redis://[[user]:password@]host[:port][/db] or unix:///path/to/redis.sock";

struct RedisContextFree {
  void operator()(redisContext* context) const { redisFree(context); }
};
using RedisContext = std::unique_ptr<redisContext, RedisContextFree>;

struct RedisReplyFree {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using RedisReply = std::unique_ptr<redisReply, RedisReplyFree>;

// Where to connect, parsed from RedisOptions::url.
struct Endpoint {
  std::string host;         // empty for a unix socket
  int port = 6379;
  std::string socket_path;  // empty for TCP
  std::string user;
  std::string password;
  std::optional<int> db;
  std::string display;  // the URL without credentials: the only form that goes into messages
};

// The URL with any password replaced by "***", for the message that says the URL is wrong.
std::string RedactUrl(std::string_view url) {
  const size_t scheme = url.find("://");
  const size_t at = url.rfind('@');
  if (scheme == std::string_view::npos || at == std::string_view::npos || at < scheme) return std::string(url);
  const std::string_view userinfo = url.substr(scheme + 3, at - scheme - 3);
  const size_t colon = userinfo.find(':');
  const std::string_view user = colon == std::string_view::npos ? std::string_view() : userinfo.substr(0, colon);
  return std::string(url.substr(0, scheme + 3)) + std::string(user) + ":***" + std::string(url.substr(at));
}

std::optional<std::string> PercentDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    unsigned value = 0;
    if (i + 2 >= text.size()) return std::nullopt;
    const auto [end, error] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
    if (error != std::errc() || end != text.data() + i + 3) return std::nullopt;
    out.push_back(static_cast<char>(value));
    i += 2;
  }
  return out;
}

template <typename Int>
std::optional<Int> ParseDecimal(std::string_view text) {
  Int value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

core::Result<Endpoint> ParseUrl(std::string_view url) {
  const auto bad = [url](std::string_view why) {
    return core::Status::InvalidArgument("queue.redis.url '" + RedactUrl(url) + "': " + std::string(why));
  };
  Endpoint endpoint;
  if (url.starts_with("unix://")) {
    const std::string_view path = url.substr(7);
    if (!path.starts_with('/')) return bad("a unix socket needs an absolute path (unix:///path/to/redis.sock)");
    endpoint.socket_path = std::string(path);
    endpoint.display = std::string(url);
    return endpoint;
  }
  if (!url.starts_with("redis://")) return bad(kUrlForms);
  std::string_view rest = url.substr(8);
  // The last '@' ends the credentials: a host or a db number has none, a password may.
  if (const size_t at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const size_t colon = userinfo.find(':');
    if (colon == std::string_view::npos) return bad("credentials before '@' must be [user]:password");
    std::optional<std::string> user = PercentDecode(userinfo.substr(0, colon));
    std::optional<std::string> password = PercentDecode(userinfo.substr(colon + 1));
    if (!user || !password) return bad("bad %-escape in the credentials");
    endpoint.user = std::move(*user);
    endpoint.password = std::move(*password);
  }
  const size_t slash = rest.find('/');
  std::string_view host_port = rest.substr(0, slash);
  if (slash != std::string_view::npos && slash + 1 < rest.size()) {
    const std::string_view db_text = rest.substr(slash + 1);
    endpoint.db = ParseDecimal<int>(db_text);
    if (!endpoint.db || *endpoint.db < 0) return bad("database '" + std::string(db_text) + "' is not a number");
  }
  std::optional<std::string_view> port_text;
  if (host_port.starts_with('[')) {  // [::1]:6379
    const size_t close = host_port.find(']');
    if (close == std::string_view::npos) return bad("unclosed '[' in the host");
    endpoint.host = std::string(host_port.substr(1, close - 1));
    const std::string_view after = host_port.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return bad("unexpected text after ']'");
    if (!after.empty()) port_text = after.substr(1);
  } else {
    const size_t colon = host_port.find(':');
    endpoint.host = std::string(host_port.substr(0, colon));
    if (colon != std::string_view::npos) port_text = host_port.substr(colon + 1);
    if (port_text && port_text->find(':') != std::string_view::npos) {
      return bad("an IPv6 address goes in brackets: redis://[::1]:6379");
    }
  }
  if (endpoint.host.empty()) return bad("no host (" + std::string(kUrlForms) + ")");
  if (port_text) {
    std::optional<int> port = ParseDecimal<int>(*port_text);
    if (!port || *port < 1 || *port > 65535) {
      return bad("port '" + std::string(*port_text) + "' is not a number from 1 to 65535");
    }
    endpoint.port = *port;
  }
  const bool ipv6 = endpoint.host.find(':') != std::string::npos;
  endpoint.display = "redis://" + (ipv6 ? "[" + endpoint.host + "]" : endpoint.host) + ":" +
                     std::to_string(endpoint.port) + (endpoint.db ? "/" + std::to_string(*endpoint.db) : "");
  return endpoint;
}

timeval ToTimeval(milliseconds duration) {
  timeval tv;
  tv.tv_sec = static_cast<time_t>(duration.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((duration.count() % 1000) * 1000);
  return tv;
}

std::string Plural(uint64_t count) {
  return std::to_string(count) + (count == 1 ? " case update waits" : " case updates wait");
}

// hiredis turns a receive timeout into "Resource temporarily unavailable" (EAGAIN); say what it is.
std::string DescribeContextError(const redisContext& context, milliseconds command_timeout) {
  const std::string_view text = context.errstr;
  if (context.err == REDIS_ERR_IO && text.find("temporarily unavailable") != std::string_view::npos) {
    return "no reply within the command timeout (" + std::to_string(command_timeout.count()) + " ms)";
  }
  return text.empty() ? "connection failed" : std::string(text);
}

// One warning per spell of trouble, repeated every kWarnAgainAfter while it lasts; a round that
// succeeds ends the spell. A failure that recurs after each reconnect (say, Redis rejecting every
// XADD) stays one spell, so it warns once a minute, not once per backoff.
struct Trouble {
  bool warned = false;
  bool recovery_noted = false;
  SteadyClock::time_point last_warning;

  bool ShouldWarn(SteadyClock::time_point now) const { return !warned || now - last_warning >= kWarnAgainAfter; }
};

// One XADD ready to go.
struct Update {
  uint64_t case_number = 0;
  uint32_t version = 0;
  core::Severity severity = core::Severity::kNone;
  std::string stream;
  std::string case_id;
  std::string version_text;
  std::string urgency;
  std::string json;
};

// One drain round: every entry read (sent or skipped) is removed once the sends are acknowledged.
struct Batch {
  std::vector<uint64_t> sequences;
  std::vector<Update> updates;
  std::vector<std::string> problems;  // entries dropped because they cannot ever be sent
  uint64_t skipped = 0;
};

}  // namespace

std::string SeverityStream(std::string_view prefix, core::Severity severity) {
  const core::Severity stream = severity == core::Severity::kNone ? core::Severity::kLow : severity;
  return std::string(prefix) + ":" + std::string(core::SeverityName(stream));
}

// Thread safety / invariants:
//  - `store`, `options`, `endpoint` are constant after Start().
//  - `context`, `sent_versions`, `sent_order`, `outage` and `store_trouble` belong to the publisher
//    thread alone.
//  - Everything under "guarded by mutex" is shared with the public methods. `live_fd` is the
//    connected socket while `context` holds it; it is cleared under the mutex before the socket is
//    closed, so the destructor's shutdown(2) can never hit a descriptor that was reused.
struct RedisPublisher::Impl {
  Impl(Store& store_in, RedisOptions options_in, Endpoint endpoint_in)
      : store(store_in), options(std::move(options_in)), endpoint(std::move(endpoint_in)) {}

  void Run();

  // Connection.
  core::Status Connect();
  void Disconnect();
  core::Result<RedisReply> Call(std::initializer_list<std::string_view> args, std::string_view what);
  core::Status ContextFailure(std::string_view what) const;

  // Drain steps.
  core::Result<Batch> LoadBatch();
  core::Status Send(const Batch& batch);
  core::Status Acknowledge(const Batch& batch, uint64_t& depth);
  void Remember(uint64_t case_number, uint32_t version);
  uint32_t SentVersion(uint64_t case_number) const;

  // Reporting.
  core::Result<uint64_t> ReadDepth();
  void OnRedisFailure(const core::Status& error);
  void OnStoreFailure(const core::Status& error, std::string_view doing);
  void OnConnected();
  void OnRoundDone(const Batch& batch, uint64_t depth);
  void FinishRound();
  std::string Scrub(std::string text) const;
  void Warn(const std::string& message) const {
    if (options.warn) options.warn(message);
  }
  void Info(const std::string& message) const {
    if (options.info) options.info(message);
  }

  // Waiting: a backoff ignores Notify() (commits keep notifying during an outage), idling does not.
  bool Stopping() {
    std::scoped_lock lock(mutex);
    return stopping;
  }
  void Backoff(milliseconds duration) {
    std::unique_lock lock(mutex);
    wake.wait_for(lock, duration, [this] { return stopping; });
  }
  void Idle(milliseconds duration) {
    std::unique_lock lock(mutex);
    wake.wait_for(lock, duration, [this] { return stopping || notified; });
    notified = false;
  }

  Store& store;
  const RedisOptions options;
  const Endpoint endpoint;
  std::array<std::string, 5> streams;  // indexed by core::Severity

  // Publisher thread only.
  RedisContext context;
  std::unordered_map<uint64_t, uint32_t> sent_versions;
  std::deque<uint64_t> sent_order;  // insertion order of sent_versions, oldest first, for the cap
  Trouble outage;                   // Redis unreachable or failing commands
  Trouble store_trouble;            // the outbox cannot be read or trimmed
  bool announce_drained = false;    // after a reconnection was announced, say when the backlog is gone

  mutable std::mutex mutex;
  std::condition_variable wake;        // Notify() and stop
  std::condition_variable round_done;  // Flush()
  bool stopping = false;               // guarded by mutex
  bool notified = false;               // guarded by mutex
  int live_fd = -1;                    // guarded by mutex
  uint64_t rounds = 0;                 // guarded by mutex: drain attempts finished, for Flush()
  RedisPublisherStats stats;           // guarded by mutex

  std::thread thread;
};

void RedisPublisher::Impl::Run() {
  // hiredis writes with write(2), which raises SIGPIPE when Redis has gone away, and the default
  // action ends the process. Blocked in this thread alone, the write fails with EPIPE instead and
  // the pending signal dies with the thread; the process-wide disposition stays the caller's.
  sigset_t pipe_signal;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);

  milliseconds backoff = kFirstBackoff;
  const auto back_off = [&] {
    FinishRound();
    Backoff(backoff);
    backoff = std::min(backoff * 2, kMaxBackoff);
  };
  while (!Stopping()) {
    if (!context) {
      if (core::Status connected = Connect(); !connected.ok()) {
        Disconnect();
        OnRedisFailure(connected);
        back_off();
        continue;
      }
      OnConnected();
    }
    core::Result<Batch> batch = LoadBatch();
    if (!batch) {
      OnStoreFailure(batch.error(), "cannot read the outbox");
      back_off();
      continue;
    }
    if (batch->sequences.empty()) {
      OnRoundDone(*batch, 0);
      backoff = kFirstBackoff;
      FinishRound();
      Idle(kIdleCheck);
      continue;
    }
    if (core::Status sent = Send(*batch); !sent.ok()) {
      Disconnect();
      OnRedisFailure(sent);
      back_off();
      continue;
    }
    uint64_t depth = 0;
    if (core::Status acknowledged = Acknowledge(*batch, depth); !acknowledged.ok()) {
      // Redis has the updates and they are remembered as sent, so the retry skips rather than
      // re-sends them.
      OnStoreFailure(acknowledged, "cannot remove published entries from the outbox");
      back_off();
      continue;
    }
    OnRoundDone(*batch, depth);
    backoff = kFirstBackoff;
    FinishRound();
  }
  Disconnect();
}

core::Status RedisPublisher::Impl::Connect() {
  const timeval connect_timeout = ToTimeval(options.connect_timeout);
  RedisContext connecting(endpoint.socket_path.empty()
                              ? redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, connect_timeout)
                              : redisConnectUnixWithTimeout(endpoint.socket_path.c_str(), connect_timeout));
  if (!connecting) return core::Status::Internal("redisConnect: out of memory");
  if (connecting->err != 0) {
    return core::Status::Unavailable(DescribeContextError(*connecting, options.command_timeout));
  }
  // Without a receive timeout a Redis that stopped answering would hold this thread, and with it
  // the destructor, for ever.
  if (redisSetTimeout(connecting.get(), ToTimeval(options.command_timeout)) != REDIS_OK) {
    return core::Status::Unavailable("setting the command timeout: " + std::string(connecting->errstr));
  }
  {
    std::scoped_lock lock(mutex);
    if (stopping) return core::Status::Cancelled("publisher stopping");
    live_fd = connecting->fd;
  }
  context = std::move(connecting);

  const std::string& password = options.password.empty() ? endpoint.password : options.password;
  if (!password.empty()) {
    core::Result<RedisReply> auth = endpoint.user.empty() ? Call({"AUTH", password}, "AUTH")
                                                          : Call({"AUTH", endpoint.user, password}, "AUTH");
    if (!auth) return auth.error();
    if ((*auth)->type == REDIS_REPLY_ERROR) return core::Status::Unavailable("AUTH: " + std::string((*auth)->str));
  }
  if (endpoint.db) {
    const std::string db = std::to_string(*endpoint.db);
    core::Result<RedisReply> select = Call({"SELECT", db}, "SELECT");
    if (!select) return select.error();
    if ((*select)->type == REDIS_REPLY_ERROR) {
      return core::Status::Unavailable("SELECT " + db + ": " + std::string((*select)->str));
    }
  }
  // From id 0, so a group created now still sees updates a previous connection added before it.
  for (core::Severity severity : kStreamSeverities) {
    const std::string& stream = streams[static_cast<int>(severity)];
    core::Result<RedisReply> created = Call({"XGROUP", "CREATE", stream, options.group, "0", "MKSTREAM"}, "XGROUP");
    if (!created) return created.error();
    if ((*created)->type == REDIS_REPLY_ERROR && !std::string_view((*created)->str).starts_with("BUSYGROUP")) {
      return core::Status::Unavailable("XGROUP CREATE " + stream + " " + options.group + ": " +
                                       std::string((*created)->str));
    }
  }
  return core::Status::Ok();
}

void RedisPublisher::Impl::Disconnect() {
  {
    std::scoped_lock lock(mutex);
    live_fd = -1;
  }
  context.reset();
}

core::Status RedisPublisher::Impl::ContextFailure(std::string_view what) const {
  return core::Status::Unavailable(std::string(what) + ": " + DescribeContextError(*context, options.command_timeout));
}

core::Result<RedisReply> RedisPublisher::Impl::Call(std::initializer_list<std::string_view> args,
                                                    std::string_view what) {
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (std::string_view arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  if (redisAppendCommandArgv(context.get(), static_cast<int>(argv.size()), argv.data(), lengths.data()) != REDIS_OK) {
    return ContextFailure(what);
  }
  void* raw = nullptr;
  if (redisGetReply(context.get(), &raw) != REDIS_OK || raw == nullptr) return ContextFailure(what);
  return RedisReply(static_cast<redisReply*>(raw));
}

uint32_t RedisPublisher::Impl::SentVersion(uint64_t case_number) const {
  const auto found = sent_versions.find(case_number);
  return found == sent_versions.end() ? 0 : found->second;
}

void RedisPublisher::Impl::Remember(uint64_t case_number, uint32_t version) {
  const auto [it, inserted] = sent_versions.try_emplace(case_number, version);
  if (!inserted) {
    it->second = std::max(it->second, version);
    return;
  }
  sent_order.push_back(case_number);
  if (sent_order.size() > kMaxRememberedCases) {
    sent_versions.erase(sent_order.front());
    sent_order.pop_front();
  }
}

core::Result<Batch> RedisPublisher::Impl::LoadBatch() {
  const int64_t now_ms = core::NowMillis();
  Batch batch;
  core::Status status = store.Read([&](Txn& txn) -> core::Status {
    batch = Batch();
    core::Result<std::vector<OutboxEntry>> entries = PeekOutbox(txn, options.batch);
    if (!entries) return entries.error();
    // Versions queued in this batch: a second entry for a case already in it goes out with the first.
    std::unordered_map<uint64_t, uint32_t> queued;
    for (const OutboxEntry& entry : *entries) {
      batch.sequences.push_back(entry.sequence);
      const auto in_batch = queued.find(entry.case_number);
      if (entry.version <= SentVersion(entry.case_number) ||
          (in_batch != queued.end() && entry.version <= in_batch->second)) {
        ++batch.skipped;
        continue;
      }
      core::Result<std::optional<CaseRecord>> record = LoadCase(txn, entry.case_number);
      if (!record) return record.error();
      if (!record->has_value()) {
        // Nothing could ever send it, and keeping it would hold up every entry behind it.
        batch.problems.push_back("outbox entry " + std::to_string(entry.sequence) + " names case " +
                                 CaseId(entry.case_number) + ", which is not stored; dropped");
        ++batch.skipped;
        continue;
      }
      const CaseRecord& stored = **record;
      if (stored.version <= SentVersion(entry.case_number)) {
        ++batch.skipped;
        continue;
      }
      queued[entry.case_number] = std::max(stored.version, entry.version);
      Update update;
      update.case_number = stored.number;
      update.version = stored.version;
      update.severity = stored.severity;
      update.stream = streams[static_cast<int>(stored.severity)];
      update.case_id = CaseId(stored.number);
      update.version_text = std::to_string(stored.version);
      core::AppendJsonNumber(update.urgency, stored.urgency);
      AppendCaseJson(update.json, stored, now_ms);
      batch.updates.push_back(std::move(update));
    }
    return core::Status::Ok();
  });
  if (!status.ok()) return status;
  for (const std::string& problem : batch.problems) Warn("redis " + endpoint.display + ": " + problem);
  return batch;
}

core::Status RedisPublisher::Impl::Send(const Batch& batch) {
  const std::string max_length = std::to_string(options.max_stream_length);
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  const auto add = [&](std::string_view arg) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  };
  // Everything is appended first and the replies read afterwards: one round trip per batch.
  for (const Update& update : batch.updates) {
    argv.clear();
    lengths.clear();
    add("XADD");
    add(update.stream);
    if (options.max_stream_length > 0) {
      add("MAXLEN");
      add("~");
      add(max_length);
    }
    add("*");
    add("case_id");
    add(update.case_id);
    add("version");
    add(update.version_text);
    add("severity");
    add(core::SeverityName(update.severity));
    add("urgency");
    add(update.urgency);
    add("case");
    add(update.json);
    if (redisAppendCommandArgv(context.get(), static_cast<int>(argv.size()), argv.data(), lengths.data()) !=
        REDIS_OK) {
      return ContextFailure("XADD");
    }
  }
  for (const Update& update : batch.updates) {
    void* raw = nullptr;
    if (redisGetReply(context.get(), &raw) != REDIS_OK || raw == nullptr) return ContextFailure("XADD");
    RedisReply reply(static_cast<redisReply*>(raw));
    // The connection is dropped on any failure, so the replies still unread do not matter.
    if (reply->type == REDIS_REPLY_ERROR) {
      return core::Status::Unavailable("XADD " + update.stream + ": " + std::string(reply->str));
    }
  }
  for (const Update& update : batch.updates) Remember(update.case_number, update.version);
  return core::Status::Ok();
}

core::Status RedisPublisher::Impl::Acknowledge(const Batch& batch, uint64_t& depth) {
  return store.Write([&](Txn& txn) -> core::Status {
    EARSHOT_RETURN_IF_ERROR(RemoveFromOutbox(txn, batch.sequences));
    core::Result<uint64_t> remaining = OutboxDepth(txn);
    if (!remaining) return remaining.error();
    depth = *remaining;
    return core::Status::Ok();
  });
}

core::Result<uint64_t> RedisPublisher::Impl::ReadDepth() {
  uint64_t depth = 0;
  core::Status status = store.Read([&](Txn& txn) -> core::Status {
    core::Result<uint64_t> count = OutboxDepth(txn);
    if (!count) return count.error();
    depth = *count;
    return core::Status::Ok();
  });
  if (!status.ok()) return status;
  return depth;
}

std::string RedisPublisher::Impl::Scrub(std::string text) const {
  for (const std::string* secret : {&options.password, &endpoint.password}) {
    if (secret->empty()) continue;
    for (size_t at = text.find(*secret); at != std::string::npos; at = text.find(*secret, at + 3)) {
      text.replace(at, secret->size(), "***");
    }
  }
  return text;
}

void RedisPublisher::Impl::OnRedisFailure(const core::Status& error) {
  if (Stopping()) return;  // the destructor cut the connection: not an outage
  const std::string message = Scrub(error.message());
  core::Result<uint64_t> depth = ReadDepth();
  {
    std::scoped_lock lock(mutex);
    ++stats.failures;
    stats.connected = false;
    stats.last_error = message;
    if (depth) stats.backlog = *depth;
  }
  const SteadyClock::time_point now = SteadyClock::now();
  if (!outage.ShouldWarn(now)) return;
  outage.warned = true;
  outage.last_warning = now;
  Warn("redis " + endpoint.display + ": " + message + "; " +
       (!depth        ? "the outbox depth is unknown (" + depth.error().message() + ")"
        : *depth == 0 ? std::string("new case updates will wait in the outbox")
                      : Plural(*depth) + " in the outbox") +
       "; retrying");
}

void RedisPublisher::Impl::OnStoreFailure(const core::Status& error, std::string_view doing) {
  if (Stopping()) return;
  {
    std::scoped_lock lock(mutex);
    stats.last_error = error.message();
  }
  const SteadyClock::time_point now = SteadyClock::now();
  if (!store_trouble.ShouldWarn(now)) return;
  store_trouble.warned = true;
  store_trouble.last_warning = now;
  Warn("redis " + endpoint.display + ": " + std::string(doing) + ": " + error.message() + "; retrying");
}

void RedisPublisher::Impl::OnConnected() {
  core::Result<uint64_t> depth = ReadDepth();
  {
    std::scoped_lock lock(mutex);
    stats.connected = true;
    stats.last_error.clear();
    if (depth) stats.backlog = *depth;
  }
  if (outage.warned && !outage.recovery_noted) {
    outage.recovery_noted = true;
    announce_drained = true;
    Info("redis " + endpoint.display + ": reconnected; draining " + (depth ? std::to_string(*depth) : "the outbox"));
  }
}

void RedisPublisher::Impl::OnRoundDone(const Batch& batch, uint64_t depth) {
  {
    std::scoped_lock lock(mutex);
    for (const Update& update : batch.updates) ++stats.published_by_severity[static_cast<int>(update.severity)];
    stats.published += batch.updates.size();
    stats.skipped += batch.skipped;
    stats.backlog = depth;
    stats.connected = true;
    stats.last_error.clear();
    if (!batch.updates.empty()) stats.last_publish_ms = core::NowMillis();
  }
  if (announce_drained && depth == 0) {
    announce_drained = false;
    Info("redis " + endpoint.display + ": outbox drained");
  }
  outage = Trouble();
  store_trouble = Trouble();
}

void RedisPublisher::Impl::FinishRound() {
  {
    std::scoped_lock lock(mutex);
    ++rounds;
  }
  round_done.notify_all();
}

RedisPublisher::RedisPublisher(PrivateTag) {}

core::Result<std::unique_ptr<RedisPublisher>> RedisPublisher::Start(Store& store, RedisOptions options) {
  core::Result<Endpoint> endpoint = ParseUrl(options.url);
  if (!endpoint) return endpoint.error();
  if (options.batch == 0) return core::Status::InvalidArgument("redis publisher: batch must be at least 1");
  if (options.stream_prefix.empty()) return core::Status::InvalidArgument("queue.redis.stream must not be empty");
  if (options.group.empty()) return core::Status::InvalidArgument("queue.redis.group must not be empty");
  if (options.connect_timeout.count() <= 0 || options.command_timeout.count() <= 0) {
    return core::Status::InvalidArgument("redis publisher: connect and command timeouts must be positive");
  }
  auto impl = std::make_unique<Impl>(store, std::move(options), std::move(*endpoint));
  for (int severity = 0; severity < static_cast<int>(impl->streams.size()); ++severity) {
    impl->streams[severity] = SeverityStream(impl->options.stream_prefix, static_cast<core::Severity>(severity));
  }
  auto publisher = std::make_unique<RedisPublisher>(PrivateTag{});
  try {
    impl->thread = std::thread([raw = impl.get()] { raw->Run(); });
  } catch (const std::system_error& error) {
    return core::Status::Internal(std::string("starting the redis publisher thread: ") + error.what());
  }
  publisher->impl_ = std::move(impl);
  return publisher;
}

RedisPublisher::~RedisPublisher() {
  if (!impl_) return;
  {
    std::scoped_lock lock(impl_->mutex);
    impl_->stopping = true;
    // Wakes a thread blocked on a slow Redis now rather than after command_timeout. Only a
    // connection attempt in progress (at most connect_timeout) cannot be cut short.
    if (impl_->live_fd >= 0) ::shutdown(impl_->live_fd, SHUT_RDWR);
  }
  impl_->wake.notify_all();
  impl_->round_done.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void RedisPublisher::Notify() {
  {
    std::scoped_lock lock(impl_->mutex);
    impl_->notified = true;
  }
  impl_->wake.notify_all();
}

core::Result<uint64_t> RedisPublisher::Flush(std::chrono::milliseconds timeout) {
  const SteadyClock::time_point deadline = SteadyClock::now() + timeout;
  Notify();
  for (;;) {
    uint64_t rounds_seen = 0;
    {
      std::scoped_lock lock(impl_->mutex);
      rounds_seen = impl_->rounds;
    }
    // The outbox itself, not stats().backlog: entries committed since the thread last looked count.
    core::Result<uint64_t> depth = impl_->ReadDepth();
    if (!depth || *depth == 0 || SteadyClock::now() >= deadline) return depth;
    std::unique_lock lock(impl_->mutex);
    impl_->round_done.wait_until(lock, deadline, [&] { return impl_->rounds != rounds_seen || impl_->stopping; });
  }
}

RedisPublisherStats RedisPublisher::stats() const {
  std::scoped_lock lock(impl_->mutex);
  return impl_->stats;
}

}  // namespace earshot::store
