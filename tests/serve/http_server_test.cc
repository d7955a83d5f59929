// HttpServer over a real Store in a temp directory, on an ephemeral loopback port, driven with
// cpp-httplib's client: the token rule, the case endpoints with the CLI's semantics (DESIGN.md
// §3.6), the bounds (413, 414, limit caps), /metrics as strict Prometheus text, rule reloads
// through a real RuleReloader, and a real Pipeline pass showing up in /api/sources and /metrics.
#include "serve/http_server.h"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "serve/internal/access.h"
#include "serve/internal/throughput.h"
#include "tests/crawler/fetcher_test_support.h"
#include "tests/serve/serve_test_support.h"
#include "triage/rule_reloader.h"

namespace earshot::serve {
namespace {

using testing::CaseIds;
using testing::Elements;
using testing::Field;
using testing::Int;
using testing::Json;
using testing::kToken;
using testing::ParseExposition;
using testing::PostLine;
using testing::ServeTest;
using testing::Str;

httplib::Headers Bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

// The error text of a JSON error response.
std::string ErrorOf(const httplib::Result& response) {
  if (!response) return "<no response>";
  Json json(response->body);
  return Str(json["error"]);
}

TEST(Access, BearerTokenMustMatchExactly) {
  EXPECT_TRUE(internal::BearerTokenMatches("Bearer s3cret", "s3cret"));
  EXPECT_TRUE(internal::BearerTokenMatches("bearer s3cret", "s3cret"));
  EXPECT_FALSE(internal::BearerTokenMatches("Bearer s3cre", "s3cret"));
  EXPECT_FALSE(internal::BearerTokenMatches("Bearer s3cretX", "s3cret"));
  EXPECT_FALSE(internal::BearerTokenMatches("Basic s3cret", "s3cret"));
  EXPECT_FALSE(internal::BearerTokenMatches("s3cret", "s3cret"));
  EXPECT_FALSE(internal::BearerTokenMatches("Bearer ", ""));
  EXPECT_TRUE(internal::ConstantTimeEquals("", ""));
  EXPECT_FALSE(internal::ConstantTimeEquals("a", ""));
  EXPECT_FALSE(internal::ConstantTimeEquals("abc", "abd"));
}

TEST(Access, OnlyLoopbackAddressesCountAsLocal) {
  for (const char* host : {"127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(internal::IsLoopbackHost(host)) << host;
  }
  for (const char* host : {"0.0.0.0", "::", "10.0.0.1", "192.168.1.5", "example.com", "", "::ffff:10.0.0.1"}) {
    EXPECT_FALSE(internal::IsLoopbackHost(host)) << host;
  }
}

TEST(Access, HostHeadersAndOriginsAreCheckedByName) {
  for (const char* host : {"127.0.0.1:8080", "localhost:1", "localhost", "[::1]:8080", "[::1]"}) {
    EXPECT_TRUE(internal::IsLoopbackHostHeader(host)) << host;
  }
  for (const char* host : {"evil.example:8080", "evil.example", "", "10.0.0.1:80", "::1", "[::1", "127.0.0.1.nip.io"}) {
    EXPECT_FALSE(internal::IsLoopbackHostHeader(host)) << host;
  }
  EXPECT_TRUE(internal::IsSameOrigin("http://127.0.0.1:8080", "127.0.0.1:8080"));
  EXPECT_FALSE(internal::IsSameOrigin("http://evil.example", "127.0.0.1:8080"));
  EXPECT_FALSE(internal::IsSameOrigin("http://127.0.0.1:8081", "127.0.0.1:8080"));
  EXPECT_FALSE(internal::IsSameOrigin("null", "127.0.0.1:8080"));
  EXPECT_FALSE(internal::IsSameOrigin("http://", ""));
}

// The reader the metrics tests rely on must itself reject what Prometheus would.
TEST(PrometheusTextReader, RejectsMalformedExpositions) {
  EXPECT_NONFATAL_FAILURE(ParseExposition("# HELP a A.\n# TYPE a counter\na{l=\"v\" 1\n"),
                          "not `name{labels} value`");
  EXPECT_NONFATAL_FAILURE(ParseExposition("a 1\n"), "undeclared family");
  EXPECT_NONFATAL_FAILURE(ParseExposition("# HELP a A.\n# TYPE a counter\na 1\n# HELP b B.\n# TYPE b gauge\n"
                                          "b 2\na{x=\"y\"} 3\n"),
                          "outside its family's block");
  EXPECT_NONFATAL_FAILURE(ParseExposition("# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\n"
                                          "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"),
                          "not cumulative");
  EXPECT_NONFATAL_FAILURE(ParseExposition("# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\n"
                                          "h_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n"),
                          "+Inf bucket != _count");
  const testing::Exposition good = ParseExposition(
      "# HELP h H.\n# TYPE h histogram\nh_bucket{s=\"a\\\"b\",le=\"1\"} 1\nh_bucket{s=\"a\\\"b\",le=\"+Inf\"} 2\n"
      "h_sum{s=\"a\\\"b\"} 1.5\nh_count{s=\"a\\\"b\"} 2\n");
  EXPECT_EQ(good.Value("h_count{s=\"a\\\"b\"}"), 2);
}

TEST(ThroughputMeter, RateSpansTheWindowAndFallsBackToTheAverageSinceStart) {
  internal::ThroughputMeter meter;
  using std::chrono::milliseconds;
  const auto t0 = internal::ThroughputMeter::Clock::now();
  // A single reading: the average since start (100 posts in 50 s).
  EXPECT_DOUBLE_EQ(meter.Record(t0, 100, milliseconds(50'000)), 2.0);
  // Half a second later: still too short a span for a rate of its own.
  EXPECT_DOUBLE_EQ(meter.Record(t0 + milliseconds(500), 110, milliseconds(50'500)), 110.0 / 50.5);
  // 100 posts over 5 s.
  EXPECT_DOUBLE_EQ(meter.Record(t0 + milliseconds(5000), 200, milliseconds(55'000)), 20.0);
  // Readings every 2 s for a minute at 10 posts/s: the rate covers about the last 10 s only.
  uint64_t posts = 200;
  double rate = 0;
  for (int i = 1; i <= 30; ++i) {
    posts += 20;
    rate = meter.Record(t0 + milliseconds(5000 + 2000 * i), posts, milliseconds(55'000 + 2000 * i));
  }
  EXPECT_DOUBLE_EQ(rate, 10.0);
  // A stall: no new posts for 12 s drops the rate to 0 once the window has passed.
  const auto stalled = t0 + milliseconds(5000 + 2000 * 30);
  for (int i = 1; i <= 6; ++i) rate = meter.Record(stalled + milliseconds(2000 * i), posts, milliseconds(0));
  EXPECT_DOUBLE_EQ(rate, 0.0);
}

TEST_F(ServeTest, HealthzAnswersWithoutTheToken) {
  ServeOptions options;
  options.token = kToken;
  StartServer(options);
  httplib::Client client = Client();
  httplib::Result health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->get_header_value("Content-Type"), "application/json");
  Json json(health->body);
  EXPECT_EQ(Str(json["status"]), "ok");
  EXPECT_EQ(simdjson::to_string(json["pipeline"]), "false");
  EXPECT_GE(Int(json["uptime_s"]), 4);
}

TEST_F(ServeTest, TokenGuardsEveryEndpointButHealthAndTheConsoleFiles) {
  const std::string id = AddCase(core::Severity::kHigh, 70, "@ann");
  ServeOptions options;
  options.token = kToken;
  StartServer(options);
  httplib::Client client = Client();
  struct Endpoint {
    const char* method;
    std::string path;
    int authorized_status;  // what it answers with the token
  };
  const std::vector<Endpoint> endpoints = {
      {"GET", "/metrics", 200},           {"GET", "/cases", 200},          {"GET", "/cases?state=all&limit=5", 200},
      {"GET", "/api/sources", 200},       {"GET", "/api/stats", 200},      {"GET", "/api/rules", 200},
      {"POST", "/cases/" + id + "/ack", 409},  // queued, not leased
      {"POST", "/cases/pull?max=1", 200}, {"POST", "/cases/" + id + "/resolve", 200},
      {"POST", "/rules/reload", 503},     {"GET", "/no/such/path", 404},
  };
  for (const Endpoint& endpoint : endpoints) {
    auto call = [&](const httplib::Headers& headers) {
      return std::string(endpoint.method) == "GET" ? client.Get(endpoint.path.c_str(), headers)
                                                   : client.Post(endpoint.path.c_str(), headers, "", "text/plain");
    };
    httplib::Result anonymous = call({});
    ASSERT_TRUE(anonymous) << endpoint.path;
    EXPECT_EQ(anonymous->status, 401) << endpoint.method << " " << endpoint.path;
    EXPECT_EQ(anonymous->get_header_value("Content-Type"), "application/json");
    EXPECT_NE(ErrorOf(anonymous).find("Authorization: Bearer"), std::string::npos) << anonymous->body;
    httplib::Result wrong = call(Bearer("not-the-token"));
    ASSERT_TRUE(wrong);
    EXPECT_EQ(wrong->status, 401) << endpoint.method << " " << endpoint.path;
    httplib::Result truncated = call(Bearer(std::string(kToken).substr(1)));
    ASSERT_TRUE(truncated);
    EXPECT_EQ(truncated->status, 401) << endpoint.method << " " << endpoint.path;
    httplib::Result right = call(Bearer(kToken));
    ASSERT_TRUE(right);
    EXPECT_EQ(right->status, endpoint.authorized_status) << endpoint.method << " " << endpoint.path << ": "
                                                         << right->body;
  }
  for (const char* path : {"/healthz", "/", "/index.html", "/console.js", "/console.css"}) {
    httplib::Result open = client.Get(path);
    ASSERT_TRUE(open);
    EXPECT_EQ(open->status, 200) << path;
  }
}

TEST_F(ServeTest, RefusesToListenBeyondLoopbackWithoutAToken) {
  ServeContext context = Context();
  ServeOptions options;
  options.port = 0;
  for (const char* host : {"0.0.0.0", "::", "192.0.2.1"}) {
    options.host = host;
    core::Result<std::unique_ptr<HttpServer>> refused = HttpServer::Start(options, context);
    ASSERT_FALSE(refused) << host;
    EXPECT_TRUE(refused.error().IsInvalidArgument());
    EXPECT_NE(refused.error().message().find("token"), std::string::npos) << refused.error().message();
    EXPECT_NE(refused.error().message().find(host), std::string::npos) << refused.error().message();
  }
  options.host = "0.0.0.0";
  options.token = kToken;
  core::Result<std::unique_ptr<HttpServer>> with_token = HttpServer::Start(options, context);
  ASSERT_TRUE(with_token) << with_token.error().ToString();
  httplib::Client client("127.0.0.1", (*with_token)->port());
  EXPECT_EQ(client.Get("/cases")->status, 401);
  EXPECT_EQ(client.Get("/cases", Bearer(kToken))->status, 200);
}

// A web page in the operator's browser can reach a loopback server: by DNS rebinding (its own host
// name resolving to 127.0.0.1) or by a cross-site form POST. Neither may read or change the queue.
TEST_F(ServeTest, PagesOfOtherSitesCannotReadOrChangeTheQueue) {
  const std::string id = AddCase(core::Severity::kHigh, 70, "@ann");
  StartServer();
  httplib::Client client = Client();
  const httplib::Headers rebound = {{"Host", "evil.example:" + std::to_string(server_->port())}};
  httplib::Result read = client.Get("/cases", rebound);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->status, 403);
  EXPECT_NE(ErrorOf(read).find("not a loopback name"), std::string::npos) << read->body;
  EXPECT_EQ(client.Get("/api/stats", rebound)->status, 403);
  EXPECT_EQ(client.Get("/healthz", rebound)->status, 200) << "no data there";
  EXPECT_EQ(client.Get("/cases", {{"Host", "localhost:" + std::to_string(server_->port())}})->status, 200);

  httplib::Result forged = client.Post("/cases/pull?max=1", {{"Origin", "http://evil.example"}}, "", "text/plain");
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 403);
  EXPECT_NE(ErrorOf(forged).find("cross-origin POST from 'http://evil.example' refused"), std::string::npos);
  EXPECT_EQ(CaseIds(client.Get("/cases?state=queued")->body), std::vector<std::string>{id}) << "still queued";
  const httplib::Headers same_origin = {{"Origin", "http://127.0.0.1:" + std::to_string(server_->port())}};
  EXPECT_EQ(client.Post("/cases/pull?max=1", same_origin, "", "text/plain")->status, 200);
  server_.reset();

  // With a token the host name does not matter (no other page has the token); Origin still does.
  ServeOptions options;
  options.token = kToken;
  StartServer(options);
  httplib::Client with_token = Client();
  httplib::Headers headers = Bearer(kToken);
  headers.emplace("Host", "earshot.internal:8080");
  EXPECT_EQ(with_token.Get("/cases", headers)->status, 200);
  headers.emplace("Origin", "http://evil.example");
  EXPECT_EQ(with_token.Post("/cases/pull", headers, "", "text/plain")->status, 403);
}

TEST_F(ServeTest, AnAddressInUseIsUnavailableNamingIt) {
  StartServer();
  ServeOptions options;
  options.port = server_->port();
  core::Result<std::unique_ptr<HttpServer>> second = HttpServer::Start(options, Context());
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), core::StatusCode::kUnavailable);
  EXPECT_EQ(second.error().message(), "listen 127.0.0.1:" + std::to_string(options.port) + ": address in use");
}

TEST_F(ServeTest, ListsCasesByStateAndLimitAsTheCliDoes) {
  const std::string low = AddCase(core::Severity::kLow, 20, "@lou");
  const std::string critical = AddCase(core::Severity::kCritical, 95, "@cy", {"acme caught fire", "still burning"});
  const std::string high = AddCase(core::Severity::kHigh, 70, "@hal");
  StartServer();
  httplib::Client client = Client();

  httplib::Result open = client.Get("/cases");
  ASSERT_TRUE(open);
  EXPECT_EQ(open->status, 200);
  EXPECT_EQ(open->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(CaseIds(open->body), (std::vector<std::string>{critical, high, low})) << "urgency order";

  // Each element is exactly a line of `earshot cases list`.
  std::string expected = "{\"cases\":[";
  ASSERT_TRUE(store_->Read([&](store::Txn& txn) -> core::Status {
                      core::Result<std::vector<store::CaseRecord>> cases =
                          store::ListCases(txn, store::StateFilter::kOpen, core::NowMillis(), 0);
                      if (!cases) return cases.error();
                      for (size_t i = 0; i < cases->size(); ++i) {
                        if (i > 0) expected += ",";
                        store::AppendCaseJson(expected, (*cases)[i], core::NowMillis());
                      }
                      return core::Status::Ok();
                    })
                  .ok());
  expected += "]}";
  EXPECT_EQ(open->body, expected);

  httplib::Result limited = client.Get("/cases?state=open&limit=2");
  ASSERT_TRUE(limited);
  EXPECT_EQ(CaseIds(limited->body), (std::vector<std::string>{critical, high}));

  ASSERT_EQ(client.Post("/cases/pull?max=1&lease=60")->status, 200);
  EXPECT_EQ(CaseIds(client.Get("/cases?state=leased")->body), (std::vector<std::string>{critical}));
  EXPECT_EQ(CaseIds(client.Get("/cases?state=queued")->body), (std::vector<std::string>{high, low}));
  ASSERT_EQ(client.Post(("/cases/" + low + "/resolve").c_str())->status, 200);
  EXPECT_EQ(CaseIds(client.Get("/cases?state=resolved")->body), (std::vector<std::string>{low}));
  EXPECT_EQ(CaseIds(client.Get("/cases?state=open")->body), (std::vector<std::string>{critical, high}));
  EXPECT_EQ(CaseIds(client.Get("/cases?state=all")->body).size(), 3u);

  httplib::Result bad_state = client.Get("/cases?state=pending");
  ASSERT_TRUE(bad_state);
  EXPECT_EQ(bad_state->status, 400);
  EXPECT_EQ(ErrorOf(bad_state), "state must be open, all, queued, leased, acked or resolved, not 'pending'");
  for (const char* bad_limit : {"0", "-1", "abc", "2x", ""}) {
    httplib::Result response = client.Get(("/cases?limit=" + std::string(bad_limit)).c_str());
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 400) << bad_limit;
    EXPECT_NE(ErrorOf(response).find("limit must be a whole number from 1 to 1000"), std::string::npos)
        << response->body;
  }
  for (const char* over : {"1001", "99999999999999999999999"}) {
    httplib::Result response = client.Get(("/cases?limit=" + std::string(over)).c_str());
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 400) << over;
    EXPECT_NE(ErrorOf(response).find("over the cap of 1000"), std::string::npos) << response->body;
  }
  EXPECT_EQ(client.Get("/cases?limit=1000")->status, 200);
}

TEST_F(ServeTest, PullAckNackResolveFollowTheQueueSemantics) {
  const std::string first = AddCase(core::Severity::kCritical, 90, "@ann");
  const std::string second = AddCase(core::Severity::kHigh, 60, "@bob");
  const std::string third = AddCase(core::Severity::kLow, 10, "@cy");
  StartServer();
  httplib::Client client = Client();

  // Pull two, highest urgency first, leased with a lease id.
  httplib::Result pulled = client.Post("/cases/pull?max=2&lease=60");
  ASSERT_TRUE(pulled);
  ASSERT_EQ(pulled->status, 200) << pulled->body;
  Json pulled_json(pulled->body);
  const std::vector<simdjson::dom::element> leased = Elements(pulled_json["cases"]);
  ASSERT_EQ(leased.size(), 2u);
  EXPECT_EQ(Field(leased[0], "case_id"), first);
  EXPECT_EQ(Field(leased[1], "case_id"), second);
  EXPECT_EQ(Field(leased[0], "state"), "leased");
  EXPECT_EQ(Field(leased[0], "lease_id"), first + ".1");

  // ack: leased → acked; a second ack is a conflict naming the state.
  httplib::Result acked = client.Post(("/cases/" + first + "/ack").c_str());
  ASSERT_TRUE(acked);
  EXPECT_EQ(acked->status, 200) << acked->body;
  EXPECT_EQ(Field(Json(acked->body).root, "state"), "acked");
  httplib::Result again = client.Post(("/cases/" + first + "/ack").c_str());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 409);
  EXPECT_NE(ErrorOf(again).find("case " + first + " is acked, not leased"), std::string::npos) << again->body;

  // nack: leased → queued; acking a queued case is a conflict.
  httplib::Result nacked = client.Post(("/cases/" + second + "/nack").c_str());
  ASSERT_TRUE(nacked);
  EXPECT_EQ(nacked->status, 200) << nacked->body;
  EXPECT_EQ(Field(Json(nacked->body).root, "state"), "queued");
  httplib::Result queued_ack = client.Post(("/cases/" + third + "/ack").c_str());
  ASSERT_TRUE(queued_ack);
  EXPECT_EQ(queued_ack->status, 409);
  EXPECT_NE(ErrorOf(queued_ack).find("case " + third + " is queued, not leased"), std::string::npos);

  // A lease id acts only while that very lease is held.
  httplib::Result repulled = client.Post("/cases/pull?max=1");
  ASSERT_TRUE(repulled);
  const std::vector<std::string> repulled_ids = CaseIds(repulled->body);
  ASSERT_EQ(repulled_ids, std::vector<std::string>{second});
  httplib::Result stale = client.Post(("/cases/" + second + ".1/ack").c_str());
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status, 409);
  EXPECT_NE(ErrorOf(stale).find("lease " + second + ".1 is no longer held"), std::string::npos) << stale->body;
  EXPECT_EQ(client.Post(("/cases/" + second + ".2/ack").c_str())->status, 200);

  // resolve: any unresolved state; twice is a conflict.
  httplib::Result resolved = client.Post(("/cases/" + third + "/resolve").c_str());
  ASSERT_TRUE(resolved);
  EXPECT_EQ(resolved->status, 200);
  EXPECT_EQ(Field(Json(resolved->body).root, "state"), "resolved");
  httplib::Result twice = client.Post(("/cases/" + third + "/resolve").c_str());
  ASSERT_TRUE(twice);
  EXPECT_EQ(twice->status, 409);
  EXPECT_NE(ErrorOf(twice).find("already resolved"), std::string::npos);

  // Unknown and malformed ids.
  httplib::Result unknown = client.Post("/cases/c-00000099/ack");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(ErrorOf(unknown), "unknown case c-00000099");
  httplib::Result malformed = client.Post("/cases/case-7/resolve");
  ASSERT_TRUE(malformed);
  EXPECT_EQ(malformed->status, 400);
  EXPECT_NE(ErrorOf(malformed).find("not a case id or lease id"), std::string::npos);

  // Pull parameters.
  for (const char* query : {"max=0", "max=1001", "max=x", "lease=0", "lease=-5", "lease=abc", "lease=nan",
                            "lease=99999999"}) {
    httplib::Result response = client.Post(("/cases/pull?" + std::string(query)).c_str());
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 400) << query << ": " << response->body;
  }
  // An empty queue pulls nothing, successfully.
  httplib::Result empty = client.Post("/cases/pull?max=5&lease=0.5");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 200);
  EXPECT_EQ(empty->body, "{\"cases\":[]}");
}

TEST_F(ServeTest, WithARedisQueuePullAckAndNackAreRefusedButResolveWorks) {
  const std::string id = AddCase(core::Severity::kHigh, 60, "@ann");
  ServeContext context = Context();
  context.redis_queue = true;
  context.redis_stream = "earshot:cases";
  StartServer({}, context);
  httplib::Client client = Client();
  const std::string refusal =
      "queue.kind is redis: consumers read the streams earshot:cases:critical|high|medium|low with XREADGROUP";
  for (const std::string& path : {std::string("/cases/pull?max=1"), "/cases/" + id + "/ack", "/cases/" + id + "/nack"}) {
    httplib::Result response = client.Post(path.c_str());
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 409) << path;
    EXPECT_EQ(ErrorOf(response), refusal);
  }
  httplib::Result resolved = client.Post(("/cases/" + id + "/resolve").c_str());
  ASSERT_TRUE(resolved);
  EXPECT_EQ(resolved->status, 200) << resolved->body;
  EXPECT_EQ(client.Get("/cases?state=resolved")->status, 200);
}

TEST_F(ServeTest, OversizedBodiesAndUrisAreRefused) {
  ServeOptions options;
  options.max_body_bytes = 1024;
  options.max_uri_bytes = 256;
  StartServer(options);
  httplib::Client client = Client();

  httplib::Result body_ok = client.Post("/cases/pull", std::string(1000, 'x'), "text/plain");
  ASSERT_TRUE(body_ok);
  EXPECT_EQ(body_ok->status, 200);
  httplib::Result too_big = client.Post("/cases/pull", std::string(4096, 'x'), "text/plain");
  ASSERT_TRUE(too_big);
  EXPECT_EQ(too_big->status, 413);
  EXPECT_EQ(too_big->get_header_value("Content-Type"), "application/json");
  EXPECT_NE(ErrorOf(too_big).find("1024 bytes"), std::string::npos) << too_big->body;

  const std::string long_query = "/cases?state=open&pad=" + std::string(300, 'a');
  httplib::Result too_long = client.Get(long_query.c_str());
  ASSERT_TRUE(too_long);
  EXPECT_EQ(too_long->status, 414);
  EXPECT_NE(ErrorOf(too_long).find("over the limit of 256"), std::string::npos) << too_long->body;
  EXPECT_EQ(client.Get(("/cases?pad=" + std::string(200, 'a')).c_str())->status, 200);
  httplib::Result unknown = client.Get("/nothing/here");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(ErrorOf(unknown), "no endpoint GET /nothing/here");
}

TEST_F(ServeTest, AUriOverCppHttplibsOwnLimitIsStill414AsJson) {
  StartServer();  // max_uri_bytes 8 KiB, which is also cpp-httplib's compiled-in limit
  httplib::Client client = Client();
  httplib::Result too_long = client.Get(("/cases?pad=" + std::string(9000, 'a')).c_str());
  ASSERT_TRUE(too_long);
  EXPECT_EQ(too_long->status, 414);
  EXPECT_EQ(too_long->get_header_value("Content-Type"), "application/json");
}

TEST_F(ServeTest, MetricsAreValidPrometheusTextWithTheQueueDepth) {
  AddCase(core::Severity::kCritical, 95, "@a");
  AddCase(core::Severity::kHigh, 70, "@b");
  AddCase(core::Severity::kHigh, 65, "@c");
  AddCase(core::Severity::kLow, 15, "@d");
  StartServer();
  httplib::Client client = Client();
  ASSERT_EQ(client.Post("/cases/pull?max=1&lease=60")->status, 200);  // the critical one

  httplib::Result metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  ASSERT_EQ(metrics->status, 200);
  EXPECT_EQ(metrics->get_header_value("Content-Type").rfind("text/plain; version=0.0.4", 0), 0u);
  const testing::Exposition exposition = ParseExposition(metrics->body);
  EXPECT_EQ(exposition.Value(R"(earshot_queue_cases{state="leased",severity="critical"})"), 1);
  EXPECT_EQ(exposition.Value(R"(earshot_queue_cases{state="queued",severity="critical"})"), 0);
  EXPECT_EQ(exposition.Value(R"(earshot_queue_cases{state="queued",severity="high"})"), 2);
  EXPECT_EQ(exposition.Value(R"(earshot_queue_cases{state="queued",severity="medium"})"), 0);
  EXPECT_EQ(exposition.Value(R"(earshot_queue_cases{state="queued",severity="low"})"), 1);
  EXPECT_EQ(exposition.Value("earshot_outbox_depth"), 0);
  EXPECT_EQ(exposition.Value(R"(earshot_build_info{version="0.1.0"})"), 1);
  EXPECT_GE(exposition.Value("earshot_uptime_seconds").value_or(-1), 4);
  // Api-only: no pipeline, fetcher, publisher or reloader, so none of their families.
  for (const char* absent : {"earshot_posts_total", "earshot_http_requests_total", "earshot_redis_connected",
                             "earshot_rules_generation", "earshot_stage_seconds"}) {
    EXPECT_EQ(exposition.types.count(absent), 0u) << absent;
  }
}

TEST_F(ServeTest, MetricsIncludeTheFetchersCountersAndHosts) {
  crawler::FetcherOptions fetcher_options = crawler::test_support::FastOptions();
  fetcher_options.max_attempts = 1;
  std::unique_ptr<crawler::Fetcher> fetcher = crawler::test_support::StartFetcher(fetcher_options);
  ASSERT_NE(fetcher, nullptr);
  const std::string url = "http://127.0.0.1:" + std::to_string(crawler::test_support::ClosedPort()) + "/feed";
  const crawler::HttpResponse response = crawler::test_support::Fetch(*fetcher, crawler::test_support::Get(url));
  EXPECT_FALSE(response.transport.ok());
  ServeContext context = Context();
  context.fetcher = fetcher.get();
  StartServer({}, context);

  const testing::Exposition exposition = ParseExposition(Client().Get("/metrics")->body);
  EXPECT_EQ(exposition.Value("earshot_http_requests_total"), 1);
  EXPECT_EQ(exposition.Value("earshot_http_transport_errors_total"), 1);
  EXPECT_EQ(exposition.Value("earshot_http_responses_total"), 0);
  for (const char* family : {"earshot_http_retries_total", "earshot_http_rate_limited_total",
                             "earshot_http_not_modified_total", "earshot_http_received_bytes_total"}) {
    EXPECT_TRUE(exposition.Value(family).has_value()) << family;
  }
  const std::string host = crawler::Fetcher::HostKey(url);
  EXPECT_EQ(exposition.Value("earshot_http_host_requests_total{host=\"" + host + "\"}"), 1);
  EXPECT_TRUE(exposition.Value("earshot_http_host_blocked_until_timestamp_seconds{host=\"" + host + "\"}"));
  server_.reset();  // before the fetcher it reads
}

TEST_F(ServeTest, RuleReloadAnswers503WithoutAReloaderAnd200Or422WithOne) {
  StartServer();
  {
    httplib::Client client = Client();
    httplib::Result none = client.Post("/rules/reload");
    ASSERT_TRUE(none);
    EXPECT_EQ(none->status, 503);
  }
  server_.reset();

  std::shared_ptr<const matchers::Database> good = triage::testing::BuildTestDatabase();
  ASSERT_NE(good, nullptr);
  std::atomic<bool> broken{false};
  uint64_t generation = 1;
  triage::RuleReloader reloader(
      [&]() -> core::Result<std::shared_ptr<const matchers::Database>> {
        if (broken) return core::Status::InvalidArgument("rules/complaints.yaml:7:5: unknown key 'categry'");
        return good;
      },
      [&](std::shared_ptr<const matchers::Database>) { return ++generation; }, [](const triage::ReloadResult&) {},
      {}, std::chrono::milliseconds(0), 1, good->rules().rules.size());
  ServeContext context = Context();
  context.reloader = &reloader;
  StartServer({}, context);
  httplib::Client client = Client();

  httplib::Result ok = client.Post("/rules/reload");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
  Json ok_json(ok->body);
  EXPECT_EQ(simdjson::to_string(ok_json["ok"]), "true");
  EXPECT_EQ(Int(ok_json["generation"]), 2);
  EXPECT_EQ(Int(ok_json["rules"]), static_cast<int64_t>(good->rules().rules.size()));
  double compile_ms = -1;
  EXPECT_EQ(ok_json["compile_ms"].get(compile_ms), simdjson::SUCCESS);
  EXPECT_GE(compile_ms, 0);

  broken = true;
  httplib::Result failed = client.Post("/rules/reload");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, 422);
  Json failed_json(failed->body);
  EXPECT_EQ(simdjson::to_string(failed_json["ok"]), "false");
  EXPECT_EQ(Int(failed_json["generation"]), 2) << "the running rules stay";
  EXPECT_EQ(Str(failed_json["error"]), "rules/complaints.yaml:7:5: unknown key 'categry'");

  const testing::Exposition exposition = ParseExposition(client.Get("/metrics")->body);
  EXPECT_EQ(exposition.Value(R"(earshot_rules_reloads_total{result="ok"})"), 1);
  EXPECT_EQ(exposition.Value(R"(earshot_rules_reloads_total{result="error"})"), 1);
  EXPECT_EQ(exposition.Value("earshot_rules_generation"), 2);
  Json stats(client.Get("/api/stats")->body);
  simdjson::dom::element last = stats["rules"]["last_reload"].value_unsafe();
  EXPECT_EQ(Field(last, "ok"), "false");
  EXPECT_EQ(Field(last, "trigger"), "http");
  EXPECT_NE(Field(last, "error").find("categry"), std::string::npos);
  server_.reset();  // before the reloader it calls
}

TEST_F(ServeTest, APipelinePassShowsInSourcesStatsRulesAndMetrics) {
  RunPipelinePass({PostLine("1", "@ana", "acme charged me twice"), PostLine("2", "@bo", "lovely day"),
                   PostLine("3", "@cy", "my acme caught fire"), PostLine("1", "@ana", "acme charged me twice"),
                   "not json at all"});
  StartServer();
  httplib::Client client = Client();

  Json sources(client.Get("/api/sources")->body);
  const std::vector<simdjson::dom::element> listed = Elements(sources.root);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(Field(listed[0], "id"), "replay");
  EXPECT_EQ(Field(listed[0], "kind"), "jsonl");
  EXPECT_EQ(Field(listed[0], "lines"), "5");
  EXPECT_EQ(Field(listed[0], "posts"), "3");
  EXPECT_EQ(Field(listed[0], "errors"), "0");
  EXPECT_EQ(Field(listed[0], "last_error"), "");
  EXPECT_EQ(Field(listed[0], "blocked_until_ms"), "0");
  EXPECT_GE(std::stoll(Field(listed[0], "polls")), 1);
  EXPECT_GT(std::stoll(Field(listed[0], "last_poll_ms")), 0);
  for (const char* key : {"host", "description", "last_ok_ms", "ended", "blocked_reason"}) {
    EXPECT_EQ(Field(listed[0], key).rfind("<missing", 0), std::string::npos) << key;
  }

  const testing::Exposition exposition = ParseExposition(client.Get("/metrics")->body);
  EXPECT_EQ(exposition.Value("earshot_lines_read_total"), 5);
  EXPECT_EQ(exposition.Value(R"(earshot_posts_total{outcome="new"})"), 3);
  EXPECT_EQ(exposition.Value(R"(earshot_posts_total{outcome="duplicate"})"), 1);
  EXPECT_EQ(exposition.Value(R"(earshot_posts_total{outcome="skipped"})"), 1);
  EXPECT_EQ(exposition.Value("earshot_complaints_total"), 2);
  EXPECT_EQ(exposition.Value(R"(earshot_cases_total{event="opened"})"), 2);
  EXPECT_EQ(exposition.Value(R"(earshot_source_posts_total{source="replay",kind="jsonl"})"), 3);
  EXPECT_EQ(exposition.Value(R"(earshot_source_lines_total{source="replay",kind="jsonl"})"), 5);
  EXPECT_EQ(exposition.Value(R"(earshot_rule_hits_total{rule="billing.twice"})"), 1);
  EXPECT_EQ(exposition.Value(R"(earshot_rule_hits_total{rule="safety.fire"})"), 1);
  EXPECT_EQ(exposition.Value("earshot_rules_generation"), 1);
  EXPECT_EQ(exposition.Value("earshot_post_commit_latency_seconds_count"), 3);
  EXPECT_GE(exposition.Value(R"(earshot_stage_seconds_count{stage="commit"})").value_or(0), 1);
  EXPECT_EQ(exposition.Value(R"(earshot_queue_cases{state="queued",severity="critical"})").value_or(0) +
                exposition.Value(R"(earshot_queue_cases{state="queued",severity="high"})").value_or(0) +
                exposition.Value(R"(earshot_queue_cases{state="queued",severity="medium"})").value_or(0) +
                exposition.Value(R"(earshot_queue_cases{state="queued",severity="low"})").value_or(0),
            2);

  Json stats(client.Get("/api/stats")->body);
  EXPECT_EQ(Int(stats["posts"]), 3);
  EXPECT_EQ(Int(stats["complaints"]), 2);
  EXPECT_EQ(Int(stats["cases_opened"]), 2);
  EXPECT_EQ(Int(stats["duplicates"]), 1);
  EXPECT_EQ(Int(stats["skipped"]), 1);
  EXPECT_EQ(Int(stats["queue"]["open"].value_unsafe()), 2);
  EXPECT_EQ(Int(stats["rules"]["generation"].value_unsafe()), 1);
  double rate = -1;
  EXPECT_EQ(stats["posts_per_s"].get(rate), simdjson::SUCCESS);
  EXPECT_GT(rate, 0) << "3 posts since a start 5 s ago";
  double p99 = -1;
  EXPECT_EQ(stats["latency_p99_s"].get(p99), simdjson::SUCCESS);
  EXPECT_GT(p99, 0);

  Json rules(client.Get("/api/rules")->body);
  const std::vector<simdjson::dom::element> hits = Elements(rules.root);
  ASSERT_FALSE(hits.empty());
  std::map<std::string, int64_t> by_rule;
  for (size_t i = 0; i < hits.size(); ++i) {
    by_rule[Field(hits[i], "rule")] = std::stoll(Field(hits[i], "hits"));
    if (i > 0) {
      EXPECT_GE(std::stoll(Field(hits[i - 1], "hits")), std::stoll(Field(hits[i], "hits"))) << "most first";
    }
  }
  EXPECT_EQ(by_rule["billing.twice"], 1);
  EXPECT_EQ(by_rule["safety.fire"], 1);
  EXPECT_EQ(by_rule.count("service.hold"), 1u) << "rules that never fired are listed too";
  EXPECT_EQ(by_rule["service.hold"], 0);

  Json health(client.Get("/healthz")->body);
  EXPECT_EQ(simdjson::to_string(health["pipeline"]), "true");
}

TEST_F(ServeTest, ServesTheConsoleFilesCompiledIn) {
  StartServer();
  httplib::Client client = Client();
  struct Asset {
    const char* path;
    const char* file;
    const char* type;
  };
  for (const Asset& asset : {Asset{"/", "serve/console/index.html", "text/html; charset=utf-8"},
                             Asset{"/index.html", "serve/console/index.html", "text/html; charset=utf-8"},
                             Asset{"/console.js", "serve/console/console.js", "text/javascript; charset=utf-8"},
                             Asset{"/console.css", "serve/console/console.css", "text/css; charset=utf-8"}}) {
    httplib::Result response = client.Get(asset.path);
    ASSERT_TRUE(response) << asset.path;
    EXPECT_EQ(response->status, 200) << asset.path;
    EXPECT_EQ(response->get_header_value("Content-Type"), asset.type) << asset.path;
    EXPECT_EQ(response->get_header_value("Cache-Control"), "no-cache") << asset.path;
    EXPECT_EQ(response->body, testing::ReadSourceFile(asset.file)) << asset.path << " is the file as built";
  }
  EXPECT_NE(client.Get("/")->get_header_value("Content-Security-Policy").find("script-src 'self'"),
            std::string::npos);
  EXPECT_EQ(client.Get("/console.jsx")->status, 404);
}

}  // namespace
}  // namespace earshot::serve
