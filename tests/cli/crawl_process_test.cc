// `earshot crawl` and `earshot run` processes against the replay server (tests/replay) on loopback:
// for each source kind, every post exactly once across restarts including a burst larger than one
// page, Retry-After waited out, backoff on 5xx, a malformed or truncated body reported with the
// source and URL while the other sources carry on, ETag/304, HTML-free text; and 200 sources on 20
// hosts holding each host's limit while the total rate scales with the hosts.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <simdjson.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/cli/child_process.h"
#include "tests/replay/replay_server.h"

namespace earshot {
namespace {

using test_support::Child;
using test_support::Lines;
using test_support::Slurp;
using test_support::SpawnOptions;
namespace fs = std::filesystem;

constexpr char kBlueskyPasswordVariable[] = "EARSHOT_TEST_BSKY_PASSWORD";

struct KindSpec {
  const char* kind;
  replay::Dataset dataset;
  const char* path_prefix;  // where faults go: the API's listing path
  size_t page_size;         // the source's page size in these tests; the first poll takes one page
  size_t burst;             // new items added between runs (RSS: fewer than the feed's 10)
};

const KindSpec kKinds[] = {
    {"mastodon", replay::Dataset::kMastodon, "/api/v1/timelines", 5, 23},
    {"reddit", replay::Dataset::kReddit, "/r/", 5, 23},
    {"hackernews", replay::Dataset::kHackerNews, "/api/v1/search_by_date", 5, 23},
    {"bluesky", replay::Dataset::kBluesky, "/xrpc/app.bsky.feed.searchPosts", 5, 23},
    {"wordpress", replay::Dataset::kWordPress, "/wp-json/", 5, 23},
    {"rss", replay::Dataset::kWordPress, "/feeds/", 10, 3},
};

std::string SourceYaml(const KindSpec& spec, const std::string& id, const std::string& base_url) {
  std::string yaml = "  - id: " + id + "\n    kind: " + spec.kind + "\n    every: 1s\n";
  const std::string kind = spec.kind;
  const std::string page = std::to_string(spec.page_size);
  if (kind == "rss") return yaml + "    url: " + base_url + "/feeds/comments\n";
  yaml += "    base_url: " + base_url + "\n";
  if (kind == "mastodon") yaml += "    hashtag: rstats\n    limit: " + page + "\n";
  if (kind == "reddit") yaml += "    subreddit: askreddit\n    limit: " + page + "\n";
  // The recorded hits include polls; ask for every tag so each added item is in the results.
  if (kind == "hackernews") yaml += "    query: support\n    tags: '(story,comment,poll)'\n    hits_per_page: " + page + "\n";
  if (kind == "bluesky") {
    yaml += "    query: outage\n    identifier: tester.bsky.social\n    limit: " + page + "\n" +
            "    app_password_env: " + kBlueskyPasswordVariable + "\n";
  }
  if (kind == "wordpress") yaml += "    per_page: " + page + "\n";
  return yaml;
}

struct Outcome {
  int exit_code = -1;
  std::string err;
};

struct CrawledPost {
  std::string source, id, text;
};

class CrawlProcessTest : public ::testing::TestWithParam<KindSpec> {
 protected:
  void SetUp() override {
    std::string name = std::string("earshot_crawl_") + std::to_string(::getpid()) + "_" +
                       ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(name.begin(), name.end(), '/', '_');
    dir_ = fs::temp_directory_path() / name;
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ::setenv(kBlueskyPasswordVariable, "replay-app-password", 1);
    StartServer(1);
  }
  void TearDown() override {
    server_.reset();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  void StartServer(size_t listeners) {
    replay::ReplayOptions options;
    options.fixtures_dir = EARSHOT_SOURCE_DIR "/tests/replay/fixtures";
    options.ports.assign(listeners, 0);
    options.threads_per_listener = 4;
    auto started = replay::ReplayServer::Start(options);
    ASSERT_TRUE(started.has_value()) << started.error().message();
    server_ = std::move(*started);
  }

  fs::path WriteConfig(const std::string& sources, const std::string& extra = "",
                       const std::string& http = "{backoff: 100ms, max_backoff: 2s, attempts: 3, timeout: 10s}") {
    const fs::path rules = dir_ / "rules.yaml";
    std::ofstream(rules) << "brands:\n  - id: acme\n    name: Acme\n    patterns: ['\\bacme\\b']\n";
    const fs::path config = dir_ / "earshot.yaml";
    std::ofstream(config) << "data_dir: data\nrules: [rules.yaml]\n"
                          << "http: " << http << "\n"
                          << extra << "sources:\n"
                          << sources;
    return config;
  }

  Outcome Earshot(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {EARSHOT_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    SpawnOptions options;
    options.stdout_path = dir_ / "stdout.txt";
    options.stderr_path = dir_ / "stderr.txt";
    Child child = Child::Spawn(argv, options);
    const std::optional<int> status = child.WaitFor(test_support::kProcessTimeout);
    Outcome outcome;
    outcome.err = Slurp(options.stderr_path);
    if (status && WIFEXITED(*status)) outcome.exit_code = WEXITSTATUS(*status);
    return outcome;
  }

  Outcome Crawl(const fs::path& config, const fs::path& out) {
    return Earshot({"crawl", "--once", "--config", config.string(), "--out", out.string()});
  }

  static std::vector<CrawledPost> ReadPosts(const fs::path& path) {
    std::vector<CrawledPost> posts;
    simdjson::dom::parser parser;
    for (const std::string& line : Lines(Slurp(path))) {
      simdjson::dom::element post;
      EXPECT_EQ(parser.parse(line).get(post), simdjson::SUCCESS) << line;
      std::string_view source, id, text;
      EXPECT_EQ(post["source"].get(source), simdjson::SUCCESS) << line;
      EXPECT_EQ(post["id"].get(id), simdjson::SUCCESS) << line;
      EXPECT_EQ(post["text"].get(text), simdjson::SUCCESS) << line;
      posts.push_back({std::string(source), std::string(id), std::string(text)});
    }
    return posts;
  }

  // The crawler's id for an item the replay server reports: WordPress comment ids are per site, so
  // the crawler qualifies them; the RSS comment feed's guid is the comment's permalink.
  static bool SameItem(const KindSpec& spec, const std::string& crawled, const std::string& replayed) {
    const std::string kind = spec.kind;
    if (kind == "wordpress") return crawled.ends_with(":" + replayed);
    if (kind == "rss") return crawled.ends_with("comment-" + replayed);
    return crawled == replayed;
  }

  // The next `count` requests under `prefix` answer `code` (with Retry-After if given).
  void InjectStatus(const std::string& prefix, int code, int count, const std::string& retry_after = "") {
    replay::FaultSpec fault;
    fault.path_prefix = prefix;
    fault.kind = replay::FaultKind::kStatus;
    fault.status_code = code;
    fault.count = count;
    fault.retry_after = retry_after;
    ASSERT_TRUE(server_->InjectFault(fault).ok());
  }

  std::vector<replay::LogEntry> ApiRequests(const std::string& prefix) const {
    std::vector<replay::LogEntry> requests;
    for (const replay::LogEntry& entry : server_->Log()) {
      if (entry.path.starts_with(prefix)) requests.push_back(entry);
    }
    return requests;
  }

  fs::path dir_;
  std::unique_ptr<replay::ReplayServer> server_;
};

TEST_P(CrawlProcessTest, EveryPostExactlyOnceAcrossRestartsIncludingABurstLargerThanAPage) {
  const KindSpec& spec = GetParam();
  const fs::path config = WriteConfig(SourceYaml(spec, "src", server_->base_url()));
  const fs::path out = dir_ / "posts.jsonl";

  Outcome first = Crawl(config, out);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::vector<CrawledPost> initial = ReadPosts(out);
  // The first poll takes the newest page only: no backlog flood.
  EXPECT_EQ(initial.size(), spec.page_size) << first.err;

  auto added = server_->AddItems(spec.dataset, spec.burst);
  ASSERT_TRUE(added.has_value()) << added.error().message();
  Outcome second = Crawl(config, out);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  Outcome third = Crawl(config, out);  // nothing new
  ASSERT_EQ(third.exit_code, 0) << third.err;

  const std::vector<CrawledPost> all = ReadPosts(out);
  ASSERT_EQ(all.size(), spec.page_size + spec.burst) << second.err << third.err;
  std::set<std::string> ids;
  for (const CrawledPost& post : all) {
    EXPECT_EQ(post.source, spec.kind);
    EXPECT_TRUE(ids.insert(post.id).second) << "written twice: " << post.id;
    // HTML stripped, entities decoded.
    for (const char* markup : {"<p>", "</", "<br", "<a ", "&amp;", "&lt;", "&#", "&quot;"}) {
      EXPECT_EQ(post.text.find(markup), std::string::npos) << post.id << ": " << post.text;
    }
  }
  for (size_t i = 0; i < added->size(); ++i) {
    const std::string& replayed = (*added)[i];
    const bool found = std::any_of(all.begin() + static_cast<std::ptrdiff_t>(spec.page_size), all.end(),
                                   [&](const CrawledPost& post) { return SameItem(spec, post.id, replayed); });
    EXPECT_TRUE(found) << "missing new item " << replayed;
  }
  if (std::string(spec.kind) == "rss") {
    // The third poll sent the second's validators and got 304: no body.
    const std::vector<replay::LogEntry> feeds = ApiRequests("/feeds/");
    ASSERT_EQ(feeds.size(), 3u);
    EXPECT_EQ(feeds[1].status, 200);
    EXPECT_EQ(feeds[2].status, 304);
    EXPECT_EQ(feeds[2].bytes, 0u);
  }
}

TEST_P(CrawlProcessTest, RetryAfterIsWaitedOut) {
  const KindSpec& spec = GetParam();
  InjectStatus(spec.path_prefix, 429, 1, "1");
  const fs::path out = dir_ / "posts.jsonl";
  Outcome crawl = Crawl(WriteConfig(SourceYaml(spec, "src", server_->base_url())), out);
  ASSERT_EQ(crawl.exit_code, 0) << crawl.err;
  EXPECT_EQ(ReadPosts(out).size(), spec.page_size);
  const std::vector<replay::LogEntry> requests = ApiRequests(spec.path_prefix);
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].status, 429);
  EXPECT_EQ(requests[1].status, 200);
  EXPECT_GE(requests[1].t_ms - requests[0].t_ms, 950) << "Retry-After: 1 was not waited out";
}

TEST_P(CrawlProcessTest, ServerErrorsBackOffThenSucceed) {
  const KindSpec& spec = GetParam();
  InjectStatus(spec.path_prefix, 500, 2);
  const fs::path out = dir_ / "posts.jsonl";
  Outcome crawl = Crawl(WriteConfig(SourceYaml(spec, "src", server_->base_url())), out);
  ASSERT_EQ(crawl.exit_code, 0) << crawl.err;
  EXPECT_EQ(ReadPosts(out).size(), spec.page_size);
  const std::vector<replay::LogEntry> requests = ApiRequests(spec.path_prefix);
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].status, 500);
  EXPECT_EQ(requests[1].status, 500);
  EXPECT_EQ(requests[2].status, 200);
}

