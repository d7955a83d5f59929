#include "core/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace earshot::core {
namespace {

namespace fs = std::filesystem;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;

// Distinctive so a leak into any message is unmistakable.
constexpr std::string_view kMastodonToken = "hunter2-MASTODON-token-value";
constexpr std::string_view kRedisPassword = "redis-pa55word-value";

// The environment the tests see; the real one is never read or changed.
std::optional<std::string> FakeEnv(const char* name) {
  const std::string_view wanted(name);
  if (wanted == "MASTODON_TOKEN") return std::string(kMastodonToken);
  if (wanted == "REDIS_PASSWORD") return std::string(kRedisPassword);
  if (wanted == "EMPTY_BUT_SET") return std::string();
  return std::nullopt;
}

// A fresh directory under the system temp dir, named after the running test, removed with its
// contents at the end.
class TempDir {
 public:
  TempDir() {
    const testing::TestInfo* info = testing::UnitTest::GetInstance()->current_test_info();
    std::string name = "earshot-config-test-" + std::to_string(::getpid()) + "-" + info->test_suite_name() +
                       "-" + info->name();
    for (char& c : name) {
      if (c == '/') c = '_';  // parameterised test names contain slashes
    }
    path_ = fs::temp_directory_path() / name;
    std::error_code error;
    fs::remove_all(path_, error);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code error;
    fs::remove_all(path_, error);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }

  // Writes `content` to `name` (which may contain folders) and returns its full path.
  fs::path Write(const fs::path& name, std::string_view content) const {
    const fs::path file = path_ / name;
    fs::create_directories(file.parent_path());
    std::ofstream out(file, std::ios::binary);
    out << content;
    EXPECT_TRUE(out.good()) << file;
    return file;
  }

