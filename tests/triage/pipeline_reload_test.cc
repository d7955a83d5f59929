// Live rule reload and run-time observability of the durable pipeline: SwapDatabase while a pass
// runs, per-rule hit counts, per-source health, the stage histograms and the outbox hand-off. A
// real LMDB store in a temp directory, real Hyperscan databases.
#include "triage/pipeline.h"

#include <gtest/gtest.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/config.h"
#include "core/time.h"
#include "crawler/source.h"
#include "store/case_record.h"
#include "store/outbox.h"
#include "store/store.h"
#include "tests/store/temp_dir.h"
#include "tests/triage/test_rules.h"

namespace earshot::triage {
namespace {

// Rule set A knows nothing of "zorblax"; B makes it a complaint. Every test post says "zorblax",
// so each result shows which set scored it: B's results list the rule gripe.zorblax, A's do not.
constexpr const char* kRulesA = R"yaml(
brands:
  - id: acme
    patterns: ['\bacme\b']
  - id: zeta
    patterns: ['\bzeta\b']
complaints:
  - id: billing.twice
    category: billing
    patterns: ['\bcharged twice\b']
  - id: safety.fire
    category: safety
    patterns: ['\bcaught fire\b']
)yaml";

// gripe.zorblax comes first on purpose: B's rule indexes differ from A's, so filing a batch with
// the other generation's scorer (which re-scores from indexes) would show in the results.
constexpr const char* kRulesB = R"yaml(
brands:
  - id: acme
    patterns: ['\bacme\b']
  - id: zeta
    patterns: ['\bzeta\b']
complaints:
  - id: gripe.zorblax
    category: service_failure
    patterns: ['\bzorblax\b']
  - id: billing.twice
    category: billing
    patterns: ['\bcharged twice\b']
  - id: safety.fire
    category: safety
    patterns: ['\bcaught fire\b']
)yaml";

constexpr const char* kZorblaxRule = "gripe.zorblax";

using store::TempDir;  // a fresh directory per test, removed with it

std::string PostLine(const std::string& id, const std::string& author, const std::string& text) {
  return R"({"source":"mastodon","id":")" + id + R"(","author":")" + author + R"(","text":")" + text +
         R"(","created_at":"2026-11-20T10:00:00Z"})";
}

struct Reported {
  std::string id;
  std::vector<std::string> rules;
  std::string case_id;
  bool matched(std::string_view rule) const { return std::find(rules.begin(), rules.end(), rule) != rules.end(); }
  bool scored_by_b() const { return matched(kZorblaxRule); }
};

class RecordingReporter : public PipelineReporter {
 public:
  void OnBadLine(std::string_view, uint64_t line_number, std::string_view reason, bool) override {
    ADD_FAILURE() << "bad line " << line_number << ": " << reason;
  }
  void OnSourceError(std::string_view source_id, const core::Status& status) override {
    source_errors.push_back(std::string(source_id) + ": " + status.message());
  }
  bool wants_results() const override { return true; }
  void OnResult(const core::Post& post, const TriageResult& result, std::string_view case_id) override {
    results.push_back(Reported{post.id, result.rules, std::string(case_id)});
    if (results.size() == gate_at && on_gate) on_gate();
  }

  std::vector<std::string> source_errors;
  std::vector<Reported> results;
  // Called from the commit stage when the gate_at-th result is reported (1-based).
  size_t gate_at = 0;
  std::function<void()> on_gate;
};

// A source that plays a script, one poll per entry: an error, or some lines and then idle. Lets a
// test make a source fail on one poll and recover on the next, which a file cannot be made to do.
class ScriptedSource : public crawler::Source {
 public:
  struct Poll {
    std::vector<std::string> lines;
    core::Status error;    // returned after the lines, instead of kIdle
    bool pending = false;  // first says kPending (a response on its way), as a network source does
  };
  ScriptedSource(std::string id, std::deque<Poll> script) : script_(std::move(script)) {
    config_.id = std::move(id);
    config_.kind = "scripted";
  }
  const core::SourceConfig& config() const override { return config_; }
  void BeginPoll() override {
    if (!current_ && !script_.empty()) {
      current_ = std::move(script_.front());
      script_.pop_front();
      next_ = 0;
    }
  }
  core::Result<Outcome> Next(std::string& line, uint64_t& line_number) override {
    if (!current_) return Outcome::kIdle;
    if (current_->pending) {
      current_->pending = false;
      return Outcome::kPending;
    }
    if (next_ < current_->lines.size()) {
      line = current_->lines[next_++];
      line_number = ++lines_returned_;
      return Outcome::kLine;
    }
    core::Status error = std::move(current_->error);
    current_.reset();
    if (!error.ok()) return error;
    return Outcome::kIdle;
  }
  std::string Cursor() const override { return std::to_string(lines_returned_); }
  std::string Describe() const override { return std::to_string(lines_returned_) + " lines played"; }
  std::string HostKey() const override { return "https://scripted.example:443"; }