// A broken body is reported with the source, method, URL and status; the other source's posts are
// still written, and the broken source's cursor did not move, so the next run gets its posts.
TEST_P(CrawlProcessTest, MalformedOrTruncatedBodyIsReportedAndOtherSourcesCarryOn) {
  const KindSpec& spec = GetParam();
  for (replay::FaultKind kind : {replay::FaultKind::kMalformed, replay::FaultKind::kTruncate}) {
    const bool truncate = kind == replay::FaultKind::kTruncate;
    SCOPED_TRACE(truncate ? "truncated" : "malformed");
    fs::remove_all(dir_ / "data");
    const fs::path out = dir_ / (truncate ? "truncated.jsonl" : "malformed.jsonl");
    std::ofstream(dir_ / "side.jsonl") << R"({"source":"side","id":"s1","text":"first"})" << "\n"
                                       << R"({"source":"side","id":"s2","text":"second"})" << "\n";
    server_->Reset();
    replay::FaultSpec fault;
    fault.path_prefix = spec.path_prefix;
    fault.kind = kind;
    // A truncated body is retried (http.attempts: 3), so it must fail every attempt; a malformed
    // 200 is the adapter's to judge and is not retried.
    fault.count = truncate ? 3 : 1;
    ASSERT_TRUE(server_->InjectFault(fault).ok());
    const fs::path config = WriteConfig(SourceYaml(spec, "broken", server_->base_url()) +
                                        "  - id: side\n    kind: jsonl\n    path: side.jsonl\n");
    Outcome crawl = Crawl(config, out);
    EXPECT_EQ(crawl.exit_code, 1) << crawl.err;
    EXPECT_NE(crawl.err.find("source broken: GET " + server_->base_url() + spec.path_prefix), std::string::npos)
        << crawl.err;
    if (!truncate) {
      EXPECT_NE(crawl.err.find("HTTP 200"), std::string::npos) << crawl.err;
    }
    std::vector<CrawledPost> posts = ReadPosts(out);
    ASSERT_EQ(posts.size(), 2u) << crawl.err;
    EXPECT_EQ(posts[0].id, "s1");

    Outcome again = Crawl(config, out);
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(ReadPosts(out).size(), 2 + spec.page_size) << again.err;
  }
}

