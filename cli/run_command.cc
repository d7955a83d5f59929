// `earshot run --config FILE [--once]`: the main job. Reads the configured sources, triages, and
// commits cases to the data directory's queue, batch by batch (triage/pipeline.h).
//
// `earshot crawl --config FILE [--once] --out FILE`: the same reading of sources, without rules or
// cases: each batch's new posts are appended to FILE as Post JSONL and synced, then marked seen
// with the sources' cursors in one transaction, so a second run writes only what is new (and a
// crash between the two writes a batch again rather than losing it).
//
// Stopping: SIGINT or SIGTERM lets the batches already read finish and commit, then exits 0; a
// second signal exits at once (still safe: LMDB commits are atomic, the next run resumes at the
// last committed batch). Signals are taken by a dedicated thread with sigwait, so no handler and
// no global flag is involved.
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/info.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli/commands.h"
#include "cli/config_loading.h"
#include "cli/rule_loading.h"
#include "cli/run_control.h"
#include "cli/run_lock.h"
#include "cli/serve_command.h"
#include "core/post_json.h"
#include "crawler/http/fetcher.h"
#include "crawler/source.h"
#include "store/cursors.h"
#include "triage/pipeline.h"
#include "triage/result_json.h"
#include "triage/rule_reloader.h"
#include "store/redis_publisher.h"
#include "core/time.h"

namespace earshot::cli {
namespace {

struct RunOptions {
  std::string config;
  bool once = false;
  int threads = -1;  // -1: as the config says
  std::string cache_dir;
  bool no_cache = false;
  std::string results;  // --results FILE: one triage result line per new post ("-": stdout)
  bool crawl = false;   // `earshot crawl`: no rules, no cases
  std::string out;      // crawl --out FILE ("-": stdout)
  bool serve = false;   // `earshot serve` / `run --serve`: the HTTP API and console as well
  bool api_only = false;  // `serve --api-only`: no pipeline, only the data directory's queue
  std::string listen;     // --listen host:port, over the config's serve.listen
};

void ReportReload(const triage::ReloadResult& result) {
  if (result.ok) {
    spdlog::info("rules reloaded ({}): generation {}, {} rules, {:.0f} ms; batches read from now on use them",
                 result.trigger, result.generation, result.rules, result.compile_ms);
    return;
  }
  spdlog::error("rules reload ({}) failed; the running rules (generation {}) stay in force:", result.trigger,
                result.generation);
  std::istringstream lines(result.error);
  for (std::string line; std::getline(lines, line);) spdlog::error("  {}", line);
}

// SIGHUP reaches the reloader only while both exist.
class ReloadBinding {
 public:
  ReloadBinding(RunControl& control, triage::RuleReloader* reloader) : control_(control) {
    if (reloader != nullptr) control_.SetReload([reloader] { reloader->RequestReload("SIGHUP"); });
  }
  ~ReloadBinding() { control_.SetReload({}); }
  ReloadBinding(const ReloadBinding&) = delete;
  ReloadBinding& operator=(const ReloadBinding&) = delete;

 private:
  RunControl& control_;
};

class LogReporter : public triage::PipelineReporter {
 public:
  explicit LogReporter(std::FILE* results) : results_(results) {}
  bool wants_results() const override { return results_ != nullptr; }
  void OnResult(const core::Post& post, const triage::TriageResult& result, std::string_view case_id) override {
    line_.clear();
    triage::AppendTriageResultJson(line_, post, result, case_id);
    line_.push_back('\n');
    std::fwrite(line_.data(), 1, line_.size(), results_);
  }
  void OnBadLine(std::string_view source_id, uint64_t line_number, std::string_view reason, bool skipped) override {
    spdlog::warn("source {}: line {}: {}{}", source_id, line_number, reason, skipped ? " (skipped)" : "");
  }
  void OnSourceError(std::string_view source_id, const core::Status& status) override {
    // Network sources' messages already start with "source ID: ".
    const std::string prefix = "source " + std::string(source_id) + ": ";
    const bool named = status.message().compare(0, prefix.size(), prefix) == 0;
    spdlog::error("{}{} (retrying at its next poll)", named ? "" : prefix, status.message());
  }

