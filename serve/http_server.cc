#include "serve/http_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <exception>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "core/time.h"
#include "serve/internal/access.h"
#include "serve/internal/console_api.h"
#include "serve/internal/console_assets.h"
#include "serve/internal/json_fields.h"
#include "serve/internal/metrics_page.h"
#include "serve/internal/queue_depth.h"
#include "serve/internal/throughput.h"
#include "store/case_record.h"
#include "store/queue.h"

namespace earshot::serve {
namespace {

using httplib::Request;
using httplib::Response;
using HandlerResponse = httplib::Server::HandlerResponse;

constexpr char kJson[] = "application/json";
constexpr char kMetricsType[] = "text/plain; version=0.0.4; charset=utf-8";
constexpr int64_t kDefaultLeaseMs = 300'000;
// A lease longer than a week is a consumer that forgot to ack, not a plan.
constexpr double kMaxLeaseSeconds = 7 * 24 * 3600;

void SendJson(Response& res, int status, std::string body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(std::move(body), kJson);
}

void SendError(Response& res, int status, std::string_view message) {
  std::string body;
  internal::JsonFields(body).String("error", message).Close();
  SendJson(res, status, std::move(body));
}

// cpp-httplib runs handlers on its pool threads and catches what escapes them itself, answering
// 500 with the exception's text in a response header. Every handler goes through this instead, so
// nothing escapes and the client gets a JSON error like any other.
template <typename Body>
httplib::Server::Handler Guarded(Body body) {
  return [body = std::move(body)](const Request& req, Response& res) {
    try {
      body(req, res);
    } catch (const std::exception& e) {
      try {
        SendError(res, 500, std::string("internal error: ") + e.what());
      } catch (...) {
        res.status = 500;  // out of memory even for the message: the status alone must do
      }
    } catch (...) {
      res.status = 500;
    }
  };
}

// A count parameter (limit=, max=): `fallback` when absent, else a whole number from 1 to `cap`.
core::Result<size_t> CountParam(const Request& req, const std::string& name, size_t fallback, size_t cap) {
  if (!req.has_param(name.c_str())) return fallback;
  const std::string text = req.get_param_value(name.c_str());
  size_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  const bool whole = end == text.data() + text.size();
  if (whole && (error == std::errc::result_out_of_range || (error == std::errc() && value > cap))) {
    return core::Status::InvalidArgument(name + " " + text + " is over the cap of " + std::to_string(cap) +
                                         " (the server's max_cases)");
  }
  if (error != std::errc() || !whole || value == 0) {
    return core::Status::InvalidArgument(name + " must be a whole number from 1 to " + std::to_string(cap) +
                                         ", not '" + text + "'");
  }
  return value;
}

// lease= in seconds (fractions allowed, as `earshot cases pull --lease`), as milliseconds.
core::Result<int64_t> LeaseMillis(const Request& req) {
  if (!req.has_param("lease")) return kDefaultLeaseMs;
  const std::string text = req.get_param_value("lease");
  double seconds = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(seconds) || seconds <= 0 ||
      seconds > kMaxLeaseSeconds) {
    return core::Status::InvalidArgument("lease must be a positive number of seconds up to " +
                                         std::to_string(static_cast<int64_t>(kMaxLeaseSeconds)) + ", not '" + text +
                                         "'");
  }
  return std::max<int64_t>(std::llround(seconds * 1000), 1);
}

std::string CasesJson(const std::vector<store::CaseRecord>& cases, int64_t now_ms) {
  std::string body = "{\"cases\":[";
  for (size_t i = 0; i < cases.size(); ++i) {
    if (i > 0) body.push_back(',');
    store::AppendCaseJson(body, cases[i], now_ms);
  }
  body += "]}";
  return body;
}

std::string_view ContentTypeOf(std::string_view name) {
  if (name.ends_with(".html")) return "text/html; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  return "application/octet-stream";
}

// A route pattern (cpp-httplib matches it as a std::regex) for exactly `path`.
std::string ExactPattern(std::string_view path) {
  std::string pattern;
  for (char c : path) {
    if (c == '.') pattern.push_back('\\');
    pattern.push_back(c);
  }
  return pattern;
}

}  // namespace

// Thread safety / invariants:
//  - Routes are registered before the listener thread starts and never change after (cpp-httplib's
//    handler tables are not thread-safe); handlers run concurrently on the pool's threads.
//  - `options` and `context` are constant after construction; the context's objects are only read
//    through their thread-safe members. `throughput` has its own lock.
//  - `listener` runs listen_after_bind until Stop() makes it return; Stop joins it, and cpp-httplib
//    joins its pool (requests in progress finish) before listen_after_bind returns.
struct HttpServer::Impl {
  Impl(const ServeOptions& options_in, const ServeContext& context_in) : options(options_in), context(context_in) {}

