// RunControl and SignalWatcher: how a long-running command (`earshot run`, `crawl`, `serve`) is
// asked to stop or to reload its rules.
//
// Signals are taken by a dedicated thread with sigwait, so no handler and no global flag is
// involved. SIGINT/SIGTERM: finish the batches in flight, then exit; a second one exits at once
// (still safe: LMDB commits are atomic). SIGHUP: reload the rule files (RunControl::SetReload);
// the reload runs on its own thread, so the watcher is never blocked by a compile.
#ifndef EARSHOT_CLI_RUN_CONTROL_H_
#define EARSHOT_CLI_RUN_CONTROL_H_

#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <thread>

namespace earshot::cli {

// Shared between the main thread, the signal thread and the progress thread.
struct RunControl {
  std::atomic<bool> stop{false};
  std::atomic<bool> finished{false};
  std::mutex mutex;
  std::condition_variable wake;

  void RequestStop() {
    {
      std::scoped_lock lock(mutex);
      stop = true;
    }
    wake.notify_all();
  }
  // Sleeps up to `duration`, returning early when stop is requested.
  void SleepFor(std::chrono::milliseconds duration) {
    std::unique_lock lock(mutex);
    wake.wait_for(lock, duration, [this] { return stop.load() || finished.load(); });
  }

  // What SIGHUP does; empty: it is reported and ignored (nothing to reload).
  void SetReload(std::function<void()> reload) {
    std::scoped_lock lock(reload_mutex);
    on_reload = std::move(reload);
  }
  void Reload() {
    std::scoped_lock lock(reload_mutex);
    if (on_reload) {
      on_reload();
    } else {
      spdlog::warn("SIGHUP: this command has no rules to reload; ignored");
    }
  }

 private:
  std::mutex reload_mutex;
  std::function<void()> on_reload;
};

// Waits for SIGINT/SIGTERM/SIGHUP (blocked in every thread before any was started, which is why
// it must be constructed before any other thread); SIGUSR1 is how the destructor wakes it to exit.
class SignalWatcher {
 public:
  explicit SignalWatcher(RunControl& control) : control_(control) {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGTERM);
    sigaddset(&signals_, SIGHUP);
    sigaddset(&signals_, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
    thread_ = std::thread([this] { Watch(); });
  }
  ~SignalWatcher() {
    control_.finished = true;
    pthread_kill(thread_.native_handle(), SIGUSR1);
    thread_.join();
  }
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

 private:
  void Watch() {
    int received = 0;
    while (sigwait(&signals_, &received) == 0) {
      if (control_.finished) return;
      if (received == SIGUSR1) continue;
      if (received == SIGHUP) {
        control_.Reload();
        continue;
      }
      if (control_.stop) {
        // The second signal: the operator means it. Nothing committed is at risk.
        static constexpr char kMessage[] = "\nearshot: stopping now\n";
        [[maybe_unused]] ssize_t ignored = write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
        std::_Exit(130);
      }
      spdlog::info("{}: finishing the batches in flight, then exiting (signal again to exit now)",
                   received == SIGINT ? "SIGINT" : "SIGTERM");
      control_.RequestStop();
    }
  }

  RunControl& control_;
  sigset_t signals_;
  std::thread thread_;
};

}  // namespace earshot::cli

#endif  // EARSHOT_CLI_RUN_CONTROL_H_