 private:
  core::SourceConfig config_;
  std::deque<Poll> script_;
  std::optional<Poll> current_;
  size_t next_ = 0;
  uint64_t lines_returned_ = 0;
};

class PipelineReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rules_a_ = testing::BuildTestDatabase(kRulesA);
    rules_b_ = testing::BuildTestDatabase(kRulesB);
    ASSERT_NE(rules_a_, nullptr);
    ASSERT_NE(rules_b_, nullptr);
    input_ = dir_.path() / "posts.jsonl";
    OpenStore("data");
  }

  // A store in its own folder: LMDB must not open one environment twice in a process.
  void OpenStore(const std::string& name) {
    store_.reset();
    core::Result<std::unique_ptr<store::Store>> opened = store::Store::Open(dir_.path() / name, {});
    ASSERT_TRUE(opened) << opened.error().ToString();
    store_ = std::move(*opened);
  }

  // `count` lines, line i being post "p<i>" by one of 40 authors; every 7th also a billing
  // complaint under both rule sets. A line i with i % 100 == 37 re-polls the post of the line
  // before it (a duplicate), so no batch of a size dividing 100 starts with one.
  // Returns the number of distinct posts.
  size_t WritePosts(size_t count) {
    std::ofstream out(input_);
    size_t distinct = 0;
    for (size_t i = 0; i < count; ++i) {
      const size_t post = i % 100 == 37 ? i - 1 : i;
      distinct += post == i ? 1 : 0;
      const std::string text = post % 7 == 0 ? "acme charged twice, zorblax " + std::to_string(post)
                                             : "acme zorblax " + std::to_string(post);
      out << PostLine("p" + std::to_string(post), "@user" + std::to_string(post % 40), text) << "\n";
    }
    return distinct;
  }

  std::unique_ptr<crawler::Source> JsonlSource(const std::string& id = "replay") {
    core::SourceConfig config;
    config.id = id;
    config.kind = "jsonl";
    config.params["path"] = input_.string();
    std::vector<std::string> warnings;
    crawler::SourceOptions options;
    options.once = true;
    core::Result<std::unique_ptr<crawler::Source>> source = crawler::MakeSource(config, "", options, warnings);
    EXPECT_TRUE(source) << source.error().ToString();
    return source ? std::move(*source) : nullptr;
  }

  // Line index of each reported post ("p<i>" is line i, or the line before a duplicate).
  static size_t LineOf(const Reported& reported) { return std::stoul(reported.id.substr(1)); }

  TempDir dir_;
  std::filesystem::path input_;
  std::shared_ptr<const matchers::Database> rules_a_;
  std::shared_ptr<const matchers::Database> rules_b_;
  std::unique_ptr<store::Store> store_;
};

// Counts per rule id recomputed from the reported results (new posts only, by construction).
std::map<std::string, uint64_t> RecountHits(const std::vector<Reported>& results) {
  std::map<std::string, uint64_t> counts;
  for (const Reported& reported : results) {
    for (const std::string& rule : reported.rules) ++counts[rule];
  }
  return counts;
}

void ExpectHitsMatch(const std::vector<RuleHitCount>& hits, const std::map<std::string, uint64_t>& expected) {
  std::map<std::string, uint64_t> nonzero;
  for (const RuleHitCount& hit : hits) {
    if (hit.hits > 0) nonzero[hit.rule_id] = hit.hits;
  }
  EXPECT_EQ(nonzero, expected);
  for (size_t i = 1; i < hits.size(); ++i) {
    const bool ordered = hits[i - 1].hits > hits[i].hits ||
                         (hits[i - 1].hits == hits[i].hits && hits[i - 1].rule_id < hits[i].rule_id);
    EXPECT_TRUE(ordered) << "RuleHits out of order at " << i << ": " << hits[i - 1].rule_id << " then "
                         << hits[i].rule_id;
  }
}