  core::Status Listen();
  void Stop();
  void Routes();

  HandlerResponse PreRoute(const Request& req, Response& res) const;
  HandlerResponse OnError(const Request& req, Response& res) const;
  void Healthz(Response& res) const;
  void Metrics(Response& res);
  void ListCases(const Request& req, Response& res) const;
  void PullCases(const Request& req, Response& res) const;
  void FinishCase(const Request& req, Response& res) const;
  void ReloadRules(Response& res) const;
  void Stats(Response& res);

  std::string RedisQueueRefusal() const {
    return "queue.kind is redis: consumers read the streams " + context.redis_stream +
           ":critical|high|medium|low with XREADGROUP";
  }
  double PostsPerSecond(int64_t now_ms) {
    if (context.pipeline == nullptr) return 0;
    return throughput.Record(internal::ThroughputMeter::Clock::now(), context.pipeline->stats().posts.load(),
                             std::chrono::milliseconds(now_ms - context.started_ms));
  }

  const ServeOptions options;
  const ServeContext context;
  internal::ThroughputMeter throughput;
  httplib::Server server;
  std::thread listener;
  std::atomic<bool> listener_done{false};
  int port = 0;
};

core::Status HttpServer::Impl::Listen() {
  Routes();
  const std::string where = options.host + ":" + std::to_string(options.port);
  errno = 0;
  bool bound = false;
  if (options.port == 0) {
    port = server.bind_to_any_port(options.host);
    bound = port > 0;
  } else {
    bound = server.bind_to_port(options.host, options.port);
    port = options.port;
  }
  if (!bound) {
    // cpp-httplib reports only failure; errno still holds what bind() or getaddrinfo() said.
    const int error = errno;
    const std::string reason = error == EADDRINUSE ? "address in use"
                               : error != 0        ? std::generic_category().message(error)
                                                   : "cannot bind (is the host name an address of this machine?)";
    return core::Status::Unavailable("listen " + where + ": " + reason);
  }
  listener = std::thread([this] {
    server.listen_after_bind();
    listener_done = true;
  });
  // stop() is a no-op until the accept loop runs, so Stop() could otherwise miss it and wait for
  // ever; the socket is bound already, so this takes microseconds.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!server.is_running() && !listener_done && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!server.is_running()) {
    Stop();
    return core::Status::Unavailable("listen " + where + ": the server did not start accepting");
  }
  return core::Status::Ok();
}

void HttpServer::Impl::Stop() {
  if (!listener.joinable()) return;
  // stop() does nothing before the accept loop runs, and must be called only once after (a second
  // call while the pool drains trips an assertion in cpp-httplib), so wait for the loop to run
  // first. Listen() has normally waited already; this covers its failure path.
  while (!server.is_running() && !listener_done) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (!listener_done) server.stop();
  listener.join();
}

