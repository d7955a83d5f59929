// `earshot serve` and `earshot run --serve` as real processes on loopback: rules reloaded live on
// POST /rules/reload, SIGHUP and a file change, with a broken file reported and the running rules
// kept; the token rule for listening beyond loopback; the api-only server beside a finished run.
// (The Redis hand-off through outages is in redis_process_test.cc.)
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "tests/cli/child_process.h"
#include "tests/cli/earshot_process.h"
#include "tests/cli/run_corpus.h"

namespace {

using namespace earshot::test_support;  // NOLINT: test support, in a .cc
namespace fs = std::filesystem;

class ServeProcessTest : public EarshotProcessTest {
 protected:
  void SetUp() override {
    EarshotProcessTest::SetUp();
    Write("rules/complaints.yaml", kComplaintRules);
    Write("rules/brands.yaml", kBrandRules);
    Write("posts.jsonl", "");
  }

  fs::path WriteServeConfig(const std::string& extra = "") {
    return Write("earshot.yaml",
                 "data_dir: data\n"
                 "rules: [rules/]\n"
                 "sources:\n  - id: feed\n    kind: jsonl\n    path: posts.jsonl\n    every: 100ms\n" +
                     extra);
  }
};

// The queue's open cases, as GET /cases returns them (the raw body).
std::string OpenCases(httplib::Client& client) {
  httplib::Result response = client.Get("/cases?state=open");
  return response && response->status == 200 ? response->body : std::string();
}

TEST_F(ServeProcessTest, ReloadsRulesOnHttpSighupAndFileChangeKeepingThemWhenBroken) {
  const fs::path config = WriteServeConfig();
  Process serve = Start({"serve", "--config", config.string(), "--listen", "127.0.0.1:0", "--cache-dir", CacheDir()});
  const int port = WaitForPort(serve);
  ASSERT_GT(port, 0) << Slurp(serve.err);
  httplib::Client client("127.0.0.1", port);

  // "zorblax" means nothing to the running rules: the post is read, and opens no case.
  Append("posts.jsonl", Post("p1", "@ann", "my zorblax router broke again @acmenet", kEpoch2025));
  ASSERT_TRUE(Eventually([&] { return MetricValue(client, "earshot_posts_total{outcome=\"new\"}") >= 1; }))
      << Slurp(serve.err);
  EXPECT_EQ(OpenCases(client).find("\"case_id\""), std::string::npos) << OpenCases(client);

  // A broken edit: the reload answers 422 with the file and line, and the old rules stay.
  Write("rules/zorblax.yaml", "complaints:\n  - id: hardware.zorblax\n    categry: outage\n");
  httplib::Result broken = client.Post("/rules/reload");
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->status, 422) << broken->body;
  EXPECT_NE(broken->body.find("zorblax.yaml:3:5: rule 'hardware.zorblax': unknown key 'categry'"), std::string::npos)
      << broken->body;
  EXPECT_NE(broken->body.find("categry"), std::string::npos) << broken->body;
  EXPECT_EQ(client.Get("/healthz")->status, 200);
  EXPECT_FALSE(serve.child.Poll().has_value()) << "a broken rule file must not stop the engine";

  // Fixed, and a rule that knows zorblax: SIGHUP swaps it in between batches.
  Write("rules/zorblax.yaml",
        "complaints:\n  - id: hardware.zorblax\n    category: product_defect\n    patterns: ['\\bzorblax\\b']\n");
  serve.child.Signal(SIGHUP);
  ASSERT_TRUE(Eventually([&] { return Slurp(serve.err).find("rules reloaded (SIGHUP)") != std::string::npos; }))
      << Slurp(serve.err);
  Append("posts.jsonl", Post("p2", "@bob", "the zorblax in my acmenet box broke", kEpoch2025 + 60));
  ASSERT_TRUE(Eventually([&] { return OpenCases(client).find("\"p2\"") != std::string::npos; }))
      << OpenCases(client) << Slurp(serve.err);
  // p1 was scored once, by the rules in force when it was read: it is in no case.
  EXPECT_EQ(OpenCases(client).find("\"p1\""), std::string::npos) << OpenCases(client);

  // An edit alone (no signal, no request) is picked up by the watcher.
  const double generation = MetricValue(client, "earshot_rules_generation");
  Write("rules/extra.yaml", "complaints:\n  - id: billing.quuxly\n    category: billing\n    patterns: ['\\bquuxly\\b']\n");
  ASSERT_TRUE(Eventually([&] { return MetricValue(client, "earshot_rules_generation") > generation; }))
      << Slurp(serve.err);
  Append("posts.jsonl", Post("p3", "@cy", "acmenet billed me quuxly", kEpoch2025 + 120));
  ASSERT_TRUE(Eventually([&] { return OpenCases(client).find("\"p3\"") != std::string::npos; })) << OpenCases(client);
  EXPECT_GE(MetricValue(client, "earshot_rule_hits_total{rule=\"billing.quuxly\"}"), 1);