 private:
  fs::path path_;
};

constexpr std::string_view kMinimal = "data_dir: data\nrules: rules\n";  // lines 1-2

// The error message of a config that must fail validation.
std::string ErrorOf(const fs::path& file, GetEnv getenv = FakeEnv) {
  Result<Config> config = LoadConfig(file, getenv);
  EXPECT_FALSE(config.has_value()) << "expected " << file << " to be rejected";
  if (config.has_value()) return "";
  EXPECT_TRUE(config.error().IsInvalidArgument()) << config.error().ToString();
  return config.error().message();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The loaded config of a file that must pass.
Config Load(const fs::path& file) {
  Result<Config> config = LoadConfig(file, FakeEnv);
  EXPECT_TRUE(config.has_value()) << config.error().ToString();
  return config.has_value() ? std::move(config).value() : Config{};
}

TEST(ParseDuration, AcceptsEveryUnit) {
  EXPECT_EQ(ParseDuration("250ms"), milliseconds(250));
  EXPECT_EQ(ParseDuration("30s"), seconds(30));
  EXPECT_EQ(ParseDuration("5m"), minutes(5));
  EXPECT_EQ(ParseDuration("24h"), hours(24));
  EXPECT_EQ(ParseDuration("2d"), hours(48));
  EXPECT_EQ(ParseDuration("007s"), seconds(7));
}

TEST(ParseDuration, BareIntegerMeansSeconds) {
  EXPECT_EQ(ParseDuration("45"), seconds(45));
  EXPECT_EQ(ParseDuration("0"), milliseconds(0));
}

TEST(ParseDuration, RejectsMalformedText) {
  for (std::string_view text : {"", " ", "s", "ms", "-5s", "+5s", "5 s", " 5s", "5s ", "5x", "5sec", "5S",
                                "1.5h", "5ms5", "5mss", "0x10", "1e3", "5\ns"}) {
    EXPECT_EQ(ParseDuration(text), std::nullopt) << "'" << text << "'";
  }
}

TEST(ParseDuration, RejectsOverflow) {
  EXPECT_EQ(ParseDuration("9223372036854775807ms"), milliseconds(9223372036854775807LL));
  EXPECT_EQ(ParseDuration("9223372036854775808ms"), std::nullopt);
  EXPECT_EQ(ParseDuration("9223372036854775807s"), std::nullopt);
  EXPECT_EQ(ParseDuration("106751991167d"), hours(24) * 106751991167LL);
  EXPECT_EQ(ParseDuration("106751991168d"), std::nullopt);
  EXPECT_EQ(ParseDuration("99999999999999999999999999"), std::nullopt);
}

TEST(LoadConfig, LoadsFullConfig) {
  TempDir dir;
  const fs::path file = dir.Write("conf/earshot.yaml",
                                  "data_dir: ./earshot-data\n"
                                  "rules: [../rules/, brands.yaml]\n"
                                  "cases: {window: 2h}\n"
                                  "pipeline: {batch: 1000, threads: 4}\n"
                                  "sources:\n"
                                  "  - id: masto-netgear\n"
                                  "    kind: mastodon\n"
                                  "    base_url: https://mastodon.social\n"
                                  "    hashtag: netgear\n"
                                  "    every: 30s\n"
                                  "    max_requests_per_minute: 30\n"
                                  "    token_env: MASTODON_TOKEN\n"
                                  "  - id: replay\n"
                                  "    kind: jsonl\n"
                                  "    path: ./firehose.jsonl\n"
                                  "queue:\n"
                                  "  kind: redis\n"
                                  "  redis: {url: 'redis://cache:6380', stream: 'es:cases', group: team,\n"
                                  "          password_env: REDIS_PASSWORD}\n");
  const Config config = Load(file);
  const fs::path conf = dir.path() / "conf";
  EXPECT_EQ(config.file, file);
  EXPECT_EQ(config.data_dir, (conf / "earshot-data").lexically_normal());
  ASSERT_EQ(config.rules.size(), 2u);
  EXPECT_EQ(config.rules[0], (dir.path() / "rules/").lexically_normal());
  EXPECT_EQ(config.rules[1], (conf / "brands.yaml").lexically_normal());
  EXPECT_EQ(config.case_window, hours(2));
  EXPECT_EQ(config.batch_size, 1000u);
  EXPECT_EQ(config.threads, 4);

  ASSERT_EQ(config.sources.size(), 2u);
  const SourceConfig& masto = config.sources[0];
  EXPECT_EQ(masto.id, "masto-netgear");
  EXPECT_EQ(masto.kind, "mastodon");
  EXPECT_EQ(masto.every, seconds(30));
  EXPECT_EQ(masto.max_requests_per_minute, 30);
  const std::map<std::string, std::string> masto_params = {{"base_url", "https://mastodon.social"},
                                                           {"hashtag", "netgear"}};
  EXPECT_EQ(masto.params, masto_params);
  const std::map<std::string, std::string> masto_secrets = {{"token", std::string(kMastodonToken)}};
  EXPECT_EQ(masto.secrets, masto_secrets);
  EXPECT_EQ(masto.line, 6);

  const SourceConfig& replay = config.sources[1];
  EXPECT_EQ(replay.id, "replay");
  EXPECT_EQ(replay.kind, "jsonl");
  EXPECT_EQ(replay.every, seconds(1));
  EXPECT_EQ(replay.max_requests_per_minute, std::nullopt);
  const std::map<std::string, std::string> replay_params = {
      {"path", (conf / "firehose.jsonl").lexically_normal().string()}};
  EXPECT_EQ(replay.params, replay_params);
  EXPECT_TRUE(replay.secrets.empty());
  EXPECT_EQ(replay.line, 13);

  EXPECT_EQ(config.queue.kind, QueueConfig::Kind::kRedis);
  EXPECT_EQ(config.queue.redis_url, "redis://cache:6380");
  EXPECT_EQ(config.queue.redis_stream, "es:cases");
  EXPECT_EQ(config.queue.redis_group, "team");
  EXPECT_EQ(config.queue.redis_password, kRedisPassword);
}

TEST(LoadConfig, AppliesDefaults) {
  TempDir dir;
  const Config config = Load(dir.Write("earshot.yaml", kMinimal));
  EXPECT_EQ(config.data_dir, dir.path() / "data");
  ASSERT_EQ(config.rules.size(), 1u);
  EXPECT_EQ(config.rules[0], dir.path() / "rules");
  EXPECT_TRUE(config.sources.empty());
  EXPECT_EQ(config.queue.kind, QueueConfig::Kind::kLmdb);
  EXPECT_EQ(config.queue.redis_url, "redis://127.0.0.1:6379");
  EXPECT_EQ(config.queue.redis_stream, "earshot:cases");
  EXPECT_EQ(config.queue.redis_group, "care");
  EXPECT_EQ(config.queue.redis_password, "");
  EXPECT_EQ(config.case_window, hours(24));
  EXPECT_EQ(config.batch_size, 2048u);
  EXPECT_EQ(config.threads, 0);
}

TEST(LoadConfig, EmptySectionsKeepDefaults) {
  TempDir dir;
  const Config config =
      Load(dir.Write("earshot.yaml", std::string(kMinimal) + "sources:\nqueue:\ncases:\npipeline:\n"));
  EXPECT_TRUE(config.sources.empty());
  EXPECT_EQ(config.queue.kind, QueueConfig::Kind::kLmdb);
  EXPECT_EQ(config.case_window, hours(24));
  EXPECT_EQ(config.batch_size, 2048u);
}

TEST(LoadConfig, DefaultPollIntervalDependsOnKind) {
  TempDir dir;
  const Config config = Load(
      dir.Write("earshot.yaml", std::string(kMinimal) + "sources:\n"
                                                        "  - {id: a, kind: jsonl, path: '-'}\n"
                                                        "  - {id: b, kind: reddit}\n"
                                                        "  - {id: c, kind: jsonl, path: x, every: 250ms}\n"));
  ASSERT_EQ(config.sources.size(), 3u);
  EXPECT_EQ(config.sources[0].every, seconds(1));
  EXPECT_EQ(config.sources[1].every, seconds(60));
  EXPECT_EQ(config.sources[2].every, milliseconds(250));
}

TEST(LoadConfig, ResolvesRelativePathsAgainstConfigDirectory) {
  TempDir dir;
  const Config config = Load(dir.Write("a/b/earshot.yaml",
                                       "data_dir: ../state/./db\n"
                                       "rules: [/abs/rules, x/../y.yaml, 'rules/']\n"
                                       "sources:\n"
                                       "  - {id: stdin, kind: jsonl, path: '-'}\n"
                                       "  - {id: file, kind: jsonl, path: ../in.jsonl}\n"
                                       "  - {id: abs, kind: jsonl, path: /var/in.jsonl}\n"
                                       "  - {id: rss, kind: rss, path: ./feed}\n"));
  const fs::path b = dir.path() / "a" / "b";
  EXPECT_EQ(config.data_dir, (dir.path() / "a" / "state" / "db").lexically_normal());
  ASSERT_EQ(config.rules.size(), 3u);
  EXPECT_EQ(config.rules[0], fs::path("/abs/rules"));
  EXPECT_EQ(config.rules[1], (b / "y.yaml").lexically_normal());
  EXPECT_EQ(config.rules[2], (b / "rules/").lexically_normal());
  ASSERT_EQ(config.sources.size(), 4u);
  EXPECT_EQ(config.sources[0].params.at("path"), "-");
  EXPECT_EQ(config.sources[1].params.at("path"), (dir.path() / "a" / "in.jsonl").lexically_normal().string());
  EXPECT_EQ(config.sources[2].params.at("path"), "/var/in.jsonl");
  // Only a jsonl path is a file of ours; other kinds' keys are passed on as written.
  EXPECT_EQ(config.sources[3].params.at("path"), "./feed");
}

TEST(LoadConfig, RelativeConfigPathResolvesRelativeToCurrentDirectory) {
  TempDir dir;
  const fs::path absolute = dir.Write("sub/earshot.yaml", kMinimal);
  const fs::path relative = fs::relative(absolute, fs::current_path());
  ASSERT_TRUE(relative.is_relative());
  const Config config = Load(relative);
  EXPECT_EQ(config.file, relative);
  EXPECT_EQ(config.data_dir, (relative.parent_path() / "data").lexically_normal());
  EXPECT_EQ(fs::absolute(config.data_dir).lexically_normal(), dir.path() / "sub" / "data");
}

TEST(LoadConfig, AcceptsRulesAsOneString) {
  TempDir dir;
  const Config config = Load(dir.Write("earshot.yaml", "data_dir: /d\nrules: /r/pack.yaml\n"));
  EXPECT_EQ(config.data_dir, fs::path("/d"));
  ASSERT_EQ(config.rules.size(), 1u);
  EXPECT_EQ(config.rules[0], fs::path("/r/pack.yaml"));
}

TEST(LoadConfig, RejectsUnknownTopLevelKeyWithSuggestion) {
  TempDir dir;
  const fs::path file = dir.Write("earshot.yaml", std::string(kMinimal) + "sourcse: []\n");
  EXPECT_EQ(ErrorOf(file), file.string() + ":3:1: unknown key 'sourcse' (did you mean 'sources'?)");
}

TEST(LoadConfig, UnknownKeyFarFromAnyListsKnownKeys) {
  TempDir dir;
  const fs::path file = dir.Write("earshot.yaml", std::string(kMinimal) + "colour: blue\n");
  EXPECT_EQ(ErrorOf(file), file.string() +
                               ":3:1: unknown key 'colour' (expected one of: data_dir, rules, sources, "
                               "queue, cases, pipeline, http, serve)");
}

TEST(LoadConfig, HttpSectionSetsHowNetworkSourcesFetch) {
  TempDir dir;
  const fs::path good = dir.Write("good.yaml", std::string(kMinimal) +
                                                   "http: {user_agent: 'linux:earshot:0.1 (by /u/me)', timeout: 5s, "
                                                   "attempts: 3, backoff: 200ms, max_backoff: 1m}\n");
  core::Result<core::Config> config = core::LoadConfig(good);
  ASSERT_TRUE(config.has_value()) << config.error().message();
  EXPECT_EQ(config->http.user_agent, "linux:earshot:0.1 (by /u/me)");
  EXPECT_EQ(config->http.timeout, std::chrono::seconds(5));
  EXPECT_EQ(config->http.attempts, 3);
  EXPECT_EQ(config->http.backoff, std::chrono::milliseconds(200));
  EXPECT_EQ(config->http.max_backoff, std::chrono::minutes(1));
  const fs::path bad = dir.Write("bad.yaml", std::string(kMinimal) + "http: {attempts: 0, timeout: soon}\n");
  const std::string error = ErrorOf(bad);
  EXPECT_NE(error.find(":3:18: 'attempts' must be an integer from 1 to 20"), std::string::npos) << error;
  EXPECT_NE(error.find("timeout"), std::string::npos) << error;
}

TEST(LoadConfig, ServeSectionSetsListenAddressAndToken) {
  TempDir dir;
  const Config defaults = Load(dir.Write("defaults.yaml", kMinimal));
  EXPECT_EQ(defaults.serve.host, "127.0.0.1");
  EXPECT_EQ(defaults.serve.port, 8080);
  EXPECT_EQ(defaults.serve.token, "");
  const Config config =
      Load(dir.Write("serve.yaml", std::string(kMinimal) + "serve: {listen: '[::1]:9100', token_env: MASTODON_TOKEN}\n"));
  EXPECT_EQ(config.serve.host, "::1");
  EXPECT_EQ(config.serve.port, 9100);
  EXPECT_EQ(config.serve.token, kMastodonToken);
  const fs::path bad = dir.Write("bad.yaml", std::string(kMinimal) + "serve: {listen: 8080}\n");
  EXPECT_EQ(ErrorOf(bad), bad.string() + ":3:17: 'listen' must be \"host:port\" (e.g. \"127.0.0.1:8080\", \"[::1]:8080\")");
  const fs::path inline_token = dir.Write("inline.yaml", std::string(kMinimal) + "serve: {token: abc}\n");
  EXPECT_EQ(ErrorOf(inline_token), inline_token.string() + ":3:9: secrets must not be written in the config: name an environment variable with 'token_env'");
}

TEST(ParseListenAddress, AcceptsHostPortAndBracketedIpv6Only) {
  ASSERT_TRUE(ParseListenAddress("0.0.0.0:80").has_value());
  EXPECT_EQ(ParseListenAddress("0.0.0.0:80")->host, "0.0.0.0");
  EXPECT_EQ(ParseListenAddress("localhost:0")->port, 0);
  EXPECT_EQ(ParseListenAddress("[::1]:8080")->host, "::1");
  for (const char* bad : {"8080", ":8080", "::1:8080", "host:", "host:65536", "host:-1", "host:80x", "[::1:80",
                          "a b:80"}) {
    EXPECT_FALSE(ParseListenAddress(bad).has_value()) << bad;
  }
}

TEST(LoadConfig, RedisUrlMustNotCarryAPasswordAndMaxLenIsChecked) {
  TempDir dir;
  const Config config = Load(dir.Write(
      "ok.yaml", std::string(kMinimal) + "queue: {kind: redis, redis: {url: 'redis://10.0.0.5:6380/2', max_len: 100000}}\n"));
  EXPECT_EQ(config.queue.redis_url, "redis://10.0.0.5:6380/2");
  EXPECT_EQ(config.queue.redis_max_length, 100000u);
  const fs::path inline_password =
      dir.Write("pw.yaml", std::string(kMinimal) + "queue: {redis: {url: 'redis://:hunter2@10.0.0.5:6380'}}\n");
  const std::string error = ErrorOf(inline_password);
  EXPECT_NE(error.find("'url' must not hold a password"), std::string::npos) << error;
  EXPECT_EQ(error.find("hunter2"), std::string::npos) << "the secret must not be echoed: " << error;
  const fs::path scheme = dir.Write("scheme.yaml", std::string(kMinimal) + "queue: {redis: {url: 'http://x'}}\n");
  EXPECT_NE(ErrorOf(scheme).find("'url' must be redis://"), std::string::npos) << ErrorOf(scheme);
  const fs::path length = dir.Write("len.yaml", std::string(kMinimal) + "queue: {redis: {max_len: -1}}\n");
  EXPECT_NE(ErrorOf(length).find("'max_len' must be an integer >= 0"), std::string::npos) << ErrorOf(length);
}

TEST(LoadConfig, RequiresDataDirAndRules) {
  TempDir dir;
  const fs::path file = dir.Write("earshot.yaml", "pipeline: {threads: 2}\n");
  const std::vector<std::string> lines = Lines(ErrorOf(file));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], file.string() +
                          ":1:1: missing required key 'data_dir' (the folder that holds "
                          "earshot's database)");
  EXPECT_EQ(lines[1], file.string() + ":1:1: missing required key 'rules' (rule files or folders)");
}

