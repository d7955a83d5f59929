// A fixture for tests that start `earshot` processes in a temporary directory and talk to them
// over loopback HTTP: files, processes, the port a server chose, and polling for a condition.
#ifndef EARSHOT_TESTS_CLI_EARSHOT_PROCESS_H_
#define EARSHOT_TESTS_CLI_EARSHOT_PROCESS_H_

#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tests/cli/child_process.h"

namespace earshot::test_support {

class EarshotProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("earshot_proc_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }


  // `name` is relative to the test's directory (an absolute path stays as it is).
  fs::path Write(const fs::path& name, const std::string& content) {
    const fs::path path = dir_ / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  void Append(const fs::path& name, const std::string& content) {
    std::ofstream(dir_ / name, std::ios::binary | std::ios::app) << content;
  }

  static std::string CacheDir() { return std::string(EARSHOT_TEST_CACHE_DIR) + "/earshot/hs"; }

  // Starts `earshot ARGS`; its stdout and stderr go to fresh files in the test's directory.
  Process Start(const std::vector<std::string>& args, SpawnOptions options = {}) {
    const std::string stem = "proc" + std::to_string(++processes_);
    options.stdout_path = dir_ / (stem + ".out");
    options.stderr_path = dir_ / (stem + ".err");
    std::vector<std::string> argv = {EARSHOT_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    return Process{Child::Spawn(argv, options), options.stdout_path, options.stderr_path, Clock::now()};
  }

  // Waits for `process` (killing it after `timeout`, which fails the test) and collects its output.
  static Outcome Finish(Process& process, Clock::duration timeout = kProcessTimeout) {
    std::optional<int> status = process.child.WaitFor(timeout);
    if (!status) {
      ADD_FAILURE() << "pid " << process.child.pid() << " still running after the timeout; killed";
      process.child.Signal(SIGKILL);
      status = process.child.WaitFor(std::chrono::seconds(10));
    }
    Outcome outcome;
    outcome.seconds = SecondsSince(process.started);
    if (status && WIFEXITED(*status)) outcome.exit_code = WEXITSTATUS(*status);
    if (status && WIFSIGNALED(*status)) outcome.signal = WTERMSIG(*status);
    outcome.out = Slurp(process.out);
    outcome.err = Slurp(process.err);
    return outcome;
  }

  Outcome Earshot(const std::vector<std::string>& args, SpawnOptions options = {}) {
    Process process = Start(args, std::move(options));
    return Finish(process);
  }

  // Polls `condition` every 50 ms until it holds or `timeout` passes.
  static bool Eventually(const std::function<bool()>& condition,
                         std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (condition()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return condition();
  }

  // The port a server started with --listen …:0 announced ("serving … on http://host:PORT/"),
  // or 0 if it exited or did not announce one within 30 s.
  static int WaitForPort(Process& process) {
    static const std::regex kServing(R"(serving the API and console on http://[^ ]*:(\d+)/)");
    int port = 0;
    Eventually(
        [&] {
          std::smatch match;
          const std::string err = Slurp(process.err);
          if (std::regex_search(err, match, kServing)) port = std::stoi(match[1].str());
          return port > 0 || process.child.Poll().has_value();
        },
        std::chrono::seconds(30));
    return port;
  }

  // The value of one sample of GET /metrics, named with its labels exactly as exposed
  // ("earshot_posts_total{outcome=\"new\"}"); -1 when absent or unreachable.
  static double MetricValue(httplib::Client& client, const std::string& sample,
                            const httplib::Headers& headers = {}) {
    httplib::Result response = client.Get("/metrics", headers);
    if (!response || response->status != 200) return -1;
    for (const std::string& line : Lines(response->body)) {
      if (line.size() > sample.size() && line.compare(0, sample.size(), sample) == 0 && line[sample.size()] == ' ') {
        return std::strtod(line.c_str() + sample.size() + 1, nullptr);
      }
    }
    return -1;
  }

  fs::path dir_;

 private:
  int processes_ = 0;
};

}  // namespace earshot::test_support

#endif  // EARSHOT_TESTS_CLI_EARSHOT_PROCESS_H_
