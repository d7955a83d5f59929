// Test support for the Redis hand-off: a real redis-server child on a loopback port, and a small
// hiredis client to look at what it holds.
//
// A fake would only answer what we expect it to be asked; the point of these tests is that the
// commands Earshot sends are ones Redis accepts (XADD MAXLEN ~, XGROUP CREATE … MKSTREAM, AUTH) and
// that an outage in the middle of a drain loses nothing, which only a server that can really be
// killed shows. Each RedisServer has its own port and directory, so test processes running in
// parallel (ctest -j) never share one. There is no skipping: without /usr/bin/redis-server, Start()
// fails and says how to install it.
//
// Thread safety: one thread at a time per object.
#ifndef EARSHOT_TESTS_SUPPORT_REDIS_SERVER_H_
#define EARSHOT_TESTS_SUPPORT_REDIS_SERVER_H_

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

extern char** environ;

namespace earshot::testing {

inline constexpr const char* kRedisServerBinary = "/usr/bin/redis-server";

struct RedisContextFree {
  void operator()(redisContext* context) const { redisFree(context); }
};
using RedisConnection = std::unique_ptr<redisContext, RedisContextFree>;

struct RedisReplyFree {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using RedisReplyPtr = std::unique_ptr<redisReply, RedisReplyFree>;

// Connects to 127.0.0.1:`port`; null when that fails.
inline RedisConnection ConnectRedis(int port, std::chrono::milliseconds timeout = std::chrono::milliseconds(1000)) {
  const timeval tv = {static_cast<time_t>(timeout.count() / 1000),
                      static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  RedisConnection connection(redisConnectWithTimeout("127.0.0.1", port, tv));
  if (!connection || connection->err != 0) return nullptr;
  redisSetTimeout(connection.get(), tv);
  return connection;
}

// Runs one command (binary-safe arguments); null when the connection failed. An error reply is a
// reply (type REDIS_REPLY_ERROR), for the caller to look at.
inline RedisReplyPtr RedisCommand(redisContext* connection, const std::vector<std::string>& args) {
  if (connection == nullptr) return nullptr;
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const std::string& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  void* reply = redisCommandArgv(connection, static_cast<int>(argv.size()), argv.data(), lengths.data());
  return RedisReplyPtr(static_cast<redisReply*>(reply));
}

struct RedisServerOptions {
  std::string password;  // --requirepass when not empty
  // --appendonly yes --appendfsync always: what Redis acknowledged survives Kill() and Start().
  bool append_only = false;
  // Also listen on dir()/redis.sock (socket_url()).
  bool unix_socket = false;
};

// One redis-server. The constructor only picks a free port and a directory; Start() runs the
// server. The destructor kills it (SIGKILL) and removes the directory.
class RedisServer {
 public:
  explicit RedisServer(RedisServerOptions options = {}) : options_(std::move(options)) {
    std::string pattern = (std::filesystem::temp_directory_path() / "earshot_redis_XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp " << pattern << ": " << std::strerror(errno);
    } else {
      dir_ = pattern;
    }
    port_ = FreePort();
  }
  ~RedisServer() {
    Kill();
    if (!dir_.empty()) {
      std::error_code error;
      std::filesystem::remove_all(dir_, error);
    }
  }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  std::string socket_url() const { return "unix://" + (dir_ / "redis.sock").string(); }
  const std::filesystem::path& dir() const { return dir_; }
  bool running() const { return pid_ > 0; }

  // Starts the server on port() (the same port again after Kill()) and waits until it answers.
  // Use as ASSERT_TRUE(redis.Start()).
  ::testing::AssertionResult Start() {
    if (running()) return ::testing::AssertionFailure() << "redis-server already runs on port " << port_;
    if (::access(kRedisServerBinary, X_OK) != 0) {
      return ::testing::AssertionFailure()
             << kRedisServerBinary << " is missing: scripts/install-deps.sh installs redis-server, which the "
             << "Redis hand-off's integration tests run (apt-get install redis-server)";
    }
    // Another process may take the port between FreePort() and the bind; before the first start
    // nothing depends on the number, so pick another. A restart must keep it.
    const int attempts = started_once_ ? 1 : 3;
    std::string failure;
    for (int attempt = 0; attempt < attempts; ++attempt) {
      if (attempt > 0) port_ = FreePort();
      failure = Spawn();
      if (failure.empty()) failure = WaitUntilAnswering();
      if (failure.empty()) {
        started_once_ = true;
        return ::testing::AssertionSuccess();
      }
      Kill();
    }
    return ::testing::AssertionFailure() << failure << "\n--- " << (dir_ / "redis.log").string() << ":\n" << Log();
  }

  // SIGKILL and reap: no shutdown handshake, no final save, like a crash.
  void Kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }

  // SIGSTOP / SIGCONT: a server that accepts connections (the kernel does) but never answers.
  void Pause() {
    if (pid_ > 0) ::kill(pid_, SIGSTOP);
  }
  void Resume() {
    if (pid_ > 0) ::kill(pid_, SIGCONT);
  }

  // A connection that has already authenticated when the server wants a password.
  RedisConnection Connect() const {
    RedisConnection connection = ConnectRedis(port_);
    if (connection && !options_.password.empty()) {
      RedisReplyPtr reply = RedisCommand(connection.get(), {"AUTH", options_.password});
      if (!reply || reply->type == REDIS_REPLY_ERROR) return nullptr;
    }
    return connection;
  }

  std::string Log() const {
    std::ifstream in(dir_ / "redis.log");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  // A port the kernel just handed out for an ephemeral bind, so nothing listens on it now.
  static int FreePort() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
      port = ntohs(address.sin_port);
    }
    ::close(fd);
    return port;
  }

