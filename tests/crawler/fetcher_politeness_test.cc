// The fetcher's politeness rules as a server experiences them, over loopback (timings are taken
// where the server sees the requests): Retry-After, backoff and which statuses are retried, the
// token bucket, X-RateLimit-*/RateLimit-* budgets, and hosts blocked independently. Backoff bases
// are a few tens of milliseconds to keep the file fast. At the end, direct unit tests of the pure
// rules in crawler/http/politeness.h, with no network and no clock.
#include "crawler/http/politeness.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <future>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/time.h"
#include "crawler/http/fetcher.h"
#include "tests/crawler/fetcher_test_support.h"

namespace earshot::crawler {
namespace {

using test_support::Fetch;
using test_support::FastOptions;
using test_support::Get;
using test_support::HttpDate;
using test_support::MillisBetween;
using test_support::StartFetcher;
using test_support::TestServer;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

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

// ---- The pure rules, directly: fixed clocks, no network ----

// RFC 9110's example date: Sun, 06 Nov 1994 08:49:37 GMT.
constexpr int64_t kExampleDateMs = int64_t{784'111'777} * 1000;
constexpr std::string_view kExampleDate = "Sun, 06 Nov 1994 08:49:37 GMT";

TEST(PolitenessTest, RetryAfterDeltaSeconds) {
  EXPECT_EQ(internal::ParseRetryAfterMillis("120", 0), 120'000);
  EXPECT_EQ(internal::ParseRetryAfterMillis(" 2 ", 0), 2'000);
  EXPECT_EQ(internal::ParseRetryAfterMillis("1.5", 0), 1'500);
  EXPECT_EQ(internal::ParseRetryAfterMillis("0", 0), 0);
  EXPECT_EQ(internal::ParseRetryAfterMillis("1e15", 0), int64_t{1'000'000'000'000'000});  // capped
  EXPECT_EQ(internal::ParseRetryAfterMillis("-1", 0), std::nullopt);
  EXPECT_EQ(internal::ParseRetryAfterMillis("soon", 0), std::nullopt);
  EXPECT_EQ(internal::ParseRetryAfterMillis("", 0), std::nullopt);
}

TEST(PolitenessTest, RetryAfterHttpDate) {
  EXPECT_EQ(internal::ParseRetryAfterMillis(kExampleDate, kExampleDateMs - 30'000), 30'000);
  EXPECT_EQ(internal::ParseRetryAfterMillis(kExampleDate, kExampleDateMs), 0);
  // A date in the past means "now", not a negative wait.
  EXPECT_EQ(internal::ParseRetryAfterMillis(kExampleDate, kExampleDateMs + 5'000), 0);
  EXPECT_EQ(internal::ParseRetryAfterMillis(HttpDate(1'000'000'000), 999'999'000'000), 1'000'000);
}

TEST(PolitenessTest, ResetFormats) {
  constexpr int64_t kNow = 1'752'746'000'000;
  // Up to 10^9: seconds from now (Reddit sends "95.0").
  EXPECT_EQ(internal::ParseResetMillis("30", kNow), kNow + 30'000);
  EXPECT_EQ(internal::ParseResetMillis("95.0", kNow), kNow + 95'000);
  // Above 10^9: Unix seconds (Bluesky).
  EXPECT_EQ(internal::ParseResetMillis("1752746400", kNow), int64_t{1'752'746'400'000});
  // RFC 3339 (Mastodon) and HTTP dates.
  EXPECT_EQ(internal::ParseResetMillis("2025-07-17T10:00:00.000Z", kNow),
            core::ParseRfc3339Millis("2025-07-17T10:00:00.000Z"));
  EXPECT_EQ(internal::ParseResetMillis(" 2025-07-17T10:00:00Z ", kNow),
            core::ParseRfc3339Millis("2025-07-17T10:00:00Z"));
  EXPECT_EQ(internal::ParseResetMillis(kExampleDate, kNow), kExampleDateMs);
  // Negative, absurdly far, or not a time at all.
  EXPECT_EQ(internal::ParseResetMillis("-5", kNow), std::nullopt);
  EXPECT_EQ(internal::ParseResetMillis("1e14", kNow), std::nullopt);
  EXPECT_EQ(internal::ParseResetMillis("whenever", kNow), std::nullopt);
}

TEST(PolitenessTest, ClassifyStatus) {
  for (const long code : {429L, 503L}) {
    const internal::StatusVerdict verdict = internal::ClassifyStatus(code, "");
    EXPECT_TRUE(verdict.retryable) << code;
    EXPECT_TRUE(verdict.rate_limited) << code;
    EXPECT_TRUE(verdict.honours_retry_after) << code;
  }
  for (const long code : {500L, 502L, 504L}) {
    const internal::StatusVerdict verdict = internal::ClassifyStatus(code, "blocked");
    EXPECT_TRUE(verdict.retryable) << code;
    EXPECT_FALSE(verdict.rate_limited) << code;
    EXPECT_FALSE(verdict.honours_retry_after) << code;
  }
  const internal::StatusVerdict blocked = internal::ClassifyStatus(403, "You have been BLOCKED");
  EXPECT_TRUE(blocked.retryable);
  EXPECT_TRUE(blocked.rate_limited);
  EXPECT_FALSE(blocked.honours_retry_after);
  for (const long code : {200L, 304L, 400L, 401L, 403L, 404L, 501L}) {
    const internal::StatusVerdict verdict = internal::ClassifyStatus(code, "forbidden");
    EXPECT_FALSE(verdict.retryable) << code;
    EXPECT_FALSE(verdict.rate_limited) << code;
    EXPECT_FALSE(verdict.honours_retry_after) << code;
  }
}

TEST(PolitenessTest, EqualJitterBackoffStaysInItsBandAndIsCapped) {
  std::mt19937_64 rng(42);
  const milliseconds base(100);
  const milliseconds cap(1'000);
  for (int attempts = 1; attempts <= 70; ++attempts) {
    const int64_t ceiling = attempts >= 5 ? 1'000 : int64_t{100} << (attempts - 1);
    for (int draw = 0; draw < 20; ++draw) {
      const int64_t wait = internal::EqualJitterBackoff(attempts, base, cap, rng).count();
      EXPECT_GE(wait, ceiling / 2) << attempts;
      EXPECT_LE(wait, ceiling) << attempts;
    }
  }
  std::mt19937_64 a(7);
  std::mt19937_64 b(7);
  for (int attempts = 1; attempts <= 5; ++attempts) {
    EXPECT_EQ(internal::EqualJitterBackoff(attempts, base, cap, a),
              internal::EqualJitterBackoff(attempts, base, cap, b));
  }
}

TEST(PolitenessTest, TokenBucketBurstRefillAndLimit) {
  const auto t0 = Clock::now();
  internal::HostPacer host;
  host.Init(120, t0);  // 2/s, burst 2
  EXPECT_EQ(host.Capacity(), 2);
  EXPECT_EQ(host.EligibleAt(t0), t0);
  host.Sent(t0);
  EXPECT_EQ(host.EligibleAt(t0), t0);
  host.Sent(t0);
  EXPECT_EQ(host.requests, 2u);
  EXPECT_EQ(host.EligibleAt(t0), t0 + milliseconds(500));
  // Refilling never goes above the burst.
  EXPECT_EQ(host.EligibleAt(t0 + seconds(60)), t0 + seconds(60));
  EXPECT_EQ(host.tokens, 2);

  // A slow host still has a burst of one.
  internal::HostPacer slow;
  slow.Init(6, t0);
  EXPECT_EQ(slow.Capacity(), 1);
  slow.Sent(t0);
  EXPECT_EQ(slow.EligibleAt(t0), t0 + seconds(10));

  // The first Limit sets the rate, even above the default; later ones only lower it.
  internal::HostPacer limited;
  limited.Init(60, t0);
  limited.Limit(600, t0);
  EXPECT_EQ(limited.requests_per_minute, 600);
  limited.Limit(6000, t0);
  EXPECT_EQ(limited.requests_per_minute, 600);
  limited.Limit(120, t0);
  EXPECT_EQ(limited.requests_per_minute, 120);
  EXPECT_LE(limited.tokens, limited.Capacity());
}

TEST(PolitenessTest, BlockKeepsTheLaterDeadline) {
  const auto t0 = Clock::now();
  internal::HostPacer host;
  host.Init(600'000, t0);
  host.Block(t0, 1'000, milliseconds(2'000), "Retry-After");
  EXPECT_EQ(host.EligibleAt(t0), t0 + milliseconds(2'000));
  EXPECT_EQ(host.blocked_until_ms, 3'000);
  host.Block(t0, 1'000, milliseconds(500), "backoff after HTTP 500");  // shorter: ignored
  EXPECT_EQ(host.blocked_reason, "Retry-After");
  EXPECT_EQ(host.blocked_until_ms, 3'000);
  host.Block(t0, 1'000, milliseconds(5'000), "backoff after HTTP 502");
  EXPECT_EQ(host.blocked_reason, "backoff after HTTP 502");
  EXPECT_EQ(host.EligibleAt(t0), t0 + milliseconds(5'000));
}

HttpResponse WithHeaders(std::vector<std::pair<std::string, std::string>> headers) {
  HttpResponse response;
  response.code = 200;
  response.headers = std::move(headers);
  return response;
}

TEST(PolitenessTest, ServerBudgetBlocksOrPaces) {
  const auto t0 = Clock::now();
  constexpr int64_t kNow = 1'752'746'000'000;

  internal::HostPacer none;
  none.Init(600'000, t0);
  EXPECT_FALSE(none.ApplyServerBudget(WithHeaders({{"x-other", "1"}}), t0, kNow));
  EXPECT_EQ(none.EligibleAt(t0), t0);

  internal::HostPacer zero;
  zero.Init(600'000, t0);
  EXPECT_TRUE(zero.ApplyServerBudget(
      WithHeaders({{"x-ratelimit-remaining", "0.0"}, {"x-ratelimit-reset", "2"}}), t0, kNow));
  EXPECT_EQ(zero.blocked_reason, "X-RateLimit-Remaining: 0");
  EXPECT_EQ(zero.blocked_until_ms, kNow + 2'000);
  EXPECT_EQ(zero.EligibleAt(t0), t0 + seconds(2));

  internal::HostPacer draft;
  draft.Init(600'000, t0);
  EXPECT_TRUE(draft.ApplyServerBudget(
      WithHeaders({{"ratelimit-remaining", "0"}, {"ratelimit-reset", "1752746003"}}), t0, kNow));
  EXPECT_EQ(draft.blocked_reason, "RateLimit-Remaining: 0");
  EXPECT_EQ(draft.EligibleAt(t0), t0 + seconds(3));

  // Zero remaining with no usable reset is counted but blocks nothing.
  internal::HostPacer no_reset;
  no_reset.Init(600'000, t0);
  EXPECT_TRUE(no_reset.ApplyServerBudget(WithHeaders({{"x-ratelimit-remaining", "0"}}), t0, kNow));
  EXPECT_EQ(no_reset.EligibleAt(t0), t0);

  // Four left for two seconds: one request per 500 ms once one has been sent.
  internal::HostPacer paced;
  paced.Init(600'000, t0);
  paced.Sent(t0);
  EXPECT_FALSE(paced.ApplyServerBudget(
      WithHeaders({{"x-ratelimit-remaining", "4"}, {"x-ratelimit-reset", "2"}}), t0, kNow));
  EXPECT_EQ(paced.EligibleAt(t0), t0 + milliseconds(500));
  // Past the announced reset, pacing stops.
  EXPECT_EQ(paced.EligibleAt(t0 + seconds(3)), t0 + seconds(3));
}

}  // namespace
}  // namespace earshot::crawler
