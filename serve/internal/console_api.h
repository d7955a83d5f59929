// The JSON the operator console polls (/api/sources, /api/stats, /api/rules). Shapes are
// documented in serve/README.md; the console (serve/console/console.js) is their only reader that
// this repository knows of, but they are plain JSON for any dashboard.
//
// In api-only mode (no pipeline, fetcher, reloader or publisher) the parts those objects provide
// are empty or null, never invented.
//
// Thread safety: reads the context's objects through their thread-safe members only.
#ifndef EARSHOT_SERVE_INTERNAL_CONSOLE_API_H_
#define EARSHOT_SERVE_INTERNAL_CONSOLE_API_H_

#include <cstdint>
#include <string>

#include "serve/http_server.h"
#include "serve/internal/queue_depth.h"

namespace earshot::serve::internal {

// [{"id","kind","host","description","last_poll_ms","last_ok_ms","polls","lines","posts","errors",
//   "last_error","ended","blocked_until_ms","blocked_reason"}]: the pipeline's source health joined
// with the fetcher's host state by host key (blocked_until_ms 0 when the host is not blocked now).
std::string SourcesJson(const ServeContext& context, int64_t now_ms);

// Engine totals, throughput, latency, queue, Redis and rules; `posts_per_s` from a ThroughputMeter.
std::string StatsJson(const ServeContext& context, const QueueDepth& depth, double posts_per_s, int64_t now_ms);

// [{"rule","hits"}], most hits first (every rule of the sets run, unmatched ones with 0).
std::string RulesJson(const ServeContext& context);

}  // namespace earshot::serve::internal

#endif  // EARSHOT_SERVE_INTERNAL_CONSOLE_API_H_
