// Loopback fixtures shared by the fetcher tests (fetcher_test.cc: transfers, bodies, headers,
// errors, cancellation; fetcher_politeness_test.cc: token bucket, Retry-After, rate-limit headers,
// backoff): a recording cpp-httplib server, a gate that holds handlers back, a raw socket server
// that cuts a body short, a closed port, fast fetcher options and a blocking Fetch.
// Timings are taken where the server sees the requests, as a server would experience them.
#ifndef EARSHOT_TESTS_CRAWLER_FETCHER_TEST_SUPPORT_H_
#define EARSHOT_TESTS_CRAWLER_FETCHER_TEST_SUPPORT_H_

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <ctime>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "crawler/http/fetcher.h"
#include "crawler/internal/fd_handles.h"

namespace earshot::crawler::test_support {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

inline int64_t MillisBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration_cast<milliseconds>(to - from).count();
}

// A cpp-httplib server on 127.0.0.1 and an ephemeral port that records every request it gets.
// Register handlers on http() before Start(): httplib's handler tables are not thread-safe.
class TestServer {
 public:
  struct Hit {
    std::string method;
    std::string path;
    httplib::Headers headers;
    Clock::time_point at;
  };

  TestServer() {
    server_.set_pre_routing_handler([this](const httplib::Request& request, httplib::Response&) {
      std::lock_guard lock(mu_);
      hits_.push_back(Hit{request.method, request.path, request.headers, Clock::now()});
      return httplib::Server::HandlerResponse::Unhandled;
    });
  }
  ~TestServer() { Stop(); }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  httplib::Server& http() { return server_; }

  void Start() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    const auto deadline = Clock::now() + seconds(5);
    while (!server_.is_running() && Clock::now() < deadline)
      std::this_thread::sleep_for(milliseconds(1));
    ASSERT_TRUE(server_.is_running());
  }
  void Stop() {
    if (thread_.joinable()) {
      server_.stop();
      thread_.join();
    }
  }

  std::string Url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  std::vector<Hit> Hits(std::string_view path = "") const {
    std::lock_guard lock(mu_);
    std::vector<Hit> out;
    for (const Hit& hit : hits_) {
      if (path.empty() || hit.path == path) out.push_back(hit);
    }
    return out;
  }
  bool WaitForHits(size_t count, milliseconds timeout = milliseconds(5000)) const {
    const auto deadline = Clock::now() + timeout;
    while (Hits().size() < count) {
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(milliseconds(2));
    }
    return true;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<Hit> hits_;
};

// Holds handlers that must not answer until the test is over. Shared with the handlers so it
// outlives whichever of them wakes last.
class Gate {
 public:
  void Wait(milliseconds limit) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, limit, [this] { return open_; });
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Accepts connections, reads a request, answers "Content-Length: 1000" with 10 bytes and closes.
class TruncatingServer {
 public:
  TruncatingServer() {
    listener_ = internal::UniqueFd(::socket(AF_INET, SOCK_STREAM, 0));
    EXPECT_TRUE(listener_.valid());
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    EXPECT_EQ(::bind(listener_.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    EXPECT_EQ(::listen(listener_.get(), 16), 0);
    socklen_t length = sizeof(address);
    EXPECT_EQ(::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&address), &length), 0);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TruncatingServer() {
    stop_ = true;
    thread_.join();
  }
  TruncatingServer(const TruncatingServer&) = delete;
  TruncatingServer& operator=(const TruncatingServer&) = delete;

  std::string Url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  int accepted() const { return accepted_; }

 private:
  void Serve() {
    while (!stop_) {
      pollfd ready{listener_.get(), POLLIN, 0};
      if (::poll(&ready, 1, 20) <= 0) continue;
      internal::UniqueFd connection(::accept(listener_.get(), nullptr, nullptr));
      if (!connection.valid()) continue;
      ++accepted_;
      std::string request;
      char buffer[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        pollfd in{connection.get(), POLLIN, 0};
        if (::poll(&in, 1, 2000) <= 0) break;
        const ssize_t n = ::read(connection.get(), buffer, sizeof(buffer));
        if (n <= 0) break;
        request.append(buffer, static_cast<size_t>(n));
      }
      constexpr std::string_view kReply =
          "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n0123456789";
      EXPECT_EQ(::send(connection.get(), kReply.data(), kReply.size(), MSG_NOSIGNAL),
                static_cast<ssize_t>(kReply.size()));
    }  // `connection` closes here, 990 bytes short
  }

  internal::UniqueFd listener_;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

// A port on which nothing listens (bound, then closed again).
inline int ClosedPort() {
  internal::UniqueFd fd(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  socklen_t length = sizeof(address);
  EXPECT_EQ(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length), 0);
  return ntohs(address.sin_port);
}

inline FetcherOptions FastOptions() {
  FetcherOptions options;
  options.connect_timeout = milliseconds(2000);
  options.request_timeout = milliseconds(5000);
  options.default_requests_per_minute =
      600'000;  // the bucket stays out of the way unless a test wants it
  options.max_attempts = 3;
  options.backoff_base = milliseconds(20);
  options.backoff_cap = milliseconds(200);
  options.max_retry_wait = milliseconds(10'000);
  options.jitter_seed = 42;
  return options;
}

inline std::unique_ptr<Fetcher> StartFetcher(const FetcherOptions& options) {
  auto fetcher = Fetcher::Start(options);
  EXPECT_TRUE(fetcher.has_value()) << fetcher.error().ToString();
  return std::move(fetcher).value();
}

inline HttpRequest Get(std::string url) {
  HttpRequest request;
  request.url = std::move(url);
  return request;
}

// Submits and waits for the callback (which must come exactly once; a second call would throw
// std::future_error from set_value and abort the test binary).
inline HttpResponse Fetch(Fetcher& fetcher, HttpRequest request,
                   milliseconds timeout = milliseconds(10'000)) {
  auto promise = std::make_shared<std::promise<HttpResponse>>();
  auto future = promise->get_future();
  fetcher.Submit(std::move(request),
                 [promise](HttpResponse response) { promise->set_value(std::move(response)); });
  if (future.wait_for(timeout) != std::future_status::ready) {
    ADD_FAILURE() << "no callback within " << timeout.count() << " ms";
    return HttpResponse{};
  }
  return future.get();
}

inline std::string HttpDate(std::time_t at) {
  std::tm tm{};
  gmtime_r(&at, &tm);
  char text[64];
  std::strftime(text, sizeof(text), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return text;
}

}  // namespace earshot::crawler::test_support

#endif  // EARSHOT_TESTS_CRAWLER_FETCHER_TEST_SUPPORT_H_
