// The Redis Streams hand-off end to end: a real `earshot run --serve` process, a real redis-server
// on loopback, consumers reading with XREADGROUP. Redis is killed and restarted under the running
// engine (cases wait in the outbox, a warning says so, they drain when Redis returns), and the
// engine itself is SIGKILLed with a backlog (the next run delivers it).
#include <gtest/gtest.h>
#include <httplib.h>
#include <simdjson.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/cli/child_process.h"
#include "tests/cli/earshot_process.h"
#include "tests/cli/run_corpus.h"
#include "tests/support/redis_server.h"

namespace {

using namespace earshot::test_support;  // NOLINT: test support, in a .cc
using earshot::testing::RedisCommand;
using earshot::testing::RedisServer;
using earshot::testing::RedisServerOptions;
namespace fs = std::filesystem;

constexpr const char* kSeverityStreams[] = {"earshot:cases:critical", "earshot:cases:high", "earshot:cases:medium",
                                            "earshot:cases:low"};

struct StreamEntry {
  std::string stream;
  std::map<std::string, std::string> fields;
};

// One XREADGROUP over the four severity streams, most severe first, for new entries (">").
std::vector<StreamEntry> ReadNew(redisContext* connection) {
  std::vector<std::string> args = {"XREADGROUP", "GROUP", "care", "test-consumer", "COUNT", "10000", "STREAMS"};
  for (const char* stream : kSeverityStreams) args.emplace_back(stream);
  for (size_t i = 0; i < std::size(kSeverityStreams); ++i) args.emplace_back(">");
  earshot::testing::RedisReplyPtr reply = RedisCommand(connection, args);
  std::vector<StreamEntry> entries;
  if (!reply || reply->type != REDIS_REPLY_ARRAY) return entries;
  for (size_t s = 0; s < reply->elements; ++s) {
    const redisReply* stream = reply->element[s];
    const std::string name(stream->element[0]->str, stream->element[0]->len);
    const redisReply* items = stream->element[1];
    for (size_t i = 0; i < items->elements; ++i) {
      const redisReply* pairs = items->element[i]->element[1];
      StreamEntry entry{name, {}};
      for (size_t f = 0; f + 1 < pairs->elements; f += 2) {
        entry.fields[std::string(pairs->element[f]->str, pairs->element[f]->len)] =
            std::string(pairs->element[f + 1]->str, pairs->element[f + 1]->len);
      }
      entries.push_back(std::move(entry));
    }
  }
  return entries;
}

class RedisProcessTest : public EarshotProcessTest {
 protected:
  void SetUp() override {
    EarshotProcessTest::SetUp();
    Write("rules/complaints.yaml", kComplaintRules);
    Write("rules/brands.yaml", kBrandRules);
    Write("posts.jsonl", "");
  }

  fs::path WriteRedisConfig(const RedisServer& redis) {
    return Write("earshot.yaml",
                 "data_dir: data\nrules: [rules/]\n"
                 "sources:\n  - id: feed\n    kind: jsonl\n    path: posts.jsonl\n    every: 100ms\n"
                 "queue: {kind: redis, redis: {url: '" +
                     redis.url() + "', stream: 'earshot:cases', group: care}}\n");
  }

  // `count` complaints by as many authors (so as many cases), ids FIRST, FIRST+1, ...
  void AppendComplaints(int first, int count) {
    std::string lines;
    for (int i = first; i < first + count; ++i) {
      // A reference number makes each text unique: identical long complaints would be reposts.
      const std::string text =
          std::string(kComplaints[i % std::size(kComplaints)]) + " @acmenet (ref " + std::to_string(1000 + i) + ")";
      lines += Post("p" + std::to_string(i), "@author" + std::to_string(i), text, kEpoch2025 + i);
    }
    Append("posts.jsonl", lines);
  }

  // Reads new entries until every post id in [first, first+count) has arrived in some case; checks
  // each entry's shape on the way. Returns the post ids seen.
  std::set<std::string> ConsumeUntil(RedisServer& redis, int first, int count) {
    std::set<std::string> wanted;
    for (int i = first; i < first + count; ++i) wanted.insert("p" + std::to_string(i));
    std::set<std::string> seen;
    earshot::testing::RedisConnection connection = redis.Connect();
    Eventually(
        [&] {
          if (!connection) connection = redis.Connect();
          for (const StreamEntry& entry : ReadNew(connection.get())) CheckEntry(entry, seen);
          return std::includes(seen.begin(), seen.end(), wanted.begin(), wanted.end());
        },
        std::chrono::seconds(30));
    return seen;
  }