TEST(LoadConfig, EmptyFileReportsMissingKeys) {
  TempDir dir;
  const fs::path file = dir.Write("earshot.yaml", "# nothing yet\n");
  const std::vector<std::string> lines = Lines(ErrorOf(file));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].rfind(file.string() + ":1:1: missing required key 'data_dir'", 0), 0u) << lines[0];
  EXPECT_EQ(lines[1].rfind(file.string() + ":1:1: missing required key 'rules'", 0), 0u) << lines[1];
}

TEST(LoadConfig, RejectsDocumentThatIsNotAMapping) {
  TempDir dir;
  const fs::path file = dir.Write("earshot.yaml", "- data_dir: x\n");
  EXPECT_THAT(ErrorOf(file), HasSubstr(file.string() + ":1:1: a config must be a mapping"));
}

TEST(LoadConfig, RejectsWrongTypesForPaths) {
  TempDir dir;
  const fs::path file = dir.Write("earshot.yaml",
                                  "data_dir: [a, b]\n"
                                  "rules: []\n");
  const std::vector<std::string> lines = Lines(ErrorOf(file));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], file.string() + ":1:11: 'data_dir' must be a string");
  EXPECT_EQ(lines[1], file.string() + ":2:8: 'rules' must name at least one file or folder");
}

