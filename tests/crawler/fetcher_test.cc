// The fetcher against real loopback servers: cpp-httplib for HTTP, and a tiny raw socket server
// for a body cut short. Timings are measured where the server sees the requests, so the
// politeness rules (token bucket, Retry-After, rate-limit headers, backoff) are checked as a
// server would experience them. Backoff bases are a few tens of milliseconds to keep the file fast.
#include "crawler/http/fetcher.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/time.h"
#include "crawler/internal/fd_handles.h"

namespace earshot::crawler {
namespace {

using ::testing::AnyOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;
using ::testing::StartsWith;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

int64_t MillisBetween(Clock::time_point from, Clock::time_point to) {
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
int ClosedPort() {
  internal::UniqueFd fd(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  socklen_t length = sizeof(address);
  EXPECT_EQ(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length), 0);
  return ntohs(address.sin_port);
}

FetcherOptions FastOptions() {
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

std::unique_ptr<Fetcher> StartFetcher(const FetcherOptions& options) {
  auto fetcher = Fetcher::Start(options);
  EXPECT_TRUE(fetcher.has_value()) << fetcher.error().ToString();
  return std::move(fetcher).value();
}

HttpRequest Get(std::string url) {
  HttpRequest request;
  request.url = std::move(url);
  return request;
}

// Submits and waits for the callback (which must come exactly once; a second call would throw
// std::future_error from set_value and abort the test binary).
HttpResponse Fetch(Fetcher& fetcher, HttpRequest request,
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

std::string HttpDate(std::time_t at) {
  std::tm tm{};
  gmtime_r(&at, &tm);
  char text[64];
  std::strftime(text, sizeof(text), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return text;
}

TEST(FetcherHostKeyTest, FillsDefaultPortsAndLowercases) {
  EXPECT_EQ(Fetcher::HostKey("HTTPS://Example.COM/a?b=c"), "https://example.com:443");
  EXPECT_EQ(Fetcher::HostKey("http://example.com/"), "http://example.com:80");
  EXPECT_EQ(Fetcher::HostKey("http://127.0.0.1:8080/x"), "http://127.0.0.1:8080");
  EXPECT_EQ(Fetcher::HostKey("https://mastodon.social:443/api"), "https://mastodon.social:443");
  EXPECT_EQ(Fetcher::HostKey("not a url"), "");
  EXPECT_EQ(Fetcher::HostKey(""), "");
}

TEST(FetcherTest, OkResponseWithBodyAndLowercasedHeaders) {
  TestServer server;
  server.http().Get("/hello", [](const httplib::Request&, httplib::Response& response) {
    response.set_header("X-Custom-Header", "  some value  ");
    response.set_content("hello world", "text/plain");
  });
  server.Start();
  auto fetcher = StartFetcher(FastOptions());

  const HttpResponse response = Fetch(*fetcher, Get(server.Url("/hello")));
  EXPECT_TRUE(response.transport.ok()) << response.transport.ToString();
  EXPECT_TRUE(response.ok());
  EXPECT_EQ(response.code, 200);
  EXPECT_EQ(response.body, "hello world");
  EXPECT_EQ(response.attempts, 1);
  EXPECT_EQ(response.url, server.Url("/hello"));
  EXPECT_EQ(response.Header("x-custom-header"), "some value");
  EXPECT_EQ(response.Header("content-type"), "text/plain");
  EXPECT_THAT(response.headers, Contains(Pair("x-custom-header", "some value")));
  for (const auto& [name, value] : response.headers) {
    EXPECT_TRUE(std::none_of(name.begin(), name.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
        << name;
  }
  const auto hits = server.Hits("/hello");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].headers.find("User-Agent")->second, FetcherOptions{}.user_agent);

  const FetcherStats stats = fetcher->stats();
  EXPECT_EQ(stats.requests, 1u);
  EXPECT_EQ(stats.responses, 1u);
  EXPECT_EQ(stats.retries, 0u);
  EXPECT_EQ(stats.bytes, 11u);
  const auto hosts = fetcher->hosts();
  ASSERT_EQ(hosts.size(), 1u);
  EXPECT_EQ(hosts[0].host, Fetcher::HostKey(server.Url("/")));
  EXPECT_EQ(hosts[0].requests, 1u);
  EXPECT_EQ(hosts[0].in_flight, 0u);
}

TEST(FetcherTest, DecodesCompressedBodies) {
  // "hello gzip world, " × 40, gzip-compressed by Python's gzip module.
  static constexpr unsigned char kGzip[] = {
      0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xcb, 0x48, 0xcd, 0xc9, 0xc9,
      0x57, 0x48, 0xaf, 0xca, 0x2c, 0x50, 0x28, 0xcf, 0x2f, 0xca, 0x49, 0xd1, 0x51, 0xc8, 0x18,
      0x15, 0x19, 0x15, 0x19, 0xb2, 0x22, 0x00, 0xef, 0x79, 0x00, 0x95, 0xd0, 0x02, 0x00, 0x00};
  std::string expected;
  for (int i = 0; i < 40; ++i) expected += "hello gzip world, ";
  const std::string big(20'000, 'a');

  TestServer server;
  server.http().Get("/pregzipped", [](const httplib::Request&, httplib::Response& response) {
    response.set_header("Content-Encoding", "gzip");
    // Not a compressible type, so httplib sends these bytes as they are.
    response.set_content(std::string(reinterpret_cast<const char*>(kGzip), sizeof(kGzip)),
                         "application/octet-stream");
  });
  server.http().Get("/auto", [&big](const httplib::Request&, httplib::Response& response) {
    response.set_content(big, "text/plain");  // httplib compresses for a client that accepts it
  });
  server.Start();
  auto fetcher = StartFetcher(FastOptions());

  const HttpResponse pregzipped = Fetch(*fetcher, Get(server.Url("/pregzipped")));
  EXPECT_TRUE(pregzipped.ok()) << pregzipped.transport.ToString();
  EXPECT_EQ(pregzipped.Header("content-encoding"), "gzip");
  EXPECT_EQ(pregzipped.body, expected);

  const HttpResponse automatic = Fetch(*fetcher, Get(server.Url("/auto")));
  EXPECT_TRUE(automatic.ok()) << automatic.transport.ToString();
  EXPECT_THAT(std::string(automatic.Header("content-encoding")),
              AnyOf("gzip", "br", "deflate", "zstd"));
  EXPECT_LT(std::stoul(std::string(automatic.Header("content-length"))), big.size());
  EXPECT_EQ(automatic.body, big);
  const auto hits = server.Hits("/auto");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_THAT(hits[0].headers.find("Accept-Encoding")->second, HasSubstr("gzip"));
  EXPECT_EQ(fetcher->stats().bytes, expected.size() + big.size());  // decoded bytes
}

TEST(FetcherTest, PostSendsBodyAndHeaders) {
  TestServer server;
  std::mutex mu;
  std::string received;  // the pre-routing hook runs before httplib reads a body
  server.http().Post("/submit", [&](const httplib::Request& request, httplib::Response& response) {
    std::lock_guard lock(mu);
    received = request.body;
    response.set_content("ok", "text/plain");
  });
  server.Start();
  auto fetcher = StartFetcher(FastOptions());

  HttpRequest request;
  request.method = "POST";
  request.url = server.Url("/submit");
  request.headers = {{"Content-Type", "application/json"}, {"X-Api-Key", "k-123"}, {"X-Empty", ""}};
  request.body = R"({"q":"outage"})";
  const HttpResponse response = Fetch(*fetcher, request);
  EXPECT_TRUE(response.ok()) << response.transport.ToString();
  EXPECT_EQ(response.body, "ok");

  const auto hits = server.Hits("/submit");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].method, "POST");
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(received, R"({"q":"outage"})");
  }
  EXPECT_EQ(hits[0].headers.find("Content-Type")->second, "application/json");
  EXPECT_EQ(hits[0].headers.find("X-Api-Key")->second, "k-123");
  // (An empty-valued header goes out as "X-Empty:", which httplib drops; it must not break the
  // request, which the checks above show.)
}

TEST(FetcherTest, NotModifiedIsCounted) {
  TestServer server;
  server.http().Get("/etag", [](const httplib::Request& request, httplib::Response& response) {
    if (request.get_header_value("If-None-Match") == "\"v1\"") {
      response.status = 304;
      return;
    }
    response.set_header("ETag", "\"v1\"");
    response.set_content("fresh", "text/plain");
  });
  server.Start();
  auto fetcher = StartFetcher(FastOptions());

  HttpRequest request = Get(server.Url("/etag"));
  const HttpResponse first = Fetch(*fetcher, request);
  EXPECT_EQ(first.code, 200);
  request.headers = {{"If-None-Match", std::string(first.Header("etag"))}};
  const HttpResponse second = Fetch(*fetcher, request);
  EXPECT_EQ(second.code, 304);
  EXPECT_TRUE(second.transport.ok());
  EXPECT_FALSE(second.ok());
  EXPECT_EQ(second.attempts, 1);
  EXPECT_EQ(fetcher->stats().not_modified, 1u);
  EXPECT_EQ(fetcher->stats().responses, 2u);
}

TEST(FetcherTest, FollowsRedirectsAndKeepsOnlyTheFinalHeaders) {
  TestServer server;
  server.http().Get("/from", [](const httplib::Request&, httplib::Response& response) {
    response.set_header("X-From", "yes");
    response.set_redirect("/to");
  });
  server.http().Get("/to", [](const httplib::Request&, httplib::Response& response) {
    response.set_header("X-To", "yes");
    response.set_content("arrived", "text/plain");
  });
  server.http().Get("/elsewhere", [](const httplib::Request&, httplib::Response& response) {
    response.set_redirect("file:///etc/passwd");
  });
  server.Start();
  auto fetcher = StartFetcher(FastOptions());

  const HttpResponse response = Fetch(*fetcher, Get(server.Url("/from")));
  EXPECT_TRUE(response.ok()) << response.transport.ToString();
  EXPECT_EQ(response.body, "arrived");
  EXPECT_EQ(response.Header("x-to"), "yes");
  EXPECT_EQ(response.Header("x-from"), "");
  EXPECT_EQ(response.url, server.Url("/from"));
  EXPECT_EQ(response.attempts, 1);

  // Redirects are limited to http(s).
  const HttpResponse refused = Fetch(*fetcher, Get(server.Url("/elsewhere")));
  EXPECT_EQ(refused.transport.code(), core::StatusCode::kUnavailable)
      << refused.transport.ToString();
  EXPECT_EQ(refused.attempts, 1);
}

TEST(FetcherTest, RejectsBadRequestsWithInvalidArgument) {
  auto fetcher = StartFetcher(FastOptions());
  HttpRequest put = Get("http://127.0.0.1:1/x");
  put.method = "PUT";
  HttpRequest bad_header = Get("http://127.0.0.1:1/x");
  bad_header.headers = {{"X-Injected", "a\r\nHost: evil"}};
  for (const HttpRequest& request :
       {Get("not a url"), Get("ftp://example.com/file"), Get(""), put, bad_header}) {
    const HttpResponse response = Fetch(*fetcher, request);
    EXPECT_TRUE(response.transport.IsInvalidArgument())
        << request.url << ": " << response.transport.ToString();
    EXPECT_EQ(response.attempts, 0);
    EXPECT_EQ(response.url, request.url);
  }
  EXPECT_EQ(fetcher->stats().requests, 0u);
}

TEST(FetcherTest, RetryAfterSecondsBlocksTheHostThenSucceeds) {
  TestServer server;
  std::atomic<int> calls{0};
  server.http().Get("/busy", [&calls](const httplib::Request&, httplib::Response& response) {
    if (calls++ == 0) {
      response.status = 429;
      response.set_header("Retry-After", "1");
      response.set_content("slow down", "text/plain");
      return;
    }
    response.set_content("ok now", "text/plain");
  });
  server.Start();
  auto fetcher = StartFetcher(FastOptions());

  const HttpResponse response = Fetch(*fetcher, Get(server.Url("/busy")));
  EXPECT_TRUE(response.ok()) << response.transport.ToString();
  EXPECT_EQ(response.body, "ok now");
  EXPECT_EQ(response.attempts, 2);
  const auto hits = server.Hits("/busy");
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_GE(MillisBetween(hits[0].at, hits[1].at), 950);
  EXPECT_LT(MillisBetween(hits[0].at, hits[1].at), 3000);

  const FetcherStats stats = fetcher->stats();
  EXPECT_EQ(stats.retries, 1u);
  EXPECT_EQ(stats.rate_limited, 1u);
  const auto hosts = fetcher->hosts();
  ASSERT_EQ(hosts.size(), 1u);
  EXPECT_EQ(hosts[0].blocked_reason, "Retry-After");
  EXPECT_GT(hosts[0].blocked_until_ms, 0);
}

TEST(FetcherTest, RetryAfterAsHttpDate) {
  TestServer server;
  std::atomic<int> calls{0};
  server.http().Get("/busy", [&calls](const httplib::Request&, httplib::Response& response) {
    if (calls++ == 0) {
      response.status = 503;
      // Whole seconds: the wait is between 1 and 2 s from now.
      response.set_header("Retry-After", HttpDate(std::time(nullptr) + 2));
      return;
    }
    response.set_content("back", "text/plain");
  });
  server.Start();
  auto fetcher = StartFetcher(FastOptions());

  const HttpResponse response = Fetch(*fetcher, Get(server.Url("/busy")));
  EXPECT_EQ(response.code, 200);
  EXPECT_EQ(response.attempts, 2);
  const auto hits = server.Hits("/busy");
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_GE(MillisBetween(hits[0].at, hits[1].at), 900);
  EXPECT_LT(MillisBetween(hits[0].at, hits[1].at), 3500);
}

TEST(FetcherTest, RetryAfterBeyondMaxRetryWaitIsDeliveredAtOnce) {
  TestServer server;
  server.http().Get("/later", [](const httplib::Request&, httplib::Response& response) {
    response.status = 429;
    response.set_header("Retry-After", "3600");
  });
  server.Start();
  FetcherOptions options = FastOptions();
  options.max_retry_wait = milliseconds(1000);
  auto fetcher = StartFetcher(options);

  const auto started = Clock::now();
  const HttpResponse response = Fetch(*fetcher, Get(server.Url("/later")));
  EXPECT_LT(MillisBetween(started, Clock::now()), 1000);
  EXPECT_EQ(response.code, 429);
  EXPECT_EQ(response.attempts, 1);
  EXPECT_EQ(response.Header("retry-after"), "3600");
  const auto hosts = fetcher->hosts();
  ASSERT_EQ(hosts.size(), 1u);
  // The host stays blocked for later requests.
  EXPECT_GT(hosts[0].blocked_until_ms, core::NowMillis() + 3'000'000);
}

TEST(FetcherTest, ServerErrorsBackOffWithGrowingSpacing) {
  TestServer server;
  std::atomic<int> calls{0};
  server.http().Get("/flaky", [&calls](const httplib::Request&, httplib::Response& response) {
    if (calls++ < 2) {
      response.status = 500;
      return;
    }
    response.set_content("finally", "text/plain");
  });
  server.Start();
  FetcherOptions options = FastOptions();
  options.backoff_base = milliseconds(100);
  options.backoff_cap = milliseconds(1000);
  auto fetcher = StartFetcher(options);

  const HttpResponse response = Fetch(*fetcher, Get(server.Url("/flaky")));
  EXPECT_TRUE(response.ok());
  EXPECT_EQ(response.body, "finally");
  EXPECT_EQ(response.attempts, 3);
  EXPECT_EQ(fetcher->stats().retries, 2u);
  EXPECT_EQ(fetcher->stats().requests, 3u);
  const auto hits = server.Hits("/flaky");
  ASSERT_EQ(hits.size(), 3u);
  const int64_t first_gap = MillisBetween(hits[0].at, hits[1].at);
  const int64_t second_gap = MillisBetween(hits[1].at, hits[2].at);
  EXPECT_GE(first_gap, 45);   // [50, 100] ms after the first failure
  EXPECT_GE(second_gap, 95);  // [100, 200] ms after the second
  EXPECT_GT(second_gap, first_gap);
  EXPECT_LT(second_gap, 1000);
  EXPECT_EQ(fetcher->hosts()[0].blocked_reason, "backoff after HTTP 500");
}

TEST(FetcherTest, PersistentServerErrorIsDeliveredAfterMaxAttempts) {
  TestServer server;
  server.http().Get("/down", [](const httplib::Request&, httplib::Response& response) {
    response.status = 502;
    response.set_header("X-Why", "upstream");
    response.set_content("bad gateway", "text/plain");
  });
  server.Start();
  FetcherOptions options = FastOptions();
  options.max_attempts = 4;
  auto fetcher = StartFetcher(options);

  const HttpResponse response = Fetch(*fetcher, Get(server.Url("/down")));
  EXPECT_TRUE(response.transport.ok()) << response.transport.ToString();
  EXPECT_EQ(response.code, 502);
  EXPECT_EQ(response.body, "bad gateway");
  EXPECT_EQ(response.Header("x-why"), "upstream");
  EXPECT_EQ(response.attempts, 4);
  EXPECT_EQ(server.Hits("/down").size(), 4u);
  EXPECT_EQ(fetcher->stats().retries, 3u);
}

TEST(FetcherTest, ForbiddenSayingBlockedIsRetriedOtherForbiddenIsNot) {
  TestServer server;
  std::atomic<int> calls{0};
  server.http().Get("/reddit", [&calls](const httplib::Request&, httplib::Response& response) {
    if (calls++ == 0) {
      response.status = 403;
      response.set_content("<html>Your request has been BLOCKED due to a network policy.</html>",
                           "text/html");
      return;
    }
    response.set_content("listing", "application/json");
  });
  server.http().Get("/private", [](const httplib::Request&, httplib::Response& response) {
    response.status = 403;
    response.set_content("forbidden", "text/plain");
  });
  server.Start();
  auto fetcher = StartFetcher(FastOptions());

  const HttpResponse retried = Fetch(*fetcher, Get(server.Url("/reddit")));
  EXPECT_EQ(retried.code, 200);
  EXPECT_EQ(retried.attempts, 2);
  EXPECT_EQ(server.Hits("/reddit").size(), 2u);
  EXPECT_EQ(fetcher->stats().rate_limited, 1u);

  const HttpResponse forbidden = Fetch(*fetcher, Get(server.Url("/private")));
  EXPECT_EQ(forbidden.code, 403);
  EXPECT_EQ(forbidden.attempts, 1);
  EXPECT_EQ(server.Hits("/private").size(), 1u);
}

TEST(FetcherTest, NotFoundIsDeliveredAtOnce) {
  TestServer server;
  server.Start();
  auto fetcher = StartFetcher(FastOptions());

  const HttpResponse response = Fetch(*fetcher, Get(server.Url("/missing")));
  EXPECT_TRUE(response.transport.ok());
  EXPECT_EQ(response.code, 404);
  EXPECT_FALSE(response.ok());
  EXPECT_EQ(response.attempts, 1);
  EXPECT_EQ(server.Hits("/missing").size(), 1u);
  EXPECT_EQ(fetcher->stats().retries, 0u);
}

TEST(FetcherTest, BodyOverTheLimitIsResourceExhaustedWithoutRetry) {
  TestServer server;
  server.http().Get("/big", [](const httplib::Request&, httplib::Response& response) {
    response.set_content(std::string(5000, 'x'), "application/octet-stream");
  });
  server.http().Get("/exact", [](const httplib::Request&, httplib::Response& response) {
    response.set_content(std::string(1000, 'y'), "application/octet-stream");
  });
  server.Start();
  FetcherOptions options = FastOptions();
  options.max_body_bytes = 1000;
  auto fetcher = StartFetcher(options);

  const HttpResponse big = Fetch(*fetcher, Get(server.Url("/big")));
  EXPECT_TRUE(big.transport.IsResourceExhausted()) << big.transport.ToString();
  EXPECT_EQ(big.transport.message(),
            "GET " + server.Url("/big") + ": response body over 1000 bytes");
  EXPECT_EQ(big.attempts, 1);
  EXPECT_EQ(server.Hits("/big").size(), 1u);

  const HttpResponse exact = Fetch(*fetcher, Get(server.Url("/exact")));
  EXPECT_TRUE(exact.ok()) << exact.transport.ToString();
  EXPECT_EQ(exact.body.size(), 1000u);
}

TEST(FetcherTest, ServerThatNeverAnswersTimesOutAsUnavailable) {
  auto gate = std::make_shared<Gate>();
  TestServer server;
  server.http().Get("/hang", [gate](const httplib::Request&, httplib::Response& response) {
    gate->Wait(milliseconds(5000));
    response.set_content("too late", "text/plain");
  });
  server.Start();
  FetcherOptions options = FastOptions();
  options.request_timeout = milliseconds(300);
  options.max_attempts = 2;
  auto fetcher = StartFetcher(options);

  const auto started = Clock::now();
  const HttpResponse response = Fetch(*fetcher, Get(server.Url("/hang")));
  EXPECT_GE(MillisBetween(started, Clock::now()), 600);
  EXPECT_EQ(response.transport.code(), core::StatusCode::kUnavailable)
      << response.transport.ToString();
  EXPECT_THAT(response.transport.message(), StartsWith("GET " + server.Url("/hang") + ": "));
  EXPECT_THAT(response.transport.message(), HasSubstr("after 2 attempts"));
  EXPECT_EQ(response.code, 0);
  EXPECT_EQ(response.attempts, 2);
  EXPECT_EQ(server.Hits("/hang").size(), 2u);
  EXPECT_EQ(fetcher->stats().transport_errors, 2u);
  fetcher.reset();
  gate->Open();
}

TEST(FetcherTest, TruncatedBodyIsRetriedThenUnavailable) {
  TruncatingServer server;
  auto fetcher = StartFetcher(FastOptions());

  const HttpResponse response = Fetch(*fetcher, Get(server.Url("/cut?page=2")));
  EXPECT_EQ(response.transport.code(), core::StatusCode::kUnavailable)
      << response.transport.ToString();
  EXPECT_THAT(response.transport.message(), HasSubstr(server.Url("/cut?page=2")));
  EXPECT_THAT(response.transport.message(), HasSubstr("after 3 attempts"));
  EXPECT_EQ(response.attempts, 3);
  EXPECT_TRUE(response.body.empty());
  EXPECT_EQ(server.accepted(), 3);
  EXPECT_EQ(fetcher->stats().transport_errors, 3u);
}

TEST(FetcherTest, RefusedConnectionIsRetriedThenUnavailable) {
  FetcherOptions options = FastOptions();
  options.max_attempts = 2;
  auto fetcher = StartFetcher(options);
  const std::string url = "http://127.0.0.1:" + std::to_string(ClosedPort()) + "/x";

  const HttpResponse response = Fetch(*fetcher, Get(url));
  EXPECT_EQ(response.transport.code(), core::StatusCode::kUnavailable);
  EXPECT_THAT(response.transport.message(), StartsWith("GET " + url + ": "));
  EXPECT_THAT(response.transport.message(), HasSubstr("after 2 attempts"));
  EXPECT_EQ(response.attempts, 2);
  EXPECT_THAT(fetcher->hosts()[0].blocked_reason, StartsWith("backoff after "));
}

TEST(FetcherTest, TokenBucketHoldsTheConfiguredRate) {
  TestServer server;
  server.http().Get(R"(/page/\d+)", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("page", "text/plain");
  });
  server.Start();
  auto fetcher = StartFetcher(FastOptions());
  fetcher->LimitHost(server.Url("/"), 600);
  fetcher->LimitHost(server.Url("/other"), 120);  // the lowest rate on a host wins: 2/s, burst 2
  fetcher->LimitHost(server.Url("/"), 6000);

  std::atomic<int> done{0};
  for (int i = 0; i < 8; ++i) {
    fetcher->Submit(Get(server.Url("/page/" + std::to_string(i))),
                    [&done](HttpResponse) { ++done; });
  }
  const auto deadline = Clock::now() + seconds(10);
  while (done < 8 && Clock::now() < deadline) std::this_thread::sleep_for(milliseconds(5));
  ASSERT_EQ(done, 8);

  auto hits = server.Hits();
  ASSERT_EQ(hits.size(), 8u);
  std::sort(hits.begin(), hits.end(), [](const auto& a, const auto& b) { return a.at < b.at; });
  EXPECT_LT(MillisBetween(hits[0].at, hits[1].at), 250);  // the burst
  EXPECT_GE(MillisBetween(hits[0].at, hits[2].at), 400);  // then one per 500 ms
  EXPECT_GE(MillisBetween(hits[0].at, hits[7].at), 2800);
  EXPECT_LT(MillisBetween(hits[0].at, hits[7].at), 4500);
  EXPECT_EQ(fetcher->hosts()[0].requests_per_minute, 120);
}

// Sends one request, then another once the first has completed; returns the server-side gap.
int64_t GapAfterFirstResponse(TestServer& server, Fetcher& fetcher, const std::string& path) {
  const HttpResponse first = Fetch(fetcher, Get(server.Url(path)));
  EXPECT_EQ(first.code, 200);
  const HttpResponse second = Fetch(fetcher, Get(server.Url(path)));
  EXPECT_EQ(second.code, 200);
  EXPECT_EQ(second.attempts, 1);
  const auto hits = server.Hits(path);
  if (hits.size() != 2) {
    ADD_FAILURE() << path << ": " << hits.size() << " hits";
    return 0;
  }
  return MillisBetween(hits[0].at, hits[1].at);
}

TEST(FetcherTest, ZeroRemainingBlocksUntilResetInSeconds) {
  TestServer server;
  server.http().Get("/reddit", [](const httplib::Request&, httplib::Response& response) {
    response.set_header("X-RateLimit-Remaining", "0.0");
    response.set_header("X-RateLimit-Reset", "1");
    response.set_content("{}", "application/json");
  });
  server.http().Get("/plenty", [](const httplib::Request&, httplib::Response& response) {
    response.set_header("X-RateLimit-Remaining", "500");
    response.set_header("X-RateLimit-Reset", "1");
    response.set_content("{}", "application/json");
  });
  server.Start();
  auto fetcher = StartFetcher(FastOptions());

  EXPECT_LT(GapAfterFirstResponse(server, *fetcher, "/plenty"), 500);
  EXPECT_GE(GapAfterFirstResponse(server, *fetcher, "/reddit"), 950);
  EXPECT_GE(fetcher->stats().rate_limited, 1u);
  EXPECT_EQ(fetcher->hosts()[0].blocked_reason, "X-RateLimit-Remaining: 0");
}

TEST(FetcherTest, ZeroRemainingBlocksUntilResetAsIsoTime) {
  TestServer server;
  server.http().Get("/mastodon", [](const httplib::Request&, httplib::Response& response) {
    response.set_header("X-RateLimit-Remaining", "0");
    response.set_header("X-RateLimit-Reset", core::FormatRfc3339Millis(core::NowMillis() + 1500));
    response.set_content("[]", "application/json");
  });
  server.Start();
  auto fetcher = StartFetcher(FastOptions());

  EXPECT_GE(GapAfterFirstResponse(server, *fetcher, "/mastodon"), 1400);
}

TEST(FetcherTest, ZeroRemainingBlocksUntilResetAsUnixSeconds) {
  TestServer server;
  server.http().Get("/bluesky", [](const httplib::Request&, httplib::Response& response) {
    response.set_header("RateLimit-Remaining", "0");
    response.set_header("RateLimit-Reset", std::to_string(std::time(nullptr) + 2));  // 1–2 s away
    response.set_content("{}", "application/json");
  });
  server.Start();
  auto fetcher = StartFetcher(FastOptions());

  EXPECT_GE(GapAfterFirstResponse(server, *fetcher, "/bluesky"), 900);
  EXPECT_EQ(fetcher->hosts()[0].blocked_reason, "RateLimit-Remaining: 0");
}

TEST(FetcherTest, RemainingBudgetIsSpreadOverTheTimeLeft) {
  TestServer server;
  server.http().Get("/paced", [](const httplib::Request&, httplib::Response& response) {
    response.set_header("X-RateLimit-Remaining", "2");
    response.set_header("X-RateLimit-Reset", "1");  // 2 requests in 1 s: one per 500 ms
    response.set_content("{}", "application/json");
  });
  server.Start();
  auto fetcher = StartFetcher(FastOptions());  // the bucket alone would allow 10000/s

  EXPECT_EQ(Fetch(*fetcher, Get(server.Url("/paced"))).code, 200);
  std::atomic<int> done{0};
  fetcher->Submit(Get(server.Url("/paced")), [&done](HttpResponse) { ++done; });
  fetcher->Submit(Get(server.Url("/paced")), [&done](HttpResponse) { ++done; });
  const auto deadline = Clock::now() + seconds(5);
  while (done < 2 && Clock::now() < deadline) std::this_thread::sleep_for(milliseconds(5));
  ASSERT_EQ(done, 2);
  const auto hits = server.Hits("/paced");
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_GE(MillisBetween(hits[0].at, hits[1].at), 400);
  EXPECT_GE(MillisBetween(hits[1].at, hits[2].at), 400);
}

TEST(FetcherTest, BlockedHostDoesNotDelayAnother) {
  TestServer blocked;
  std::atomic<int> calls{0};
  blocked.http().Get("/a", [&calls](const httplib::Request&, httplib::Response& response) {
    if (calls++ == 0) {
      response.status = 429;
      response.set_header("Retry-After", "1");
      return;
    }
    response.set_content("a", "text/plain");
  });
  TestServer free;
  free.http().Get("/b", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("b", "text/plain");
  });
  blocked.Start();
  free.Start();
  auto fetcher = StartFetcher(FastOptions());

  std::promise<HttpResponse> a_done;
  auto a_future = a_done.get_future();
  fetcher->Submit(Get(blocked.Url("/a")),
                  [&a_done](HttpResponse response) { a_done.set_value(std::move(response)); });
  // Wait until the fetcher has seen the 429 and blocked host A.
  const auto deadline = Clock::now() + seconds(5);
  while (Clock::now() < deadline) {
    const auto hosts = fetcher->hosts();
    if (!hosts.empty() && hosts[0].blocked_reason == "Retry-After") break;
    std::this_thread::sleep_for(milliseconds(2));
  }
  ASSERT_EQ(fetcher->hosts()[0].blocked_reason, "Retry-After");

  const auto started = Clock::now();
  const HttpResponse b = Fetch(*fetcher, Get(free.Url("/b")));
  EXPECT_EQ(b.code, 200);
  EXPECT_LT(MillisBetween(started, Clock::now()), 500);
  EXPECT_EQ(a_future.wait_for(milliseconds(0)), std::future_status::timeout)
      << "A was not held back";

  ASSERT_EQ(a_future.wait_for(seconds(5)), std::future_status::ready);
  const HttpResponse a = a_future.get();
  EXPECT_EQ(a.code, 200);
  EXPECT_EQ(a.attempts, 2);
  const auto hits = blocked.Hits("/a");
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_GE(MillisBetween(hits[0].at, hits[1].at), 950);
}

TEST(FetcherTest, ManyConcurrentRequestsEachCompleteExactlyOnce) {
  constexpr int kServers = 4;
  constexpr int kRequests = 200;
  std::vector<std::unique_ptr<TestServer>> servers;
  for (int i = 0; i < kServers; ++i) {
    servers.push_back(std::make_unique<TestServer>());
    servers.back()->http().Get(
        R"(/item/(\d+))", [](const httplib::Request& request, httplib::Response& response) {
          response.set_content("item " + std::string(request.matches[1]), "text/plain");
        });
    servers.back()->Start();
  }
  FetcherOptions options = FastOptions();
  options.max_transfers = 8;  // fewer than 4 hosts × 4 per host, so the global cap matters too
  auto fetcher = StartFetcher(options);

  std::mutex mu;
  std::condition_variable cv;
  std::vector<int> calls(kRequests, 0);
  std::vector<HttpResponse> responses(kRequests);
  int done = 0;
  for (int i = 0; i < kRequests; ++i) {
    fetcher->Submit(Get(servers[i % kServers]->Url("/item/" + std::to_string(i))),
                    [&, i](HttpResponse response) {
                      std::lock_guard lock(mu);
                      ++calls[i];
                      responses[i] = std::move(response);
                      ++done;
                      cv.notify_all();
                    });
  }
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, seconds(15), [&] { return done == kRequests; })) << done;
  }
  const FetcherStats stats = fetcher->stats();
  fetcher.reset();  // nothing may be delivered a second time on shutdown
  std::lock_guard lock(mu);
  for (int i = 0; i < kRequests; ++i) {
    EXPECT_EQ(calls[i], 1) << i;
    EXPECT_EQ(responses[i].code, 200) << i << ": " << responses[i].transport.ToString();
    EXPECT_EQ(responses[i].body, "item " + std::to_string(i));
  }
  EXPECT_EQ(stats.requests, static_cast<uint64_t>(kRequests));
  EXPECT_EQ(stats.responses, static_cast<uint64_t>(kRequests));
  for (const auto& server : servers) EXPECT_EQ(server->Hits().size(), size_t{kRequests / kServers});
}

