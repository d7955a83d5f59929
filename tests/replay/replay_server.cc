#include "tests/replay/replay_server.h"

#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include "core/json_writer.h"
#include "core/time.h"
#include "tests/replay/apis.h"
#include "tests/replay/replay_util.h"

namespace earshot::replay {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

const std::string* FindParam(const Params& params, std::string_view name) {
  for (const auto& [key, value] : params) {
    if (key == name) return &value;
  }
  return nullptr;
}

std::optional<FaultKind> ParseFaultKind(std::string_view name) {
  if (name == "status") return FaultKind::kStatus;
  if (name == "hang") return FaultKind::kHang;
  if (name == "truncate") return FaultKind::kTruncate;
  if (name == "malformed") return FaultKind::kMalformed;
  if (name == "drip") return FaultKind::kDrip;
  if (name == "oversize") return FaultKind::kOversize;
  if (name == "huge") return FaultKind::kHuge;
  return std::nullopt;
}

std::string_view ReasonPhrase(int code) {
  switch (code) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Error";
  }
}

std::string ErrorJson(std::string_view key, std::string_view message) {
  std::string out = "{";
  core::AppendJsonString(out, key);
  out += ':';
  core::AppendJsonString(out, message);
  out += '}';
  return out;
}

// A rate budget over windows aligned to the wall clock (Mastodon's 5-minute windows end on
// multiples of 5 minutes, Reddit's 10-minute periods likewise).
struct Budget {
  int limit = 0;
  int64_t window_ms = 0;
  int64_t window_start = 0;
  int used = 0;

  void Roll(int64_t now) {
    const int64_t start = now - now % window_ms;
    if (start != window_start) {
      window_start = start;
      used = 0;
    }
  }
  int64_t window_end() const { return window_start + window_ms; }
};

constexpr size_t kRateApis = 3;

std::optional<RateApi> RateApiFor(Api api) {
  switch (api) {
    case Api::kMastodon: return RateApi::kMastodon;
    case Api::kReddit: return RateApi::kReddit;
    case Api::kBluesky: return RateApi::kBluesky;
    default: return std::nullopt;
  }
}

void AddRateHeaders(RateApi api, const Budget& budget, int64_t now, ApiResponse& response) {
  const int remaining = std::max(0, budget.limit - budget.used);
  switch (api) {
    case RateApi::kMastodon:
      response.headers.emplace_back("X-RateLimit-Limit", std::to_string(budget.limit));
      response.headers.emplace_back("X-RateLimit-Remaining", std::to_string(remaining));
      response.headers.emplace_back("X-RateLimit-Reset", core::FormatRfc3339Millis(budget.window_end()));
      return;
    case RateApi::kReddit:
      // Reddit writes Used as an integer and Remaining as a float ("97.0").
      response.headers.emplace_back("X-Ratelimit-Used", std::to_string(std::min(budget.used, budget.limit)));
      response.headers.emplace_back("X-Ratelimit-Remaining", std::to_string(remaining) + ".0");
      response.headers.emplace_back("X-Ratelimit-Reset", std::to_string((budget.window_end() - now + 999) / 1000));
      return;
    case RateApi::kBluesky:
      response.headers.emplace_back("RateLimit-Limit", std::to_string(budget.limit));
      response.headers.emplace_back("RateLimit-Remaining", std::to_string(remaining));
      response.headers.emplace_back("RateLimit-Reset", std::to_string((budget.window_end() + 999) / 1000));
      response.headers.emplace_back("RateLimit-Policy",
                                    std::to_string(budget.limit) + ";w=" + std::to_string(budget.window_ms / 1000));
      return;
  }
}

ApiResponse OverBudget(RateApi api) {
  ApiResponse response;
  response.status = 429;
  switch (api) {
    case RateApi::kMastodon: response.body = R"({"error":"Too many requests"})"; break;
    case RateApi::kReddit: response.body = R"({"message": "Too Many Requests", "error": 429})"; break;
    case RateApi::kBluesky: response.body = R"({"error":"RateLimitExceeded","message":"Rate Limit Exceeded"})"; break;
  }
  return response;
}

struct Listener {
  size_t index = 0;
  int port = 0;
  std::unique_ptr<httplib::Server> server;
  std::thread thread;
  std::atomic<bool> exited{false};