TEST(LoadConfig, RejectsBadRuleEntries) {
  TempDir dir;
  const fs::path file = dir.Write("earshot.yaml",
                                  "data_dir: ''\n"
                                  "rules:\n"
                                  "  - ok.yaml\n"
                                  "  - [nested]\n"
                                  "  - ''\n");
  const std::vector<std::string> lines = Lines(ErrorOf(file));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], file.string() + ":1:11: 'data_dir' must not be empty");
  EXPECT_EQ(lines[1], file.string() + ":4:5: 'rules' must be a path or a list of paths");
  EXPECT_EQ(lines[2], file.string() + ":5:5: an entry of 'rules' must not be empty");
}

TEST(LoadConfig, RejectsDuplicateKeys) {
  TempDir dir;
  const fs::path file = dir.Write("earshot.yaml", std::string(kMinimal) + "data_dir: other\n");
  EXPECT_EQ(ErrorOf(file), file.string() + ":3:1: duplicate key 'data_dir'");
}

TEST(LoadConfig, RejectsSecondDocument) {
  TempDir dir;
  const fs::path file = dir.Write("earshot.yaml", std::string(kMinimal) + "---\nthreads: 3\n");
  EXPECT_EQ(ErrorOf(file), file.string() + ":3:1: only one YAML document per config file is allowed");
}

