// End-to-end tests of the `earshot` executable: exit codes, stdout and stderr as users see them.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("earshot_cli_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string Slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
  }

  fs::path Write(const std::string& name, const std::string& content) {
    fs::path path = dir_ / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  // Runs `earshot ARGS` from the source tree. The compiled-rules cache is the suite's shared one
  // unless `private_cache` (for tests of the cache itself).
  Outcome Earshot(const std::string& args, const std::string& stdin_text = "", bool private_cache = false) {
    const fs::path in = Write("stdin.txt", stdin_text);
    const std::string cache_home = private_cache ? (dir_ / "cache").string() : EARSHOT_TEST_CACHE_DIR;
    const std::string command = "cd '" EARSHOT_SOURCE_DIR "' && XDG_CACHE_HOME='" + cache_home +
                                "' '" EARSHOT_BINARY "' " + args + " <'" + in.string() + "' >'" +
                                (dir_ / "out.txt").string() + "' 2>'" + (dir_ / "err.txt").string() + "'";
    const int status = std::system(command.c_str());
    Outcome outcome;
    outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    outcome.out = Slurp(dir_ / "out.txt");
    outcome.err = Slurp(dir_ / "err.txt");
    return outcome;
  }

  fs::path dir_;
};

size_t CountLines(const std::string& text) {
  size_t lines = 0;
  for (char c : text) lines += c == '\n';
  return lines;
}

TEST_F(CliTest, TriagesTheBundledSampleMostUrgentFirst) {
  Outcome run = Earshot(
      "triage --rules rules/ --rules examples/brands.yaml --in examples/posts.jsonl --most-urgent-first");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(CountLines(run.out), 18u);  // batch triage has no seen-set: the duplicate is triaged too
  // Severity first: the critical posts (a router fire from a 3-follower account, its re-poll and
  // retweet, a fraud and account takeover) lead, ahead of the celebrity's lukewarm coffee and
  // everything else.
  std::vector<std::string> lines;
  for (size_t begin = 0, end; (end = run.out.find('\n', begin)) != std::string::npos; begin = end + 1) {
    lines.push_back(run.out.substr(begin, end - begin));
  }
  ASSERT_GE(lines.size(), 5u);
  for (int i : {0, 1, 2, 3}) EXPECT_NE(lines[i].find("\"severity\":\"critical\""), std::string::npos) << lines[i];
  EXPECT_EQ(lines[4].find("\"severity\":\"critical\""), std::string::npos) << lines[4];
  EXPECT_NE(run.out.find(R"({"id":"m-1002")"), std::string::npos);
  EXPECT_LT(run.out.find(R"({"id":"m-1002")"), run.out.find(R"({"id":"t3_aa01")"));
  // The brand's own reply is not a complaint.
  EXPECT_NE(run.out.find(R"({"id":"tw-5002","source":"jsonl","urgency":0,"severity":"none")"),
            std::string::npos)
      << run.out;
}

TEST_F(CliTest, TriageReportsBadLinesAndKeepsGoing) {
  Outcome run = Earshot("triage --rules rules/",
                        "{\"source\":\"x\",\"id\":\"1\",\"text\":\"no internet since monday\"}\n"
                        "oops\n"
                        "{\"source\":\"x\",\"id\":\"2\"}\n"
                        "{\"source\":\"x\",\"id\":\"3\",\"text\":\"all good\"}\n");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(CountLines(run.out), 2u);
  EXPECT_NE(run.err.find("line 2: not valid JSON"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("line 3: "), std::string::npos) << run.err;
}

TEST_F(CliTest, RulesCheckNamesFileLineAndColumnAndExitsTwo) {
  const fs::path bad = Write("bad.yaml",
                             "complaints:\n"
                             "  - id: a.b\n"
                             "    category: nonsense\n"
                             "    patterns: ['ok']\n");
  Outcome run = Earshot("rules check " + bad.string());
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find(bad.string() + ":3:15: rule 'a.b': "), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("nonsense"), std::string::npos) << run.err;
}

TEST_F(CliTest, RulesCheckReportsHyperscanMessageAtThePatternsLine) {
  const fs::path bad = Write("bad.yaml",
                             "complaints:\n"
                             "  - id: a.b\n"
                             "    category: outage\n"
                             "    patterns:\n"
                             "      - 'fine'\n"
                             "      - '(unclosed'\n");
  Outcome run = Earshot("rules check " + bad.string());
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find(bad.string() + ":6:9: rule 'a.b': "), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("Missing close parenthesis"), std::string::npos) << run.err;
}

TEST_F(CliTest, RulesCheckUsesTheCacheOnTheSecondRun) {
  Outcome first = Earshot("rules check examples/brands.yaml", "", /*private_cache=*/true);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("(compiled)"), std::string::npos) << first.out;
  Outcome second = Earshot("rules check examples/brands.yaml", "", /*private_cache=*/true);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.out.find("(database from cache)"), std::string::npos) << second.out;
}

