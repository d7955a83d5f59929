// HttpServer: the operator's and consumers' HTTP interface of a running engine (`earshot serve`,
// `earshot run --serve`), on cpp-httplib, listening on 127.0.0.1 by default.
//
//   GET  /healthz                      {"status":"ok",...}; never needs the token
//   GET  /metrics                      Prometheus text format 0.0.4 (README lists every family)
//   GET  /cases?state=open&limit=100   {"cases":[…]}: each element exactly a line of `earshot cases list`
//   POST /cases/pull?max=1&lease=300   lease cases, highest urgency first, as `earshot cases pull`
//   POST /cases/{id}/ack|nack|resolve  as `earshot cases ack|nack|resolve` (id: case id or lease id)
//   POST /rules/reload                 compile the rule files and swap them in between batches
//   GET  /api/sources  /api/stats  /api/rules   JSON for the console
//   GET  /  /console.js  /console.css  the operator console (serve/console/, compiled in)
//
// Errors are JSON {"error":"…"} with 400 (bad parameter), 401 (token), 403 (another site's POST,
// or a non-loopback Host without a token: DNS rebinding), 404 (no such case or path), 409 (the
// transition does not apply, or pull/ack/nack with queue.kind redis), 413/414 (body or URI too
// long), 422 (the new rules do not compile; the running rules stay), 503 (no pipeline: api-only).
//
// Access: when a token is configured every endpoint but /healthz and the console's static files
// (which hold no data) needs "Authorization: Bearer <token>". Listening on anything but a loopback
// address without a token is refused at start: cases hold customers' posts.
//
// Thread safety: Start/stop from one thread; requests are served on the server's own threads and
// only read the context's objects through their thread-safe members.
#ifndef EARSHOT_SERVE_HTTP_SERVER_H_
#define EARSHOT_SERVE_HTTP_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/status.h"
#include "crawler/http/fetcher.h"
#include "store/redis_publisher.h"
#include "store/store.h"
#include "triage/pipeline.h"
#include "triage/rule_reloader.h"

namespace earshot::serve {

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8080;            // 0: any free port (tests); see HttpServer::port()
  std::string token;          // empty: no token (loopback only)
  size_t max_body_bytes = 64 * 1024;
  size_t max_uri_bytes = 8 * 1024;
  size_t max_cases = 1000;    // cap on limit= and max=
  int threads = 4;
};

// What the server reads. Only `store` is required; the rest are null in api-only mode
// (`earshot serve --api-only`, beside a separate `earshot run`).
struct ServeContext {
  store::Store* store = nullptr;
  const triage::Pipeline* pipeline = nullptr;
  const crawler::Fetcher* fetcher = nullptr;
  triage::RuleReloader* reloader = nullptr;
  const store::RedisPublisher* publisher = nullptr;
  bool redis_queue = false;        // queue.kind: redis (pull/ack/nack refused: consumers use XREADGROUP)
  std::string redis_stream;        // stream prefix, for /api/stats
  int64_t started_ms = 0;          // Unix ms the engine started, for uptime and rates
};

class HttpServer {
  struct PrivateTag {
    explicit PrivateTag() = default;
  };

 public:
  explicit HttpServer(PrivateTag);  // use Start(); defined where Impl is complete
  // Binds and starts serving on its own thread. Errors: InvalidArgument for a non-loopback host
  // without a token; Unavailable "listen 127.0.0.1:8080: address in use" when it cannot bind.
  static core::Result<std::unique_ptr<HttpServer>> Start(const ServeOptions& options, const ServeContext& context);
  ~HttpServer();  // stops listening and waits for requests in progress
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace earshot::serve

#endif  // EARSHOT_SERVE_HTTP_SERVER_H_