TEST(LoadConfig, RejectsBadSourceIds) {
  TempDir dir;
  const fs::path file = dir.Write("earshot.yaml", std::string(kMinimal) +
                                                      "sources:\n"
                                                      "  - id: replay\n"  // 4
                                                      "    kind: jsonl\n"
                                                      "    path: a.jsonl\n"
                                                      "  - kind: rss\n"   // 7
                                                      "  - id: Bad Id\n"  // 8
                                                      "    kind: rss\n"
                                                      "  - id: replay\n"  // 10
                                                      "    kind: rss\n"
                                                      "  - id: [x]\n"  // 12
                                                      "    kind: rss\n"
                                                      "  - just a string\n");  // 14
  const std::vector<std::string> lines = Lines(ErrorOf(file));
  ASSERT_EQ(lines.size(), 5u) << ErrorOf(file);
  EXPECT_EQ(lines[0], file.string() + ":7:5: source is missing 'id'");
  EXPECT_EQ(lines[1], file.string() + ":8:9: invalid source id 'Bad Id': ids must match [a-z0-9_.-]+");
  EXPECT_EQ(lines[2], file.string() + ":10:9: duplicate source id 'replay' (first used on line 4)");
  EXPECT_EQ(lines[3], file.string() + ":12:9: 'id' must be a string");
  EXPECT_EQ(lines[4],
            file.string() + ":14:5: each entry of 'sources' must be a mapping with at least 'id' and 'kind'");
}

TEST(LoadConfig, RejectsSourcesThatAreNotAList) {
  TempDir dir;
  const fs::path file = dir.Write("earshot.yaml", std::string(kMinimal) + "sources: {id: a}\n");
  EXPECT_EQ(ErrorOf(file), file.string() + ":3:10: 'sources' must be a list of sources");
}

TEST(LoadConfig, RejectsMissingOrUnknownKind) {
  TempDir dir;
  const fs::path file = dir.Write("earshot.yaml", std::string(kMinimal) +
                                                      "sources:\n"
                                                      "  - id: a\n"
                                                      "  - {id: b, kind: mastadon}\n"
                                                      "  - {id: c, kind: usenet}\n");
  const std::vector<std::string> lines = Lines(ErrorOf(file));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], file.string() +
                          ":4:5: source is missing 'kind' (one of: mastodon, reddit, hackernews, bluesky, "
                          "rss, wordpress, jsonl)");
  EXPECT_EQ(lines[1], file.string() + ":5:19: unknown source kind 'mastadon' (did you mean 'mastodon'?)");
  EXPECT_EQ(lines[2], file.string() +
                          ":6:19: unknown source kind 'usenet' (expected one of: mastodon, reddit, "
                          "hackernews, bluesky, rss, wordpress, jsonl)");
}

TEST(LoadConfig, RejectsBadPollIntervalAndRateLimit) {
  TempDir dir;
  const fs::path file =
      dir.Write("earshot.yaml", std::string(kMinimal) +
                                    "sources:\n"
                                    "  - id: a\n"
                                    "    kind: reddit\n"
                                    "    every: 5 minutes\n"
                                    "    max_requests_per_minute: 0\n"
                                    "  - id: b\n"
                                    "    kind: reddit\n"
                                    "    every: 0s\n"
                                    "    max_requests_per_minute: 1.5\n"
                                    "  - {id: c, kind: reddit, every: [1s], max_requests_per_minute: -3}\n"
                                    "  - {id: d, kind: reddit, max_requests_per_minute: 99999999999}\n");
  const std::vector<std::string> lines = Lines(ErrorOf(file));
  ASSERT_EQ(lines.size(), 7u) << ErrorOf(file);
  EXPECT_EQ(lines[0], file.string() +
                          ":6:12: 'every' must be a positive duration like 250ms, 30s, 5m, 24h or 2d (got "
                          "'5 minutes')");
  EXPECT_EQ(lines[1], file.string() + ":7:30: 'max_requests_per_minute' must be a positive integer");
  EXPECT_EQ(lines[2].rfind(file.string() + ":10:12: 'every' must be a positive duration", 0), 0u);
  EXPECT_EQ(lines[3], file.string() + ":11:30: 'max_requests_per_minute' must be a positive integer");
  EXPECT_THAT(lines[4], HasSubstr(":12:"));
  EXPECT_THAT(lines[4], HasSubstr("'every' must be a positive duration"));
  EXPECT_THAT(lines[5], HasSubstr("'max_requests_per_minute' must be a positive integer"));
  EXPECT_THAT(lines[6], HasSubstr(":13:"));
  EXPECT_THAT(lines[6], HasSubstr("'max_requests_per_minute' must be a positive integer"));
}