 private:
  std::FILE* results_;
  std::string line_;
};

// `earshot crawl --out`: appends new posts as Post JSONL and makes them durable before the pipeline
// marks them seen.
class CrawlReporter : public LogReporter {
 public:
  CrawlReporter(std::FILE* out, std::string name) : LogReporter(nullptr), out_(out), name_(std::move(name)) {
    struct stat info {};
    sync_ = fstat(fileno(out_), &info) == 0 && S_ISREG(info.st_mode);
  }
  core::Status OnCrawled(std::span<const core::Post* const> posts) override {
    buffer_.clear();
    for (const core::Post* post : posts) {
      core::AppendPostJson(buffer_, *post);
      buffer_.push_back('\n');
    }
    if (std::fwrite(buffer_.data(), 1, buffer_.size(), out_) != buffer_.size() || std::fflush(out_) != 0 ||
        (sync_ && fdatasync(fileno(out_)) != 0)) {
      return core::Status::FromErrno("--out: write", name_, errno);
    }
    return core::Status::Ok();
  }

 private:
  std::FILE* out_;
  std::string name_;
  bool sync_ = false;  // a regular file is synced per batch; a pipe or terminal cannot be
  std::string buffer_;
};

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

std::string Summary(const triage::PipelineStats& stats, double seconds, bool crawl) {
  const double posts = static_cast<double>(stats.posts.load());
  if (crawl) {
    return fmt::format("{} new posts ({:.0f}/s), {} duplicates, {} skipped", stats.posts.load(),
                       seconds > 0 ? posts / seconds : 0.0, stats.duplicates.load(), stats.skipped.load());
  }
  return fmt::format(
      "{} posts ({:.0f}/s), {} complaints, {} cases opened, {} updated, {} duplicates, {} reposts, {} "
      "skipped",
      stats.posts.load(), seconds > 0 ? posts / seconds : 0.0, stats.complaints.load(), stats.cases_opened.load(),
      stats.cases_updated.load(), stats.duplicates.load(), stats.reposts.load(), stats.skipped.load());
}

// On a terminal: one status line redrawn four times a second. Otherwise: a log line every 10 s.
class ProgressReporter {
 public:
  ProgressReporter(const triage::Pipeline& pipeline, RunControl& control, bool crawl)
      : pipeline_(pipeline), control_(control), crawl_(crawl), terminal_(isatty(STDERR_FILENO) == 1) {
    if (spdlog::get_level() > spdlog::level::info) return;  // --quiet
    thread_ = std::thread([this] { Loop(); });
  }
  ~ProgressReporter() {
    {
      std::scoped_lock lock(control_.mutex);
      done_ = true;
    }
    control_.wake.notify_all();
    if (thread_.joinable()) thread_.join();
    if (terminal_ && drew_) std::fputs("\r\033[K", stderr);
  }
  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;

 private:
  void Loop() {
    const auto start = std::chrono::steady_clock::now();
    const auto interval = terminal_ ? std::chrono::milliseconds(250) : std::chrono::milliseconds(10000);
    for (;;) {
      {
        std::unique_lock lock(control_.mutex);
        if (control_.wake.wait_for(lock, interval, [this] { return done_; })) return;
      }
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::string sources;
      for (const std::string& line : pipeline_.DescribeSources()) sources += " · " + line;
      if (terminal_) {
        std::fprintf(stderr, "\r\033[K%s%s", Summary(pipeline_.stats(), seconds, crawl_).c_str(), sources.c_str());
        std::fflush(stderr);
        drew_ = true;
      } else {
        spdlog::info("progress: {}{}", Summary(pipeline_.stats(), seconds, crawl_), sources);
      }
    }
  }