// The property of SwapDatabase: every post is scored exactly once, by exactly one rule set, and in
// one source's input order the switch happens once, between two batches. The commit stage is held
// at a known result while another thread swaps, so the swap is certain to land mid-pass with
// batches of the old rules already read and in flight behind the held one.
TEST_F(PipelineReloadTest, SwapMidPassSwitchesRulesOnceAtABatchBoundary) {
  constexpr size_t kPosts = 20'000;
  constexpr size_t kBatch = 250;
  const size_t distinct = WritePosts(kPosts);
  std::vector<std::unique_ptr<crawler::Source>> sources;
  sources.push_back(JsonlSource());
  RecordingReporter reporter;
  PipelineOptions options;
  options.batch_size = kBatch;
  Pipeline pipeline(*store_, rules_a_, std::move(sources), options, reporter);
  EXPECT_EQ(pipeline.rules_generation(), 1u);
  EXPECT_EQ(pipeline.database(), rules_a_);

  std::promise<void> reached;
  std::promise<void> swapped;
  std::shared_future<void> swapped_future = swapped.get_future().share();
  reporter.gate_at = 3'000;
  reporter.on_gate = [&] {
    reached.set_value();
    swapped_future.wait();
  };
  uint64_t swap_generation = 0;
  std::thread swapper([&, reached_future = reached.get_future()]() mutable {
    reached_future.wait();
    swap_generation = pipeline.SwapDatabase(rules_b_);
    swapped.set_value();
  });

  const int64_t before_ms = core::NowMillis();
  std::atomic<bool> stop{false};
  core::Status status = pipeline.RunPass(stop, /*ignore_schedule=*/true);
  const int64_t after_ms = core::NowMillis();
  if (reporter.results.size() < reporter.gate_at) reached.set_value();  // fail below, do not hang
  swapper.join();
  ASSERT_TRUE(status.ok()) << status.ToString();

  EXPECT_EQ(swap_generation, 2u);
  EXPECT_EQ(pipeline.rules_generation(), 2u);
  EXPECT_EQ(pipeline.database(), rules_b_);

  // Every new post exactly once, in input order: nothing dropped, nothing doubled.
  const std::vector<Reported>& results = reporter.results;
  ASSERT_EQ(results.size(), distinct);
  std::set<std::string> ids;
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_TRUE(ids.insert(results[i].id).second) << "reported twice: " << results[i].id;
    if (i > 0) {
      EXPECT_LT(LineOf(results[i - 1]), LineOf(results[i]));
    }
  }

  // All A, then all B: exactly one switch, at the first line of a batch, after the gate.
  size_t switches = 0;
  size_t first_b = results.size();
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i].scored_by_b() && first_b == results.size()) first_b = i;
    if (i > 0 && results[i].scored_by_b() != results[i - 1].scored_by_b()) ++switches;
  }
  EXPECT_EQ(switches, 1u);
  ASSERT_LT(first_b, results.size());
  EXPECT_FALSE(results.front().scored_by_b());
  EXPECT_GE(first_b, reporter.gate_at);
  EXPECT_EQ(LineOf(results[first_b]) % kBatch, 0u) << "the switch fell inside a batch, at line "
                                                   << LineOf(results[first_b]);
  // Cases follow the scoring: under B every post is a complaint with a case, under A only the
  // billing ones. (Most results are re-scored with history by the commit stage's case builder, so
  // a builder of the wrong generation would already have broken the one-switch check above.)
  for (const Reported& reported : results) {
    EXPECT_EQ(!reported.case_id.empty(), reported.scored_by_b() || reported.matched("billing.twice")) << reported.id;
  }

  // Rule hits: the cumulative counts over both generations equal a recount from the results, so
  // duplicates (200 of them) are not counted; rules that never matched are listed at zero.
  const std::vector<RuleHitCount> hits = pipeline.RuleHits();
  std::map<std::string, uint64_t> recount = RecountHits(results);
  EXPECT_EQ(recount["acme"], distinct);
  EXPECT_EQ(recount[kZorblaxRule], results.size() - first_b);
  ExpectHitsMatch(hits, recount);
  EXPECT_TRUE(std::any_of(hits.begin(), hits.end(),
                          [](const RuleHitCount& hit) { return hit.rule_id == "safety.fire" && hit.hits == 0; }));

  // Histograms: one observation per committed batch for each stage, one per new post for latency.
  const PipelineStats& stats = pipeline.stats();
  EXPECT_EQ(stats.batches.load(), kPosts / kBatch);
  EXPECT_EQ(stats.posts.load(), distinct);
  EXPECT_EQ(stats.duplicates.load(), kPosts - distinct);
  for (const core::Histogram* histogram : {&stats.read_seconds, &stats.triage_seconds, &stats.commit_seconds}) {
    EXPECT_EQ(histogram->snapshot().count, stats.batches.load());
  }
  const core::Histogram::Snapshot latency = stats.post_latency_seconds.snapshot();
  EXPECT_EQ(latency.count, distinct);
  EXPECT_GT(latency.sum, 0);
  EXPECT_GT(stats.commit_seconds.snapshot().sum, 0);  // fsynced commits take time
  EXPECT_EQ(stats.outbox_appended.load(), 0u);  // off unless options.outbox

  // Source health.
  const std::vector<SourceHealth> health = pipeline.SourceHealthSnapshot();
  ASSERT_EQ(health.size(), 1u);
  EXPECT_EQ(health[0].id, "replay");
  EXPECT_EQ(health[0].kind, "jsonl");
  EXPECT_EQ(health[0].host, "");
  EXPECT_EQ(health[0].polls, 1u);
  EXPECT_EQ(health[0].lines, kPosts);
  EXPECT_EQ(health[0].posts, distinct);
  EXPECT_EQ(health[0].errors, 0u);
  EXPECT_EQ(health[0].last_error, "");
  EXPECT_GE(health[0].last_poll_ms, before_ms);
  EXPECT_LE(health[0].last_poll_ms, after_ms);
  EXPECT_GE(health[0].last_ok_ms, health[0].last_poll_ms);
  EXPECT_LE(health[0].last_ok_ms, after_ms);
  EXPECT_FALSE(health[0].ended);
  EXPECT_NE(health[0].description, "");
}