  static void CheckEntry(const StreamEntry& entry, std::set<std::string>& post_ids) {
    for (const char* field : {"case_id", "version", "severity", "urgency", "case"}) {
      EXPECT_EQ(entry.fields.count(field), 1u) << "entry in " << entry.stream << " lacks " << field;
    }
    EXPECT_EQ(entry.stream, "earshot:cases:" + entry.fields.at("severity")) << "a case goes to its severity's stream";
    simdjson::dom::parser parser;
    simdjson::dom::element json;
    ASSERT_EQ(parser.parse(entry.fields.at("case")).get(json), simdjson::SUCCESS) << entry.fields.at("case");
    std::string_view case_id;
    ASSERT_EQ(json["case_id"].get(case_id), simdjson::SUCCESS);
    EXPECT_EQ(case_id, entry.fields.at("case_id"));
    int64_t version = 0;
    ASSERT_EQ(json["version"].get(version), simdjson::SUCCESS);
    EXPECT_EQ(std::to_string(version), entry.fields.at("version"));
    simdjson::dom::array posts;
    ASSERT_EQ(json["posts"].get(posts), simdjson::SUCCESS);
    for (simdjson::dom::element post : posts) {
      std::string_view id;
      ASSERT_EQ(post["id"].get(id), simdjson::SUCCESS);
      post_ids.insert(std::string(id));
    }
  }
};

TEST_F(RedisProcessTest, CasesReachTheStreamsThroughARedisOutageAndAnEngineCrash) {
  RedisServer redis(RedisServerOptions{.password = "", .append_only = true, .unix_socket = false});
  ASSERT_TRUE(redis.Start());
  const fs::path config = WriteRedisConfig(redis);
  AppendComplaints(0, 30);
  Process run = Start({"run", "--config", config.string(), "--serve", "--listen", "127.0.0.1:0", "--cache-dir",
                       CacheDir()});
  const int port = WaitForPort(run);
  ASSERT_GT(port, 0) << Slurp(run.err);
  httplib::Client client("127.0.0.1", port);

  // The group was created by Earshot; every case arrives once, in its severity's stream.
  std::set<std::string> seen = ConsumeUntil(redis, 0, 30);
  EXPECT_EQ(seen.size(), 30u) << Slurp(run.err);
  const Outcome pull = Earshot({"cases", "pull", "--config", config.string()});
  EXPECT_EQ(pull.exit_code, 2) << "with queue.kind redis consumers lease through Redis, not the embedded queue";
  EXPECT_NE(pull.err.find("XREADGROUP"), std::string::npos) << pull.err;

  // Redis dies: cases keep being committed, and wait in the outbox with a warning.
  redis.Kill();
  AppendComplaints(30, 30);
  ASSERT_TRUE(Eventually([&] { return MetricValue(client, "earshot_outbox_depth") >= 30; })) << Slurp(run.err);
  EXPECT_NE(Slurp(run.err).find("wait in the outbox"), std::string::npos) << Slurp(run.err);
  EXPECT_EQ(MetricValue(client, "earshot_redis_connected"), 0);

  // Redis returns (same port, its append-only file kept the group and what it acknowledged).
  ASSERT_TRUE(redis.Start());
  seen = ConsumeUntil(redis, 30, 30);
  EXPECT_EQ(seen.size(), 30u) << "the second life delivers the backlog, and only it\n" << Slurp(run.err);
  EXPECT_TRUE(Eventually([&] { return MetricValue(client, "earshot_outbox_depth") == 0; }));

  // Redis down again, the engine killed outright with a backlog: the next run delivers it.
  redis.Kill();
  AppendComplaints(60, 20);
  ASSERT_TRUE(Eventually([&] { return MetricValue(client, "earshot_outbox_depth") >= 20; })) << Slurp(run.err);
  run.child.Signal(SIGKILL);
  run.child.WaitFor(std::chrono::seconds(10));
  ASSERT_TRUE(redis.Start());
  const Outcome once = Earshot({"run", "--config", config.string(), "--once", "--cache-dir", CacheDir()});
  EXPECT_EQ(once.exit_code, 0) << once.err;
  seen = ConsumeUntil(redis, 60, 20);
  EXPECT_EQ(seen.size(), 20u) << once.err;
}

TEST_F(RedisProcessTest, AOneShotRunReportsABacklogItCouldNotDeliver) {
  RedisServer redis;  // never started: nothing listens on its port
  const fs::path config = WriteRedisConfig(redis);
  AppendComplaints(0, 3);
  const Outcome once = Earshot({"run", "--config", config.string(), "--once", "--cache-dir", CacheDir()});
  EXPECT_EQ(once.exit_code, 1) << once.err;
  EXPECT_NE(once.err.find("wait in the outbox"), std::string::npos) << once.err;
  EXPECT_NE(once.err.find("the next run delivers them"), std::string::npos) << once.err;
  // The cases themselves are committed.
  const Outcome listed = Earshot({"cases", "list", "--config", config.string()});
  EXPECT_EQ(Lines(listed.out).size(), 3u) << listed.out << listed.err;
}

}  // namespace