TEST(LoadConfig, JsonlSourceRequiresPath) {
  TempDir dir;
  const fs::path file = dir.Write("earshot.yaml", std::string(kMinimal) +
                                                      "sources:\n"
                                                      "  - {id: a, kind: jsonl}\n"
                                                      "  - {id: b, kind: jsonl, path: [x]}\n"
                                                      "  - {id: c, kind: jsonl, path: ''}\n");
  const std::vector<std::string> lines = Lines(ErrorOf(file));
  ASSERT_EQ(lines.size(), 3u) << ErrorOf(file);
  EXPECT_EQ(lines[0],
            file.string() + ":4:5: a jsonl source needs 'path' (a file of Post JSONL, or - for stdin)");
  EXPECT_EQ(lines[1], file.string() + ":5:32: 'path' must be a single value (a string or a number)");
  EXPECT_EQ(lines[2], file.string() + ":6:32: 'path' must not be empty (use - for stdin)");
}

TEST(LoadConfig, RejectsNonScalarParams) {
  TempDir dir;
  const fs::path file = dir.Write("earshot.yaml", std::string(kMinimal) +
                                                      "sources:\n"
                                                      "  - id: a\n"
                                                      "    kind: mastodon\n"
                                                      "    hashtag: [a, b]\n"
                                                      "    base_url:\n");
  const std::vector<std::string> lines = Lines(ErrorOf(file));
  ASSERT_EQ(lines.size(), 2u) << ErrorOf(file);
  EXPECT_EQ(lines[0], file.string() + ":6:14: 'hashtag' must be a single value (a string or a number)");
  // `key:` with no value has no position of its own; the key's is used.
  EXPECT_EQ(lines[1], file.string() + ":7:5: 'base_url' must be a single value (a string or a number)");
}

TEST(LoadConfig, ReadsSecretsFromInjectedEnvironment) {
  TempDir dir;
  const Config config =
      Load(dir.Write("earshot.yaml", std::string(kMinimal) + "sources:\n"
                                                             "  - id: bsky\n"
                                                             "    kind: bluesky\n"
                                                             "    app_password_env: MASTODON_TOKEN\n"
                                                             "    handle: me.example\n"
                                                             "    client_secret_env: EMPTY_BUT_SET\n"));
  ASSERT_EQ(config.sources.size(), 1u);
  const std::map<std::string, std::string> secrets = {{"app_password", std::string(kMastodonToken)},
                                                      {"client_secret", ""}};
  EXPECT_EQ(config.sources[0].secrets, secrets);
  // Neither the secret nor the variable's name is a param.
  const std::map<std::string, std::string> params = {{"handle", "me.example"}};
  EXPECT_EQ(config.sources[0].params, params);
}

TEST(LoadConfig, ReportsUnsetEnvironmentVariable) {
  TempDir dir;
  const fs::path file = dir.Write("earshot.yaml", std::string(kMinimal) +
                                                      "sources:\n"
                                                      "  - id: m\n"
                                                      "    kind: mastodon\n"
                                                      "    token_env: NOT_SET_ANYWHERE\n"
                                                      "queue:\n"
                                                      "  redis: {password_env: ALSO_NOT_SET}\n");
  const std::vector<std::string> lines = Lines(ErrorOf(file));
  ASSERT_EQ(lines.size(), 2u) << ErrorOf(file);
  EXPECT_EQ(lines[0],
            file.string() + ":6:16: environment variable NOT_SET_ANYWHERE (named by token_env) is not set");
  EXPECT_EQ(lines[1],
            file.string() + ":8:25: environment variable ALSO_NOT_SET (named by password_env) is not set");
}

TEST(LoadConfig, DefaultEnvironmentIsTheProcessEnvironment) {
  TempDir dir;
  // PATH is set in any environment a test runs in; the name below is not.
  const fs::path set =
      dir.Write("set.yaml", std::string(kMinimal) + "sources: [{id: m, kind: rss, token_env: PATH}]\n");
  Result<Config> with_process_env = LoadConfig(set);
  ASSERT_TRUE(with_process_env.has_value()) << with_process_env.error().ToString();
  EXPECT_FALSE(with_process_env->sources.at(0).secrets.at("token").empty());

  const fs::path unset = dir.Write("unset.yaml", std::string(kMinimal) +
                                                     "sources: [{id: m, kind: rss, "
                                                     "token_env: EARSHOT_CONFIG_TEST_UNSET_9F2C}]\n");
  Result<Config> missing = LoadConfig(unset);
  ASSERT_FALSE(missing.has_value());
  EXPECT_THAT(missing.error().message(), HasSubstr("EARSHOT_CONFIG_TEST_UNSET_9F2C (named by token_env)"));
}