std::string KindName(const ::testing::TestParamInfo<KindSpec>& info) { return info.param.kind; }

INSTANTIATE_TEST_SUITE_P(EachSource, CrawlProcessTest, ::testing::ValuesIn(kKinds), KindName);

// The main job over the network: `earshot run --once` commits what it crawled, and the next run
// finds nothing new.
class CrawlScaleTest : public CrawlProcessTest {};

TEST_F(CrawlScaleTest, RunOnceTriagesCrawledPostsIntoTheStore) {
  const fs::path config = WriteConfig(SourceYaml(kKinds[0], "masto", server_->base_url()) +
                                      SourceYaml(kKinds[4], "wp", server_->base_url()));
  Outcome run = Earshot({"run", "--once", "--config", config.string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("run: 10 posts"), std::string::npos) << run.err;
  Outcome again = Earshot({"run", "--once", "--config", config.string()});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("run: 0 posts"), std::string::npos) << again.err;
}

// The replay server's other faults: a body dripped slowly (within the timeout) is read whole; a
// server that says nothing past the timeout is retried; a page larger than the limit asked for is
// taken whole and paging goes on, so nothing is lost or repeated.
TEST_F(CrawlScaleTest, SlowDripTimeoutAndOversizePagesAreHandled) {
  const fs::path config = WriteConfig(SourceYaml(kKinds[0], "masto", server_->base_url()), "",
                                      "{backoff: 100ms, attempts: 3, timeout: 1s}");
  const fs::path out = dir_ / "posts.jsonl";
  replay::FaultSpec drip;
  drip.path_prefix = "/api/v1/timelines";
  drip.kind = replay::FaultKind::kDrip;
  drip.drip_bytes = 2048;
  drip.drip_interval_ms = 10;
  ASSERT_TRUE(server_->InjectFault(drip).ok());
  Outcome first = Crawl(config, out);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(ReadPosts(out).size(), 5u);

  auto added = server_->AddItems(replay::Dataset::kMastodon, 12);
  ASSERT_TRUE(added.has_value());
  server_->Reset();
  replay::FaultSpec hang;
  hang.path_prefix = "/api/v1/timelines";
  hang.kind = replay::FaultKind::kHang;
  hang.hang_ms = 2500;
  ASSERT_TRUE(server_->InjectFault(hang).ok());
  replay::FaultSpec oversize;  // queued behind the hang: the retried request gets 5 + 3 statuses
  oversize.path_prefix = "/api/v1/timelines";
  oversize.kind = replay::FaultKind::kOversize;
  oversize.extra_items = 3;
  ASSERT_TRUE(server_->InjectFault(oversize).ok());
  Outcome second = Crawl(config, out);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const std::vector<CrawledPost> posts = ReadPosts(out);
  std::set<std::string> ids;
  for (const CrawledPost& post : posts) EXPECT_TRUE(ids.insert(post.id).second) << "twice: " << post.id;
  EXPECT_EQ(posts.size(), 5u + 12u);
  for (const std::string& id : *added) EXPECT_EQ(ids.count(id), 1u) << "missing " << id;
  // The hung request timed out and was retried (the server logs it only when it finally answers).
  EXPECT_NE(second.err.find(", 1 retries,"), std::string::npos) << second.err;
  const std::vector<replay::LogEntry> requests = ApiRequests("/api/v1/timelines");
  EXPECT_TRUE(std::any_of(requests.begin(), requests.end(),
                          [](const replay::LogEntry& entry) { return entry.fault.starts_with("oversize"); }));
}