TEST_F(CliTest, RulesTestNamesTheFailingRuleAndExample) {
  const fs::path rules = Write("r.yaml",
                               "complaints:\n"
                               "  - id: outage.down\n"
                               "    category: outage\n"
                               "    patterns: ['\\bis down\\b']\n"
                               "    examples:\n"
                               "      match: ['the site is down', 'the site is broken']\n"
                               "      no_match: ['is downloading']\n");
  Outcome run = Earshot("rules test " + rules.string());
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_NE(run.out.find(rules.string() + ":6:35: rule 'outage.down': expected a match"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("the site is broken"), std::string::npos);
  EXPECT_NE(run.out.find("3 examples, 2 passed, 1 failed"), std::string::npos) << run.out;
}

TEST_F(CliTest, ShippedRulesPassTheirOwnExamples) {
  Outcome run = Earshot("rules test rules/ examples/brands.yaml");
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
}

TEST_F(CliTest, ExplainShowsRulesSpansAndTheSum) {
  Outcome run = Earshot("explain --rules rules/ 'been on hold for 45 minutes, no call back'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("service_failure.on_hold"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("\"on hold for 45\""), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("category service_failure (medium)"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("signal duration"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("→ severity"), std::string::npos) << run.out;
}

TEST_F(CliTest, HelpListsEveryCommand) {
  Outcome run = Earshot("--help");
  ASSERT_EQ(run.exit_code, 0);
  for (const char* command : {"triage", "rules", "explain", "run", "crawl", "cases", "sources", "serve"}) {
    EXPECT_NE(run.out.find(command), std::string::npos) << command;
  }
  EXPECT_EQ(run.out.find("not built yet"), std::string::npos) << "every DESIGN.md command is built now";
  Outcome serve = Earshot("serve --config x.yaml");
  EXPECT_EQ(serve.exit_code, 2) << "a missing config is bad input";
  Outcome crawl = Earshot("crawl --config x.yaml");
  EXPECT_EQ(crawl.exit_code, 2) << "--out is required";
}

// What `make run` does: the example config through `earshot run --once`, then the queue. The data
// directory is redirected into the test's temp dir; everything else is the shipped example.
TEST_F(CliTest, RunOnceQueuesTheSampleAndListsItMostUrgentFirst) {
  const std::string examples = EARSHOT_SOURCE_DIR "/examples/";
  const fs::path config = Write("earshot.yaml", "data_dir: data\n"
                                                "rules: ['" EARSHOT_SOURCE_DIR "/rules/', '" +
                                                    examples + "brands.yaml']\n"
                                                "sources:\n"
                                                "  - id: sample\n"
                                                "    kind: jsonl\n"
                                                "    path: '" +
                                                    examples + "posts.jsonl'\n");
  Outcome run = Earshot("run --once --config " + config.string());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // 18 lines: one exact re-poll (a duplicate), one retweet of the fire (a repost), and rosa's second
  // post joining her outage case.
  EXPECT_NE(run.err.find("17 posts"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("11 cases opened, 1 updated, 1 duplicates, 1 reposts"), std::string::npos) << run.err;

  Outcome list = Earshot("cases list --config " + config.string());
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(CountLines(list.out), 11u) << list.out;
  EXPECT_EQ(list.out.find(R"({"case_id":")"), 0u);
  const size_t first_line_end = list.out.find('\n');
  EXPECT_NE(list.out.substr(0, first_line_end).find(R"("severity":"critical")"), std::string::npos) << list.out;
  // The 9.8M-follower account's lukewarm coffee is a low case, below every higher-severity one.
  EXPECT_GT(list.out.find("u/celebrity_chef"), list.out.find("@sam@fosstodon.org"));
  EXPECT_NE(list.out.find(R"("author":"@rosa@mastodon.social")"), std::string::npos);
  EXPECT_NE(list.out.find(R"("version":2)"), std::string::npos) << list.out;

  // A second run finds nothing new.
  Outcome again = Earshot("run --once --config " + config.string());
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("0 posts"), std::string::npos) << again.err;
}

TEST_F(CliTest, RunWithABadConfigNamesFileLineAndColumnAndExitsTwo) {
  const fs::path config = Write("earshot.yaml", "data_dir: data\nrules: [x.yaml]\nsorces: []\n");
  Outcome run = Earshot("run --once --config " + config.string());
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find(config.string() + ":3:1: unknown key 'sorces'"), std::string::npos) << run.err;
}

TEST_F(CliTest, BadUsageExitsTwo) {
  EXPECT_EQ(Earshot("triage").exit_code, 2);  // --rules is required
  EXPECT_EQ(Earshot("no-such-command").exit_code, 2);
}

}  // namespace