void HttpServer::Impl::Routes() {
  // cpp-httplib owns the queue and deletes it when it stops: the one `new` the library requires.
  const size_t threads = static_cast<size_t>(std::max(options.threads, 1));
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_payload_max_length(options.max_body_bytes);
  // cpp-httplib's default also sets SO_REUSEPORT, which lets a second server bind the same port and
  // silently take half the connections; a port already in use must be an error instead.
  server.set_socket_options([](int socket) {
    const int yes = 1;
    ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  // cpp-httplib serves a connection on one pool thread for as long as it stays open, so a browser's
  // idle keep-alive connections (Chromium keeps up to six) would hold every thread and stall other
  // clients until they time out. One request per connection keeps threads for requests only; a
  // loopback connect costs far less than the scrape or poll it carries.
  server.set_keep_alive_max_count(1);
  server.set_pre_routing_handler([this](const Request& req, Response& res) { return PreRoute(req, res); });
  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const Request& req, Response& res) { return OnError(req, res); }));
  server.set_exception_handler([](const Request&, Response& res, std::exception_ptr) {
    // Backstop for anything thrown outside a Guarded handler (cpp-httplib's own routing).
    res.status = 500;
    res.body.clear();
  });

  server.Get("/healthz", Guarded([this](const Request&, Response& res) { Healthz(res); }));
  server.Get("/metrics", Guarded([this](const Request&, Response& res) { Metrics(res); }));
  server.Get("/cases", Guarded([this](const Request& req, Response& res) { ListCases(req, res); }));
  server.Post("/cases/pull", Guarded([this](const Request& req, Response& res) { PullCases(req, res); }));
  server.Post(R"(/cases/([^/]+)/(ack|nack|resolve))",
              Guarded([this](const Request& req, Response& res) { FinishCase(req, res); }));
  server.Post("/rules/reload", Guarded([this](const Request&, Response& res) { ReloadRules(res); }));
  server.Get("/api/sources", Guarded([this](const Request&, Response& res) {
               SendJson(res, 200, internal::SourcesJson(context, core::NowMillis()));
             }));
  server.Get("/api/stats", Guarded([this](const Request&, Response& res) { Stats(res); }));
  server.Get("/api/rules",
             Guarded([this](const Request&, Response& res) { SendJson(res, 200, internal::RulesJson(context)); }));

  for (const internal::ConsoleAsset& asset : internal::ConsoleAssets()) {
    auto serve_asset = Guarded([&asset](const Request&, Response& res) {
      res.set_header("Cache-Control", "no-cache");
      res.set_header("X-Content-Type-Options", "nosniff");
      if (asset.name.ends_with(".html")) {
        // The page shows customers' posts: even if a bug let one become markup, no script but
        // console.js may run and nothing may load from elsewhere (the machine may be offline too).
        res.set_header("Content-Security-Policy",
                       "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                       "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
        res.set_header("Referrer-Policy", "no-referrer");
      }
      res.set_content(std::string(asset.bytes), std::string(ContentTypeOf(asset.name)));
    });
    // Appended rather than `"/" + std::string(...)`: g++ 12 -O3 warns -Wrestrict on that form.
    std::string path = "/";
    path += asset.name;
    server.Get(ExactPattern(path), serve_asset);
    if (asset.name == "index.html") server.Get("/", serve_asset);
  }
}

HandlerResponse HttpServer::Impl::PreRoute(const Request& req, Response& res) const {
  try {
    if (req.target.size() > options.max_uri_bytes) {
      SendError(res, 414, "request URI of " + std::to_string(req.target.size()) + " bytes is over the limit of " +
                              std::to_string(options.max_uri_bytes));
      return HandlerResponse::Handled;
    }
    // The console's files hold no data; everything else may need a token.
    bool public_path = req.path == "/healthz" || req.path == "/";
    for (const internal::ConsoleAsset& asset : internal::ConsoleAssets()) {
      public_path = public_path || (req.path.size() == asset.name.size() + 1 &&
                                    std::string_view(req.path).substr(1) == asset.name);
    }
    // A web page open in the operator's browser can reach a loopback port too: with a cross-site
    // form POST (to lease or resolve cases), or under its own host name after DNS rebinding (to
    // read them). A page can forge neither Origin nor Host; a token, which no other page has,
    // makes the Host check unnecessary.
    const std::string host = req.get_header_value("Host");
    if (req.method == "POST" && req.has_header("Origin") &&
        !internal::IsSameOrigin(req.get_header_value("Origin"), host)) {
      SendError(res, 403, "cross-origin POST from '" + req.get_header_value("Origin") + "' refused");
      return HandlerResponse::Handled;
    }
    if (public_path) return HandlerResponse::Unhandled;
    if (options.token.empty()) {
      if (internal::IsLoopbackHostHeader(host)) return HandlerResponse::Unhandled;
      SendError(res, 403, "Host '" + host + "' is not a loopback name: without a token this server answers only " +
                              "requests for localhost, 127.0.0.1 or [::1]");
      return HandlerResponse::Handled;
    }
    const std::string authorization = req.get_header_value("Authorization");
    if (internal::BearerTokenMatches(authorization, options.token)) return HandlerResponse::Unhandled;
    res.set_header("WWW-Authenticate", "Bearer");
    SendError(res, 401,
              authorization.empty() ? "this endpoint needs the header \"Authorization: Bearer <token>\""
                                    : "the Authorization header does not carry the server's bearer token");
    return HandlerResponse::Handled;
  } catch (...) {
    res.status = 500;
    return HandlerResponse::Handled;
  }
}

