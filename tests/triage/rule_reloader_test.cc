// RuleReloader: synchronous and queued reloads, failures that keep the running rules, serialised
// compiles, and the debounced file watcher. Most tests inject a fake Compile/Install to control
// timing and outcomes; one runs the real loader and Hyperscan on a rule file that breaks and heals.
#include "triage/rule_reloader.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "matchers/database.h"
#include "matchers/rule_loader.h"
#include "tests/store/temp_dir.h"
#include "tests/triage/test_rules.h"

namespace earshot::triage {
namespace {

using namespace std::chrono_literals;

using store::TempDir;  // a fresh directory per test, removed with it

void WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Collects Report calls, which come from whichever thread reloaded.
class Reports {
 public:
  RuleReloader::Report Callback() {
    return [this](const ReloadResult& result) {
      {
        std::scoped_lock lock(mutex_);
        results_.push_back(result);
      }
      changed_.notify_all();
    };
  }
  // Waits until at least `count` reports arrived or `timeout` passed; returns them all.
  std::vector<ReloadResult> WaitFor(size_t count, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return results_.size() >= count; });
    return results_;
  }
  std::vector<ReloadResult> Now() {
    std::scoped_lock lock(mutex_);
    return results_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<ReloadResult> results_;
};

// Stands in for Pipeline::SwapDatabase: numbers the installed sets from `first + 1`.
struct FakeInstall {
  std::atomic<uint64_t> generation;
  std::atomic<int> calls{0};
  explicit FakeInstall(uint64_t first = 1) : generation(first) {}
  RuleReloader::Install Callback() {
    return [this](std::shared_ptr<const matchers::Database>) {
      ++calls;
      return ++generation;
    };
  }
};

RuleReloader::Compile CompileTestRules() {
  return []() -> core::Result<std::shared_ptr<const matchers::Database>> { return testing::BuildTestDatabase(); };
}

size_t TestRuleCount() { return testing::BuildTestDatabase()->rules().rules.size(); }

TEST(RuleReloader, ReloadInstallsANewGeneration) {
  FakeInstall install;
  Reports reports;
  RuleReloader reloader(CompileTestRules(), install.Callback(), reports.Callback(), {}, 0ms, 1, 3);
  EXPECT_TRUE(reloader.last().ok);
  EXPECT_EQ(reloader.last().generation, 1u);
  EXPECT_EQ(reloader.last().rules, 3u);

  const ReloadResult first = reloader.Reload("http");
  EXPECT_TRUE(first.ok) << first.error;
  EXPECT_EQ(first.generation, 2u);
  EXPECT_EQ(first.rules, TestRuleCount());
  EXPECT_EQ(first.trigger, "http");
  EXPECT_EQ(first.error, "");
  EXPECT_GT(first.at_ms, 0);
  EXPECT_GE(first.compile_ms, 0);
  const ReloadResult second = reloader.Reload("SIGHUP");
  EXPECT_EQ(second.generation, 3u);
  EXPECT_EQ(install.calls.load(), 2);
  EXPECT_EQ(reloader.last().generation, 3u);
  EXPECT_EQ(reloader.last().trigger, "SIGHUP");
  EXPECT_EQ(reloader.reloads_ok(), 2u);
  EXPECT_EQ(reloader.reloads_failed(), 0u);
  const std::vector<ReloadResult> reported = reports.Now();
  ASSERT_EQ(reported.size(), 2u);
  EXPECT_EQ(reported[0].generation, 2u);
  EXPECT_EQ(reported[1].generation, 3u);
}

TEST(RuleReloader, FailedCompileKeepsTheRunningGeneration) {
  FakeInstall install(4);
  Reports reports;
  const std::string diagnostics =
      "rules/a.yaml:3:15: rule 'x.y': unknown category 'biling'\nrules/b.yaml:7:5: YAML syntax error";
  bool broken = false;
  RuleReloader::Compile compile = [&]() -> core::Result<std::shared_ptr<const matchers::Database>> {
    if (broken) return core::Status::InvalidArgument(diagnostics);
    return testing::BuildTestDatabase();
  };
  RuleReloader reloader(compile, install.Callback(), reports.Callback(), {}, 0ms, 4, 7);
  ASSERT_TRUE(reloader.Reload("http").ok);
  ASSERT_EQ(reloader.last().generation, 5u);

  broken = true;
  const ReloadResult failed = reloader.Reload("http");
  EXPECT_FALSE(failed.ok);
  EXPECT_EQ(failed.error, diagnostics);
  EXPECT_EQ(failed.generation, 5u);  // still the one in force
  EXPECT_EQ(failed.rules, TestRuleCount());
  EXPECT_EQ(install.calls.load(), 1);
  EXPECT_FALSE(reloader.last().ok);
  EXPECT_EQ(reloader.last().generation, 5u);
  EXPECT_EQ(reloader.reloads_ok(), 1u);
  EXPECT_EQ(reloader.reloads_failed(), 1u);
  const std::vector<ReloadResult> reported = reports.Now();
  ASSERT_EQ(reported.size(), 2u);
  EXPECT_FALSE(reported[1].ok);
  EXPECT_EQ(reported[1].error, diagnostics);

  broken = false;
  EXPECT_EQ(reloader.Reload("http").generation, 6u);
}

TEST(RuleReloader, ACompilerThatThrowsIsAFailedReloadNotACrash) {
  FakeInstall install;
  Reports reports;
  RuleReloader::Compile compile = []() -> core::Result<std::shared_ptr<const matchers::Database>> {
    throw std::bad_alloc();
  };
  RuleReloader reloader(compile, install.Callback(), reports.Callback(), {}, 0ms, 1, 3);
  reloader.RequestReload("SIGHUP");  // on the background thread, where an escape would terminate
  const std::vector<ReloadResult> reported = reports.WaitFor(1);
  ASSERT_EQ(reported.size(), 1u);
  EXPECT_FALSE(reported[0].ok);
  EXPECT_NE(reported[0].error.find("bad_alloc"), std::string::npos) << reported[0].error;
  EXPECT_EQ(reported[0].generation, 1u);
}

// RequestReload returns before the compile starts and the compile runs on another thread; the
// caller (a signal handler's thread) never waits for Hyperscan.
TEST(RuleReloader, RequestReloadIsAsynchronous) {
  FakeInstall install;
  Reports reports;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> compiling{false};
  std::thread::id compiled_on;
  RuleReloader::Compile compile = [&]() -> core::Result<std::shared_ptr<const matchers::Database>> {
    compiled_on = std::this_thread::get_id();
    compiling = true;
    released.wait_for(5s);  // bounded, so a reloader that compiles on the caller fails, not hangs
    return testing::BuildTestDatabase();
  };
  RuleReloader reloader(compile, install.Callback(), reports.Callback(), {}, 0ms, 1, 3);
  const auto start = std::chrono::steady_clock::now();
  reloader.RequestReload("SIGHUP");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_TRUE(reports.Now().empty());  // the compile is held, so nothing can have been reported
  for (int i = 0; i < 500 && !compiling; ++i) std::this_thread::sleep_for(1ms);
  EXPECT_TRUE(compiling.load());
  EXPECT_EQ(reloader.last().generation, 1u);  // not installed while compiling
  release.set_value();
  const std::vector<ReloadResult> reported = reports.WaitFor(1);
  ASSERT_EQ(reported.size(), 1u);
  EXPECT_TRUE(reported[0].ok);
  EXPECT_EQ(reported[0].trigger, "SIGHUP");
  EXPECT_EQ(reported[0].generation, 2u);
  EXPECT_NE(compiled_on, std::this_thread::get_id());
}

// Reloads are serialised: however many threads trigger at once, one compile runs at a time, each
// trigger gets its own compile, and the generations come out distinct and in report order.
TEST(RuleReloader, ConcurrentReloadsCompileOneAtATime) {
  FakeInstall install;
  Reports reports;
  std::atomic<int> inside{0};
  std::atomic<int> most_inside{0};
  RuleReloader::Compile compile = [&]() -> core::Result<std::shared_ptr<const matchers::Database>> {
    const int now = ++inside;
    int seen = most_inside.load();
    while (now > seen && !most_inside.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(5ms);  // long enough for the others to pile up
    --inside;
    return testing::BuildTestDatabase();
  };
  RuleReloader reloader(compile, install.Callback(), reports.Callback(), {}, 0ms, 1, 3);
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) threads.emplace_back([&] { EXPECT_TRUE(reloader.Reload("http").ok); });
  reloader.RequestReload("SIGHUP");
  for (std::thread& thread : threads) thread.join();
  const std::vector<ReloadResult> reported = reports.WaitFor(kThreads + 1);
  ASSERT_EQ(reported.size(), kThreads + 1u);
  EXPECT_EQ(most_inside.load(), 1);
  for (size_t i = 0; i < reported.size(); ++i) EXPECT_EQ(reported[i].generation, i + 2);
  EXPECT_EQ(reloader.reloads_ok(), kThreads + 1u);
}

// The watcher: an edit written in several quick steps (as an editor or `cp` may) compiles once,
// after it settled, and what it compiled is the finished file. Files the loader would not read
// (other extensions, testdata/, dot-folders) trigger nothing.
TEST(RuleReloader, WatcherReloadsOnceAfterAnEditSettles) {
  TempDir dir;
  const std::filesystem::path rules = dir.path() / "rules";
  const std::filesystem::path file = rules / "brands" / "acme.yaml";
  WriteFile(file, "brands: []\n");
  FakeInstall install;
  Reports reports;
  std::mutex compiled_mutex;
  std::vector<std::string> compiled;  // the file as each compile saw it
  RuleReloader::Compile compile = [&]() -> core::Result<std::shared_ptr<const matchers::Database>> {
    {
      std::scoped_lock lock(compiled_mutex);
      compiled.push_back(ReadFile(file));
    }
    return testing::BuildTestDatabase();
  };
  constexpr auto kInterval = 150ms;
  RuleReloader reloader(compile, install.Callback(), reports.Callback(), {rules}, kInterval, 1, 0);

  // Ignored: not rule files, or in folders the loader skips.
  WriteFile(rules / "notes.txt", "todo");
  WriteFile(rules / "testdata" / "bad" / "broken.yaml", "brands: [");
  WriteFile(rules / ".git" / "HEAD.yaml", "ref: x");
  std::this_thread::sleep_for(kInterval * 4);
  EXPECT_TRUE(reports.Now().empty());

  const std::string final_text = "brands:\n  - id: acme\n    patterns: ['\\bacme\\b']\n";
  WriteFile(file, "brands:\n");
  std::this_thread::sleep_for(kInterval / 10);
  WriteFile(file, "brands:\n  - id: acme\n");
  std::this_thread::sleep_for(kInterval / 10);
  WriteFile(file, final_text);
  std::vector<ReloadResult> reported = reports.WaitFor(1);
  ASSERT_EQ(reported.size(), 1u) << "no reload within 5 s of the edit";
  EXPECT_TRUE(reported[0].ok);
  EXPECT_EQ(reported[0].trigger, "file change");
  std::this_thread::sleep_for(kInterval * 5);
  reported = reports.Now();
  EXPECT_EQ(reported.size(), 1u);
  {
    std::scoped_lock lock(compiled_mutex);
    ASSERT_EQ(compiled.size(), 1u);
    EXPECT_EQ(compiled[0], final_text);
  }

  // A new rule file in the folder is a change too; so is removing one.
  WriteFile(rules / "complaints.yml", "complaints: []\n");
  EXPECT_EQ(reports.WaitFor(2).size(), 2u);
  std::filesystem::remove(rules / "complaints.yml");
  EXPECT_EQ(reports.WaitFor(3).size(), 3u);
  EXPECT_EQ(reloader.last().generation, 4u);
}

// A watched file saved broken is reported and the running rules stay; saving it fixed reloads.
TEST(RuleReloader, WatcherReportsABrokenSaveAndKeepsTheRules) {
  TempDir dir;
  const std::filesystem::path file = dir.path() / "rules.yaml";
  WriteFile(file, "good v1\n");
  FakeInstall install;
  Reports reports;
  RuleReloader::Compile compile = [&]() -> core::Result<std::shared_ptr<const matchers::Database>> {
    const std::string text = ReadFile(file);
    if (text.find("broken") != std::string::npos) {
      return core::Status::InvalidArgument(file.string() + ":1:1: YAML syntax error");
    }
    return testing::BuildTestDatabase();
  };
  RuleReloader reloader(compile, install.Callback(), reports.Callback(), {file}, 50ms, 1, 3);

  WriteFile(file, "broken rules!\n");
  std::vector<ReloadResult> reported = reports.WaitFor(1);
  ASSERT_EQ(reported.size(), 1u);
  EXPECT_FALSE(reported[0].ok);
  EXPECT_EQ(reported[0].error, file.string() + ":1:1: YAML syntax error");
  EXPECT_EQ(reported[0].generation, 1u);
  EXPECT_EQ(reported[0].rules, 3u);
  EXPECT_EQ(install.calls.load(), 0);
  std::this_thread::sleep_for(250ms);  // the same broken file is not recompiled every interval
  EXPECT_EQ(reports.Now().size(), 1u);

  WriteFile(file, "good v2, longer\n");
  reported = reports.WaitFor(2);
  ASSERT_EQ(reported.size(), 2u);
  EXPECT_TRUE(reported[1].ok);
  EXPECT_EQ(reported[1].generation, 2u);
  EXPECT_EQ(reloader.reloads_failed(), 1u);
  EXPECT_EQ(reloader.reloads_ok(), 1u);
}

// With the real loader and compiler: a pattern Hyperscan rejects is reported at its file:line and
// nothing is installed; the fixed file installs a set that has the new rule.
TEST(RuleReloader, RealRulesBreakAndHeal) {
  TempDir dir;
  const std::filesystem::path file = dir.path() / "rules" / "acme.yaml";
  const std::string good =
      "brands:\n"
      "  - id: acme\n"
      "    patterns: ['\\bacme\\b']\n"
      "complaints:\n"
      "  - id: outage.down\n"
      "    category: outage\n"
      "    patterns: ['\\bsite is down\\b']\n";
  WriteFile(file, good);
  RuleReloader::Compile compile = [&]() -> core::Result<std::shared_ptr<const matchers::Database>> {
    matchers::LoadOutcome loaded = matchers::LoadRules({dir.path() / "rules"});
    std::vector<matchers::Diagnostic> diagnostics = std::move(loaded.diagnostics);
    std::shared_ptr<const matchers::Database> database;
    if (diagnostics.empty()) {
      core::Result<std::shared_ptr<const matchers::Database>> built =
          matchers::Database::Build(std::move(loaded.rules), {}, diagnostics);
      if (built) database = std::move(*built);
    }
    if (!diagnostics.empty() || database == nullptr) {
      std::string text;
      for (const matchers::Diagnostic& diagnostic : diagnostics) text += diagnostic.ToString() + "\n";
      if (!text.empty()) text.pop_back();
      return core::Status::InvalidArgument(text.empty() ? "rules did not compile" : text);
    }
    return database;
  };
  std::shared_ptr<const matchers::Database> installed;
  uint64_t generation = 1;
  RuleReloader::Install install = [&](std::shared_ptr<const matchers::Database> database) {
    installed = std::move(database);
    return ++generation;
  };
  RuleReloader reloader(compile, install, {}, {}, 0ms, 1, 0);

  ReloadResult result = reloader.Reload("http");
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.rules, 2u);
  ASSERT_NE(installed, nullptr);
  const std::shared_ptr<const matchers::Database> first = installed;