  const triage::Pipeline& pipeline_;
  RunControl& control_;
  bool crawl_;
  bool terminal_;
  bool drew_ = false;
  bool done_ = false;  // guarded by control_.mutex
  std::thread thread_;
};

// Gives the Redis publisher a last chance to deliver what the run committed: while the backlog
// keeps shrinking, up to 60 s for a one-shot run (handing the cases off was its whole point) or 10 s
// when a tailing run is stopped; as soon as 5 s pass without progress (Redis is down), it stops
// waiting. Returns false when case updates are left in the outbox (safe there: the next run sends
// them).
bool FlushOutbox(store::RedisPublisher* publisher, const core::Config& config, bool once) {
  if (publisher == nullptr) return true;
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + (once ? std::chrono::seconds(60) : std::chrono::seconds(10));
  auto last_progress = Clock::now();
  uint64_t smallest = UINT64_MAX;
  core::Result<uint64_t> left = publisher->Flush(std::chrono::milliseconds(500));
  while (left && *left > 0 && Clock::now() < deadline) {
    if (*left < smallest) {
      smallest = *left;
      last_progress = Clock::now();
    } else if (Clock::now() - last_progress > std::chrono::seconds(5)) {
      break;
    }
    left = publisher->Flush(std::chrono::milliseconds(500));
  }
  const store::RedisPublisherStats stats = publisher->stats();
  if (left && *left == 0) {
    spdlog::info("redis: {} case updates published to {}:{{critical,high,medium,low}}", stats.published,
                 config.queue.redis_stream);
    return true;
  }
  spdlog::log(once ? spdlog::level::err : spdlog::level::warn,
              "redis: {} case updates wait in the outbox in {} ({}); the next run delivers them",
              left ? std::to_string(*left) : "some", config.data_dir.string(),
              left ? stats.last_error : left.error().message());
  return false;
}

// With -v: how long new posts took to be committed, from each one's created_at (the whole way from
// a writer that stamps posts as it sends them, bench/latency.sh) and from its batch being read.
void LogLatency(const triage::PipelineStats& stats) {
  const core::Histogram::Snapshot age = stats.post_age_seconds.snapshot();
  const core::Histogram::Snapshot latency = stats.post_latency_seconds.snapshot();
  if (age.count == 0 && latency.count == 0) return;
  // 50 ms is a bucket bound, so this share is exact; the quantiles interpolate inside buckets.
  const auto within_50ms = std::find(age.upper_bounds.begin(), age.upper_bounds.end(), 0.05);
  const double share = age.count == 0 || within_50ms == age.upper_bounds.end()
                           ? 0.0
                           : static_cast<double>(age.cumulative[static_cast<size_t>(within_50ms - age.upper_bounds.begin())]) /
                                 static_cast<double>(age.count);
  // A quantile beyond the last bucket (replayed posts are days old) can only be told as "over".
  auto age_ms = [&age](double q) {
    const double seconds = age.Quantile(q);
    const bool beyond = !age.upper_bounds.empty() &&
                        static_cast<double>(age.cumulative[age.upper_bounds.size() - 1]) < q * static_cast<double>(age.count);
    return beyond ? fmt::format("over {:.0f} s", seconds) : fmt::format("{:.1f} ms", seconds * 1e3);
  };
  spdlog::debug("latency: {} new posts with created_at: age at commit p50 {}, p99 {}, {:.2f}% within "
                "50 ms; batch read to commit p50 {:.1f} ms, p99 {:.1f} ms",
                age.count, age_ms(0.5), age_ms(0.99), share * 100,
                latency.Quantile(0.5) * 1e3, latency.Quantile(0.99) * 1e3);
  auto ms = [](const core::Histogram& histogram, double q) { return histogram.snapshot().Quantile(q) * 1e3; };
  spdlog::debug("latency: per batch ({} batches): read p50 {:.1f} ms, p99 {:.1f} ms; triage p50 {:.1f} ms, p99 {:.1f} "
                "ms; commit p50 {:.1f} ms, p99 {:.1f} ms, p99.9 {:.1f} ms",
                stats.batches.load(), ms(stats.read_seconds, 0.5), ms(stats.read_seconds, 0.99),
                ms(stats.triage_seconds, 0.5), ms(stats.triage_seconds, 0.99), ms(stats.commit_seconds, 0.5),
                ms(stats.commit_seconds, 0.99), ms(stats.commit_seconds, 0.999));
}

int RunRun(const RunOptions& options) {
  RunControl control;
  // Before any other thread exists, so every thread inherits the blocked mask.
  SignalWatcher signal_watcher(control);

  std::optional<core::Config> config = LoadConfigOrReport(options.config, /*with_secrets=*/true);
  if (!config) return kExitBadInput;
  if (options.serve && (options.api_only || config->sources.empty())) {
    if (!options.api_only) spdlog::info("{}: no sources configured: serving the queue only", config->file.string());
    return RunApiOnly(*config, options.listen, control);
  }
  if (config->sources.empty()) {
    spdlog::error("{}: no sources configured: nothing to run", config->file.string());
    return kExitBadInput;
  }
  const int threads = options.threads >= 0 ? options.threads : config->threads;
  std::optional<tbb::global_control> parallelism;
  if (threads > 0) parallelism.emplace(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(threads));

  // The data directory first: a second run is refused before it spends seconds compiling rules,
  // and consumers can open the queue as soon as a run has started.
  std::unique_ptr<store::Store> store = OpenStoreOrReport(*config, /*create_if_missing=*/true);
  if (!store) return kExitFailure;
  std::unique_ptr<RunLock> run_lock = RunLock::Acquire(config->data_dir);
  if (!run_lock) return kExitFailure;

  std::shared_ptr<const matchers::Database> database;
  RuleOptions rule_options;
  for (const auto& path : config->rules) rule_options.paths.push_back(path.string());
  rule_options.cache_dir = options.cache_dir;
  rule_options.no_cache = options.no_cache;
  if (!options.crawl) {
    database = LoadDatabase(rule_options);
    if (!database) return kExitBadInput;
  }

  // queue.kind redis: batches append their cases to the outbox, this drains it to the streams.
  std::unique_ptr<store::RedisPublisher> publisher;
  if (config->queue.kind == core::QueueConfig::Kind::kRedis && !options.crawl) {
    store::RedisOptions redis;
    redis.url = config->queue.redis_url;
    redis.password = config->queue.redis_password;
    redis.stream_prefix = config->queue.redis_stream;
    redis.group = config->queue.redis_group;
    redis.max_stream_length = config->queue.redis_max_length;
    redis.warn = [](std::string_view message) { spdlog::warn("{}", message); };
    redis.info = [](std::string_view message) { spdlog::info("{}", message); };
    core::Result<std::unique_ptr<store::RedisPublisher>> started = store::RedisPublisher::Start(*store, redis);
    if (!started) {
      spdlog::error("{}: {}", config->file.string(), started.error().message());
      return started.error().IsInvalidArgument() ? kExitBadInput : kExitFailure;
    }
    publisher = std::move(*started);
  }

  // One fetcher for every network source, declared before them so it outlives them.
  std::unique_ptr<crawler::Fetcher> fetcher;
  if (std::any_of(config->sources.begin(), config->sources.end(),
                  [](const core::SourceConfig& source) { return crawler::IsNetworkKind(source.kind); })) {
    crawler::FetcherOptions fetcher_options;
    if (!config->http.user_agent.empty()) fetcher_options.user_agent = config->http.user_agent;
    fetcher_options.request_timeout = config->http.timeout;
    fetcher_options.max_attempts = config->http.attempts;
    fetcher_options.backoff_base = config->http.backoff;
    fetcher_options.backoff_cap = config->http.max_backoff;
    // A one-shot run should not sit out an hour-long Retry-After: it reports the source instead.
    if (options.once) fetcher_options.max_retry_wait = std::chrono::seconds(60);
    core::Result<std::unique_ptr<crawler::Fetcher>> started = crawler::Fetcher::Start(fetcher_options);
    if (!started) {
      spdlog::error("starting the HTTP fetcher: {}", started.error().message());
      return kExitFailure;
    }
    fetcher = std::move(*started);
  }

  std::vector<std::unique_ptr<crawler::Source>> sources;
  crawler::SourceOptions source_options;
  source_options.once = options.once;
  source_options.fetcher = fetcher.get();
  source_options.stop = &control.stop;
  for (const core::SourceConfig& source_config : config->sources) {
    std::string cursor;
    core::Status status = store->Read([&](store::Txn& txn) -> core::Status {
      core::Result<std::string> loaded = store::LoadCursor(txn, source_config.id);
      if (!loaded) return loaded.error();
      cursor = std::move(*loaded);
      return core::Status::Ok();
    });
    if (!status.ok()) {
      spdlog::error("source {}: reading its cursor: {}", source_config.id, status.message());
      return kExitFailure;
    }
    std::vector<std::string> warnings;
    core::Result<std::unique_ptr<crawler::Source>> source =
        crawler::MakeSource(source_config, cursor, source_options, warnings);
    for (const std::string& warning : warnings) spdlog::warn("{}", warning);
    if (!source) {
      spdlog::error("{}", source.error().message());
      return source.error().IsInvalidArgument() ? kExitBadInput : kExitFailure;
    }
    sources.push_back(std::move(*source));
  }

  triage::PipelineOptions pipeline_options;
  pipeline_options.batch_size = config->batch_size;
  pipeline_options.case_window_ms = std::chrono::duration_cast<std::chrono::milliseconds>(config->case_window).count();
  pipeline_options.crawl_only = options.crawl;
  if (publisher) {
    pipeline_options.outbox = true;
    pipeline_options.on_outbox = [&publisher] { publisher->Notify(); };
  }
  std::unique_ptr<std::FILE, FileCloser> out_file;
  std::FILE* out = nullptr;
  if (options.crawl) {
    if (options.out == "-") {
      out = stdout;
    } else {
      out_file.reset(std::fopen(options.out.c_str(), "ab"));
      if (!out_file) {
        spdlog::error("--out {}: {}", options.out, std::strerror(errno));
        return kExitFailure;
      }
      out = out_file.get();
    }
  }
  std::unique_ptr<std::FILE, FileCloser> results_file;
  std::FILE* results = nullptr;
  if (options.results == "-") {
    results = stdout;
  } else if (!options.results.empty()) {
    results_file.reset(std::fopen(options.results.c_str(), "ab"));
    if (!results_file) {
      spdlog::error("--results {}: {}", options.results, std::strerror(errno));
      return kExitFailure;
    }
    results = results_file.get();
  }
  LogReporter run_reporter(results);
  CrawlReporter crawl_reporter(out != nullptr ? out : stdout, options.out);
  triage::PipelineReporter& reporter = options.crawl ? static_cast<triage::PipelineReporter&>(crawl_reporter)
                                                     : static_cast<triage::PipelineReporter&>(run_reporter);
  triage::Pipeline pipeline(*store, database, std::move(sources), pipeline_options, reporter);

  // A tailing run picks up rule edits (file change, SIGHUP, POST /rules/reload) without a restart.
  std::unique_ptr<triage::RuleReloader> reloader;
  if (!options.crawl && !options.once) {
    reloader = std::make_unique<triage::RuleReloader>(
        [rule_options] { return CompileRules(rule_options); },
        [&pipeline](std::shared_ptr<const matchers::Database> next) { return pipeline.SwapDatabase(std::move(next)); },
        ReportReload, config->rules, std::chrono::seconds(1), pipeline.rules_generation(),
        database->rules().rules.size());
  }
  ReloadBinding reload_binding(control, reloader.get());

  std::unique_ptr<serve::HttpServer> server;
  if (options.serve) {
    serve::ServeContext context;
    context.store = store.get();
    context.pipeline = &pipeline;
    context.fetcher = fetcher.get();
    context.reloader = reloader.get();
    context.publisher = publisher.get();
    context.redis_queue = config->queue.kind == core::QueueConfig::Kind::kRedis;
    context.redis_stream = config->queue.redis_stream;
    context.started_ms = core::NowMillis();
    server = StartHttpServer(*config, options.listen, context);
    if (!server) return kExitFailure;
  }

  const auto start = std::chrono::steady_clock::now();
  core::Status failure;
  {
    ProgressReporter progress(pipeline, control, options.crawl);
    for (;;) {
      failure = pipeline.RunPass(control.stop, /*ignore_schedule=*/options.once);
      if (!failure.ok() || options.once || control.stop) break;
      const int64_t wait_ms = pipeline.MillisUntilNextPoll();
      if (wait_ms < 0) break;  // every source has ended (stdin closed)
      // A stream (stdin, a pipe) wakes the loop when a line arrives; other sources keep `every`.
      if (!pipeline.WaitForInput(std::chrono::milliseconds(wait_ms), control.stop)) {
        control.SleepFor(std::chrono::milliseconds(std::max<int64_t>(wait_ms, 10)));
      }
      if (control.stop) break;
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const triage::PipelineStats& stats = pipeline.stats();
  if (results != nullptr && (std::fflush(results) != 0 || std::ferror(results))) {
    spdlog::error("--results {}: write failed: {} (the cases themselves are committed)", options.results,
                  std::strerror(errno));
    return kExitFailure;
  }
  const bool outbox_drained = FlushOutbox(publisher.get(), *config, options.once);
  if (!failure.ok()) {
    spdlog::error("{}", failure.message());
    spdlog::error("stopped; everything committed before this error is safe. Committed: {}",
                  Summary(stats, seconds, options.crawl));
    return kExitFailure;
  }
  spdlog::info("{}: {} in {:.2f} s{}", options.crawl ? "crawl" : "run", Summary(stats, seconds, options.crawl),
               seconds, control.stop ? " (stopped by signal)" : "");
  if (fetcher) {
    const crawler::FetcherStats fetched = fetcher->stats();
    spdlog::info("fetch: {} requests, {} responses ({} not modified), {} retries, {} rate-limited, {} transport "
                 "errors, {:.1f} MB",
                 fetched.requests, fetched.responses, fetched.not_modified, fetched.retries, fetched.rate_limited,
                 fetched.transport_errors, static_cast<double>(fetched.bytes) / 1e6);
  }
  const uint64_t batches = std::max<uint64_t>(stats.batches.load(), 1);
  spdlog::debug("store: {} transactions, {:.2f} s applying batches, {:.2f} s in Write including commits; "
                "a batch waited {:.1f} ms on average from being read to being committed",
                stats.batches.load(), static_cast<double>(stats.store_body_us.load()) / 1e6,
                static_cast<double>(stats.store_commit_us.load()) / 1e6,
                static_cast<double>(stats.latency_total_us.load()) / 1e3 / static_cast<double>(batches));
  LogLatency(stats);
  if (options.once && stats.source_errors > 0) {
    spdlog::error("{} source read(s) failed (see above); what was read is committed", stats.source_errors.load());
    return kExitFailure;
  }
  return outbox_drained || !options.once ? kExitOk : kExitFailure;
}

}  // namespace

Runner RegisterRun(CLI::App& app) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* command = app.add_subcommand("run", "Read all configured sources, triage, and queue cases");
  command->add_option("--config", options->config, "Configuration file (DESIGN.md §3.5)")->required();
  command->add_flag("--once", options->once, "Read each source once (a jsonl file: to its end), then exit");
  command->add_option("--threads", options->threads, "Worker threads (default: the config's, else all cores)");
  command->add_option("--cache-dir", options->cache_dir,
                      "Where compiled rule databases are cached (default: ~/.cache/earshot/hs)");
  command->add_flag("--no-cache", options->no_cache, "Always compile the rules; never use the cache");
  command->add_option("--results", options->results,
                      "Also append each new post's triage result, with its case_id, to FILE (- for stdout)");
  command->add_flag("--serve", options->serve, "Also serve the HTTP API and operator console (see `earshot serve`)");
  command->add_option("--listen", options->listen, "With --serve: host:port (default: the config's serve.listen)");
  return [options, command] { return command->parsed() ? RunRun(*options) : -1; };
}

Runner RegisterServe(CLI::App& app) {
  auto options = std::make_shared<RunOptions>();
  options->serve = true;
  CLI::App* command = app.add_subcommand(
      "serve", "Run the engine with its HTTP API and operator console (cases, health, metrics, reload)");
  command->add_option("--config", options->config, "Configuration file (DESIGN.md §3.5)")->required();
  command->add_option("--listen", options->listen, "host:port to listen on (default: the config's serve.listen, "
                                                   "else 127.0.0.1:8080)");
  command->add_flag("--api-only", options->api_only,
                    "Serve the data directory's queue only, beside a separately running `earshot run`");
  command->add_option("--threads", options->threads, "Worker threads (default: the config's, else all cores)");
  command->add_option("--cache-dir", options->cache_dir,
                      "Where compiled rule databases are cached (default: ~/.cache/earshot/hs)");
  command->add_flag("--no-cache", options->no_cache, "Always compile the rules; never use the cache");
  return [options, command] { return command->parsed() ? RunRun(*options) : -1; };
}

Runner RegisterCrawl(CLI::App& app) {
  auto options = std::make_shared<RunOptions>();
  options->crawl = true;
  CLI::App* command = app.add_subcommand("crawl", "Crawl only: append new posts to a file as Post JSONL");
  command->add_option("--config", options->config, "Configuration file (DESIGN.md §3.5)")->required();
  command->add_flag("--once", options->once, "Poll each source once (a jsonl file: to its end), then exit");
  command->add_option("--out", options->out, "Append new posts here (- for stdout)")->required();
  return [options, command] { return command->parsed() ? RunRun(*options) : -1; };
}

}  // namespace earshot::cli
