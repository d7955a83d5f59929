// Test support for process-level tests: earshot children started with fork/exec so the test holds
// their pid; a Child still running when it goes out of scope (a failed assertion returned early)
// is killed and reaped by its destructor.
#ifndef EARSHOT_TESTS_CLI_CHILD_PROCESS_H_
#define EARSHOT_TESTS_CLI_CHILD_PROCESS_H_

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>


extern char** environ;

namespace earshot::test_support {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// No single earshot invocation in this suite should come near this, even under ASan.
inline constexpr auto kProcessTimeout = std::chrono::seconds(60);

inline double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

inline std::string Slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  for (size_t begin = 0, end; begin < text.size(); begin = end + 1) {
    end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    if (end > begin) lines.push_back(text.substr(begin, end - begin));
  }
  return lines;
}

// An owned file descriptor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    Reset(std::exchange(other.fd_, -1));
    return *this;
  }
  ~UniqueFd() { Reset(); }

  int get() const { return fd_; }
  void Reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

struct SpawnOptions {
  fs::path stdout_path;  // required
  fs::path stderr_path;  // required
  // RLIMIT_FSIZE in bytes, with SIGXFSZ ignored, so a write past the limit fails (EFBIG, or a
  // short write) instead of killing the process. An ignored signal stays ignored across exec.
  std::optional<rlim_t> file_size_limit;
  // When >= 0, the child reads one byte from this fd before exec: a starting gate that releases
  // several children at the same moment.
  int gate_fd = -1;
};

// One child process. Move-only; the destructor kills (SIGKILL) and reaps a child that still runs.
// Thread safety: one thread at a time.
class Child {
 public:
  // Starts argv[0] with `argv`, stdin from /dev/null, stdout and stderr to the given files, and
  // XDG_CACHE_HOME set to the suite's shared rule cache.
  static Child Spawn(const std::vector<std::string>& argv, const SpawnOptions& options) {
    // Everything the child needs is prepared before fork: between fork and exec only
    // async-signal-safe calls are allowed.
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    std::vector<std::string> env_strings = {std::string("XDG_CACHE_HOME=") + EARSHOT_TEST_CACHE_DIR};
    for (char** entry = environ; *entry != nullptr; ++entry) {
      if (std::string_view(*entry).starts_with("XDG_CACHE_HOME=")) continue;
      env_strings.emplace_back(*entry);
    }
    std::vector<char*> env;
    for (std::string& entry : env_strings) env.push_back(entry.data());
    env.push_back(nullptr);

    UniqueFd in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    UniqueFd out(::open(options.stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    UniqueFd err(::open(options.stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (in.get() < 0 || out.get() < 0 || err.get() < 0) {
      ADD_FAILURE() << "cannot open the child's stdio files: " << std::strerror(errno);
      return Child(-1, 127 << 8);
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
      ADD_FAILURE() << "fork: " << std::strerror(errno);
      return Child(-1, 127 << 8);
    }
    if (pid == 0) {
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      if (options.gate_fd >= 0) {
        char byte;
        while (::read(options.gate_fd, &byte, 1) < 0 && errno == EINTR) {
        }
      }
      if (options.file_size_limit) {
        const rlimit limit = {*options.file_size_limit, *options.file_size_limit};
        ::signal(SIGXFSZ, SIG_IGN);
        if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(126);
      }
      if (::dup2(in.get(), STDIN_FILENO) < 0 || ::dup2(out.get(), STDOUT_FILENO) < 0 ||
          ::dup2(err.get(), STDERR_FILENO) < 0) {
        ::_exit(126);
      }
      ::execve(args[0], args.data(), env.data());
      static constexpr char kMessage[] = "run_process_test: execve failed\n";
      [[maybe_unused]] ssize_t ignored = ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
      ::_exit(127);
    }
    return Child(pid, std::nullopt);
  }

  Child(Child&& other) noexcept : pid_(std::exchange(other.pid_, -1)), status_(other.status_) {}
  Child& operator=(Child&&) = delete;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0 && !status_) {
      ::kill(pid_, SIGKILL);
      Reap(0);
    }
  }

  pid_t pid() const { return pid_; }

  // Sends `signal` unless the child has been reaped. An exited child that is not reaped yet is a
  // zombie: the signal does nothing and its wait status still says how it ended.
  void Signal(int signal) {
    if (pid_ > 0 && !status_) ::kill(pid_, signal);
  }

  // The wait status once the child has ended; nullopt while it runs.
  std::optional<int> Poll() {
    if (pid_ > 0 && !status_) Reap(WNOHANG);
    return status_;
  }

  // Waits up to `timeout` for the child to end; nullopt if it still runs then.
  std::optional<int> WaitFor(Clock::duration timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!Poll() && Clock::now() < deadline) std::this_thread::sleep_for(milliseconds(2));
    return status_;
  }

 private:
  Child(pid_t pid, std::optional<int> status) : pid_(pid), status_(status) {}

  void Reap(int flags) {
    int status = 0;
    pid_t reaped;
    while ((reaped = ::waitpid(pid_, &status, flags)) < 0 && errno == EINTR) {
    }
    if (reaped == pid_) status_ = status;
  }

  pid_t pid_ = -1;
  std::optional<int> status_;
};

struct Outcome {
  int exit_code = -1;  // -1 when the process did not exit normally
  int signal = 0;      // the signal that ended it, if one did
  std::string out;
  std::string err;
  double seconds = 0;
};

// A started earshot process and where its output goes.
struct Process {
  Child child;
  fs::path out;
  fs::path err;
  Clock::time_point started;
};

}  // namespace earshot::test_support

#endif  // EARSHOT_TESTS_CLI_CHILD_PROCESS_H_