// An operator can see where each source stopped and start one over; a reset is refused while a
// crawler holds the data directory (its next commit would write the old cursor back).
TEST_F(CrawlScaleTest, SourcesListShowsCursorsAndResetStartsASourceOver) {
  const fs::path config = WriteConfig(SourceYaml(kKinds[0], "masto", server_->base_url()));
  const fs::path out = dir_ / "posts.jsonl";
  ASSERT_EQ(Crawl(config, out).exit_code, 0);
  Outcome list = Earshot({"sources", "list", "--config", config.string()});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  const std::string listed = Slurp(dir_ / "stdout.txt");
  EXPECT_NE(listed.find(R"({"id":"masto","kind":"mastodon","cursor":"mastodon1 min_id=)"), std::string::npos) << listed;

  SpawnOptions options;
  options.stdout_path = dir_ / "crawl-stdout.txt";
  options.stderr_path = dir_ / "crawl-stderr.txt";
  Child running = Child::Spawn({EARSHOT_BINARY, "crawl", "--config", config.string(), "--out", out.string()}, options);
  // Wait until the child holds the data directory's lock. /proc/locks shows it without taking it
  // (a probing flock could make the child's own attempt fail).
  struct stat lock_file {};
  ASSERT_EQ(::stat((dir_ / "data" / "run.lock").c_str(), &lock_file), 0);
  const std::string inode = ":" + std::to_string(lock_file.st_ino) + " ";
  const auto deadline = test_support::Clock::now() + std::chrono::seconds(20);
  for (bool held = false; !held && test_support::Clock::now() < deadline && !running.Poll();) {
    for (const std::string& line : Lines(Slurp("/proc/locks"))) {
      held = held || (line.find("FLOCK") != std::string::npos && line.find(inode) != std::string::npos);
    }
    if (!held) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  Outcome refused = Earshot({"sources", "reset", "--config", config.string(), "masto"});
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_NE(refused.err.find("stop it first"), std::string::npos) << refused.err;
  running.Signal(SIGTERM);
  ASSERT_TRUE(running.WaitFor(test_support::kProcessTimeout).has_value());

  Outcome reset = Earshot({"sources", "reset", "--config", config.string(), "masto"});
  ASSERT_EQ(reset.exit_code, 0) << reset.err;
  Outcome unknown = Earshot({"sources", "reset", "--config", config.string(), "nope"});
  EXPECT_EQ(unknown.exit_code, 2);
  ASSERT_EQ(Earshot({"sources", "list", "--config", config.string()}).exit_code, 0);
  EXPECT_NE(Slurp(dir_ / "stdout.txt").find(R"("cursor":"")"), std::string::npos);

  server_->Reset();
  Outcome again = Crawl(config, out);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("0 new posts"), std::string::npos) << "the seen-set stays: " << again.err;
  const std::vector<replay::LogEntry> requests = ApiRequests("/api/v1/timelines");
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].query.find("min_id"), std::string::npos) << "a first poll again: " << requests[0].query;
}