TEST(LoadConfig, RejectsInvalidEnvironmentVariableNameWithoutEchoingIt) {
  TempDir dir;
  // Someone pasted the token where its variable's name belongs.
  const fs::path file = dir.Write("earshot.yaml", std::string(kMinimal) +
                                                      "sources:\n"
                                                      "  - id: m\n"
                                                      "    kind: mastodon\n"
                                                      "    token_env: abc-123-paste\n"
                                                      "    _env: X\n");
  const std::string error = ErrorOf(file);
  const std::vector<std::string> lines = Lines(error);
  ASSERT_EQ(lines.size(), 2u) << error;
  EXPECT_EQ(lines[0], file.string() +
                          ":6:16: 'token_env' must be the name of an environment variable "
                          "([A-Za-z_][A-Za-z0-9_]*), not the secret itself");
  EXPECT_EQ(lines[1], file.string() + ":7:5: '_env' names no secret: write e.g. 'token_env'");
  EXPECT_THAT(error, Not(HasSubstr("abc-123-paste")));
}

class InlineSecret : public testing::TestWithParam<const char*> {};

TEST_P(InlineSecret, IsRejectedWithoutEchoingTheValue) {
  TempDir dir;
  const std::string key = GetParam();
  const fs::path file = dir.Write("earshot.yaml", std::string(kMinimal) +
                                                      "sources:\n"
                                                      "  - id: m\n"
                                                      "    kind: mastodon\n"
                                                      "    " +
                                                      key + ": s3cr3t-inline-value\n");
  const std::string error = ErrorOf(file);
  EXPECT_EQ(error, file.string() +
                       ":6:5: secrets must not be written in the config: name an environment variable "
                       "with '" +
                       key + "_env'");
  EXPECT_THAT(error, Not(HasSubstr("s3cr3t")));
}

INSTANTIATE_TEST_SUITE_P(LoadConfig, InlineSecret,
                         testing::Values("token", "password", "secret", "api_key", "app_password",
                                         "client_secret"));

TEST(LoadConfig, RejectsInlineTokenWithTheDocumentedMessage) {
  TempDir dir;
  const fs::path file =
      dir.Write("earshot.yaml", std::string(kMinimal) + "sources: [{id: m, kind: reddit, token: abc}]\n");
  EXPECT_EQ(ErrorOf(file), file.string() +
                               ":3:33: secrets must not be written in the config: name an environment "
                               "variable with 'token_env'");
}

TEST(LoadConfig, RejectsInlineRedisPassword) {
  TempDir dir;
  const fs::path file = dir.Write("earshot.yaml", std::string(kMinimal) +
                                                      "queue:\n"
                                                      "  kind: redis\n"
                                                      "  redis:\n"
                                                      "    password: very-secret-redis\n");
  const std::string error = ErrorOf(file);
  EXPECT_EQ(error, file.string() +
                       ":6:5: secrets must not be written in the config: name an environment variable "
                       "with 'password_env'");
  EXPECT_THAT(error, Not(HasSubstr("very-secret-redis")));
}

TEST(LoadConfig, SecretValuesNeverAppearInErrors) {
  TempDir dir;
  // Both secrets resolve; everything else around them is wrong, so every message is produced.
  const fs::path file = dir.Write("earshot.yaml",
                                  "data_dir: [oops]\n"
                                  "rules: rules\n"
                                  "sources:\n"
                                  "  - id: m\n"
                                  "    kind: mastodn\n"
                                  "    token_env: MASTODON_TOKEN\n"
                                  "    every: soon\n"
                                  "  - id: m\n"
                                  "    kind: mastodon\n"
                                  "    token_env: MASTODON_TOKEN\n"
                                  "queue:\n"
                                  "  kind: rabbit\n"
                                  "  redis: {password_env: REDIS_PASSWORD, urll: x}\n");
  const std::string error = ErrorOf(file);
  EXPECT_EQ(Lines(error).size(), 6u) << error;
  EXPECT_THAT(error, Not(HasSubstr(std::string(kMastodonToken))));
  EXPECT_THAT(error, Not(HasSubstr(std::string(kRedisPassword))));
}

TEST(LoadConfig, ValidatesQueue) {
  TempDir dir;
  const fs::path file = dir.Write("earshot.yaml", std::string(kMinimal) +
                                                      "queue:\n"
                                                      "  kind: rabbit\n"
                                                      "  redis: {url: '', strem: x, group: [g]}\n"
                                                      "  size: 3\n");
  const std::vector<std::string> lines = Lines(ErrorOf(file));
  ASSERT_EQ(lines.size(), 5u) << ErrorOf(file);
  EXPECT_EQ(lines[0], file.string() + ":4:9: unknown queue kind 'rabbit' (expected lmdb or redis)");
  EXPECT_EQ(lines[1], file.string() + ":5:16: 'url' must not be empty");
  EXPECT_EQ(lines[2], file.string() + ":5:20: unknown key 'strem' (did you mean 'stream'?)");
  EXPECT_EQ(lines[3], file.string() + ":5:37: 'group' must be a string");
  EXPECT_EQ(lines[4], file.string() + ":6:3: unknown key 'size' (expected one of: kind, redis)");
}

TEST(LoadConfig, RejectsQueueThatIsNotAMapping) {
  TempDir dir;
  const fs::path file = dir.Write("earshot.yaml", std::string(kMinimal) + "queue: redis\n");
  EXPECT_EQ(ErrorOf(file), file.string() + ":3:8: 'queue' must be a mapping with keys: kind, redis");
}

