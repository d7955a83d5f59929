#include "triage/rule_reloader.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <tuple>
#include <utility>

#include "core/time.h"
#include "matchers/rule_loader.h"

namespace earshot::triage {
namespace {

namespace fs = std::filesystem;

// One watched file as the watcher last saw it. A path that is missing or cannot be listed is an
// entry too (with `problem` set), so a rule file appearing or disappearing counts as a change.
struct FileStamp {
  std::string path;
  uintmax_t size = 0;
  int64_t mtime_ns = 0;
  std::string problem;

  bool operator==(const FileStamp&) const = default;
  bool operator<(const FileStamp& other) const {
    return std::tie(path, size, mtime_ns, problem) < std::tie(other.path, other.size, other.mtime_ns, other.problem);
  }
};
using Fingerprint = std::vector<FileStamp>;

void Stamp(const fs::path& file, Fingerprint& out) {
  FileStamp stamp;
  stamp.path = file.string();
  std::error_code error;
  stamp.size = fs::file_size(file, error);
  if (!error) {
    stamp.mtime_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         fs::last_write_time(file, error).time_since_epoch())
                         .count();
  }
  if (error) {
    stamp.size = 0;
    stamp.mtime_ns = 0;
    stamp.problem = error.message();
  }
  out.push_back(std::move(stamp));
}

// The files the loader would read (matchers::ListRuleFiles), so editing a file it ignores reloads
// nothing; a path that cannot be read is part of the fingerprint too.
Fingerprint TakeFingerprint(const std::vector<fs::path>& watched) {
  Fingerprint fingerprint;
  std::string problem;
  for (const fs::path& path : watched) {
    for (const fs::path& file : matchers::ListRuleFiles(path, problem)) Stamp(file, fingerprint);
    if (!problem.empty()) fingerprint.push_back(FileStamp{path.string(), 0, 0, problem});
  }
  std::sort(fingerprint.begin(), fingerprint.end());
  return fingerprint;
}

double MillisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

// Thread safety / invariants:
//  - `reload_mutex` serialises whole reloads (compile, install, record, report), so generations
//    are installed and reported in the order they were compiled.
//  - `state_mutex` guards the outcome counters; it is never held while compiling, so last() and
//    friends answer at once even while a slow compile runs.
//  - `queue_mutex` guards `requests` and `stopping`; the one background thread (the watcher, or
//    the request worker when watching is off) sleeps on `wake` and is the only consumer.
struct RuleReloader::Impl {
  Impl(Compile compile_in, Install install_in, Report report_in, std::vector<fs::path> watched_in,
       std::chrono::milliseconds interval_in)
      : compile(std::move(compile_in)),
        install(std::move(install_in)),
        report(std::move(report_in)),
        watched(std::move(watched_in)),
        interval(interval_in) {}

  ReloadResult Reload(std::string_view trigger);
  void Run(Fingerprint baseline);

  const Compile compile;
  const Install install;
  const Report report;
  const std::vector<fs::path> watched;
  const std::chrono::milliseconds interval;  // zero: no file watching

  std::mutex reload_mutex;

  mutable std::mutex state_mutex;
  ReloadResult last;      // guarded by state_mutex
  uint64_t ok_count = 0;  // guarded by state_mutex
  uint64_t failed_count = 0;

  std::mutex queue_mutex;
  std::condition_variable wake;
  std::deque<std::string> requests;  // guarded by queue_mutex
  bool stopping = false;             // guarded by queue_mutex