// The same property without holding anything: a thread flips between A and B as fast as it can
// while the pass runs, at several degrees of parallelism. However the swaps interleave with the
// stages, each batch is scored by one set (every run of A or B results starts on a batch
// boundary), each post is reported once, and the hit counts add up across all generations.
TEST_F(PipelineReloadTest, RapidSwapsNeverSplitABatch) {
  constexpr size_t kPosts = 4'000;
  constexpr size_t kBatch = 50;
  const size_t distinct = WritePosts(kPosts);
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int threads : {1, 2, 4}) {
    if (threads > 1 && threads > cores) continue;  // TBB would cap the arena anyway
    SCOPED_TRACE("threads " + std::to_string(threads));
    OpenStore("data-" + std::to_string(threads));  // every post is new again
    std::vector<std::unique_ptr<crawler::Source>> sources;
    sources.push_back(JsonlSource());
    RecordingReporter reporter;
    PipelineOptions options;
    options.batch_size = kBatch;
    Pipeline pipeline(*store_, rules_a_, std::move(sources), options, reporter);

    std::atomic<bool> done{false};
    uint64_t swaps = 0;
    std::thread swapper([&] {
      while (!done.load()) {
        const auto& next = swaps % 2 == 0 ? rules_b_ : rules_a_;
        EXPECT_EQ(pipeline.SwapDatabase(next), swaps + 2);
        ++swaps;
        std::this_thread::sleep_for(std::chrono::microseconds(50));
      }
    });
    tbb::task_arena arena(threads);
    core::Status status;
    std::atomic<bool> stop{false};
    arena.execute([&] { status = pipeline.RunPass(stop, /*ignore_schedule=*/true); });
    done = true;
    swapper.join();
    ASSERT_TRUE(status.ok()) << status.ToString();
    EXPECT_EQ(pipeline.rules_generation(), swaps + 1);

    const std::vector<Reported>& results = reporter.results;
    ASSERT_EQ(results.size(), distinct);
    std::set<std::string> ids;
    for (const Reported& reported : results) EXPECT_TRUE(ids.insert(reported.id).second) << reported.id;
    size_t switches = 0;
    for (size_t i = 1; i < results.size(); ++i) {
      if (results[i].scored_by_b() == results[i - 1].scored_by_b()) continue;
      ++switches;
      EXPECT_EQ(LineOf(results[i]) % kBatch, 0u) << "rules changed inside a batch at line " << LineOf(results[i]);
    }
    EXPECT_LE(switches, swaps);
    ExpectHitsMatch(pipeline.RuleHits(), RecountHits(results));
  }
}