// Responses cpp-httplib produced itself (no route, body over the limit, a URI over its own limit,
// a request it could not parse) get a JSON body too; ours already have one.
HandlerResponse HttpServer::Impl::OnError(const Request& req, Response& res) const {
  if (!res.body.empty()) return HandlerResponse::Unhandled;
  try {
    switch (res.status) {
      case 404: SendError(res, 404, "no endpoint " + req.method + " " + req.path); break;
      case 413:
        SendError(res, 413, "request body over the limit of " + std::to_string(options.max_body_bytes) + " bytes");
        break;
      case 414: SendError(res, 414, "request URI over the limit"); break;
      case 400:
        // cpp-httplib refuses a POST that says nothing of its body's length before any handler
        // runs; `curl -X POST URL` sends exactly that, so say how to send an empty body.
        if (req.method == "POST" && !req.has_header("Content-Length") && !req.has_header("Transfer-Encoding")) {
          SendError(res, 400, "a POST needs a Content-Length header, even with no body (curl: -d '')");
        } else {
          SendError(res, 400, "bad request");
        }
        break;
      case 500: SendError(res, 500, "internal error"); break;
      default: SendError(res, res.status, "HTTP " + std::to_string(res.status)); break;
    }
    return HandlerResponse::Handled;
  } catch (...) {
    return HandlerResponse::Unhandled;
  }
}

void HttpServer::Impl::Healthz(Response& res) const {
  // A read transaction proves the data directory is still there and readable.
  const core::Status status = context.store->Read([](store::Txn& txn) -> core::Status {
    core::Result<uint64_t> ready = txn.Count(store::Table::kReady);
    return ready ? core::Status::Ok() : ready.error();
  });
  std::string body;
  internal::JsonFields fields(body);
  if (!status.ok()) {
    fields.String("status", "unavailable").String("error", status.message()).Close();
    SendJson(res, 503, std::move(body));
    return;
  }
  fields.String("status", "ok")
      .Bool("pipeline", context.pipeline != nullptr)
      .SignedInteger("uptime_s", std::max<int64_t>(core::NowMillis() - context.started_ms, 0) / 1000)
      .Close();
  SendJson(res, 200, std::move(body));
}

void HttpServer::Impl::Metrics(Response& res) {
  const int64_t now_ms = core::NowMillis();
  core::Result<internal::QueueDepth> depth = internal::ReadQueueDepth(*context.store, now_ms);
  if (!depth) {
    SendError(res, 503, depth.error().message());
    return;
  }
  PostsPerSecond(now_ms);  // a throughput reading for /api/stats, which may be polled less often
  res.status = 200;
  res.set_header("Cache-Control", "no-store");
  res.set_content(internal::RenderMetrics(context, *depth, now_ms), kMetricsType);
}

void HttpServer::Impl::ListCases(const Request& req, Response& res) const {
  const std::string state = req.has_param("state") ? req.get_param_value("state") : "open";
  const std::optional<store::StateFilter> filter = store::ParseStateFilter(state);
  if (!filter) {
    SendError(res, 400, "state must be open, all, queued, leased, acked or resolved, not '" + state + "'");
    return;
  }
  core::Result<size_t> limit = CountParam(req, "limit", options.max_cases, options.max_cases);
  if (!limit) {
    SendError(res, 400, limit.error().message());
    return;
  }
  const int64_t now_ms = core::NowMillis();
  std::vector<store::CaseRecord> cases;
  const core::Status status = context.store->Read([&](store::Txn& txn) -> core::Status {
    core::Result<std::vector<store::CaseRecord>> listed = store::ListCases(txn, *filter, now_ms, *limit);
    if (!listed) return listed.error();
    cases = std::move(*listed);
    return core::Status::Ok();
  });
  if (!status.ok()) {
    SendError(res, 503, "cases list: " + status.message());
    return;
  }
  SendJson(res, 200, CasesJson(cases, now_ms));
}

void HttpServer::Impl::PullCases(const Request& req, Response& res) const {
  // Two lease systems over the same cases (ours and Redis' consumer groups) would deliver each
  // case twice, so with queue.kind redis the streams are the only way to take cases.
  if (context.redis_queue) {
    SendError(res, 409, RedisQueueRefusal());
    return;
  }
  core::Result<size_t> max = CountParam(req, "max", 1, options.max_cases);
  if (!max) {
    SendError(res, 400, max.error().message());
    return;
  }
  core::Result<int64_t> lease_ms = LeaseMillis(req);
  if (!lease_ms) {
    SendError(res, 400, lease_ms.error().message());
    return;
  }
  const int64_t now_ms = core::NowMillis();
  std::vector<store::CaseRecord> pulled;
  const core::Status status = context.store->Write([&](store::Txn& txn) -> core::Status {
    core::Result<std::vector<store::CaseRecord>> cases = store::PullCases(txn, now_ms, *max, *lease_ms);
    if (!cases) return cases.error();
    pulled = std::move(*cases);
    return core::Status::Ok();
  });
  if (!status.ok()) {
    SendError(res, 503, "cases pull: " + status.message());
    return;
  }
  // Answered only after the commit: a consumer never holds a lease that was not recorded.
  SendJson(res, 200, CasesJson(pulled, now_ms));
}

