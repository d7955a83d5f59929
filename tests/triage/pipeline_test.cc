// The durable pipeline end to end inside one process: a jsonl file through parse, match, score and
// case building into a real LMDB store in a temp directory.
#include "triage/pipeline.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/time.h"
#include "crawler/internal/fd_handles.h"
#include "crawler/source.h"
#include "crawler/sources/jsonl_source.h"
#include "store/queue.h"
#include "store/store.h"
#include "tests/store/temp_dir.h"
#include "tests/triage/test_rules.h"
#include "triage/scorer.h"

namespace earshot::triage {
namespace {

// The shared test rules plus a second brand, so per-brand cases can be told apart.
constexpr const char* kPipelineRules = R"yaml(
brands:
  - id: acme
    patterns: ['\bacme\b']
    handles: ['@AcmeHelp']
  - id: zeta
    patterns: ['\bzeta\b']
complaints:
  - id: safety.fire
    category: safety
    patterns: ['\bcaught fire\b']
  - id: billing.twice
    category: billing
    patterns: ['\bcharged (me )?twice\b']
  - id: service.hold
    category: service_failure
    patterns: ['\bon hold\b']
  - id: general.sucks
    category: general_negative
    patterns: ['\bsucks\b']
signals:
  - id: sig.duration
    signal: duration
    patterns: ['\b\d+ (minutes|hours|days)\b']
)yaml";

using store::TempDir;  // a fresh directory per test, removed with it

class RecordingReporter : public PipelineReporter {
 public:
  void OnBadLine(std::string_view source_id, uint64_t line_number, std::string_view reason, bool skipped) override {
    bad_lines.push_back(std::string(source_id) + ":" + std::to_string(line_number) + ":" + std::string(reason) +
                        (skipped ? "" : " (kept)"));
  }
  void OnSourceError(std::string_view source_id, const core::Status& status) override {
    source_errors.push_back(std::string(source_id) + ": " + status.message());
  }
  bool wants_results() const override { return true; }
  void OnResult(const core::Post& post, const TriageResult& result, std::string_view case_id) override {
    results.push_back(post.id + "=" + std::string(case_id) + (HasRepetition(result) ? "+repetition" : ""));
  }
  static bool HasRepetition(const TriageResult& result) {
    return std::find(result.signals.begin(), result.signals.end(), "repetition") != result.signals.end();
  }
  std::vector<std::string> bad_lines;
  std::vector<std::string> source_errors;
  std::vector<std::string> results;
};

std::string PostLine(const std::string& id, const std::string& author, const std::string& text,
                     const std::string& created_at = "2026-11-20T10:00:00Z") {
  return R"({"source":"mastodon","id":")" + id + R"(","author":")" + author + R"(","text":")" + text +
         R"(","created_at":")" + created_at + R"("})";
}