// Health of a source that fails one poll and recovers on the next, next to a file source: polls,
// errors and the last error (cleared by the recovery), lines and new posts, host and kind. The
// recovering poll waits for its response over two passes, which is still one poll.
TEST_F(PipelineReloadTest, SourceHealthTracksFailuresAndRecovery) {
  const size_t distinct = WritePosts(30);
  std::deque<ScriptedSource::Poll> script;
  script.push_back({{PostLine("s1", "@sam", "acme zorblax one")}, core::Status::IOError("read: connection reset")});
  script.push_back(
      {{PostLine("s2", "@sam", "acme zorblax two"), PostLine("s3", "@sue", "acme caught fire")}, {}, true});
  std::vector<std::unique_ptr<crawler::Source>> sources;
  sources.push_back(JsonlSource());
  sources.push_back(std::make_unique<ScriptedSource>("flaky", std::move(script)));
  RecordingReporter reporter;
  PipelineOptions options;
  options.batch_size = 8;
  Pipeline pipeline(*store_, rules_a_, std::move(sources), options, reporter);

  std::vector<SourceHealth> health = pipeline.SourceHealthSnapshot();
  ASSERT_EQ(health.size(), 2u);
  EXPECT_EQ(health[1].polls, 0u);
  EXPECT_EQ(health[1].last_poll_ms, 0);

  std::atomic<bool> stop{false};
  const int64_t first_ms = core::NowMillis();
  ASSERT_TRUE(pipeline.RunPass(stop, /*ignore_schedule=*/true).ok());
  health = pipeline.SourceHealthSnapshot();
  ASSERT_EQ(reporter.source_errors.size(), 1u);
  EXPECT_NE(reporter.source_errors[0].find("connection reset"), std::string::npos);
  const SourceHealth flaky = health[1];
  EXPECT_EQ(flaky.id, "flaky");
  EXPECT_EQ(flaky.kind, "scripted");
  EXPECT_EQ(flaky.host, "https://scripted.example:443");
  EXPECT_EQ(flaky.polls, 1u);
  EXPECT_EQ(flaky.errors, 1u);
  EXPECT_NE(flaky.last_error.find("connection reset"), std::string::npos) << flaky.last_error;
  EXPECT_GE(flaky.last_poll_ms, first_ms);
  EXPECT_EQ(flaky.last_ok_ms, 0);  // never finished a poll cleanly yet
  EXPECT_EQ(flaky.lines, 1u);      // the line before the failure still committed
  EXPECT_EQ(flaky.posts, 1u);
  EXPECT_EQ(health[0].polls, 1u);
  EXPECT_EQ(health[0].errors, 0u);
  EXPECT_EQ(health[0].lines, 30u);
  EXPECT_EQ(health[0].posts, distinct);
  EXPECT_GT(health[0].last_ok_ms, 0);

  std::this_thread::sleep_for(std::chrono::milliseconds(2));  // so the second poll's time is later
  ASSERT_TRUE(pipeline.RunPass(stop, /*ignore_schedule=*/true).ok());
  health = pipeline.SourceHealthSnapshot();
  const SourceHealth waiting = health[1];
  EXPECT_EQ(waiting.polls, 2u);
  EXPECT_GT(waiting.last_poll_ms, flaky.last_poll_ms);
  EXPECT_EQ(waiting.lines, 1u);
  EXPECT_EQ(waiting.last_ok_ms, 0);
  EXPECT_EQ(waiting.last_error, flaky.last_error);  // not cleared until a poll succeeds

  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ASSERT_TRUE(pipeline.RunPass(stop, /*ignore_schedule=*/true).ok());
  health = pipeline.SourceHealthSnapshot();
  const SourceHealth recovered = health[1];
  EXPECT_EQ(recovered.polls, 2u);  // the same poll, asked again
  EXPECT_EQ(recovered.last_poll_ms, waiting.last_poll_ms);
  EXPECT_EQ(recovered.errors, 1u);
  EXPECT_EQ(recovered.last_error, "");
  EXPECT_GE(recovered.last_ok_ms, recovered.last_poll_ms);
  EXPECT_EQ(recovered.lines, 3u);
  EXPECT_EQ(recovered.posts, 3u);
  EXPECT_EQ(health[0].polls, 3u);  // the file is idle at its end: each pass is a new poll
  EXPECT_EQ(health[0].lines, 30u);  // nothing new in the file
  EXPECT_EQ(pipeline.stats().source_errors.load(), 1u);
  const std::vector<std::string> described = pipeline.DescribeSources();
  ASSERT_EQ(described.size(), 2u);
  EXPECT_EQ(described[1], "flaky: 3 lines played");
}