// SIGKILL while a 300-post burst is paged in (60 pages of 5, each answered 30 ms late), several
// times, then a run to the end: no post is ever skipped, and a post is written twice only if its
// batch was written and synced but not yet committed when the process died (at most one batch of
// 16 per kill).
TEST_F(CrawlScaleTest, SigkillMidBurstNeverSkipsAPost) {
  // 6,000/min: the host's budget must not be what makes the burst slow.
  const fs::path config = WriteConfig(
      SourceYaml(kKinds[0], "masto", server_->base_url()) + "    max_requests_per_minute: 6000\n",
      "pipeline: {batch: 16}\n");
  const fs::path out = dir_ / "posts.jsonl";
  ASSERT_EQ(Crawl(config, out).exit_code, 0);  // the first poll: the newest page, and a cursor
  auto added = server_->AddItems(replay::Dataset::kMastodon, 300);
  ASSERT_TRUE(added.has_value()) << added.error().message();
  // Without this, the replay's X-RateLimit headers (300 per 5 minutes, like mastodon.social) would
  // pace the burst to about a page per second, as the fetcher spreads the remaining budget.
  ASSERT_TRUE(server_->SetApiLimit(replay::RateApi::kMastodon, 1'000'000).ok());
  replay::FaultSpec slow;
  slow.path_prefix = "/api/v1/timelines";
  slow.kind = replay::FaultKind::kHang;
  slow.hang_ms = 30;
  slow.count = 100000;
  ASSERT_TRUE(server_->InjectFault(slow).ok());

  std::mt19937 random(20261124);
  int kills = 0;
  for (int attempt = 0; attempt < 4; ++attempt) {
    SpawnOptions options;
    options.stdout_path = dir_ / "stdout.txt";
    options.stderr_path = dir_ / "stderr.txt";
    const size_t lines_before = Lines(Slurp(out)).size();
    Child crawl = Child::Spawn({EARSHOT_BINARY, "crawl", "--once", "--config", config.string(), "--out", out.string()},
                               options);
    // Kill once this run has made progress (a batch is out), at a random moment after that, so the
    // kill lands mid-burst however slow the build (sanitizers) makes the start.
    const auto deadline = test_support::Clock::now() + std::chrono::seconds(20);
    while (Lines(Slurp(out)).size() == lines_before && !crawl.Poll() && test_support::Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 250)(random)));
    if (crawl.Poll()) break;  // finished before the kill
    crawl.Signal(SIGKILL);
    crawl.WaitFor(test_support::kProcessTimeout);
    ++kills;
  }
  EXPECT_GE(kills, 2) << "the kills should land mid-burst";
  const size_t before_last = ReadPosts(out).size();
  const auto last_start = test_support::Clock::now();
  Outcome last = Crawl(config, out);
  std::printf("before the last run: %zu lines; the last run took %.2f s\n", before_last,
              test_support::SecondsSince(last_start));
  EXPECT_GT(before_last, 5u) << "no batch of the burst was committed before a kill";
  EXPECT_LT(before_last, 305u) << "the burst finished before the kills";
  ASSERT_EQ(last.exit_code, 0) << last.err;

  const std::vector<CrawledPost> posts = ReadPosts(out);
  std::map<std::string, int> copies;
  for (const CrawledPost& post : posts) ++copies[post.id];
  for (const std::string& id : *added) EXPECT_EQ(copies.count(id), 1u) << "skipped: " << id;
  size_t duplicates = posts.size() - copies.size();
  EXPECT_LE(duplicates, static_cast<size_t>(16 * kills));
  EXPECT_EQ(copies.size(), 5u + 300u);
  std::printf("%d kills, %zu lines, %zu duplicate lines\n", kills, posts.size(), duplicates);
}