void HttpServer::Impl::FinishCase(const Request& req, Response& res) const {
  const std::string id = req.matches[1];
  const std::string verb = req.matches[2];
  const store::Finish finish = verb == "ack"    ? store::Finish::kAck
                               : verb == "nack" ? store::Finish::kNack
                                                : store::Finish::kResolve;
  if (context.redis_queue && finish != store::Finish::kResolve) {
    SendError(res, 409, RedisQueueRefusal());
    return;
  }
  const std::optional<store::LeaseRef> ref = store::ParseCaseOrLeaseId(id);
  if (!ref) {
    SendError(res, 400, "'" + id + "' is not a case id or lease id (they look like c-00000042 and c-00000042.3)");
    return;
  }
  const int64_t now_ms = core::NowMillis();
  store::CaseRecord finished;
  const core::Status status = context.store->Write([&](store::Txn& txn) -> core::Status {
    core::Result<store::CaseRecord> record = store::FinishCase(txn, ref->number, finish, now_ms, ref->generation);
    if (!record) return record.error();
    finished = std::move(*record);
    return core::Status::Ok();
  });
  if (status.IsNotFound()) {
    SendError(res, 404, "unknown case " + store::CaseId(ref->number));
  } else if (status.IsInvalidArgument()) {
    SendError(res, 409, status.message());  // "case c-00000003 is queued, not leased: …"
  } else if (!status.ok()) {
    SendError(res, 503, "cases " + verb + " " + id + ": " + status.message());
  } else {
    std::string body;
    store::AppendCaseJson(body, finished, now_ms);
    SendJson(res, 200, std::move(body));
  }
}

void HttpServer::Impl::ReloadRules(Response& res) const {
  if (context.reloader == nullptr) {
    SendError(res, 503, "no rules to reload: this server runs no pipeline (api-only)");
    return;
  }
  // Compiles on this request's thread (seconds for a large rule pack) and answers with the outcome.
  const triage::ReloadResult result = context.reloader->Reload("http");
  std::string body;
  internal::JsonFields fields(body);
  fields.Bool("ok", result.ok).Integer("generation", result.generation);
  if (result.ok) {
    fields.Integer("rules", result.rules).Number("compile_ms", result.compile_ms, 1).Close();
    SendJson(res, 200, std::move(body));
  } else {
    fields.String("error", result.error).Close();
    SendJson(res, 422, std::move(body));
  }
}

void HttpServer::Impl::Stats(Response& res) {
  const int64_t now_ms = core::NowMillis();
  core::Result<internal::QueueDepth> depth = internal::ReadQueueDepth(*context.store, now_ms);
  if (!depth) {
    SendError(res, 503, depth.error().message());
    return;
  }
  SendJson(res, 200, internal::StatsJson(context, *depth, PostsPerSecond(now_ms), now_ms));
}

HttpServer::HttpServer(PrivateTag) {}

HttpServer::~HttpServer() {
  if (impl_) impl_->Stop();
}

core::Result<std::unique_ptr<HttpServer>> HttpServer::Start(const ServeOptions& options, const ServeContext& context) {
  if (context.store == nullptr) return core::Status::InvalidArgument("serve: no store to serve");
  if (options.token.empty() && !internal::IsLoopbackHost(options.host)) {
    return core::Status::InvalidArgument(
        "listening on " + options.host +
        " needs a token (serve.token_env): cases hold customers' posts, and anyone who can reach the port "
        "could read and lease them; listen on 127.0.0.1 or set a token");
  }
  if (options.port < 0 || options.port > 65535) {
    return core::Status::InvalidArgument("serve: port " + std::to_string(options.port) + " is not 0-65535");
  }
  if (options.max_cases == 0) return core::Status::InvalidArgument("serve: max_cases must be at least 1");
  auto server = std::make_unique<HttpServer>(PrivateTag{});
  server->impl_ = std::make_unique<Impl>(options, context);
  EARSHOT_RETURN_IF_ERROR(server->impl_->Listen());
  return server;
}

int HttpServer::port() const { return impl_->port; }

}  // namespace earshot::serve
