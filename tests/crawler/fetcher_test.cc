// The fetcher against real loopback servers (cpp-httplib for HTTP, a tiny raw socket server for a
// body cut short): transfers, decoded bodies, request and response headers, redirects, errors and
// their retries, concurrency and cancellation. The politeness rules (token bucket, Retry-After,
// rate-limit headers, backoff) are in fetcher_politeness_test.cc; the fixtures in
// fetcher_test_support.h.
#include "crawler/http/fetcher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "tests/crawler/fetcher_test_support.h"

namespace earshot::crawler {
namespace {

using ::testing::AnyOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;
using ::testing::StartsWith;
using test_support::ClosedPort;
using test_support::Fetch;
using test_support::FastOptions;
using test_support::Gate;
using test_support::Get;
using test_support::MillisBetween;
using test_support::StartFetcher;
using test_support::TestServer;
using test_support::TruncatingServer;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

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
