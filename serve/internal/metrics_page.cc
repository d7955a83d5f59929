#include "serve/internal/metrics_page.h"

#include <algorithm>
#include <array>
#include <string_view>
#include <utility>
#include <vector>

#include "core/metrics.h"
#include "core/severity.h"

#ifndef EARSHOT_VERSION
#define EARSHOT_VERSION "unknown"
#endif

namespace earshot::serve::internal {
namespace {

constexpr core::Severity kCaseSeverities[] = {core::Severity::kLow, core::Severity::kMedium, core::Severity::kHigh,
                                              core::Severity::kCritical};

double Seconds(int64_t millis) { return static_cast<double>(millis) / 1000.0; }
double Count(uint64_t value) { return static_cast<double>(value); }

void Counter(core::MetricsText& text, std::string_view name, std::string_view help, uint64_t value) {
  text.Family(name, "counter", help);
  text.Sample(name, {}, Count(value));
}

void WritePipeline(core::MetricsText& text, const triage::Pipeline& pipeline) {
  const triage::PipelineStats& stats = pipeline.stats();
  Counter(text, "earshot_lines_read_total", "Input lines read from all sources (blank lines excluded).",
          stats.lines.load());
  text.Family("earshot_posts_total", "counter",
              "Posts committed by outcome: new (triaged), duplicate (already seen), skipped (bad lines).");
  text.Sample("earshot_posts_total", {{"outcome", "new"}}, Count(stats.posts.load()));
  text.Sample("earshot_posts_total", {{"outcome", "duplicate"}}, Count(stats.duplicates.load()));
  text.Sample("earshot_posts_total", {{"outcome", "skipped"}}, Count(stats.skipped.load()));
  Counter(text, "earshot_complaints_total", "New posts triaged as complaints (severity other than none).",
          stats.complaints.load());
  Counter(text, "earshot_reposts_total", "Complaints whose normalised text was already filed.", stats.reposts.load());
  text.Family("earshot_cases_total", "counter", "Cases opened, and existing cases a new post joined.");
  text.Sample("earshot_cases_total", {{"event", "opened"}}, Count(stats.cases_opened.load()));
  text.Sample("earshot_cases_total", {{"event", "updated"}}, Count(stats.cases_updated.load()));
  Counter(text, "earshot_batches_total", "Batches committed (one LMDB write transaction each).", stats.batches.load());
  Counter(text, "earshot_source_errors_total", "Failed reads of a source, over all sources (each retried).",
          stats.source_errors.load());

  // Prometheus wants a family's samples together, so each family walks all sources in turn.
  const std::vector<triage::SourceHealth> sources = pipeline.SourceHealthSnapshot();
  struct PerSource {
    std::string_view name;
    std::string_view help;
    uint64_t triage::SourceHealth::*field;
  };
  static constexpr PerSource kPerSource[] = {
      {"earshot_source_polls_total", "Polls of the source begun.", &triage::SourceHealth::polls},
      {"earshot_source_lines_total", "Lines read from the source.", &triage::SourceHealth::lines},
      {"earshot_source_posts_total", "New posts from the source committed.", &triage::SourceHealth::posts},
      {"earshot_source_poll_errors_total", "Polls of the source that failed.", &triage::SourceHealth::errors},
  };
  for (const PerSource& family : kPerSource) {
    text.Family(family.name, "counter", family.help);
    for (const triage::SourceHealth& source : sources) {
      text.Sample(family.name, {{"source", source.id}, {"kind", source.kind}}, Count(source.*family.field));
    }
  }
  text.Family("earshot_source_last_poll_timestamp_seconds", "gauge",
              "Unix time the source's last poll began; 0 if never polled.");
  for (const triage::SourceHealth& source : sources) {
    text.Sample("earshot_source_last_poll_timestamp_seconds", {{"source", source.id}}, Seconds(source.last_poll_ms));
  }
}

void WriteFetcher(core::MetricsText& text, const crawler::Fetcher& fetcher) {
  const crawler::FetcherStats stats = fetcher.stats();
  Counter(text, "earshot_http_requests_total", "HTTP request attempts the crawler sent.", stats.requests);
  Counter(text, "earshot_http_responses_total", "HTTP responses received (any status).", stats.responses);
  Counter(text, "earshot_http_retries_total", "Request attempts after the first.", stats.retries);
  Counter(text, "earshot_http_rate_limited_total",
          "Rate-limit waits: 429/503/blocked responses and exhausted rate-limit headers seen.", stats.rate_limited);
  Counter(text, "earshot_http_transport_errors_total", "Attempts that got no HTTP response.", stats.transport_errors);
  Counter(text, "earshot_http_not_modified_total", "304 Not Modified responses.", stats.not_modified);
  Counter(text, "earshot_http_received_bytes_total", "Decoded response body bytes received.", stats.bytes);

  const std::vector<crawler::HostState> hosts = fetcher.hosts();
  text.Family("earshot_http_host_requests_total", "counter", "Request attempts sent to the host.");
  for (const crawler::HostState& host : hosts) {
    text.Sample("earshot_http_host_requests_total", {{"host", host.host}}, Count(host.requests));
  }
  text.Family("earshot_http_host_blocked_until_timestamp_seconds", "gauge",
              "Unix time until which the host is blocked (Retry-After, rate limit, backoff); 0 if never.");
  for (const crawler::HostState& host : hosts) {
    text.Sample("earshot_http_host_blocked_until_timestamp_seconds", {{"host", host.host}},
                Seconds(host.blocked_until_ms));
  }
}

void WriteQueue(core::MetricsText& text, const QueueDepth& depth) {
  text.Family("earshot_queue_cases", "gauge",
              "Open cases by state (queued: waiting, an expired lease included; leased) and severity.");
  for (const auto& [state, counts] : {std::pair<std::string_view, const std::array<uint64_t, 5>*>{"queued", &depth.queued},
                                      {"leased", &depth.leased}}) {
    for (core::Severity severity : kCaseSeverities) {
      text.Sample("earshot_queue_cases", {{"state", state}, {"severity", core::SeverityName(severity)}},
                  Count((*counts)[static_cast<size_t>(severity)]));
    }
    // No case should have severity none; if one does, it is shown rather than dropped.
    if (const uint64_t none = (*counts)[static_cast<size_t>(core::Severity::kNone)]; none > 0) {
      text.Sample("earshot_queue_cases", {{"state", state}, {"severity", "none"}}, Count(none));
    }
  }
  text.Family("earshot_outbox_depth", "gauge", "Case changes waiting in the outbox for Redis (queue.kind: redis).");
  text.Sample("earshot_outbox_depth", {}, Count(depth.outbox));
}

void WriteRedis(core::MetricsText& text, const store::RedisPublisher& publisher) {
  const store::RedisPublisherStats stats = publisher.stats();
  text.Family("earshot_redis_published_total", "counter", "Case entries Redis acknowledged (XADD), by severity stream.");
  for (core::Severity severity : kCaseSeverities) {
    text.Sample("earshot_redis_published_total", {{"severity", core::SeverityName(severity)}},
                Count(stats.published_by_severity[static_cast<size_t>(severity)]));
  }
  Counter(text, "earshot_redis_failures_total", "Failed Redis connection attempts and round trips.", stats.failures);
  text.Family("earshot_redis_connected", "gauge", "1 while the publisher holds a working Redis connection.");
  text.Sample("earshot_redis_connected", {}, stats.connected ? 1 : 0);
}

void WriteRules(core::MetricsText& text, const ServeContext& context) {
  if (context.pipeline != nullptr || context.reloader != nullptr) {
    const uint64_t generation = context.pipeline != nullptr ? context.pipeline->rules_generation()
                                                            : context.reloader->last().generation;
    text.Family("earshot_rules_generation", "gauge", "Generation of the rule set in force (1 at start, +1 per reload).");
    text.Sample("earshot_rules_generation", {}, Count(generation));
  }
  if (context.reloader != nullptr) {
    text.Family("earshot_rules_reloads_total", "counter", "Rule reloads by result (error: the old rules stayed).");
    text.Sample("earshot_rules_reloads_total", {{"result", "ok"}}, Count(context.reloader->reloads_ok()));
    text.Sample("earshot_rules_reloads_total", {{"result", "error"}}, Count(context.reloader->reloads_failed()));
  }
  if (context.pipeline != nullptr) {
    text.Family("earshot_rule_hits_total", "counter",
                "New posts each rule matched, over every rule set since the engine started.");
    for (const triage::RuleHitCount& hit : context.pipeline->RuleHits()) {
      text.Sample("earshot_rule_hits_total", {{"rule", hit.rule_id}}, Count(hit.hits));
    }
  }
}

void WriteHistograms(core::MetricsText& text, const triage::PipelineStats& stats) {
  text.Family("earshot_stage_seconds", "histogram",
              "Seconds per batch in each pipeline stage: read (filling it), triage (parse, scan, score), commit.");
  text.HistogramSamples("earshot_stage_seconds", {{"stage", "read"}}, stats.read_seconds.snapshot());
  text.HistogramSamples("earshot_stage_seconds", {{"stage", "triage"}}, stats.triage_seconds.snapshot());
  text.HistogramSamples("earshot_stage_seconds", {{"stage", "commit"}}, stats.commit_seconds.snapshot());
  text.Family("earshot_post_commit_latency_seconds", "histogram",
              "Seconds from a post's batch being read to its commit (the post is then in the queue).");
  text.HistogramSamples("earshot_post_commit_latency_seconds", {}, stats.post_latency_seconds.snapshot());
  text.Family("earshot_post_age_at_commit_seconds", "histogram",
              "Seconds from a new post's created_at to its commit (posts without a valid created_at are not counted).");
  text.HistogramSamples("earshot_post_age_at_commit_seconds", {}, stats.post_age_seconds.snapshot());
}

}  // namespace

std::string RenderMetrics(const ServeContext& context, const QueueDepth& depth, int64_t now_ms) {
  core::MetricsText text;
  text.Family("earshot_build_info", "gauge", "Always 1; the version label names the running Earshot.");
  text.Sample("earshot_build_info", {{"version", EARSHOT_VERSION}}, 1);
  text.Family("earshot_uptime_seconds", "gauge", "Seconds since the engine started.");
  text.Sample("earshot_uptime_seconds", {}, Seconds(std::max<int64_t>(now_ms - context.started_ms, 0)));
  if (context.pipeline != nullptr) WritePipeline(text, *context.pipeline);
  if (context.fetcher != nullptr) WriteFetcher(text, *context.fetcher);
  WriteQueue(text, depth);
  if (context.publisher != nullptr) WriteRedis(text, *context.publisher);
  WriteRules(text, context);
  if (context.pipeline != nullptr) WriteHistograms(text, context.pipeline->stats());
  return text.text();
}

}  // namespace earshot::serve::internal