  std::thread thread;  // started last, joined first (see ~RuleReloader)
};

ReloadResult RuleReloader::Impl::Reload(std::string_view trigger) {
  std::scoped_lock reload_lock(reload_mutex);
  const auto start = std::chrono::steady_clock::now();
  ReloadResult result;
  {
    std::scoped_lock lock(state_mutex);
    result = last;  // on failure the set in force stays what it was
  }
  result.ok = false;
  result.error.clear();
  result.trigger = std::string(trigger);
  // The callbacks are the caller's code, run on a thread the caller may not own (the watcher);
  // an exception (bad_alloc while compiling, say) must become this reload's failure, not
  // std::terminate.
  try {
    core::Result<std::shared_ptr<const matchers::Database>> compiled = compile();
    result.compile_ms = MillisSince(start);
    if (!compiled) {
      result.error = compiled.error().message();
    } else if (*compiled == nullptr) {
      result.error = "rule reload: the compiler returned no database";
    } else {
      const size_t rules = (*compiled)->rules().rules.size();
      result.generation = install(std::move(*compiled));
      result.rules = rules;
      result.ok = true;
    }
  } catch (const std::exception& error) {
    result.compile_ms = MillisSince(start);
    result.error = std::string("rule reload failed: ") + error.what();
  }
  result.at_ms = core::NowMillis();
  {
    std::scoped_lock lock(state_mutex);
    last = result;
    if (result.ok) {
      ++ok_count;
    } else {
      ++failed_count;
    }
  }
  if (report) {
    try {
      report(result);
    } catch (const std::exception&) {
      // Reporting is logging; a logger that throws must not undo a reload that took effect.
    }
  }
  return result;
}

// The background thread: queued requests first, then (when watching) one look at the rule files
// per interval. A change is acted on only once the files have then stayed as they are for another
// interval, so an editor's save in several writes compiles once, when it is complete.
void RuleReloader::Impl::Run(Fingerprint baseline) {
  const bool watching = interval.count() > 0;
  std::optional<Fingerprint> candidate;  // changed from baseline; reloaded if still so next time
  auto next_look = std::chrono::steady_clock::now() + interval;
  for (;;) {
    std::string trigger;
    {
      std::unique_lock lock(queue_mutex);
      auto ready = [this] { return stopping || !requests.empty(); };
      if (watching) {
        wake.wait_until(lock, next_look, ready);
      } else {
        wake.wait(lock, ready);
      }
      if (stopping) return;
      if (!requests.empty()) {
        trigger = std::move(requests.front());
        requests.pop_front();
      }
    }
    if (!trigger.empty()) {
      Reload(trigger);
      continue;
    }
    if (!watching || std::chrono::steady_clock::now() < next_look) continue;
    next_look = std::chrono::steady_clock::now() + interval;
    Fingerprint now = TakeFingerprint(watched);
    if (now == baseline) {
      candidate.reset();  // changed and changed back: nothing to do
    } else if (candidate && now == *candidate) {
      // Settled. A failed compile also moves the baseline: the same broken files are not
      // recompiled every interval, and the next edit (the fix) is a change again.
      Reload("file change");
      baseline = std::move(now);
      candidate.reset();
    } else {
      candidate = std::move(now);
    }
  }
}

RuleReloader::RuleReloader(Compile compile, Install install, Report report, std::vector<fs::path> watched,
                           std::chrono::milliseconds watch_interval, uint64_t current_generation,
                           size_t current_rules)
    : impl_(std::make_unique<Impl>(std::move(compile), std::move(install), std::move(report), std::move(watched),
                                   std::max(watch_interval, std::chrono::milliseconds(0)))) {
  impl_->last.ok = true;
  impl_->last.generation = current_generation;
  impl_->last.rules = current_rules;
  impl_->last.trigger = "startup";
  impl_->last.at_ms = core::NowMillis();
  // The baseline is taken before returning, so an edit made right after construction is a change.
  Fingerprint baseline = impl_->interval.count() > 0 ? TakeFingerprint(impl_->watched) : Fingerprint();
  impl_->thread = std::thread([impl = impl_.get(), baseline = std::move(baseline)]() mutable {
    impl->Run(std::move(baseline));
  });
}

RuleReloader::~RuleReloader() {
  {
    std::scoped_lock lock(impl_->queue_mutex);
    impl_->stopping = true;
    impl_->requests.clear();  // queued requests are dropped: the engine is going away
  }
  impl_->wake.notify_all();
  impl_->thread.join();  // waits only for a compile already under way
  // A Reload on another thread (the HTTP handler) finishes before the state it uses goes.
  std::scoped_lock wait_for_reload(impl_->reload_mutex);
}

ReloadResult RuleReloader::Reload(std::string_view trigger) { return impl_->Reload(trigger); }

void RuleReloader::RequestReload(std::string_view trigger) {
  {
    std::scoped_lock lock(impl_->queue_mutex);
    if (impl_->stopping) return;
    impl_->requests.emplace_back(trigger.empty() ? "request" : trigger);
  }
  impl_->wake.notify_all();
}

ReloadResult RuleReloader::last() const {
  std::scoped_lock lock(impl_->state_mutex);
  return impl_->last;
}

uint64_t RuleReloader::reloads_ok() const {
  std::scoped_lock lock(impl_->state_mutex);
  return impl_->ok_count;
}

uint64_t RuleReloader::reloads_failed() const {
  std::scoped_lock lock(impl_->state_mutex);
  return impl_->failed_count;
}

}  // namespace earshot::triage