TEST(LoadConfig, ValidatesCaseWindow) {
  TempDir dir;
  for (const std::string window : {"0", "0s", "abc", "1500ms", "-1h", "[1h]"}) {
    const fs::path file =
        dir.Write("earshot.yaml", std::string(kMinimal) + "cases: {window: " + window + "}\n");
    const std::string error = ErrorOf(file);
    EXPECT_EQ(error.rfind(file.string() + ":3:17: 'window' must be", 0), 0u) << window << ": " << error;
  }
  const Config config = Load(dir.Write("earshot.yaml", std::string(kMinimal) + "cases:\n  window: 2000ms\n"));
  EXPECT_EQ(config.case_window, seconds(2));
  const Config bare = Load(dir.Write("earshot.yaml", std::string(kMinimal) + "cases: {window: 90}\n"));
  EXPECT_EQ(bare.case_window, seconds(90));
}

TEST(LoadConfig, RejectsUnknownKeyInCases) {
  TempDir dir;
  const fs::path file = dir.Write("earshot.yaml", std::string(kMinimal) + "cases: {windw: 1h}\n");
  EXPECT_EQ(ErrorOf(file), file.string() + ":3:9: unknown key 'windw' (did you mean 'window'?)");
}

TEST(LoadConfig, ValidatesPipeline) {
  TempDir dir;
  for (const std::string batch : {"0", "-1", "1000001", "big", "2.5", "[1]", "99999999999999999999"}) {
    const fs::path file =
        dir.Write("earshot.yaml", std::string(kMinimal) + "pipeline: {batch: " + batch + "}\n");
    EXPECT_EQ(ErrorOf(file), file.string() + ":3:19: 'batch' must be an integer from 1 to 1000000") << batch;
  }
  for (const std::string threads : {"-1", "x", "4294967296"}) {
    const fs::path file =
        dir.Write("earshot.yaml", std::string(kMinimal) + "pipeline: {threads: " + threads + "}\n");
    EXPECT_EQ(ErrorOf(file), file.string() + ":3:21: 'threads' must be an integer >= 0 (0 means all cores)")
        << threads;
  }
  const Config config =
      Load(dir.Write("earshot.yaml", std::string(kMinimal) + "pipeline: {batch: 1000000, threads: 0}\n"));
  EXPECT_EQ(config.batch_size, 1000000u);
  EXPECT_EQ(config.threads, 0);
}

TEST(LoadConfig, ReportsAllProblemsTogetherInFileOrder) {
  TempDir dir;
  const fs::path file = dir.Write("earshot.yaml",
                                  "rules: []\n"                          // 1: empty rules
                                  "pipeline: {batch: 0, threads: -2}\n"  // 2: two problems
                                  "sources:\n"
                                  "  - {id: a, kind: rss, every: 1y}\n"  // 4: bad duration
                                  "cases: {window: 0}\n"                 // 5: zero window
                                  "extra: 1\n");                         // 6: unknown key
  const std::vector<std::string> lines = Lines(ErrorOf(file));
  ASSERT_EQ(lines.size(), 7u);
  const std::vector<std::string> prefixes = {":1:1: missing required key 'data_dir'",
                                             ":1:8: 'rules' must name at least one",
                                             ":2:19: 'batch'",
                                             ":2:31: 'threads'",
                                             ":4:31: 'every'",
                                             ":5:17: 'window'",
                                             ":6:1: unknown key 'extra'"};
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i].rfind(file.string() + prefixes[i], 0), 0u) << lines[i];
  }
}

TEST(LoadConfig, ReportsYamlSyntaxErrorWithLocation) {
  TempDir dir;
  const fs::path file = dir.Write("earshot.yaml", "data_dir: data\nrules: [a, b\n");
  const std::string error = ErrorOf(file);
  EXPECT_EQ(error.rfind(file.string() + ":3:1: YAML syntax error: ", 0), 0u) << error;
  EXPECT_EQ(Lines(error).size(), 1u);
}

TEST(LoadConfig, ReportsBadIndentationAsSyntaxError) {
  TempDir dir;
  const fs::path file = dir.Write("earshot.yaml", "data_dir: data\n  rules: x\n");
  const std::string error = ErrorOf(file);
  EXPECT_EQ(error.rfind(file.string() + ":2:8: YAML syntax error: ", 0), 0u) << error;
}

TEST(LoadConfig, MissingFileIsNotFound) {
  TempDir dir;
  const fs::path file = dir.path() / "absent.yaml";
  Result<Config> config = LoadConfig(file, FakeEnv);
  ASSERT_FALSE(config.has_value());
  EXPECT_TRUE(config.error().IsNotFound());
  EXPECT_EQ(config.error().message(), "open " + file.string() + ": No such file or directory");
}

TEST(LoadConfig, DirectoryIsAnIOError) {
  TempDir dir;
  Result<Config> config = LoadConfig(dir.path(), FakeEnv);
  ASSERT_FALSE(config.has_value());
  EXPECT_TRUE(config.error().IsIOError()) << config.error().ToString();
  EXPECT_THAT(config.error().message(), HasSubstr(dir.path().string()));
}

}  // namespace
}  // namespace earshot::core