  mutable std::mutex mutex;  // guards everything below
  std::vector<FaultSpec> faults;
  std::vector<std::pair<uint64_t, LogEntry>> log;  // (global sequence, entry)
  std::array<Budget, kRateApis> budgets;
  int per_minute = 0;
  std::deque<int64_t> recent;  // arrival times of requests admitted in the last minute
};

// httplib 0.11 cannot end idle keep-alive connections: after stop() each worker waits out the
// keep-alive timeout. So Stop() shuts down this process's sockets whose *local* port is one of the
// listeners' (accepted connections; a client socket to us has an ephemeral local port instead).
void ShutdownAcceptedSockets(const std::vector<int>& ports) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    const std::optional<int64_t> fd = ParseInt(entry.path().filename().string());
    if (!fd) continue;
    sockaddr_storage local{};
    socklen_t length = sizeof local;
    if (getsockname(static_cast<int>(*fd), reinterpret_cast<sockaddr*>(&local), &length) != 0) continue;
    int port = -1;
    if (local.ss_family == AF_INET) port = ntohs(reinterpret_cast<const sockaddr_in*>(&local)->sin_port);
    if (local.ss_family == AF_INET6) port = ntohs(reinterpret_cast<const sockaddr_in6*>(&local)->sin6_port);
    if (std::find(ports.begin(), ports.end(), port) == ports.end()) continue;
    sockaddr_storage peer{};
    length = sizeof peer;
    if (getpeername(static_cast<int>(*fd), reinterpret_cast<sockaddr*>(&peer), &length) != 0) continue;
    shutdown(static_cast<int>(*fd), SHUT_RDWR);
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------