TEST(FetcherTest, CallbacksMaySubmitAndReadStats) {
  TestServer server;
  server.http().Get(R"(/step/(\d))",
                    [](const httplib::Request& request, httplib::Response& response) {
                      response.set_content(std::string(request.matches[1]), "text/plain");
                    });
  server.Start();
  auto fetcher = StartFetcher(FastOptions());

  std::promise<HttpResponse> last;
  Fetcher* raw = fetcher.get();
  fetcher->Submit(Get(server.Url("/step/1")), [&, raw](HttpResponse first) {
    EXPECT_EQ(first.body, "1");
    // Would deadlock if the fetcher held its locks while calling back.
    EXPECT_EQ(raw->stats().responses, 1u);
    EXPECT_EQ(raw->hosts().size(), 1u);
    raw->Submit(Get(server.Url("/step/2")),
                [&last](HttpResponse second) { last.set_value(std::move(second)); });
  });
  auto future = last.get_future();
  ASSERT_EQ(future.wait_for(seconds(5)), std::future_status::ready);
  EXPECT_EQ(future.get().body, "2");
}

TEST(FetcherTest, DestructorCancelsQueuedAndInFlightRequests) {
  auto gate = std::make_shared<Gate>();
  TestServer server;
  server.http().Get(R"(/slow/(\d+))", [gate](const httplib::Request&, httplib::Response& response) {
    gate->Wait(milliseconds(5000));
    response.set_content("late", "text/plain");
  });
  server.Start();
  auto fetcher = StartFetcher(FastOptions());
  fetcher->LimitHost(server.Url("/"), 60);  // burst 1: one in flight, the rest queued

  constexpr int kRequests = 5;
  std::mutex mu;
  std::vector<int> calls(kRequests + 1, 0);
  std::vector<core::Status> outcomes(kRequests + 1);
  Fetcher* raw = fetcher.get();
  for (int i = 0; i < kRequests; ++i) {
    fetcher->Submit(
        Get(server.Url("/slow/" + std::to_string(i))), [&, i, raw](HttpResponse response) {
          {
            std::lock_guard lock(mu);
            ++calls[i];
            outcomes[i] = response.transport;
          }
          if (i == 0) {  // a callback that submits during shutdown: that request is cancelled too
            raw->Submit(Get(server.Url("/slow/99")), [&](HttpResponse late) {
              std::lock_guard lock(mu);
              ++calls[kRequests];
              outcomes[kRequests] = late.transport;
            });
          }
        });
  }
  ASSERT_TRUE(server.WaitForHits(1));
  fetcher.reset();
  gate->Open();

  std::lock_guard lock(mu);
  for (int i = 0; i <= kRequests; ++i) {
    EXPECT_EQ(calls[i], 1) << i;
    EXPECT_EQ(outcomes[i].code(), core::StatusCode::kCancelled)
        << i << ": " << outcomes[i].ToString();
  }
  EXPECT_EQ(server.Hits().size(), 1u);
}

