// Integration tests of the Redis hand-off against a real redis-server (tests/support/redis_server.h):
// what lands in which stream, the consumer group, and that outages (Redis down at start, killed in
// the middle of a drain, hung) lose nothing and never hold up shutdown.
#include "store/redis_publisher.h"

#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/json_writer.h"
#include "store/case_record.h"
#include "store/outbox.h"
#include "store/queue.h"
#include "tests/store/temp_dir.h"
#include "tests/support/redis_server.h"

namespace earshot::store {
namespace {

using ::earshot::testing::RedisCommand;
using ::earshot::testing::RedisConnection;
using ::earshot::testing::RedisReplyPtr;
using ::earshot::testing::RedisServer;
using ::earshot::testing::RedisServerOptions;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int64_t kNow = 1752746400000;  // 2025-07-17T10:00:00Z
constexpr std::string_view kPrefix = "earshot:cases";
constexpr std::string_view kGroup = "care";
constexpr core::Severity kStreamOrder[] = {core::Severity::kCritical, core::Severity::kHigh, core::Severity::kMedium,
                                           core::Severity::kLow};

CaseRecord NewCase(uint64_t number, core::Severity severity, double urgency) {
  CaseRecord record = SampleCase(number, urgency, severity);
  record.author = "@ann" + std::to_string(number);
  record.author_key = "ann" + std::to_string(number);
  record.posts[0].text = "router down \"again\"\nsince 9am";  // quotes and a newline go through the JSON
  record.posts[0].severity = severity;
  return record;
}

// Stores each record (over whatever version of it is stored) and appends its outbox entry, all in
// one transaction, as the pipeline's commit stage does.
void Commit(Store& store, const std::vector<CaseRecord>& records) {
  ASSERT_TRUE(IsOk(store.Write([&](Txn& txn) -> core::Status {
    for (const CaseRecord& record : records) {
      core::Result<std::optional<CaseRecord>> previous = LoadCase(txn, record.number);
      if (!previous) return previous.error();
      EARSHOT_RETURN_IF_ERROR(SaveCase(txn, previous->has_value() ? &**previous : nullptr, record));
      EARSHOT_RETURN_IF_ERROR(AppendToOutbox(txn, record));
    }
    return core::Status::Ok();
  })));
}

// Messages handed to RedisOptions::warn / info, from the publisher's thread.
class Messages {
 public:
  std::function<void(std::string_view)> Sink() {
    return [this](std::string_view message) {
      std::scoped_lock lock(mutex_);
      messages_.emplace_back(message);
    };
  }
  std::vector<std::string> Get() const {
    std::scoped_lock lock(mutex_);
    return messages_;
  }
  std::string Joined() const {
    std::string out;
    for (const std::string& message : Get()) out += message + "\n";
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> messages_;
};

RedisOptions Options(const RedisServer& redis, Messages* warnings = nullptr, Messages* infos = nullptr) {
  RedisOptions options;
  options.url = redis.url();
  options.stream_prefix = std::string(kPrefix);
  options.group = std::string(kGroup);
  options.connect_timeout = milliseconds(1000);
  options.command_timeout = milliseconds(2000);
  if (warnings != nullptr) options.warn = warnings->Sink();
  if (infos != nullptr) options.info = infos->Sink();
  return options;
}

std::unique_ptr<RedisPublisher> StartPublisher(Store& store, RedisOptions options) {
  core::Result<std::unique_ptr<RedisPublisher>> publisher = RedisPublisher::Start(store, std::move(options));
  EXPECT_TRUE(publisher.has_value()) << publisher.error().ToString();
  if (!publisher) return nullptr;
  return std::move(publisher).value();
}

// Polls `condition` every 5 ms until it holds or `timeout` passes.
bool WaitUntil(const std::function<bool()>& condition, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!condition()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return true;
}

// One stream entry as a consumer reads it.
struct Delivered {
  std::string stream;
  std::map<std::string, std::string> fields;
};

// Everything not yet delivered to the group's consumer "tester", from all four streams, via
// XREADGROUP (so this also proves the group exists on each stream).
std::vector<Delivered> ReadGroup(redisContext* connection, std::string_view group = kGroup) {
  std::vector<std::string> args = {"XREADGROUP", "GROUP", std::string(group), "tester", "COUNT", "1000000",
                                   "STREAMS"};
  for (core::Severity severity : kStreamOrder) args.push_back(SeverityStream(kPrefix, severity));
  for (size_t i = 0; i < std::size(kStreamOrder); ++i) args.push_back(">");
  RedisReplyPtr reply = RedisCommand(connection, args);
  std::vector<Delivered> delivered;
  if (!reply) {
    ADD_FAILURE() << "XREADGROUP: no reply (" << (connection ? connection->errstr : "no connection") << ")";
    return delivered;
  }
  if (reply->type == REDIS_REPLY_NIL) return delivered;
  if (reply->type != REDIS_REPLY_ARRAY) {
    ADD_FAILURE() << "XREADGROUP: " << (reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply type");
    return delivered;
  }
  for (size_t s = 0; s < reply->elements; ++s) {
    const redisReply* stream = reply->element[s];
    const std::string name(stream->element[0]->str, stream->element[0]->len);
    const redisReply* entries = stream->element[1];
    for (size_t e = 0; e < entries->elements; ++e) {
      const redisReply* pairs = entries->element[e]->element[1];
      Delivered entry;
      entry.stream = name;
      for (size_t f = 0; f + 1 < pairs->elements; f += 2) {
        entry.fields[std::string(pairs->element[f]->str, pairs->element[f]->len)] =
            std::string(pairs->element[f + 1]->str, pairs->element[f + 1]->len);
      }
      delivered.push_back(std::move(entry));
    }
  }
  return delivered;
}

// The stored case, as the publisher would render it.
CaseRecord Load(Store& store, uint64_t number) {
  CaseRecord record;
  EXPECT_TRUE(IsOk(store.Read([&](Txn& txn) -> core::Status {
    core::Result<std::optional<CaseRecord>> loaded = LoadCase(txn, number);
    if (!loaded) return loaded.error();
    if (!loaded->has_value()) return core::Status::NotFound("no case " + CaseId(number));
    record = **loaded;
    return core::Status::Ok();
  })));
  return record;
}

TEST(RedisPublisher, PublishesEachCaseToItsSeverityStreamWithAllFields) {
  TempDir temp;
  RedisServer redis;
  ASSERT_TRUE(redis.Start());
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  const std::vector<CaseRecord> records = {
      NewCase(1, core::Severity::kCritical, 97.5), NewCase(2, core::Severity::kHigh, 80),
      NewCase(3, core::Severity::kMedium, 55.25), NewCase(4, core::Severity::kLow, 20),
      NewCase(5, core::Severity::kNone, 3)};
  Commit(*store, records);

  std::unique_ptr<RedisPublisher> publisher = StartPublisher(*store, Options(redis));
  ASSERT_NE(publisher, nullptr);
  core::Result<uint64_t> left = publisher->Flush(milliseconds(10000));
  ASSERT_TRUE(left.has_value()) << left.error().ToString();
  EXPECT_EQ(*left, 0u);
  EXPECT_EQ(OutboxDepthOf(*store), 0u);

  RedisConnection connection = redis.Connect();
  ASSERT_NE(connection, nullptr);
  const std::vector<Delivered> delivered = ReadGroup(connection.get());
  ASSERT_EQ(delivered.size(), records.size());
  const std::map<uint64_t, std::string> expected_stream = {
      {1, "earshot:cases:critical"}, {2, "earshot:cases:high"}, {3, "earshot:cases:medium"},
      {4, "earshot:cases:low"},      {5, "earshot:cases:low"}};
  std::set<uint64_t> seen;
  simdjson::dom::parser parser;
  for (const Delivered& entry : delivered) {
    ASSERT_EQ(entry.fields.size(), 5u) << entry.stream;
    const std::optional<uint64_t> number = ParseCaseId(entry.fields.at("case_id"));
    ASSERT_TRUE(number.has_value()) << entry.fields.at("case_id");
    seen.insert(*number);
    SCOPED_TRACE(entry.fields.at("case_id"));
    const CaseRecord stored = Load(*store, *number);
    EXPECT_EQ(entry.stream, expected_stream.at(*number));
    EXPECT_EQ(entry.fields.at("version"), "1");
    EXPECT_EQ(entry.fields.at("severity"), core::SeverityName(stored.severity));
    std::string urgency;
    core::AppendJsonNumber(urgency, stored.urgency);
    EXPECT_EQ(entry.fields.at("urgency"), urgency);
    // Exactly a line of `earshot cases list`.
    std::string line;
    AppendCaseJson(line, stored, kNow);
    EXPECT_EQ(entry.fields.at("case"), line);
    simdjson::dom::element json;
    ASSERT_EQ(parser.parse(entry.fields.at("case")).get(json), simdjson::SUCCESS) << entry.fields.at("case");
    std::string_view case_id, severity;
    int64_t version = 0;
    ASSERT_EQ(json["case_id"].get(case_id), simdjson::SUCCESS);
    ASSERT_EQ(json["version"].get(version), simdjson::SUCCESS);
    ASSERT_EQ(json["severity"].get(severity), simdjson::SUCCESS);
    EXPECT_EQ(case_id, CaseId(*number));
    EXPECT_EQ(version, 1);
    EXPECT_EQ(severity, core::SeverityName(stored.severity));
  }
  EXPECT_EQ(seen, (std::set<uint64_t>{1, 2, 3, 4, 5}));

  const RedisPublisherStats stats = publisher->stats();
  EXPECT_EQ(stats.published, 5u);
  EXPECT_EQ(stats.published_by_severity[static_cast<int>(core::Severity::kCritical)], 1u);
  EXPECT_EQ(stats.published_by_severity[static_cast<int>(core::Severity::kLow)], 1u);
  EXPECT_EQ(stats.published_by_severity[static_cast<int>(core::Severity::kNone)], 1u);
  EXPECT_EQ(stats.skipped, 0u);
  EXPECT_EQ(stats.backlog, 0u);
  EXPECT_TRUE(stats.connected);
  EXPECT_EQ(stats.last_error, "");
  EXPECT_GT(stats.last_publish_ms, kNow);
}

TEST(RedisPublisher, CreatesTheGroupFromTheStartOfEachStreamAndKeepsAnExistingOne) {
  TempDir temp;
  RedisServer redis;
  ASSERT_TRUE(redis.Start());
  RedisConnection connection = redis.Connect();
  ASSERT_NE(connection, nullptr);
  // An entry already in the critical stream before any group exists: the group Earshot creates
  // must see it. And the high stream already has the group: BUSYGROUP must not stop the publisher.
  RedisReplyPtr added = RedisCommand(connection.get(), {"XADD", "earshot:cases:critical", "*", "case_id", "old"});
  ASSERT_TRUE(added && added->type == REDIS_REPLY_STRING);
  RedisReplyPtr group =
      RedisCommand(connection.get(), {"XGROUP", "CREATE", "earshot:cases:high", "care", "$", "MKSTREAM"});
  ASSERT_TRUE(group && group->type == REDIS_REPLY_STATUS);

  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  Commit(*store, {NewCase(1, core::Severity::kHigh, 80)});
  std::unique_ptr<RedisPublisher> publisher = StartPublisher(*store, Options(redis));
  ASSERT_NE(publisher, nullptr);
  core::Result<uint64_t> left = publisher->Flush(milliseconds(10000));
  ASSERT_TRUE(left.has_value());
  EXPECT_EQ(*left, 0u) << publisher->stats().last_error;

  const std::vector<Delivered> delivered = ReadGroup(connection.get());
  std::multiset<std::string> read;
  for (const Delivered& entry : delivered) read.insert(entry.stream + " " + entry.fields.at("case_id"));
  EXPECT_EQ(read, (std::multiset<std::string>{"earshot:cases:critical old", "earshot:cases:high c-00000001"}));
  for (const char* stream : {"earshot:cases:medium", "earshot:cases:low"}) {
    RedisReplyPtr exists = RedisCommand(connection.get(), {"EXISTS", stream});
    ASSERT_TRUE(exists);
    EXPECT_EQ(exists->integer, 1) << stream << " should have been created (MKSTREAM)";
  }
}

TEST(RedisPublisher, CaseUpdatedTwiceBeforeADrainIsSentOnceAtItsLatestVersion) {
  TempDir temp;
  RedisServer redis;
  ASSERT_TRUE(redis.Start());
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  CaseRecord record = NewCase(1, core::Severity::kMedium, 50);
  Commit(*store, {record});
  Commit(*store, {NewCase(2, core::Severity::kLow, 10)});
  record.version = 2;
  Commit(*store, {record});
  record.version = 3;
  record.urgency = 61;
  Commit(*store, {record});
  ASSERT_EQ(OutboxDepthOf(*store), 4u);

  std::unique_ptr<RedisPublisher> publisher = StartPublisher(*store, Options(redis));
  ASSERT_NE(publisher, nullptr);
  core::Result<uint64_t> left = publisher->Flush(milliseconds(10000));
  ASSERT_TRUE(left.has_value());
  EXPECT_EQ(*left, 0u);

  RedisConnection connection = redis.Connect();
  ASSERT_NE(connection, nullptr);
  std::multiset<std::string> read;
  for (const Delivered& entry : ReadGroup(connection.get())) {
    read.insert(entry.fields.at("case_id") + " v" + entry.fields.at("version") + " u" + entry.fields.at("urgency"));
  }
  EXPECT_EQ(read, (std::multiset<std::string>{"c-00000001 v3 u61", "c-00000002 v1 u10"}));
  const RedisPublisherStats stats = publisher->stats();
  EXPECT_EQ(stats.published, 2u);
  EXPECT_EQ(stats.skipped, 2u);
}

TEST(RedisPublisher, LaterEntriesForAVersionAlreadySentAreSkippedAcrossBatches) {
  // batch 1: the first entry of case 1 is drained alone and sends the stored version 3; the later
  // entries (v2, v3) come in later batches and must be skipped, not sent again.
  TempDir temp;
  RedisServer redis;
  ASSERT_TRUE(redis.Start());
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  CaseRecord record = NewCase(1, core::Severity::kHigh, 70);
  Commit(*store, {record});
  record.version = 2;
  Commit(*store, {record});
  record.version = 3;
  Commit(*store, {record});

  RedisOptions options = Options(redis);
  options.batch = 1;
  std::unique_ptr<RedisPublisher> publisher = StartPublisher(*store, options);
  ASSERT_NE(publisher, nullptr);
  core::Result<uint64_t> left = publisher->Flush(milliseconds(10000));
  ASSERT_TRUE(left.has_value());
  EXPECT_EQ(*left, 0u);
  RedisConnection connection = redis.Connect();
  const std::vector<Delivered> delivered = ReadGroup(connection.get());
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(delivered[0].fields.at("version"), "3");
  EXPECT_EQ(publisher->stats().skipped, 2u);
}

TEST(RedisPublisher, SeverityRiseAppearsInTheNewStreamWithTheNewVersion) {
  TempDir temp;
  RedisServer redis;
  ASSERT_TRUE(redis.Start());
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  std::unique_ptr<RedisPublisher> publisher = StartPublisher(*store, Options(redis));
  ASSERT_NE(publisher, nullptr);
  CaseRecord record = NewCase(1, core::Severity::kMedium, 50);
  Commit(*store, {record});
  ASSERT_EQ(*publisher->Flush(milliseconds(10000)), 0u);
  record.version = 2;
  record.severity = core::Severity::kCritical;
  record.urgency = 95;
  Commit(*store, {record});
  ASSERT_EQ(*publisher->Flush(milliseconds(10000)), 0u);

  RedisConnection connection = redis.Connect();
  std::multiset<std::string> read;
  for (const Delivered& entry : ReadGroup(connection.get())) {
    read.insert(entry.stream + " v" + entry.fields.at("version") + " " + entry.fields.at("severity"));
  }
  EXPECT_EQ(read, (std::multiset<std::string>{"earshot:cases:medium v1 medium", "earshot:cases:critical v2 critical"}));
}

TEST(RedisPublisher, NotifyDrainsWithoutWaitingForThePeriodicCheck) {
  TempDir temp;
  RedisServer redis;
  ASSERT_TRUE(redis.Start());
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  std::unique_ptr<RedisPublisher> publisher = StartPublisher(*store, Options(redis));
  ASSERT_NE(publisher, nullptr);
  ASSERT_TRUE(WaitUntil([&] { return publisher->stats().connected; }, milliseconds(5000)));
  std::this_thread::sleep_for(milliseconds(50));  // the thread is idle now, in its 1 s wait
  Commit(*store, {NewCase(1, core::Severity::kLow, 10)});
  const auto start = Clock::now();
  publisher->Notify();
  ASSERT_TRUE(WaitUntil([&] { return publisher->stats().published == 1; }, milliseconds(5000)));
  EXPECT_LT(Clock::now() - start, milliseconds(700)) << "took the periodic check, not the notification";
}

TEST(RedisPublisher, RedisDownAtStartWarnsOnceKeepsTheBacklogAndDrainsWhenItComes) {
  TempDir temp;
  RedisServer redis;  // port picked, nothing listening yet
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  Commit(*store, {NewCase(1, core::Severity::kHigh, 80), NewCase(2, core::Severity::kLow, 10),
                  NewCase(3, core::Severity::kCritical, 99)});
  Messages warnings, infos;
  std::unique_ptr<RedisPublisher> publisher = StartPublisher(*store, Options(redis, &warnings, &infos));
  ASSERT_NE(publisher, nullptr);

  // Two connection attempts fail (at 0 and 250 ms) but the outage is warned about once.
  ASSERT_TRUE(WaitUntil([&] { return publisher->stats().failures >= 2; }, milliseconds(5000)));
  core::Result<uint64_t> left = publisher->Flush(milliseconds(100));
  ASSERT_TRUE(left.has_value());
  EXPECT_EQ(*left, 3u);
  RedisPublisherStats stats = publisher->stats();
  EXPECT_EQ(stats.backlog, 3u);
  EXPECT_FALSE(stats.connected);
  EXPECT_EQ(stats.published, 0u);
  EXPECT_THAT(stats.last_error, HasSubstr("Connection refused"));
  const std::vector<std::string> warned = warnings.Get();
  ASSERT_EQ(warned.size(), 1u) << warnings.Joined();
  EXPECT_EQ(warned[0], "redis " + redis.url() + ": Connection refused; 3 case updates wait in the outbox; retrying");
  EXPECT_EQ(OutboxDepthOf(*store), 3u);

  ASSERT_TRUE(redis.Start());
  left = publisher->Flush(milliseconds(10000));
  ASSERT_TRUE(left.has_value());
  EXPECT_EQ(*left, 0u) << publisher->stats().last_error;
  stats = publisher->stats();
  EXPECT_EQ(stats.published, 3u);
  EXPECT_TRUE(stats.connected);
  EXPECT_EQ(stats.last_error, "");
  const std::vector<std::string> noted = infos.Get();
  ASSERT_GE(noted.size(), 1u);
  EXPECT_EQ(noted[0], "redis " + redis.url() + ": reconnected; draining 3");
  RedisConnection connection = redis.Connect();
  EXPECT_EQ(ReadGroup(connection.get()).size(), 3u);
}

TEST(RedisPublisher, RedisKilledMidDrainLosesNothingAndDuplicatesAtMostOneBatch) {
  // The property: every (case_id, version) committed to the outbox reaches Redis at least once
  // although Redis dies (SIGKILL) in the middle of the drain, and what arrives twice is at most the
  // one batch that was in flight. --appendfsync always makes every acknowledged XADD survive the
  // kill, so the second life of the server still holds what the first one acknowledged.
  constexpr uint64_t kCases = 5000;
  constexpr size_t kBatch = 100;
  TempDir temp;
  RedisServerOptions server_options;
  server_options.append_only = true;
  RedisServer redis(server_options);
  ASSERT_TRUE(redis.Start());
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  std::vector<CaseRecord> records;
  std::set<std::string> expected;
  for (uint64_t number = 1; number <= kCases; ++number) {
    CaseRecord record = NewCase(number, kStreamOrder[number % 4], static_cast<double>(number % 100));
    record.version = 1 + static_cast<uint32_t>(number % 3);
    expected.insert(CaseId(number) + " v" + std::to_string(record.version));
    records.push_back(std::move(record));
  }
  Commit(*store, records);
  ASSERT_EQ(OutboxDepthOf(*store), kCases);

  Messages warnings, infos;
  RedisOptions options = Options(redis, &warnings, &infos);
  options.batch = kBatch;
  std::unique_ptr<RedisPublisher> publisher = StartPublisher(*store, options);
  ASSERT_NE(publisher, nullptr);
  ASSERT_TRUE(WaitUntil([&] { return publisher->stats().published >= kCases / 5; }, milliseconds(20000)));
  redis.Kill();
  const uint64_t waiting = OutboxDepthOf(*store);
  ASSERT_GT(waiting, 0u) << "the drain finished before the kill; the test did not test anything";
  ASSERT_TRUE(WaitUntil([&] { return publisher->stats().failures >= 1; }, milliseconds(10000)));
  ASSERT_FALSE(warnings.Get().empty());
  EXPECT_THAT(warnings.Get()[0], HasSubstr("redis " + redis.url() + ": "));
  EXPECT_THAT(warnings.Get()[0], HasSubstr("case updates wait in the outbox; retrying"));

  ASSERT_TRUE(redis.Start());
  core::Result<uint64_t> left = publisher->Flush(milliseconds(20000));
  ASSERT_TRUE(left.has_value());
  ASSERT_EQ(*left, 0u) << publisher->stats().last_error;

  RedisConnection connection = redis.Connect();
  ASSERT_NE(connection, nullptr);
  const std::vector<Delivered> delivered = ReadGroup(connection.get());
  std::set<std::string> unique;
  for (const Delivered& entry : delivered) {
    unique.insert(entry.fields.at("case_id") + " v" + entry.fields.at("version"));
  }
  EXPECT_EQ(unique, expected);  // none missing, nothing that was not committed
  EXPECT_LE(delivered.size() - unique.size(), kBatch);
  std::cerr << "[ info ] killed with " << waiting << " of " << kCases << " waiting; " << delivered.size()
            << " entries delivered for " << unique.size() << " updates\n";
}

TEST(RedisPublisher, WritingToARedisThatDiedDoesNotEndTheProcess) {
  // Redis dies while the publisher holds an idle connection; the next batch is megabytes, so
  // hiredis's second write(2) hits the reset socket. SIGPIPE's default action would end this test
  // binary right there; it must be an ordinary failure and a retry instead.
  TempDir temp;
  RedisServer redis;
  ASSERT_TRUE(redis.Start());
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  Messages warnings;
  std::unique_ptr<RedisPublisher> publisher = StartPublisher(*store, Options(redis, &warnings));
  ASSERT_NE(publisher, nullptr);
  ASSERT_TRUE(WaitUntil([&] { return publisher->stats().connected; }, milliseconds(5000)));
  redis.Kill();

  std::vector<CaseRecord> records;
  for (uint64_t number = 1; number <= 100; ++number) {
    CaseRecord record = NewCase(number, core::Severity::kMedium, 50);
    for (int post = 0; post < 40; ++post) {
      record.AddPost(CasePost{"p" + std::to_string(post), "jsonl", std::string(1500, 'x'), "", "", 50,
                              core::Severity::kMedium});
    }
    records.push_back(std::move(record));
  }
  Commit(*store, records);
  publisher->Notify();
  ASSERT_TRUE(WaitUntil([&] { return publisher->stats().failures >= 1; }, milliseconds(5000)));
  ASSERT_TRUE(WaitUntil([&] { return !warnings.Get().empty(); }, milliseconds(5000)));

  ASSERT_TRUE(redis.Start());
  core::Result<uint64_t> left = publisher->Flush(milliseconds(10000));
  ASSERT_TRUE(left.has_value());
  EXPECT_EQ(*left, 0u) << publisher->stats().last_error;
  RedisConnection connection = redis.Connect();
  EXPECT_EQ(ReadGroup(connection.get()).size(), 100u);
}

TEST(RedisPublisher, WrongPasswordIsReportedWithoutRevealingIt) {
  TempDir temp;
  RedisServerOptions server_options;
  server_options.password = "right-secret-7";
  RedisServer redis(server_options);
  ASSERT_TRUE(redis.Start());
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  Commit(*store, {NewCase(1, core::Severity::kHigh, 80)});

  struct Variant {
    std::string url;
    std::string password;
    std::string secret;  // what must never show
    std::string expected;
  };
  const std::string host_port = "127.0.0.1:" + std::to_string(redis.port());
  const std::vector<Variant> variants = {
      {redis.url(), "wrong-secret-9", "wrong-secret-9", "WRONGPASS"},
      {"redis://:wrong-secret-8@" + host_port, "", "wrong-secret-8", "WRONGPASS"},
      {"redis://admin:wrong-secret-6@" + host_port, "", "wrong-secret-6", "WRONGPASS"},
      {redis.url(), "", "right-secret-7", "NOAUTH"},
  };
  for (const Variant& variant : variants) {
    SCOPED_TRACE(variant.expected + " via " + (variant.password.empty() ? "url" : "options"));
    Messages warnings;
    RedisOptions options = Options(redis, &warnings);
    options.url = variant.url;
    options.password = variant.password;
    std::unique_ptr<RedisPublisher> publisher = StartPublisher(*store, options);
    ASSERT_NE(publisher, nullptr);
    ASSERT_TRUE(WaitUntil([&] { return publisher->stats().failures >= 1; }, milliseconds(5000)));
    const RedisPublisherStats stats = publisher->stats();
    EXPECT_THAT(stats.last_error, AllOf(HasSubstr(variant.expected), Not(HasSubstr(variant.secret))));
    if (variant.expected == "WRONGPASS") {
      EXPECT_THAT(stats.last_error, HasSubstr("AUTH"));
    }
    ASSERT_TRUE(WaitUntil([&] { return !warnings.Get().empty(); }, milliseconds(5000)));
    EXPECT_THAT(warnings.Joined(), AllOf(HasSubstr("redis redis://" + host_port + ": "), HasSubstr(variant.expected),
                                         Not(HasSubstr(variant.secret))));
    EXPECT_EQ(stats.published, 0u);
  }
  EXPECT_EQ(OutboxDepthOf(*store), 1u);
}

TEST(RedisPublisher, PasswordFromOptionsWinsOverTheUrl) {
  TempDir temp;
  RedisServerOptions server_options;
  server_options.password = "right-secret-7";
  RedisServer redis(server_options);
  ASSERT_TRUE(redis.Start());
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  Commit(*store, {NewCase(1, core::Severity::kHigh, 80)});
  RedisOptions options = Options(redis);
  options.url = "redis://:stale-secret@127.0.0.1:" + std::to_string(redis.port());
  options.password = "right-secret-7";
  std::unique_ptr<RedisPublisher> publisher = StartPublisher(*store, options);
  ASSERT_NE(publisher, nullptr);
  core::Result<uint64_t> left = publisher->Flush(milliseconds(10000));
  ASSERT_TRUE(left.has_value());
  EXPECT_EQ(*left, 0u) << publisher->stats().last_error;
  RedisConnection connection = redis.Connect();
  EXPECT_EQ(ReadGroup(connection.get()).size(), 1u);
}

TEST(RedisPublisher, DatabaseNumberInTheUrlIsSelected) {
  TempDir temp;
  RedisServer redis;
  ASSERT_TRUE(redis.Start());
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  Commit(*store, {NewCase(1, core::Severity::kLow, 10)});
  RedisOptions options = Options(redis);
  options.url = redis.url() + "/3";
  std::unique_ptr<RedisPublisher> publisher = StartPublisher(*store, options);
  ASSERT_NE(publisher, nullptr);
  ASSERT_EQ(*publisher->Flush(milliseconds(10000)), 0u);
  RedisConnection connection = redis.Connect();
  RedisReplyPtr in_db0 = RedisCommand(connection.get(), {"EXISTS", "earshot:cases:low"});
  ASSERT_TRUE(in_db0);
  EXPECT_EQ(in_db0->integer, 0);
  RedisReplyPtr selected = RedisCommand(connection.get(), {"SELECT", "3"});
  ASSERT_TRUE(selected);
  RedisReplyPtr length = RedisCommand(connection.get(), {"XLEN", "earshot:cases:low"});
  ASSERT_TRUE(length);
  EXPECT_EQ(length->integer, 1);
}

TEST(RedisPublisher, PublishesOverAUnixSocket) {
  TempDir temp;
  RedisServerOptions server_options;
  server_options.unix_socket = true;
  RedisServer redis(server_options);
  ASSERT_TRUE(redis.Start());
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  Commit(*store, {NewCase(1, core::Severity::kCritical, 99)});
  RedisOptions options = Options(redis);
  options.url = redis.socket_url();
  std::unique_ptr<RedisPublisher> publisher = StartPublisher(*store, options);
  ASSERT_NE(publisher, nullptr);
  core::Result<uint64_t> left = publisher->Flush(milliseconds(10000));
  ASSERT_TRUE(left.has_value());
  EXPECT_EQ(*left, 0u) << publisher->stats().last_error;
  RedisConnection connection = redis.Connect();
  const std::vector<Delivered> delivered = ReadGroup(connection.get());
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(delivered[0].stream, "earshot:cases:critical");
}

TEST(RedisPublisher, MaxStreamLengthTrimsApproximately) {
  TempDir temp;
  RedisServer redis;
  ASSERT_TRUE(redis.Start());
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  std::vector<CaseRecord> records;
  for (uint64_t number = 1; number <= 1000; ++number) records.push_back(NewCase(number, core::Severity::kLow, 5));
  Commit(*store, records);
  RedisOptions options = Options(redis);
  options.max_stream_length = 10;
  std::unique_ptr<RedisPublisher> publisher = StartPublisher(*store, options);
  ASSERT_NE(publisher, nullptr);
  ASSERT_EQ(*publisher->Flush(milliseconds(10000)), 0u) << publisher->stats().last_error;
  EXPECT_EQ(publisher->stats().published, 1000u);
  RedisConnection connection = redis.Connect();
  RedisReplyPtr length = RedisCommand(connection.get(), {"XLEN", "earshot:cases:low"});
  ASSERT_TRUE(length);
  EXPECT_LT(length->integer, 500);  // "~" trims whole nodes (100 entries each), so not exactly 10
}

TEST(RedisPublisher, UnreadableOutboxEntryIsWarnedAboutAndRetriedNotFatal) {
  TempDir temp;
  RedisServer redis;
  ASSERT_TRUE(redis.Start());
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  std::string bad_key;
  AppendBigEndian64(bad_key, 1);
  ASSERT_TRUE(IsOk(store->Write([&](Txn& txn) { return txn.Put(Table::kOutbox, bad_key, "garbage"); })));
  Messages warnings;
  std::unique_ptr<RedisPublisher> publisher = StartPublisher(*store, Options(redis, &warnings));
  ASSERT_NE(publisher, nullptr);
  ASSERT_TRUE(WaitUntil([&] { return !warnings.Get().empty(); }, milliseconds(5000)));
  EXPECT_THAT(warnings.Get()[0], AllOf(HasSubstr("cannot read the outbox"), HasSubstr("outbox entry 1")));
  EXPECT_THAT(publisher->stats().last_error, HasSubstr("outbox entry 1"));

  // Repaired (here: removed by hand), the publisher carries on by itself.
  ASSERT_TRUE(IsOk(store->Write([&](Txn& txn) -> core::Status {
    core::Result<bool> removed = txn.Delete(Table::kOutbox, bad_key);
    return removed ? core::Status::Ok() : removed.error();
  })));
  Commit(*store, {NewCase(1, core::Severity::kHigh, 80)});
  core::Result<uint64_t> left = publisher->Flush(milliseconds(10000));
  ASSERT_TRUE(left.has_value());
  EXPECT_EQ(*left, 0u) << publisher->stats().last_error;
  EXPECT_EQ(publisher->stats().published, 1u);
  EXPECT_EQ(warnings.Get().size(), 1u) << "one warning per spell of trouble:\n" << warnings.Joined();
}

TEST(RedisPublisher, BadUrlsAreInvalidArgumentNamingTheUrlButNotThePassword) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  const std::vector<std::string> bad = {
      "http://127.0.0.1:6379", "127.0.0.1:6379",        "redis://",          "redis://:6379",
      "redis://host:0",        "redis://host:65536",    "redis://host:port", "redis://host:6379/db",
      "redis://::1:6379",      "redis://[::1:6379",     "unix://relative/x", "redis://user@host:6379",
  };
  for (const std::string& url : bad) {
    SCOPED_TRACE(url);
    RedisOptions options;
    options.url = url;
    core::Result<std::unique_ptr<RedisPublisher>> publisher = RedisPublisher::Start(*store, options);
    ASSERT_FALSE(publisher.has_value());
    EXPECT_TRUE(publisher.error().IsInvalidArgument()) << publisher.error().ToString();
    EXPECT_THAT(publisher.error().message(), HasSubstr("queue.redis.url '"));
  }
  RedisOptions options;
  options.url = "redis://ops:hunter2@127.0.0.1:notaport";
  core::Result<std::unique_ptr<RedisPublisher>> publisher = RedisPublisher::Start(*store, options);
  ASSERT_FALSE(publisher.has_value());
  EXPECT_THAT(publisher.error().message(),
              AllOf(HasSubstr("'redis://ops:***@127.0.0.1:notaport'"), HasSubstr("port 'notaport'"),
                    Not(HasSubstr("hunter2"))));
}

TEST(RedisPublisher, WellFormedUrlsAreAccepted) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  // Numeric hosts and closed ports only: nothing here may wait on DNS or a live server.
  const std::vector<std::string> good = {"redis://127.0.0.1",           "redis://127.0.0.1:1",
                                         "redis://127.0.0.1:1/",        "redis://127.0.0.1:1/15",
                                         "redis://:p%40ss@127.0.0.1:1", "redis://u:p@ss@127.0.0.1:1",
                                         "redis://[::1]:1/2",           "unix:///nonexistent/redis.sock"};
  for (const std::string& url : good) {
    SCOPED_TRACE(url);
    RedisOptions options;
    options.url = url;
    core::Result<std::unique_ptr<RedisPublisher>> publisher = RedisPublisher::Start(*store, options);
    EXPECT_TRUE(publisher.has_value()) << publisher.error().ToString();
  }
}

TEST(RedisPublisher, DestructorReturnsPromptlyWhileRedisIsDown) {
  TempDir temp;
  RedisServer redis;  // never started
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  Commit(*store, {NewCase(1, core::Severity::kHigh, 80)});
  std::unique_ptr<RedisPublisher> publisher = StartPublisher(*store, Options(redis));
  ASSERT_NE(publisher, nullptr);
  // Attempts at 0, 250 and 750 ms; the next is due at 1750 ms, so at 1 s the thread is in the middle
  // of a 1 s backoff that the destructor must not wait out.
  ASSERT_TRUE(WaitUntil([&] { return publisher->stats().failures >= 3; }, milliseconds(5000)));
  std::this_thread::sleep_for(milliseconds(200));
  const auto start = Clock::now();
  publisher.reset();
  EXPECT_LT(Clock::now() - start, milliseconds(500));
  EXPECT_EQ(OutboxDepthOf(*store), 1u);  // what was not sent stays for the next run
}

TEST(RedisPublisher, DestructorReturnsPromptlyWhileRedisHangs) {
  TempDir temp;
  RedisServer redis;
  ASSERT_TRUE(redis.Start());
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  RedisOptions options = Options(redis);
  options.command_timeout = milliseconds(20000);  // far longer than the bound below
  std::unique_ptr<RedisPublisher> publisher = StartPublisher(*store, options);
  ASSERT_NE(publisher, nullptr);
  ASSERT_TRUE(WaitUntil([&] { return publisher->stats().connected; }, milliseconds(5000)));
  redis.Pause();  // accepts nothing more, answers nothing
  Commit(*store, {NewCase(1, core::Severity::kHigh, 80)});
  publisher->Notify();
  std::this_thread::sleep_for(milliseconds(200));  // the XADD is now waiting for its reply
  const auto start = Clock::now();
  publisher.reset();
  EXPECT_LT(Clock::now() - start, milliseconds(2000));
  redis.Resume();
  EXPECT_EQ(OutboxDepthOf(*store), 1u);
}

}  // namespace
}  // namespace earshot::store
