#include "serve/internal/console_api.h"

#include <algorithm>
#include <map>
#include <string_view>
#include <vector>

#include "core/metrics.h"
#include "core/severity.h"
#include "serve/internal/json_fields.h"

namespace earshot::serve::internal {
namespace {

constexpr core::Severity kCaseSeverities[] = {core::Severity::kCritical, core::Severity::kHigh,
                                              core::Severity::kMedium, core::Severity::kLow};

void AppendQueue(std::string& out, const QueueDepth& depth) {
  JsonFields queue(out);
  for (core::Severity severity : kCaseSeverities) queue.Integer(core::SeverityName(severity), depth.open(severity));
  uint64_t queued = 0;
  uint64_t leased = 0;
  for (size_t i = 0; i < depth.queued.size(); ++i) {
    queued += depth.queued[i];
    leased += depth.leased[i];
  }
  queue.Integer("queued", queued).Integer("leased", leased).Integer("open", queued + leased);
  queue.Close();
}

void AppendRedis(std::string& out, const ServeContext& context) {
  const store::RedisPublisherStats stats = context.publisher->stats();
  JsonFields redis(out);
  redis.String("stream", context.redis_stream)
      .Bool("connected", stats.connected)
      .Integer("published", stats.published)
      .Integer("failures", stats.failures)
      .Integer("backlog", stats.backlog)
      .String("last_error", stats.last_error)
      .SignedInteger("last_publish_ms", stats.last_publish_ms);
  redis.Close();
}

void AppendRules(std::string& out, const ServeContext& context) {
  JsonFields rules(out);
  const uint64_t generation = context.pipeline != nullptr ? context.pipeline->rules_generation()
                                                          : context.reloader->last().generation;
  rules.Integer("generation", generation);
  if (context.reloader == nullptr) {
    rules.Null("last_reload");
    rules.Close();
    return;
  }
  const triage::ReloadResult last = context.reloader->last();
  rules.Integer("rules", last.rules)
      .Integer("reloads_ok", context.reloader->reloads_ok())
      .Integer("reloads_failed", context.reloader->reloads_failed());
  if (context.reloader->reloads_ok() + context.reloader->reloads_failed() == 0) {
    rules.Null("last_reload");  // nothing reloaded yet: the set in force is the one loaded at start
  } else {
    rules.Key("last_reload");
    JsonFields reload(out);
    reload.Bool("ok", last.ok)
        .String("error", last.error)
        .String("trigger", last.trigger)
        .SignedInteger("at_ms", last.at_ms)
        .Number("compile_ms", last.compile_ms, 1);
    reload.Close();
  }
  rules.Close();
}

}  // namespace

std::string SourcesJson(const ServeContext& context, int64_t now_ms) {
  std::string out = "[";
  if (context.pipeline == nullptr) return out + "]";
  std::map<std::string, crawler::HostState, std::less<>> hosts;
  if (context.fetcher != nullptr) {
    for (crawler::HostState& host : context.fetcher->hosts()) {
      std::string key = host.host;
      hosts.emplace(std::move(key), std::move(host));
    }
  }
  bool first = true;
  for (const triage::SourceHealth& source : context.pipeline->SourceHealthSnapshot()) {
    if (!first) out.push_back(',');
    first = false;
    int64_t blocked_until_ms = 0;
    std::string_view blocked_reason;
    if (const auto host = hosts.find(source.host); !source.host.empty() && host != hosts.end()) {
      if (host->second.blocked_until_ms > now_ms) {
        blocked_until_ms = host->second.blocked_until_ms;
        blocked_reason = host->second.blocked_reason;
      }
    }
    JsonFields fields(out);
    fields.String("id", source.id)
        .String("kind", source.kind)
        .String("host", source.host)
        .String("description", source.description)
        .SignedInteger("last_poll_ms", source.last_poll_ms)
        .SignedInteger("last_ok_ms", source.last_ok_ms)
        .Integer("polls", source.polls)
        .Integer("lines", source.lines)
        .Integer("posts", source.posts)
        .Integer("errors", source.errors)
        .String("last_error", source.last_error)
        .Bool("ended", source.ended)
        .SignedInteger("blocked_until_ms", blocked_until_ms)
        .String("blocked_reason", blocked_reason);
    fields.Close();
  }
  return out + "]";
}

std::string StatsJson(const ServeContext& context, const QueueDepth& depth, double posts_per_s, int64_t now_ms) {
  std::string out;
  JsonFields stats(out);
  stats.SignedInteger("now_ms", now_ms)
      .SignedInteger("uptime_s", std::max<int64_t>(now_ms - context.started_ms, 0) / 1000)
      .Bool("pipeline", context.pipeline != nullptr);
  if (context.pipeline != nullptr) {
    const triage::PipelineStats& counters = context.pipeline->stats();
    const core::Histogram::Snapshot latency = counters.post_latency_seconds.snapshot();
    stats.Integer("posts", counters.posts.load())
        .Integer("complaints", counters.complaints.load())
        .Integer("cases_opened", counters.cases_opened.load())
        .Integer("cases_updated", counters.cases_updated.load())
        .Integer("duplicates", counters.duplicates.load())
        .Integer("skipped", counters.skipped.load())
        .Number("posts_per_s", posts_per_s, 2)
        .Number("latency_p50_s", latency.Quantile(0.5), 4)
        .Number("latency_p99_s", latency.Quantile(0.99), 4);
  } else {
    // No pipeline in this process: nothing to count, and zeros would read as an idle engine.
    for (std::string_view name : {"posts", "complaints", "cases_opened", "cases_updated", "duplicates", "skipped",
                                  "posts_per_s", "latency_p50_s", "latency_p99_s"}) {
      stats.Null(name);
    }
  }
  stats.Key("queue");
  AppendQueue(out, depth);
  stats.Integer("outbox_depth", depth.outbox).Bool("redis_queue", context.redis_queue);
  if (context.publisher != nullptr) {
    stats.Key("redis");
    AppendRedis(out, context);
  } else {
    stats.Null("redis");
  }
  if (context.pipeline != nullptr || context.reloader != nullptr) {
    stats.Key("rules");
    AppendRules(out, context);
  } else {
    stats.Null("rules");
  }
  stats.Close();
  return out;
}

std::string RulesJson(const ServeContext& context) {
  std::string out = "[";
  if (context.pipeline != nullptr) {
    bool first = true;
    for (const triage::RuleHitCount& hit : context.pipeline->RuleHits()) {
      if (!first) out.push_back(',');
      first = false;
      JsonFields fields(out);
      fields.String("rule", hit.rule_id).Integer("hits", hit.hits);
      fields.Close();
    }
  }
  return out + "]";
}

}  // namespace earshot::serve::internal