// With the outbox on, every case a post opens or joins gets an entry in the batch's transaction:
// a post naming two brands touches two cases, a later post by the same author joins both.
TEST_F(PipelineReloadTest, OutboxGetsEveryCaseTouched) {
  {
    std::ofstream out(input_);
    out << PostLine("1", "@ana", "acme and zeta both caught fire") << "\n"
        << PostLine("2", "@bo", "zorblax, nothing to see") << "\n"
        << PostLine("3", "@ana", "acme and zeta charged twice") << "\n";
  }
  std::vector<std::unique_ptr<crawler::Source>> sources;
  sources.push_back(JsonlSource());
  RecordingReporter reporter;
  PipelineOptions options;
  options.batch_size = 2;  // two batches: [1, 2] opens two cases, [3] joins them
  options.outbox = true;
  int notified = 0;
  options.on_outbox = [&] { ++notified; };
  Pipeline pipeline(*store_, rules_a_, std::move(sources), options, reporter);
  std::atomic<bool> stop{false};
  ASSERT_TRUE(pipeline.RunPass(stop, /*ignore_schedule=*/true).ok());

  EXPECT_EQ(pipeline.stats().cases_opened.load(), 2u);
  EXPECT_EQ(pipeline.stats().cases_updated.load(), 2u);
  EXPECT_EQ(pipeline.stats().outbox_appended.load(), 4u);
  EXPECT_EQ(notified, 2);  // once per commit that appended
  std::vector<store::OutboxEntry> entries;
  ASSERT_TRUE(store_
                  ->Read([&](store::Txn& txn) -> core::Status {
                    core::Result<std::vector<store::OutboxEntry>> peeked = store::PeekOutbox(txn, 100);
                    if (!peeked) return peeked.error();
                    entries = std::move(*peeked);
                    return core::Status::Ok();
                  })
                  .ok());
  ASSERT_EQ(entries.size(), 4u);
  std::set<uint64_t> cases;
  for (const store::OutboxEntry& entry : entries) cases.insert(entry.case_number);
  EXPECT_EQ(cases.size(), 2u);
  // Opened at version 1, then joined at version 2, each case once per version.
  std::multiset<uint32_t> versions;
  for (const store::OutboxEntry& entry : entries) versions.insert(entry.version);
  EXPECT_EQ(versions, (std::multiset<uint32_t>{1, 1, 2, 2}));
}

// Without the outbox option nothing is appended and the callback is never called.
TEST_F(PipelineReloadTest, OutboxOffAppendsNothing) {
  {
    std::ofstream out(input_);
    out << PostLine("1", "@ana", "acme and zeta both caught fire") << "\n";
  }
  std::vector<std::unique_ptr<crawler::Source>> sources;
  sources.push_back(JsonlSource());
  RecordingReporter reporter;
  PipelineOptions options;
  int notified = 0;
  options.on_outbox = [&] { ++notified; };
  Pipeline pipeline(*store_, rules_a_, std::move(sources), options, reporter);
  std::atomic<bool> stop{false};
  ASSERT_TRUE(pipeline.RunPass(stop, /*ignore_schedule=*/true).ok());
  EXPECT_EQ(pipeline.stats().cases_opened.load(), 2u);
  EXPECT_EQ(pipeline.stats().outbox_appended.load(), 0u);
  EXPECT_EQ(notified, 0);
  uint64_t depth = 1;
  ASSERT_TRUE(store_
                  ->Read([&](store::Txn& txn) -> core::Status {
                    core::Result<uint64_t> counted = store::OutboxDepth(txn);
                    if (!counted) return counted.error();
                    depth = *counted;
                    return core::Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(depth, 0u);
}

}  // namespace
}  // namespace earshot::triage