struct PipelineStatsSnapshot {
  uint64_t posts, duplicates, skipped, complaints, reposts, opened, updated;
  core::Histogram::Snapshot post_age;
};

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = testing::BuildTestDatabase(kPipelineRules);
    ASSERT_NE(database_, nullptr);
    input_ = dir_.path() / "posts.jsonl";
    OpenStore();
  }

  void OpenStore(size_t initial_map_bytes = size_t{64} << 20) {
    store_.reset();
    store::StoreOptions options;
    options.initial_map_bytes = initial_map_bytes;
    core::Result<std::unique_ptr<store::Store>> opened = store::Store::Open(dir_.path() / "data", options);
    ASSERT_TRUE(opened) << opened.error().ToString();
    store_ = std::move(*opened);
  }

  void Append(const std::vector<std::string>& lines) {
    std::ofstream out(input_, std::ios::app);
    for (const std::string& line : lines) out << line << "\n";
  }

  // One `earshot run --once` worth of work: a fresh source at the stored cursor, one pass.
  PipelineStatsSnapshot RunOnce(size_t batch_size = 3, int64_t window_ms = int64_t{24} * 3600 * 1000) {
    core::SourceConfig config;
    config.id = "replay";
    config.kind = "jsonl";
    config.params["path"] = input_.string();
    std::string cursor;
    EXPECT_TRUE(store_->Read([&](store::Txn& txn) -> core::Status {
                        core::Result<std::optional<std::string_view>> found = txn.Get(store::Table::kCursors, "replay");
                        if (!found) return found.error();
                        if (found->has_value()) cursor = std::string(**found);
                        return core::Status::Ok();
                      })
                    .ok());
    std::vector<std::string> warnings;
    crawler::SourceOptions source_options;
    source_options.once = true;
    core::Result<std::unique_ptr<crawler::Source>> source =
        crawler::MakeSource(config, cursor, source_options, warnings);
    EXPECT_TRUE(source) << source.error().ToString();
    std::vector<std::unique_ptr<crawler::Source>> sources;
    sources.push_back(std::move(*source));
    PipelineOptions options;
    options.batch_size = batch_size;
    options.case_window_ms = window_ms;
    Pipeline pipeline(*store_, database_, std::move(sources), options, reporter_);
    std::atomic<bool> stop{false};
    core::Status status = pipeline.RunPass(stop, /*ignore_schedule=*/true);
    EXPECT_TRUE(status.ok()) << status.ToString();
    const PipelineStats& stats = pipeline.stats();
    return PipelineStatsSnapshot{stats.posts,         stats.duplicates,    stats.skipped,
                                 stats.complaints,    stats.reposts,       stats.cases_opened,
                                 stats.cases_updated, stats.post_age_seconds.snapshot()};
  }

  std::vector<store::CaseRecord> Cases(store::StateFilter filter = store::StateFilter::kAll) {
    std::vector<store::CaseRecord> cases;
    EXPECT_TRUE(store_->Read([&](store::Txn& txn) -> core::Status {
                        core::Result<std::vector<store::CaseRecord>> listed =
                            store::ListCases(txn, filter, core::NowMillis(), 0);
                        if (!listed) return listed.error();
                        cases = std::move(*listed);
                        return core::Status::Ok();
                      })
                    .ok());
    return cases;
  }

  store::CaseRecord Finish(uint64_t number, store::Finish finish) {
    store::CaseRecord record;
    core::Status status = store_->Write([&](store::Txn& txn) -> core::Status {
      core::Result<store::CaseRecord> finished = store::FinishCase(txn, number, finish, core::NowMillis());
      if (!finished) return finished.error();
      record = *finished;
      return core::Status::Ok();
    });
    EXPECT_TRUE(status.ok()) << status.ToString();
    return record;
  }

  TempDir dir_;
  std::filesystem::path input_;
  std::shared_ptr<const matchers::Database> database_;
  std::unique_ptr<store::Store> store_;
  RecordingReporter reporter_;
};

bool HasSignal(const store::CaseRecord& record, const std::string& signal) {
  return std::find(record.signals.begin(), record.signals.end(), signal) != record.signals.end();
}

TEST_F(PipelineTest, EachPostIsTriagedOnceAcrossRunsAndRepolls) {
  Append({PostLine("1", "@ana", "acme charged me twice"), PostLine("2", "@bo", "lovely day"),
          PostLine("1", "@ana", "acme charged me twice")});  // a re-polled duplicate
  auto first = RunOnce();
  EXPECT_EQ(first.posts, 2u);
  EXPECT_EQ(first.duplicates, 1u);
  EXPECT_EQ(first.complaints, 1u);
  EXPECT_EQ(first.opened, 1u);

  auto again = RunOnce();  // nothing new: the cursor is at the end
  EXPECT_EQ(again.posts + again.duplicates, 0u);

  Append({PostLine("3", "@cy", "zeta app caught fire"), PostLine("2", "@bo", "lovely day")});
  auto appended = RunOnce();
  EXPECT_EQ(appended.posts, 1u);
  EXPECT_EQ(appended.duplicates, 1u);
  EXPECT_EQ(Cases().size(), 2u);
}