  // Returns an error message, empty on success.
  std::string Spawn() {
    std::vector<std::string> args = {kRedisServerBinary,
                                     "--port", std::to_string(port_),
                                     "--bind", "127.0.0.1",
                                     "--save", "",
                                     "--appendonly", options_.append_only ? "yes" : "no",
                                     "--dir", dir_.string(),
                                     "--daemonize", "no",
                                     "--logfile", ""};
    if (options_.append_only) args.insert(args.end(), {"--appendfsync", "always"});
    if (!options_.password.empty()) args.insert(args.end(), {"--requirepass", options_.password});
    if (options_.unix_socket) {
      args.insert(args.end(), {"--unixsocket", (dir_ / "redis.sock").string(), "--unixsocketperm", "700"});
    }
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);

    // posix_spawn rather than fork: the test process has threads (the publisher's) by now.
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const std::string log = (dir_ / "redis.log").string();
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    // Signals blocked in the spawning thread would otherwise stay blocked in the server.
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, kRedisServerBinary, &actions, &attributes, argv.data(), environ);
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return std::string("posix_spawn ") + kRedisServerBinary + ": " + std::strerror(rc);
    pid_ = pid;
    return {};
  }

  // Polls with PING until the server answers (NOAUTH counts: it is up), it exits, or 10 s pass.
  std::string WaitUntilAnswering() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return "redis-server on port " + std::to_string(port_) + " exited during startup (wait status " +
               std::to_string(status) + ")";
      }
      if (RedisConnection connection = ConnectRedis(port_, std::chrono::milliseconds(200))) {
        RedisReplyPtr reply = RedisCommand(connection.get(), {"PING"});
        // LOADING: still reading the append-only file back; not ready for commands yet.
        if (reply && !(reply->type == REDIS_REPLY_ERROR && std::string_view(reply->str).starts_with("LOADING"))) {
          return {};
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return "redis-server on port " + std::to_string(port_) + " did not answer PING within 10 s";
  }

  RedisServerOptions options_;
  std::filesystem::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  bool started_once_ = false;
};

}  // namespace earshot::testing

#endif  // EARSHOT_TESTS_SUPPORT_REDIS_SERVER_H_