TEST(FetcherTest, AuthorizationNeverAppearsInErrors) {
  constexpr std::string_view kSecret = "sekrit-token-0123456789";
  auto gate = std::make_shared<Gate>();
  TestServer server;
  server.http().Get("/hang", [gate](const httplib::Request&, httplib::Response& response) {
    gate->Wait(milliseconds(5000));
    response.set_content("late", "text/plain");
  });
  server.http().Get("/big", [](const httplib::Request&, httplib::Response& response) {
    response.set_content(std::string(5000, 'x'), "text/plain");
  });
  server.Start();
  FetcherOptions options = FastOptions();
  options.request_timeout = milliseconds(300);
  options.max_attempts = 1;
  options.max_body_bytes = 100;
  auto fetcher = StartFetcher(options);

  const auto with_secret = [&](std::string url) {
    HttpRequest request = Get(std::move(url));
    request.headers = {{"Authorization", "Bearer " + std::string(kSecret)},
                       {"Cookie", "session=" + std::string(kSecret)}};
    return request;
  };
  HttpRequest bad_header = with_secret(server.Url("/big"));
  bad_header.headers.emplace_back("X-Bad", std::string(kSecret) + "\r\n");
  HttpRequest bad_method = with_secret(server.Url("/big"));
  bad_method.method = "DELETE";
  const std::vector<HttpRequest> requests = {
      with_secret(server.Url("/hang")),
      with_secret(server.Url("/big")),
      with_secret("http://127.0.0.1:" + std::to_string(ClosedPort()) + "/refused"),
      bad_header,
      bad_method,
  };
  for (const HttpRequest& request : requests) {
    const HttpResponse response = Fetch(*fetcher, request);
    EXPECT_FALSE(response.transport.ok()) << request.url;
    EXPECT_THAT(response.transport.ToString(), Not(HasSubstr(kSecret))) << request.url;
    EXPECT_THAT(response.transport.ToString(), HasSubstr(request.url));
  }
  // The header did reach the server, so the checks above were not vacuous.
  const auto hits = server.Hits("/big");
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].headers.find("Authorization")->second, "Bearer " + std::string(kSecret));
  fetcher.reset();
  gate->Open();
}

}  // namespace
}  // namespace earshot::crawler
