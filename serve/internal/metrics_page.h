// The /metrics page: every family the engine exposes, in the Prometheus text format 0.0.4
// (serve/README.md lists them with their labels). Counters are read from the objects that keep
// them (PipelineStats, FetcherStats, RedisPublisherStats, the reloader) at scrape time; families
// whose object is absent (api-only mode: no pipeline, fetcher or reloader) are left out rather
// than reported as zeros that would look like an idle engine.
//
// Thread safety: reads the context's objects through their thread-safe members only.
#ifndef EARSHOT_SERVE_INTERNAL_METRICS_PAGE_H_
#define EARSHOT_SERVE_INTERNAL_METRICS_PAGE_H_

#include <cstdint>
#include <string>

#include "serve/http_server.h"
#include "serve/internal/queue_depth.h"

namespace earshot::serve::internal {

// `depth` is read by the caller, who answers 503 when the store cannot be read.
std::string RenderMetrics(const ServeContext& context, const QueueDepth& depth, int64_t now_ms);

}  // namespace earshot::serve::internal

#endif  // EARSHOT_SERVE_INTERNAL_METRICS_PAGE_H_