TEST_F(PipelineTest, SameAuthorAndBrandWithinTheWindowJoinOneCase) {
  Append({PostLine("1", "@ana", "acme sucks", "2026-11-20T10:00:00Z"),
          PostLine("2", "@ana", "acme charged me twice", "2026-11-20T12:00:00Z"),   // joins: 2 h later
          PostLine("3", "@ana", "zeta sucks", "2026-11-20T12:30:00Z"),              // other brand
          PostLine("4", "@bo", "acme sucks too", "2026-11-20T12:40:00Z"),           // other author
          PostLine("5", "@ana", "acme sucks", "2026-11-22T13:00:00Z")});            // 49 h later
  auto stats = RunOnce(/*batch_size=*/2, /*window_ms=*/int64_t{24} * 3600 * 1000);
  EXPECT_EQ(stats.opened, 4u);
  EXPECT_EQ(stats.updated, 1u);
  std::vector<store::CaseRecord> cases = Cases();
  ASSERT_EQ(cases.size(), 4u);
  // Most urgent first: the billing case (high) with its two posts.
  const store::CaseRecord& billing = cases[0];
  EXPECT_EQ(billing.brand, "acme");
  EXPECT_EQ(billing.author, "@ana");
  EXPECT_EQ(billing.post_count, 2u);
  EXPECT_EQ(billing.version, 2u);
  ASSERT_EQ(billing.posts.size(), 2u);
  EXPECT_EQ(billing.posts[0].id, "1");
  EXPECT_EQ(billing.posts[1].id, "2");
  EXPECT_EQ(billing.severity, core::Severity::kHigh);
  EXPECT_TRUE(HasSignal(billing, "repetition"));
  std::set<std::string> brands;
  for (const auto& record : cases) brands.insert(record.brand);
  EXPECT_EQ(brands, (std::set<std::string>{"acme", "zeta"}));
}

TEST_F(PipelineTest, ASecondPostAddsRepetitionCappedAtTheBand) {
  Append({PostLine("1", "@ana", "acme sucks", "2026-11-20T10:00:00Z"),
          PostLine("2", "@ana", "acme sucks", "2026-11-20T10:05:00Z")});  // same text, same author
  RunOnce();
  // The same text from the same author within the window is a copy, not news.
  std::vector<store::CaseRecord> cases = Cases();
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_EQ(cases[0].post_count, 1u);

  Append({PostLine("3", "@ana", "acme still sucks, 3 days now", "2026-11-20T11:00:00Z")});
  auto stats = RunOnce();
  EXPECT_EQ(stats.updated, 1u);
  cases = Cases();
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_EQ(cases[0].post_count, 2u);
  EXPECT_TRUE(HasSignal(cases[0], "repetition"));
  EXPECT_LE(cases[0].urgency, Scorer::BandCeiling(core::Severity::kLow));
  EXPECT_GT(cases[0].urgency, cases[0].posts[0].urgency);
}

TEST_F(PipelineTest, RepostsByOtherAuthorsOpenNoCase) {
  Append({PostLine("1", "@ana", "acme caught fire in my kitchen"),
          PostLine("2", "@bo", "RT @ana: acme caught fire in my kitchen"),
          PostLine("3", "@cy", "RT @ana: ACME  caught fire in my kitchen")});
  auto stats = RunOnce();
  EXPECT_EQ(stats.posts, 3u);
  EXPECT_EQ(stats.complaints, 3u);
  EXPECT_EQ(stats.reposts, 2u);
  EXPECT_EQ(stats.opened, 1u);
  EXPECT_EQ(Cases().size(), 1u);
}

TEST_F(PipelineTest, ShortIdenticalComplaintsFromDifferentPeopleAreDifferentCustomers) {
  Append({PostLine("1", "@ana", "acme charged me twice"), PostLine("2", "@bo", "acme charged me twice"),
          // Long enough that a second author writing exactly this is copying it.
          PostLine("3", "@cy", "my acme account charged me twice for the same order this week"),
          PostLine("4", "@dee", "My ACME account charged me twice for the same order this week")});
  auto stats = RunOnce();
  EXPECT_EQ(stats.complaints, 4u);
  EXPECT_EQ(stats.reposts, 1u);
  EXPECT_EQ(stats.opened, 3u);
  std::set<std::string> authors;
  for (const store::CaseRecord& record : Cases()) authors.insert(record.author);
  EXPECT_EQ(authors, (std::set<std::string>{"@ana", "@bo", "@cy"}));
}