// 200 sources on 20 hosts (replay listeners), each source asking for 120 requests/minute, so each
// host may take 2 requests/s (burst 2). Polled every 100 ms for a few seconds, the sources want far
// more than that: every host must be held to its rate while the total is ~20× one host's.
TEST_F(CrawlScaleTest, TwoHundredSourcesOnTwentyHostsHoldEachHostsLimitWhileTheTotalScales) {
  server_.reset();
  constexpr size_t kHosts = 20;
  constexpr size_t kSourcesPerHost = 10;
  StartServer(kHosts);
  std::string sources;
  for (size_t host = 0; host < kHosts; ++host) {
    for (size_t i = 0; i < kSourcesPerHost; ++i) {
      const std::string id = "m" + std::to_string(host) + "-" + std::to_string(i);
      sources += "  - id: " + id + "\n    kind: mastodon\n    base_url: " + server_->base_url(host) +
                 "\n    hashtag: tag" + std::to_string(i) + "\n    every: 100ms\n    max_requests_per_minute: 120\n";
    }
  }
  const fs::path config = WriteConfig(sources);
  SpawnOptions options;
  options.stdout_path = dir_ / "stdout.txt";
  options.stderr_path = dir_ / "stderr.txt";
  Child crawl = Child::Spawn({EARSHOT_BINARY, "crawl", "--config", config.string(), "--out",
                              (dir_ / "posts.jsonl").string()},
                             options);
  std::this_thread::sleep_for(std::chrono::seconds(6));
  crawl.Signal(SIGTERM);
  const std::optional<int> status = crawl.WaitFor(test_support::kProcessTimeout);
  ASSERT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << Slurp(options.stderr_path);

  std::vector<replay::LogEntry> log = server_->Log();
  ASSERT_FALSE(log.empty());
  int64_t first_ms = log.front().t_ms, last_ms = log.front().t_ms;
  std::map<size_t, std::vector<int64_t>> per_host;  // request times by listener
  for (const replay::LogEntry& entry : log) {
    per_host[entry.listener].push_back(entry.t_ms);
    first_ms = std::min(first_ms, entry.t_ms);
    last_ms = std::max(last_ms, entry.t_ms);
  }
  ASSERT_EQ(per_host.size(), kHosts) << "every host was polled";
  for (auto& [host, times] : per_host) {
    std::sort(times.begin(), times.end());
    // Token bucket of 2/s with a burst of 2: any window of W ms holds at most 2 + 2·W/1000 requests
    // (+1 for clock granularity between the two processes).
    for (size_t i = 0; i < times.size(); ++i) {
      for (size_t j = i + 1; j < times.size(); ++j) {
        const double window_ms = static_cast<double>(times[j] - times[i]);
        EXPECT_LE(static_cast<double>(j - i + 1), 3.0 + 2.0 * window_ms / 1000.0)
            << "host " << host << ": " << (j - i + 1) << " requests in " << window_ms << " ms";
      }
    }
  }
  // The hosts run in parallel: the total rate is far above one host's 2/s. Half the 20 hosts' sum
  // (10× one host): the replay's Mastodon budget headers (300 per 5 min) also pace each host to
  // about 1 request/s once its burst is spent, so runs measure 24–44/s depending on where the
  // polls fall (23.6/s and 24.0/s seen, under the 0.6 this bound once had); one host cannot pass.
  const double seconds = static_cast<double>(last_ms - first_ms) / 1000.0;
  const double total_rate = static_cast<double>(log.size()) / std::max(seconds, 0.001);
  EXPECT_GE(total_rate, 0.5 * kHosts * 2.0) << log.size() << " requests in " << seconds << " s";
  std::printf("200 sources / 20 hosts: %zu requests in %.2f s = %.1f/s overall; per host:", log.size(), seconds,
              total_rate);
  for (const auto& [host, times] : per_host) std::printf(" %zu", times.size());
  std::printf("\n");
}

}  // namespace
}  // namespace earshot