  // Line 7: an unbalanced parenthesis, which only Hyperscan rejects.
  WriteFile(file, good.substr(0, good.rfind("    patterns")) + "    patterns: ['\\bsite is (down\\b']\n");
  result = reloader.Reload("http");
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("acme.yaml:7:"), std::string::npos) << result.error;
  EXPECT_NE(result.error.find("outage.down"), std::string::npos) << result.error;
  EXPECT_EQ(result.generation, 2u);
  EXPECT_EQ(installed, first);

  WriteFile(file, good +
                      "  - id: billing.twice\n"
                      "    category: billing\n"
                      "    patterns: ['\\bcharged twice\\b']\n");
  result = reloader.Reload("http");
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.generation, 3u);
  EXPECT_EQ(result.rules, 3u);
  ASSERT_NE(installed, first);
  EXPECT_EQ(installed->rules().rules.back().id, "billing.twice");
}

TEST(RuleReloader, DestructorReturnsPromptly) {
  TempDir dir;
  FakeInstall install;
  Reports reports;
  const auto start = std::chrono::steady_clock::now();
  {
    // A long interval: the watcher is asleep for the whole test unless told to stop.
    RuleReloader reloader(CompileTestRules(), install.Callback(), reports.Callback(), {dir.path()}, 1h, 1, 3);
    RuleReloader idle(CompileTestRules(), install.Callback(), reports.Callback(), {}, 0ms, 1, 3);
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_TRUE(reports.Now().empty());
}

}  // namespace
}  // namespace earshot::triage