  serve.child.Signal(SIGTERM);
  const Outcome stopped = Finish(serve);
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
}

TEST_F(ServeProcessTest, ListeningBeyondLoopbackNeedsATokenAndTheTokenGuardsEverythingButHealth) {
  const fs::path open_config = WriteServeConfig();
  const Outcome refused = Earshot({"serve", "--config", open_config.string(), "--listen", "0.0.0.0:0"});
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_NE(refused.err.find("token"), std::string::npos) << refused.err;

  ::setenv("EARSHOT_TEST_SERVE_TOKEN", "s3cret-token-for-tests", 1);
  const fs::path config = WriteServeConfig("serve: {listen: '0.0.0.0:0', token_env: EARSHOT_TEST_SERVE_TOKEN}\n");
  Process serve = Start({"serve", "--config", config.string(), "--cache-dir", CacheDir()});
  const int port = WaitForPort(serve);
  ::unsetenv("EARSHOT_TEST_SERVE_TOKEN");
  ASSERT_GT(port, 0) << Slurp(serve.err);
  httplib::Client client("127.0.0.1", port);
  EXPECT_EQ(client.Get("/healthz")->status, 200);
  for (const char* path : {"/cases", "/metrics", "/api/sources"}) {
    EXPECT_EQ(client.Get(path)->status, 401) << path;
  }
  EXPECT_EQ(client.Post("/rules/reload")->status, 401);
  httplib::Headers wrong = {{"Authorization", "Bearer not-the-token"}};
  EXPECT_EQ(client.Get("/cases", wrong)->status, 401);
  httplib::Headers right = {{"Authorization", "Bearer s3cret-token-for-tests"}};
  EXPECT_EQ(client.Get("/cases", right)->status, 200);
  EXPECT_EQ(client.Get("/metrics", right)->status, 200);
  EXPECT_EQ(Slurp(serve.err).find("s3cret"), std::string::npos) << "the token is never logged";
}

// Sends `request` as is over a fresh loopback connection and returns everything the server sent
// back: what `curl -X POST URL` sends cannot be made with httplib's client, which always adds a
// Content-Length.
std::string RawExchange(int port, const std::string& request) {
  UniqueFd socket(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(socket.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return "";
  if (::send(socket.get(), request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    return "";
  }
  std::string response;
  char buffer[4096];
  for (ssize_t n; (n = ::recv(socket.get(), buffer, sizeof buffer, 0)) > 0;) response.append(buffer, static_cast<size_t>(n));
  return response;
}

TEST_F(ServeProcessTest, ABodylessPostIsToldHowToSendAnEmptyBody) {
  const fs::path config = WriteServeConfig();
  Process serve = Start({"serve", "--config", config.string(), "--listen", "127.0.0.1:0", "--cache-dir", CacheDir()});
  const int port = WaitForPort(serve);
  ASSERT_GT(port, 0) << Slurp(serve.err);
  const std::string response =
      RawExchange(port, "POST /rules/reload HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  EXPECT_NE(response.find("HTTP/1.1 400"), std::string::npos) << response;
  EXPECT_NE(response.find("a POST needs a Content-Length header, even with no body (curl: -d '')"), std::string::npos)
      << response;
}

TEST_F(ServeProcessTest, ApiOnlyServesTheQueueOfASeparateRun) {
  const fs::path config = WriteServeConfig();
  Write("posts.jsonl", Post("p1", "@ann", "acmenet is down again, 3 hours now", kEpoch2025) +
                           Post("p2", "@bob", "skyway lost my bag", kEpoch2025 + 5));
  const Outcome run = Earshot({"run", "--config", config.string(), "--once", "--cache-dir", CacheDir()});
  ASSERT_EQ(run.exit_code, 0) << run.err;

  Process serve =
      Start({"serve", "--config", config.string(), "--api-only", "--listen", "127.0.0.1:0"});
  const int port = WaitForPort(serve);
  ASSERT_GT(port, 0) << Slurp(serve.err);
  httplib::Client client("127.0.0.1", port);
  const std::string cases = OpenCases(client);
  EXPECT_NE(cases.find("\"p1\""), std::string::npos) << cases;
  EXPECT_NE(cases.find("\"p2\""), std::string::npos) << cases;
  httplib::Result pulled = client.Post("/cases/pull?max=1&lease=60");
  ASSERT_TRUE(pulled);
  EXPECT_EQ(pulled->status, 200) << pulled->body;
  EXPECT_NE(pulled->body.find("\"leased\""), std::string::npos) << pulled->body;
  EXPECT_EQ(client.Post("/rules/reload")->status, 503) << "no pipeline runs here";
  // The CLI sees the lease the HTTP pull took: one queue, two doors.
  const Outcome listed = Earshot({"cases", "list", "--config", config.string(), "--state", "leased"});
  EXPECT_EQ(Lines(listed.out).size(), 1u) << listed.out << listed.err;
  serve.child.Signal(SIGINT);
  EXPECT_EQ(Finish(serve).exit_code, 0);
}

}  // namespace
