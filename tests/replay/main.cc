// earshot-replay: serves the recorded social-API responses on loopback (see README.md).
//
//   earshot-replay [--fixtures DIR] [--port N]... [--listeners K] [--bind ADDR] [--app-password P]
//
// Prints "listening http://ADDR:PORT" per listener (flushed), then serves until SIGINT/SIGTERM.
#include <signal.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "tests/replay/replay_server.h"

namespace {

constexpr std::string_view kUsage =
    "usage: earshot-replay [--fixtures DIR] [--port N]... [--listeners K] [--bind ADDR]\n"
    "                      [--app-password PASSWORD] [--reddit-limit N] [--mastodon-limit N]\n"
    "  --fixtures DIR   recorded responses (default: " EARSHOT_REPLAY_FIXTURES_DIR ")\n"
    "  --port N         one listener per --port (0 = ephemeral; default: one ephemeral port)\n"
    "  --listeners K    K listeners on ephemeral ports (ignored when --port is given)\n"
    "  --bind ADDR      address to bind (default 127.0.0.1)\n";

bool ParseInt(std::string_view text, int& out) {
  try {
    size_t used = 0;
    const int value = std::stoi(std::string(text), &used);
    if (used != text.size()) return false;
    out = value;
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

int main(int argc, char** argv) {
  earshot::replay::ReplayOptions options;
  options.fixtures_dir = EARSHOT_REPLAY_FIXTURES_DIR;
  std::vector<int> ports;
  int listeners = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (i + 1 >= argc) {
      std::cerr << "earshot-replay: " << arg << " needs a value\n" << kUsage;
      return 2;
    }
    const std::string_view value = argv[++i];
    int number = 0;
    if (arg == "--fixtures") {
      options.fixtures_dir = std::string(value);
    } else if (arg == "--bind") {
      options.bind_address = std::string(value);
    } else if (arg == "--app-password") {
      options.app_password = std::string(value);
    } else if (arg == "--port" && ParseInt(value, number) && number >= 0 && number < 65536) {
      ports.push_back(number);
    } else if (arg == "--listeners" && ParseInt(value, number) && number >= 1 && number <= 64) {
      listeners = number;
    } else if (arg == "--reddit-limit" && ParseInt(value, number) && number >= 0) {
      options.reddit_limit = number;
    } else if (arg == "--mastodon-limit" && ParseInt(value, number) && number >= 0) {
      options.mastodon_limit = number;
    } else {
      std::cerr << "earshot-replay: bad argument " << arg << " " << value << "\n" << kUsage;
      return 2;
    }
  }
  options.ports = ports.empty() ? std::vector<int>(static_cast<size_t>(listeners), 0) : ports;

  // Block the signals before any thread starts, so every thread inherits the mask and only
  // sigwait() below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = earshot::replay::ReplayServer::Start(options);
  if (!server) {
    std::cerr << "earshot-replay: " << server.error().ToString() << "\n";
    return 1;
  }
  for (size_t i = 0; i < (*server)->listener_count(); ++i) {
    std::cout << "listening " << (*server)->base_url(i) << "\n";
  }
  std::cout.flush();

  int received = 0;
  sigwait(&signals, &received);
  std::cerr << "earshot-replay: signal " << received << ", stopping\n";
  (*server)->Stop();
  return 0;
}