TEST_F(PipelineTest, PostsNamingTwoBrandsOpenACasePerBrand) {
  Append({PostLine("1", "@ana", "acme and zeta both charged me twice")});
  auto stats = RunOnce();
  EXPECT_EQ(stats.opened, 2u);
  std::vector<store::CaseRecord> cases = Cases();
  ASSERT_EQ(cases.size(), 2u);
  EXPECT_NE(cases[0].brand, cases[1].brand);
  EXPECT_EQ(cases[0].posts[0].id, "1");
  EXPECT_EQ(cases[1].posts[0].id, "1");
}

TEST_F(PipelineTest, BrandAccountsAndNonComplaintsOpenNoCase) {
  Append({PostLine("1", "@AcmeHelp", "sorry your acme bill charged you twice, DM us"),
          PostLine("2", "@ana", "what a lovely acme router")});
  auto stats = RunOnce();
  EXPECT_EQ(stats.posts, 2u);
  EXPECT_EQ(stats.opened, 0u);
  EXPECT_TRUE(Cases().empty());
}

TEST_F(PipelineTest, ResolvedHistoryIsNotRepetitionButUnresolvedIs) {
  // Two authors with the same story; only ana's first case is resolved.
  Append({PostLine("1", "@ana", "acme charged me twice", "2026-11-20T10:00:00Z"),
          PostLine("2", "@bo", "acme charged twice on my card", "2026-11-20T10:00:00Z")});
  RunOnce();
  std::vector<store::CaseRecord> cases = Cases();
  ASSERT_EQ(cases.size(), 2u);
  const uint64_t ana_case = cases[0].author == "@ana" ? cases[0].number : cases[1].number;
  Finish(ana_case, store::Finish::kResolve);

  // Both come back after the window has passed: new cases either way.
  Append({PostLine("3", "@ana", "acme charged me twice, 5 days ago", "2026-11-22T10:00:00Z"),
          PostLine("4", "@bo", "acme charged me twice, 5 days ago!", "2026-11-22T10:00:00Z")});
  auto stats = RunOnce();
  EXPECT_EQ(stats.opened, 2u);
  std::map<std::string, store::CaseRecord> latest;
  for (const store::CaseRecord& record : Cases()) {
    if (record.posts[0].id == "3" || record.posts[0].id == "4") latest[record.author] = record;
  }
  ASSERT_EQ(latest.size(), 2u);
  EXPECT_FALSE(HasSignal(latest["@ana"], "repetition"));
  EXPECT_TRUE(HasSignal(latest["@bo"], "repetition"));
  EXPECT_GT(latest["@bo"].urgency, latest["@ana"].urgency);
}

TEST_F(PipelineTest, AckedCaseReturnsToTheQueueWhenTheCustomerWritesAgain) {
  Append({PostLine("1", "@ana", "acme charged me twice", "2026-11-20T10:00:00Z")});
  RunOnce();
  std::vector<store::CaseRecord> pulled;
  ASSERT_TRUE(store_->Write([&](store::Txn& txn) -> core::Status {
                      core::Result<std::vector<store::CaseRecord>> got =
                          store::PullCases(txn, core::NowMillis(), 5, 60000);
                      if (!got) return got.error();
                      pulled = *got;
                      return core::Status::Ok();
                    })
                  .ok());
  ASSERT_EQ(pulled.size(), 1u);
  EXPECT_EQ(Finish(pulled[0].number, store::Finish::kAck).state, store::CaseState::kAcked);
  EXPECT_TRUE(Cases(store::StateFilter::kOpen).empty());

  Append({PostLine("2", "@ana", "acme, still charged twice", "2026-11-20T15:00:00Z")});
  RunOnce();
  std::vector<store::CaseRecord> open = Cases(store::StateFilter::kOpen);
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].number, pulled[0].number);
  EXPECT_EQ(open[0].state, store::CaseState::kQueued);
  EXPECT_EQ(open[0].version, 2u);
}