core::Result<FaultSpec> FaultSpec::FromParams(const Params& params) {
  FaultSpec fault;
  auto integer = [&](std::string_view name, int64_t low, int64_t high, auto& target) -> core::Status {
    const std::string* text = FindParam(params, name);
    if (text == nullptr) return core::Status::Ok();
    const std::optional<int64_t> value = ParseInt(*text);
    if (!value || *value < low || *value > high) {
      return core::Status::InvalidArgument("fault parameter '" + std::string(name) + "' must be an integer in [" +
                                           std::to_string(low) + ", " + std::to_string(high) + "]");
    }
    target = static_cast<std::remove_reference_t<decltype(target)>>(*value);
    return core::Status::Ok();
  };
  const std::string* kind = FindParam(params, "kind");
  if (kind == nullptr) return core::Status::InvalidArgument("fault needs 'kind'");
  const std::optional<FaultKind> parsed = ParseFaultKind(*kind);
  if (!parsed) {
    return core::Status::InvalidArgument("unknown fault kind '" + *kind +
                                         "' (status, hang, truncate, malformed, drip, oversize, huge)");
  }
  fault.kind = *parsed;
  if (const std::string* path = FindParam(params, "path")) fault.path_prefix = *path;
  if (fault.path_prefix.empty() || fault.path_prefix[0] != '/') {
    return core::Status::InvalidArgument("fault 'path' must start with '/'");
  }
  EARSHOT_RETURN_IF_ERROR(integer("count", 1, 1'000'000, fault.count));
  EARSHOT_RETURN_IF_ERROR(integer("code", 100, 599, fault.status_code));
  EARSHOT_RETURN_IF_ERROR(integer("ms", 0, 3'600'000, fault.hang_ms));
  EARSHOT_RETURN_IF_ERROR(integer("interval_ms", 0, 60'000, fault.drip_interval_ms));
  EARSHOT_RETURN_IF_ERROR(integer("items", 0, 10'000, fault.extra_items));
  if (fault.kind == FaultKind::kHuge) {
    EARSHOT_RETURN_IF_ERROR(integer("bytes", 0, int64_t{1} << 31, fault.huge_bytes));
  } else {
    EARSHOT_RETURN_IF_ERROR(integer("bytes", 1, int64_t{1} << 31, fault.drip_bytes));
  }
  if (const std::string* retry = FindParam(params, "retry_after")) fault.retry_after = *retry;
  if (const std::string* body = FindParam(params, "body")) fault.body = *body;
  return fault;
}

std::string FaultSpec::Describe() const {
  switch (kind) {
    case FaultKind::kStatus: return "status:" + std::to_string(status_code);
    case FaultKind::kHang: return "hang:" + std::to_string(hang_ms);
    case FaultKind::kTruncate: return "truncate";
    case FaultKind::kMalformed: return "malformed";
    case FaultKind::kDrip: return "drip:" + std::to_string(drip_bytes) + "/" + std::to_string(drip_interval_ms);
    case FaultKind::kOversize: return "oversize:" + std::to_string(extra_items);
    case FaultKind::kHuge: return "huge:" + std::to_string(huge_bytes);
  }
  return "?";
}

std::string LogEntry::ToJson() const {
  std::string out = "{\"t_ms\":" + std::to_string(t_ms) + ",\"listener\":" + std::to_string(listener) + ",\"method\":";
  core::AppendJsonString(out, method);
  out += ",\"path\":";
  core::AppendJsonString(out, path);
  out += ",\"query\":";
  core::AppendJsonString(out, query);
  out += ",\"status\":" + std::to_string(status) + ",\"bytes\":" + std::to_string(bytes) + ",\"fault\":";
  core::AppendJsonString(out, fault);
  out += '}';
  return out;
}

// ---------------------------------------------------------------------------------------------

struct ReplayServer::Impl {
  ReplayOptions options;
  std::unique_ptr<DatasetStore> store;
  Sessions sessions;
  std::vector<std::unique_ptr<Listener>> listeners;
  std::atomic<uint64_t> sequence{0};

  std::mutex stop_mutex;
  std::condition_variable stop_cv;
  bool stopping = false;  // guarded by stop_mutex
  bool stopped = false;   // guarded by stop_mutex

  // Sleeps up to `ms`; false if the server began stopping meanwhile.
  bool SleepFor(int ms) {
    std::unique_lock lock(stop_mutex);
    return !stop_cv.wait_for(lock, std::chrono::milliseconds(ms), [&] { return stopping; });
  }

  void ResetListener(Listener& listener) {
    std::lock_guard lock(listener.mutex);
    listener.faults.clear();
    listener.log.clear();
    listener.per_minute = 0;
    listener.recent.clear();
    listener.budgets[static_cast<size_t>(RateApi::kMastodon)] = Budget{options.mastodon_limit, 300'000, 0, 0};
    listener.budgets[static_cast<size_t>(RateApi::kReddit)] = Budget{options.reddit_limit, 600'000, 0, 0};
    listener.budgets[static_cast<size_t>(RateApi::kBluesky)] = Budget{options.bluesky_limit, 300'000, 0, 0};
  }

  // The listeners `which` names (an index or kAllListeners); empty if out of range.
  std::vector<Listener*> Select(size_t which) {
    std::vector<Listener*> out;
    for (const auto& listener : listeners) {
      if (which == kAllListeners || which == listener->index) out.push_back(listener.get());
    }
    return out;
  }

  std::optional<FaultSpec> TakeFault(Listener& listener, std::string_view path) {
    std::lock_guard lock(listener.mutex);
    for (auto it = listener.faults.begin(); it != listener.faults.end(); ++it) {
      if (path.substr(0, it->path_prefix.size()) != it->path_prefix) continue;
      FaultSpec fault = *it;
      if (--it->count <= 0) listener.faults.erase(it);
      return fault;
    }
    return std::nullopt;
  }

  // The per-minute politeness budget: nullopt if admitted, else the Retry-After seconds.
  std::optional<int64_t> CheckPerMinute(Listener& listener, int64_t now) {
    std::lock_guard lock(listener.mutex);
    if (listener.per_minute <= 0) return std::nullopt;
    while (!listener.recent.empty() && listener.recent.front() <= now - 60'000) listener.recent.pop_front();
    if (static_cast<int>(listener.recent.size()) < listener.per_minute) {
      listener.recent.push_back(now);
      return std::nullopt;
    }
    return std::max<int64_t>(1, (listener.recent.front() + 60'000 - now + 999) / 1000);
  }

  void Record(Listener& listener, LogEntry entry) {
    const uint64_t seq = sequence.fetch_add(1);
    std::lock_guard lock(listener.mutex);
    listener.log.emplace_back(seq, std::move(entry));
  }

  void Serve(Listener& listener, const httplib::Request& req, httplib::Response& res);
  void Control(Listener& listener, const httplib::Request& req, const Params& params, httplib::Response& res);
};

namespace {

Params ParamsOf(const httplib::Request& req) {
  Params params;
  for (const auto& [key, value] : req.params) params.emplace_back(key, value);
  return params;
}

std::string RawQuery(const httplib::Request& req) {
  const size_t question = req.target.find('?');
  return question == std::string::npos ? std::string() : req.target.substr(question + 1);
}

std::string IdsJson(const std::vector<std::string>& ids) {
  std::string out;
  core::AppendJsonStringArray(out, ids);
  return out;
}

}  // namespace

void ReplayServer::Impl::Serve(Listener& listener, const httplib::Request& req, httplib::Response& res) {
  const int64_t now = core::NowMillis();
  res.set_header("Date", FormatHttpDate(now));
  const Params params = ParamsOf(req);
  if (req.path.rfind("/_replay/", 0) == 0 || req.path == "/_replay") {
    Control(listener, req, params, res);
    return;
  }

  ApiRequest request;
  request.method = req.method;
  request.path = req.path;
  request.host = req.get_header_value("Host");
  if (request.host.empty()) request.host = options.bind_address + ":" + std::to_string(listener.port);
  request.params = params;
  request.raw_query = RawQuery(req);
  request.body = req.body;
  request.authorization = req.get_header_value("Authorization");
  request.if_none_match = req.get_header_value("If-None-Match");
  request.if_modified_since = req.get_header_value("If-Modified-Since");

  LogEntry entry;
  entry.t_ms = now;
  entry.listener = listener.index;
  entry.method = req.method;
  entry.path = req.path;
  entry.query = request.raw_query;

  const Api api = ApiForPath(req.path);
  const std::optional<FaultSpec> fault = TakeFault(listener, req.path);
  if (fault) entry.fault = fault->Describe();

  ApiResponse response;
  bool answered = false;
  if (fault && fault->kind == FaultKind::kStatus) {
    response.status = fault->status_code;
    if (!fault->body.empty()) {
      response.body = fault->body;
      if (response.body[0] != '{' && response.body[0] != '[') response.content_type = "text/plain; charset=utf-8";
    } else if (fault->status_code == 403) {
      response.body = R"({"message": "blocked due to a network policy", "error": 403})";
    } else if (fault->status_code == 429) {
      response.body = R"({"error":"Too many requests"})";
    } else {
      response.body = ErrorJson("error", ReasonPhrase(fault->status_code));
    }
    if (!fault->retry_after.empty()) response.headers.emplace_back("Retry-After", fault->retry_after);
    answered = true;
  }
  if (fault && fault->kind == FaultKind::kHang && !SleepFor(fault->hang_ms)) {
    res.status = 503;  // shutting down
    return;
  }
  if (!answered) {
    if (const std::optional<int64_t> retry = CheckPerMinute(listener, now)) {
      response.status = 429;
      response.body = R"({"error":"Too many requests"})";
      response.headers.emplace_back("Retry-After", std::to_string(*retry));
      if (entry.fault.empty()) entry.fault = "limit";
      answered = true;
    }
  }
  if (!answered && api == Api::kNone) {
    response.status = 404;
    response.body = ErrorJson("error", "not found");
    answered = true;
  }
  if (!answered) {
    const std::optional<RateApi> rate = RateApiFor(api);
    bool admitted = true;
    Budget budget;
    if (rate) {
      std::lock_guard lock(listener.mutex);
      Budget& live = listener.budgets[static_cast<size_t>(*rate)];
      live.Roll(now);
      admitted = live.used < live.limit;
      if (admitted) ++live.used;
      budget = live;
    }
    if (admitted) {
      if (fault && fault->kind == FaultKind::kOversize) request.extra_items = fault->extra_items;
      const ApiContext context{store.get(), &sessions, options.app_password};
      response = HandleApi(api, context, request);
    } else {
      response = OverBudget(*rate);
    }
    if (rate) AddRateHeaders(*rate, budget, now, response);
  }

  // Write the response, applying a body fault.
  res.status = response.status;
  for (const auto& [name, value] : response.headers) res.set_header(name, value);
  entry.status = response.status;
  if (response.status == 304) {
    Record(listener, std::move(entry));
    return;
  }
  std::string body = std::move(response.body);
  const FaultKind kind = fault ? fault->kind : FaultKind::kStatus;
  if (fault && kind == FaultKind::kHuge && body.size() < fault->huge_bytes) body.append(fault->huge_bytes - body.size(), ' ');

  if (fault && kind == FaultKind::kTruncate && body.size() >= 2) {
    auto shared = std::make_shared<const std::string>(std::move(body));
    const size_t half = shared->size() / 2;
    entry.bytes = half;
    res.set_content_provider(shared->size(), response.content_type,
                             [shared, half](size_t offset, size_t, httplib::DataSink& sink) {
                               if (offset >= half) return false;  // the connection is then closed
                               return sink.write(shared->data() + offset, half - offset);
                             });
  } else if (fault && kind == FaultKind::kMalformed) {
    body.resize(body.size() / 2);
    entry.bytes = body.size();
    res.set_content(body, response.content_type);
  } else if (fault && kind == FaultKind::kDrip) {
    auto shared = std::make_shared<const std::string>(std::move(body));
    entry.bytes = shared->size();
    const size_t step = std::max<size_t>(1, fault->drip_bytes);
    const int interval = fault->drip_interval_ms;
    res.set_chunked_content_provider(response.content_type,
                                     [this, shared, step, interval](size_t offset, httplib::DataSink& sink) {
                                       if (offset >= shared->size()) {
                                         sink.done();
                                         return true;
                                       }
                                       if (offset > 0 && !SleepFor(interval)) return false;
                                       const size_t n = std::min(step, shared->size() - offset);
                                       return sink.write(shared->data() + offset, n);
                                     });
  } else {
    entry.bytes = body.size();
    res.set_content(body, response.content_type);
  }
  Record(listener, std::move(entry));
}

void ReplayServer::Impl::Control(Listener& listener, const httplib::Request& req, const Params& params,
                                 httplib::Response& res) {
  const std::string_view action = std::string_view(req.path).substr(std::min<size_t>(req.path.size(), 9));
  auto reply = [&](int status, std::string body, const char* type = "application/json; charset=utf-8") {
    res.status = status;
    res.set_content(std::move(body), type);
  };
  auto fail = [&](const core::Status& status) { reply(400, ErrorJson("error", status.message())); };

  // listener=all | <index>; default: the listener the request came to.
  size_t which = listener.index;
  if (const std::string* text = FindParam(params, "listener")) {
    if (*text == "all") {
      which = kAllListeners;
    } else if (const std::optional<int64_t> index = ParseInt(*text);
               index && *index >= 0 && static_cast<size_t>(*index) < listeners.size()) {
      which = static_cast<size_t>(*index);
    } else {
      return fail(core::Status::InvalidArgument("listener must be 'all' or an index below " +
                                                std::to_string(listeners.size())));
    }
  }
  auto dataset = [&]() -> std::optional<Dataset> {
    const std::string* name = FindParam(params, "dataset");
    return name != nullptr ? ParseDataset(*name) : std::nullopt;
  };

  if (action == "add") {
    const std::optional<Dataset> target = dataset();
    if (!target) return fail(core::Status::InvalidArgument("dataset must be mastodon|reddit|hackernews|bluesky|wordpress"));
    int64_t count = 1;
    if (const std::string* text = FindParam(params, "count")) {
      const std::optional<int64_t> parsed = ParseInt(*text);
      if (!parsed || *parsed < 0 || *parsed > 1'000'000) {
        return fail(core::Status::InvalidArgument("count must be in [0, 1000000]"));
      }
      count = *parsed;
    }
    core::Result<std::vector<std::string>> ids = store->Add(*target, static_cast<size_t>(count));
    if (!ids) return fail(ids.error());
    return reply(200, "{\"added\":" + std::to_string(ids->size()) + ",\"ids\":" + IdsJson(*ids) + "}");
  }
  if (action == "ids") {
    const std::optional<Dataset> target = dataset();
    if (!target) return fail(core::Status::InvalidArgument("dataset must be mastodon|reddit|hackernews|bluesky|wordpress"));
    std::string body = "{\"dataset\":";
    core::AppendJsonString(body, DatasetName(*target));
    return reply(200, body + ",\"ids\":" + IdsJson(store->Ids(*target)) + "}");
  }
  if (action == "fault") {
    core::Result<FaultSpec> fault = FaultSpec::FromParams(params);
    if (!fault) return fail(fault.error());
    for (Listener* target : Select(which)) {
      std::lock_guard lock(target->mutex);
      target->faults.push_back(*fault);
    }
    std::string body = "{\"ok\":true,\"fault\":";
    core::AppendJsonString(body, fault->Describe());
    return reply(200, body + "}");
  }
  if (action == "reset") {
    for (Listener* target : Select(which)) ResetListener(*target);
    return reply(200, "{\"ok\":true}");
  }
  if (action == "log") {
    std::vector<std::pair<uint64_t, LogEntry>> entries;
    for (Listener* target : Select(which)) {
      std::lock_guard lock(target->mutex);
      entries.insert(entries.end(), target->log.begin(), target->log.end());
    }
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string body;
    for (const auto& [seq, entry] : entries) body += entry.ToJson() + "\n";
    return reply(200, std::move(body), "application/x-ndjson");
  }
  if (action == "limit") {
    if (const std::string* text = FindParam(params, "per_minute")) {
      const std::optional<int64_t> value = ParseInt(*text);
      if (!value || *value < 0 || *value > 1'000'000) return fail(core::Status::InvalidArgument("per_minute must be >= 0"));
      for (Listener* target : Select(which)) {
        std::lock_guard lock(target->mutex);
        target->per_minute = static_cast<int>(*value);
        target->recent.clear();
      }
      return reply(200, "{\"ok\":true}");
    }
    const std::string* api = FindParam(params, "api");
    const std::string* text = FindParam(params, "limit");
    std::optional<RateApi> rate;
    if (api != nullptr && *api == "mastodon") rate = RateApi::kMastodon;
    if (api != nullptr && *api == "reddit") rate = RateApi::kReddit;
    if (api != nullptr && *api == "bluesky") rate = RateApi::kBluesky;
    const std::optional<int64_t> value = text != nullptr ? ParseInt(*text) : std::nullopt;
    if (!rate || !value || *value < 0 || *value > 1'000'000'000) {
      return fail(core::Status::InvalidArgument("use per_minute=N, or api=mastodon|reddit|bluesky&limit=N"));
    }
    for (Listener* target : Select(which)) {
      std::lock_guard lock(target->mutex);
      Budget& budget = target->budgets[static_cast<size_t>(*rate)];
      budget.limit = static_cast<int>(*value);
      budget.used = 0;
    }
    return reply(200, "{\"ok\":true}");
  }
  if (action == "expire_tokens") {
    sessions.ExpireAll();
    return reply(200, "{\"ok\":true}");
  }
  reply(404, ErrorJson("error", "control endpoints: /_replay/add, ids, fault, reset, log, limit, expire_tokens"));
}

// ---------------------------------------------------------------------------------------------

ReplayServer::ReplayServer(Passkey, std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ReplayServer::~ReplayServer() { Stop(); }

core::Result<std::unique_ptr<ReplayServer>> ReplayServer::Start(const ReplayOptions& options) {
  if (options.ports.empty()) return core::Status::InvalidArgument("ReplayOptions.ports is empty");
  if (options.threads_per_listener < 1) return core::Status::InvalidArgument("threads_per_listener must be >= 1");
  core::Result<std::unique_ptr<DatasetStore>> store = DatasetStore::Load(options.fixtures_dir, options.wordpress_synthetic);
  if (!store) return store.error().WithContext("replay fixtures");

  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->store = std::move(*store);
  // The server owns `impl`; constructing it first means a failure below still stops what started.
  auto server = std::make_unique<ReplayServer>(Passkey{}, std::move(impl));
  Impl& state = *server->impl_;

  // Every listener exists before any serves: handlers read the listener list.
  for (size_t i = 0; i < options.ports.size(); ++i) {
    auto listener = std::make_unique<Listener>();
    listener->index = i;
    state.ResetListener(*listener);
    listener->server = std::make_unique<httplib::Server>();
    httplib::Server& http = *listener->server;
    const size_t threads = static_cast<size_t>(options.threads_per_listener);
    // httplib takes ownership of the queue it is handed.
    http.new_task_queue = [threads] { return std::make_unique<httplib::ThreadPool>(threads).release(); };
    http.set_keep_alive_max_count(100);
    http.set_keep_alive_timeout(2);  // Stop() ends idle connections itself (ShutdownAcceptedSockets)
    Listener* raw = listener.get();
    auto handler = [&state, raw](const httplib::Request& req, httplib::Response& res) { state.Serve(*raw, req, res); };
    http.Get(".*", handler);
    http.Post(".*", handler);
    const int port = options.ports[i];
    if (port == 0) {
      listener->port = http.bind_to_any_port(options.bind_address);
      if (listener->port < 0) {
        return core::Status::Unavailable("bind " + options.bind_address + ": no ephemeral port");
      }
    } else {
      if (!http.bind_to_port(options.bind_address, port)) {
        return core::Status::Unavailable("bind " + options.bind_address + ":" + std::to_string(port) + " failed");
      }
      listener->port = port;
    }
    state.listeners.push_back(std::move(listener));
  }
  for (const auto& listener : state.listeners) {
    Listener* raw = listener.get();
    listener->thread = std::thread([raw] {
      raw->server->listen_after_bind();
      raw->exited = true;
    });
    // stop() is a no-op before the accept loop runs, so wait for it (bounded) before going on.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!raw->server->is_running() && !raw->exited && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (!raw->server->is_running()) {
      return core::Status::Unavailable("listener " + std::to_string(raw->index) + " did not start");
    }
  }
  return server;
}

void ReplayServer::Stop() {
  {
    std::lock_guard lock(impl_->stop_mutex);
    if (impl_->stopped) return;
    impl_->stopped = true;
    impl_->stopping = true;
  }
  impl_->stop_cv.notify_all();
  for (const auto& listener : impl_->listeners) {
    if (listener->server->is_running()) listener->server->stop();
  }
  ShutdownAcceptedSockets(ports());
  for (const auto& listener : impl_->listeners) {
    if (listener->thread.joinable()) listener->thread.join();
  }
}

size_t ReplayServer::listener_count() const { return impl_->listeners.size(); }

std::vector<int> ReplayServer::ports() const {
  std::vector<int> out;
  for (const auto& listener : impl_->listeners) out.push_back(listener->port);
  return out;
}

std::string ReplayServer::base_url(size_t listener) const {
  if (listener >= impl_->listeners.size()) return {};
  return "http://" + impl_->options.bind_address + ":" + std::to_string(impl_->listeners[listener]->port);
}

core::Result<std::vector<std::string>> ReplayServer::AddItems(Dataset dataset, size_t count) {
  return impl_->store->Add(dataset, count);
}

std::vector<std::string> ReplayServer::Ids(Dataset dataset) const { return impl_->store->Ids(dataset); }

core::Status ReplayServer::InjectFault(const FaultSpec& fault, size_t listener) {
  const std::vector<Listener*> targets = impl_->Select(listener);
  if (targets.empty()) return core::Status::InvalidArgument("no listener " + std::to_string(listener));
  if (fault.path_prefix.empty() || fault.path_prefix[0] != '/') {
    return core::Status::InvalidArgument("fault path_prefix must start with '/'");
  }
  if (fault.count < 1) return core::Status::InvalidArgument("fault count must be >= 1");
  for (Listener* target : targets) {
    std::lock_guard lock(target->mutex);
    target->faults.push_back(fault);
  }
  return core::Status::Ok();
}

void ReplayServer::Reset(size_t listener) {
  for (Listener* target : impl_->Select(listener)) impl_->ResetListener(*target);
}

std::vector<LogEntry> ReplayServer::Log(size_t listener) const {
  std::vector<std::pair<uint64_t, LogEntry>> entries;
  for (Listener* target : impl_->Select(listener)) {
    std::lock_guard lock(target->mutex);
    entries.insert(entries.end(), target->log.begin(), target->log.end());
  }
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<LogEntry> out;
  out.reserve(entries.size());
  for (auto& [seq, entry] : entries) out.push_back(std::move(entry));
  return out;
}

core::Status ReplayServer::SetPerMinuteLimit(int per_minute, size_t listener) {
  const std::vector<Listener*> targets = impl_->Select(listener);
  if (targets.empty()) return core::Status::InvalidArgument("no listener " + std::to_string(listener));
  for (Listener* target : targets) {
    std::lock_guard lock(target->mutex);
    target->per_minute = std::max(0, per_minute);
    target->recent.clear();
  }
  return core::Status::Ok();
}

core::Status ReplayServer::SetApiLimit(RateApi api, int limit, size_t listener) {
  const std::vector<Listener*> targets = impl_->Select(listener);
  if (targets.empty()) return core::Status::InvalidArgument("no listener " + std::to_string(listener));
  for (Listener* target : targets) {
    std::lock_guard lock(target->mutex);
    Budget& budget = target->budgets[static_cast<size_t>(api)];
    budget.limit = std::max(0, limit);
    budget.used = 0;
  }
  return core::Status::Ok();
}

void ReplayServer::ExpireTokens() { impl_->sessions.ExpireAll(); }

}  // namespace earshot::replay