TEST_F(PipelineTest, ResultsCarryTheirCaseAndHistoryInInputOrder) {
  Append({PostLine("1", "@ana", "acme charged me twice", "2026-11-20T10:00:00Z"),
          PostLine("2", "@bo", "nice weather"),
          PostLine("1", "@ana", "acme charged me twice", "2026-11-20T10:00:00Z"),  // re-poll: not reported
          PostLine("3", "@ana", "acme sucks", "2026-11-20T11:00:00Z"),
          PostLine("4", "@cy", "RT @ana: acme charged me twice")});
  RunOnce(/*batch_size=*/2);
  // Post 3 joins ana's case and is scored with her unresolved case as history; the retweet points
  // at the case it repeats.
  EXPECT_EQ(reporter_.results,
            (std::vector<std::string>{"1=c-00000001", "2=", "3=c-00000001+repetition", "4=c-00000001"}));
}

TEST_F(PipelineTest, BadLinesAreReportedWithTheirLineAndSkipped) {
  Append({PostLine("1", "@ana", "acme charged me twice"), "{not json", R"({"source":"x","id":"2"})", "",
          PostLine("3", "@bo", "zeta sucks")});
  auto stats = RunOnce(/*batch_size=*/2);
  EXPECT_EQ(stats.posts, 2u);
  EXPECT_EQ(stats.skipped, 2u);
  ASSERT_EQ(reporter_.bad_lines.size(), 2u);
  EXPECT_EQ(reporter_.bad_lines[0].rfind("replay:2:", 0), 0u) << reporter_.bad_lines[0];
  EXPECT_EQ(reporter_.bad_lines[1].rfind("replay:3:", 0), 0u) << reporter_.bad_lines[1];
  // The cursor moved past them: a second run reports nothing again.
  reporter_.bad_lines.clear();
  RunOnce();
  EXPECT_TRUE(reporter_.bad_lines.empty());
}

// A tailing run waits on a stream's descriptor between passes: a line that arrives is due at once,
// not after the source's `every` (here a minute). Files and network sources have no descriptor.
TEST_F(PipelineTest, AStreamIsDueAsSoonAsALineArrives) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0) << std::strerror(errno);
  crawler::internal::UniqueFd writer(fds[1]);
  core::SourceConfig config;
  config.id = "live";
  config.kind = "jsonl";
  config.params["path"] = "-";
  config.every = std::chrono::minutes(1);
  std::vector<std::unique_ptr<crawler::Source>> sources;
  sources.push_back(crawler::JsonlSource::OpenStream(config, crawler::internal::UniqueFd(fds[0]), "pipe", {}));
  PipelineOptions options;
  Pipeline pipeline(*store_, database_, std::move(sources), options, reporter_);
  std::atomic<bool> stop{false};

  ASSERT_TRUE(pipeline.RunPass(stop, /*ignore_schedule=*/false).ok());  // nothing yet: idle for a minute
  EXPECT_GT(pipeline.MillisUntilNextPoll(), 50'000);
  // Nothing arrives: the wait times out and the source is still not due.
  EXPECT_TRUE(pipeline.WaitForInput(std::chrono::milliseconds(20), stop));
  EXPECT_GT(pipeline.MillisUntilNextPoll(), 50'000);

  const std::string line = PostLine("1", "@ana", "acme charged me twice") + "\n";
  ASSERT_EQ(::write(writer.get(), line.data(), line.size()), static_cast<ssize_t>(line.size()));
  const auto before = std::chrono::steady_clock::now();
  EXPECT_TRUE(pipeline.WaitForInput(std::chrono::minutes(1), stop));
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(30)) << "waited out the timeout";
  EXPECT_EQ(pipeline.MillisUntilNextPoll(), 0);
  ASSERT_TRUE(pipeline.RunPass(stop, /*ignore_schedule=*/false).ok());
  EXPECT_EQ(pipeline.stats().posts.load(), 1u);

  // The writer closes: the hang-up makes the source due, the pass sees the end, and with no stream
  // left there is nothing to wait on.
  writer.Reset();
  EXPECT_TRUE(pipeline.WaitForInput(std::chrono::minutes(1), stop));
  ASSERT_TRUE(pipeline.RunPass(stop, /*ignore_schedule=*/false).ok());
  EXPECT_EQ(pipeline.MillisUntilNextPoll(), -1);
  EXPECT_FALSE(pipeline.WaitForInput(std::chrono::minutes(1), stop));
}

TEST_F(PipelineTest, AFileSourceHasNothingToWaitOn) {
  Append({PostLine("1", "@ana", "acme charged me twice")});
  core::SourceConfig config;
  config.id = "replay";
  config.kind = "jsonl";
  config.params["path"] = input_.string();
  std::vector<std::string> warnings;
  core::Result<std::unique_ptr<crawler::Source>> source = crawler::MakeSource(config, "", {}, warnings);
  ASSERT_TRUE(source) << source.error().ToString();
  std::vector<std::unique_ptr<crawler::Source>> sources;
  sources.push_back(std::move(*source));
  Pipeline pipeline(*store_, database_, std::move(sources), PipelineOptions{}, reporter_);
  std::atomic<bool> stop{false};
  const auto before = std::chrono::steady_clock::now();
  EXPECT_FALSE(pipeline.WaitForInput(std::chrono::minutes(1), stop));
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(30));
}

// The age histogram counts each new post once, from its own created_at to the commit: not the
// re-polled duplicate, not a post without a valid date; a date in the future counts as 0 s.
TEST_F(PipelineTest, PostAgeAtCommitIsMeasuredFromEachNewPostsCreatedAt) {
  const int64_t now_ms = core::NowMillis();
  const std::string two_seconds_ago = core::FormatRfc3339Millis(now_ms - 2000);
  const std::string an_hour_ago = core::FormatRfc3339Millis(now_ms - 3600 * 1000 + 30 * 1000);
  Append({PostLine("1", "@ana", "acme charged me twice", two_seconds_ago),
          PostLine("2", "@bo", "lovely day", an_hour_ago),
          PostLine("1", "@ana", "acme charged me twice", two_seconds_ago),  // re-poll: not counted
          PostLine("3", "@cy", "zeta sucks", "yesterday"),                  // no valid date: not counted
          PostLine("4", "@di", "acme sucks", core::FormatRfc3339Millis(now_ms + 60 * 1000)),
          "{not json"});
  const core::Histogram::Snapshot age = RunOnce(/*batch_size=*/2).post_age;
  ASSERT_EQ(age.count, 3u);
  // Bucket bounds: ... 1, 2.5, ... 900, 3600 s. Post 4 is in the first bucket, post 1 between 1 s
  // and 2.5 s (2 s plus this test's own run), post 2 between 900 s and 3600 s.
  auto bucket_of = [&](double bound) {
    const size_t i = static_cast<size_t>(
        std::find(age.upper_bounds.begin(), age.upper_bounds.end(), bound) - age.upper_bounds.begin());
    return age.cumulative.at(i) - (i == 0 ? 0 : age.cumulative.at(i - 1));
  };
  EXPECT_EQ(bucket_of(age.upper_bounds.front()), 1u);
  EXPECT_EQ(bucket_of(2.5), 1u);
  EXPECT_EQ(bucket_of(3600), 1u);
  EXPECT_GT(age.sum, 3600.0 - 30 - 1);
  EXPECT_LT(age.sum, 3600.0 - 30 + 2 + 30);
}

TEST_F(PipelineTest, TheStoreGrowsItsMapInsteadOfFailing) {
  OpenStore(/*initial_map_bytes=*/size_t{256} << 10);
  std::vector<std::string> lines;
  for (int i = 0; i < 6000; ++i) {
    lines.push_back(PostLine(std::to_string(1000000 + i), "@user" + std::to_string(i % 700),
                             "acme charged me twice, order " + std::to_string(i) + " " + std::string(120, 'x')));
  }
  Append(lines);
  const uint64_t map_before = store_->map_bytes();
  auto stats = RunOnce(/*batch_size=*/500);
  EXPECT_EQ(stats.posts, 6000u);
  EXPECT_EQ(stats.opened + stats.updated, 6000u);
  EXPECT_GT(store_->map_bytes(), map_before);
  size_t posts_in_cases = 0;
  for (const store::CaseRecord& record : Cases()) posts_in_cases += record.post_count;
  EXPECT_EQ(posts_in_cases, 6000u);
}

}  // namespace
}  // namespace earshot::triage
