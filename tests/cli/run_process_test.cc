// Process-level tests of `earshot run` and `earshot cases` (DESIGN.md §3.4-3.6): real earshot
// processes killed with SIGKILL at random moments, stopped with SIGTERM, pulling from one queue at
// the same moment, writing under a file-size limit, and pointed at bad data directories.
//
// Every test works in its own temp directory: a small rule set (compiles in milliseconds, and is
// independent of how the shipped pack is tuned), a config, Post JSONL input and data directories.
// The compiled rules still go to the suite's shared cache (EARSHOT_TEST_CACHE_DIR).
//
// Children are started with fork/exec so the test holds their pid. A Child still running when it
// goes out of scope (a failed assertion returned early) is killed and reaped by its destructor.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "tests/cli/case_views.h"
#include "tests/cli/child_process.h"
#include "tests/cli/earshot_process.h"
#include "tests/cli/run_corpus.h"

namespace {

using namespace earshot::test_support;  // NOLINT: test support, in a .cc
namespace fs = std::filesystem;

class RunProcessTest : public EarshotProcessTest {
 protected:
  void SetUp() override {
    EarshotProcessTest::SetUp();
    Write("rules/complaints.yaml", kComplaintRules);
    Write("rules/brands.yaml", kBrandRules);
  }

  // Writes NAME, a config whose relative paths resolve inside the test's directory: DATA_DIR, the
  // test's rules, one jsonl source "feed" reading posts.jsonl.
  fs::path WriteConfig(const std::string& name, const std::string& data_dir = "data", int batch = 64,
                       const std::string& window = "12h") {
    std::string yaml = "data_dir: " + data_dir + "\n";
    yaml += "rules: [rules/complaints.yaml, rules/brands.yaml]\n";
    yaml += "cases: {window: " + window + "}\n";
    yaml += "pipeline: {batch: " + std::to_string(batch) + "}\n";
    yaml += "sources:\n  - id: feed\n    kind: jsonl\n    path: posts.jsonl\n";
    yaml += "queue: {kind: lmdb}\n";
    return Write(name, yaml);
  }

  static std::vector<std::string> RunArgs(const fs::path& config, bool once = true) {
    std::vector<std::string> args = {"run", "--config", config.string(), "--cache-dir",
                                     std::string(EARSHOT_TEST_CACHE_DIR) + "/earshot/hs"};
    if (once) args.push_back("--once");
    return args;
  }
  static std::vector<std::string> CasesArgs(const std::string& command, const fs::path& config,
                                            std::vector<std::string> more = {}) {
    std::vector<std::string> args = {"cases", command, "--config", config.string()};
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }

  // `cases list --state all`, parsed; the run must succeed.
  std::vector<CaseView> ListAll(const fs::path& config) {
    Outcome list = Earshot(CasesArgs("list", config, {"--state", "all"}));
    EXPECT_EQ(list.exit_code, 0) << list.err;
    return ParseCases(list.out);
  }
};

// Crash anywhere: a run SIGKILLed at random moments and restarted resumes from the last committed
// batch, so the cases it ends with are exactly those of an uninterrupted run: none lost, none
// doubled, same numbers, versions, urgencies and signals.
TEST_F(RunProcessTest, CrashAnywhereLosesNothingAndDuplicatesNothing) {
  constexpr int kKills = 6;
  Write("posts.jsonl", MakeCorpus({.posts = 20000, .authors = 300, .seed = 1}));
  const fs::path config_a = WriteConfig("a.yaml", "data-a");
  const fs::path config_b = WriteConfig("b.yaml", "data-b");

  const Outcome reference = Earshot(RunArgs(config_a));
  ASSERT_EQ(reference.exit_code, 0) << reference.err;
  // The input exercises what could go wrong on a replay: joins, duplicates, reposts.
  EXPECT_GT(SummaryCount(reference.err, "duplicates"), 0) << reference.err;
  EXPECT_GT(SummaryCount(reference.err, "reposts"), 0) << reference.err;
  EXPECT_GT(SummaryCount(reference.err, "updated"), 0) << reference.err;
  const std::vector<CaseView> expected = ListAll(config_a);
  ASSERT_GT(expected.size(), 1000u);

  // Kill points: after the start-up time (a run with nothing to do), a random 5-25% of the work
  // still left. The work left is estimated from data-b's file size against data-a's, so each
  // restart (resuming where the last one committed) is still mid-run when killed, even if the
  // machine has become a few times faster than it was for the reference run.
  const Outcome idle = Earshot(RunArgs(config_a));
  ASSERT_EQ(idle.exit_code, 0) << idle.err;
  const double startup = std::min(idle.seconds, reference.seconds / 4);
  const auto full_size = static_cast<double>(fs::file_size(dir_ / "data-a" / "data.mdb"));
  auto work_left = [&] {
    std::error_code missing;
    const auto size = static_cast<double>(fs::file_size(dir_ / "data-b" / "data.mdb", missing));
    return std::clamp(1.0 - (missing ? 0.0 : size / full_size), 0.02, 1.0);
  };
  std::mt19937_64 rng(7);
  int interrupted = 0;
  std::string delays;
  for (int kill = 0; kill < kKills; ++kill) {
    const double share = 0.05 + 0.2 * static_cast<double>(rng() % 1000) / 1000;
    const std::chrono::duration<double> delay(startup + share * work_left() * (reference.seconds - startup));
    delays += std::to_string(static_cast<int>(delay.count() * 1000)) + "ms ";
    Process run = Start(RunArgs(config_b));
    std::this_thread::sleep_for(delay);
    run.child.Signal(SIGKILL);
    const Outcome outcome = Finish(run);
    if (outcome.signal == SIGKILL) {
      ++interrupted;
    } else {
      ASSERT_EQ(outcome.exit_code, 0) << outcome.err;  // it had finished before the kill
    }
  }
  // Whatever the last kill left is a batch boundary: every case an earlier state of its final form.
  ExpectEarlierStateOf(ListAll(config_b), expected);
  const Outcome last = Earshot(RunArgs(config_b));
  ASSERT_EQ(last.exit_code, 0) << last.err;
  std::printf("full run %.2f s, start-up %.2f s; kills after %s; %d of %d interrupted a running process\n",
              reference.seconds, startup, delays.c_str(), interrupted, kKills);
  EXPECT_GE(interrupted, 3) << "kills after " << delays << "of a " << reference.seconds << " s run";

  const std::vector<CaseView> actual = ListAll(config_b);
  ExpectSameCases(expected, actual);
  ExpectEachPostInOneCasePerBrand(actual);
  ExpectEachPostInOneCasePerBrand(expected);
  EXPECT_EQ(TotalPostCount(actual), TotalPostCount(expected));
}

// Six consumers pulling at the same moment never lease the same case, and together they drain the
// queue: every open case is pulled exactly once.
TEST_F(RunProcessTest, ConcurrentPullsNeverShareACase) {
  constexpr int kConsumers = 6;
  std::string posts;
  for (int i = 0; i < 300; ++i) {
    posts += Post("p" + std::to_string(i), "@a" + std::to_string(i),
                  std::string(kComplaints[i % std::size(kComplaints)]) + " (order " + std::to_string(i) + ")",
                  kEpoch2025 + i * 60);
  }
  Write("posts.jsonl", posts);
  const fs::path config = WriteConfig("config.yaml");
  const Outcome run = Earshot(RunArgs(config));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  Outcome list = Earshot(CasesArgs("list", config));
  ASSERT_EQ(list.exit_code, 0) << list.err;
  const std::set<std::string> open = Ids(ParseCases(list.out));
  ASSERT_EQ(open.size(), 300u);

  std::vector<std::string> pulled;
  int rounds = 0;
  for (bool drained = false; !drained && rounds < 30; ++rounds) {
    int gate[2];
    ASSERT_EQ(::pipe2(gate, O_CLOEXEC), 0);
    UniqueFd gate_read(gate[0]), gate_write(gate[1]);
    std::vector<Process> consumers;
    for (int i = 0; i < kConsumers; ++i) {
      SpawnOptions options;
      options.gate_fd = gate_read.get();
      consumers.push_back(Start(CasesArgs("pull", config, {"--max", "7", "--lease", "600"}), options));
    }
    const std::string go(kConsumers, 'g');
    ASSERT_EQ(::write(gate_write.get(), go.data(), go.size()), static_cast<ssize_t>(go.size()));
    size_t this_round = 0;
    for (Process& consumer : consumers) {
      const Outcome outcome = Finish(consumer);
      ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
      for (const CaseView& view : ParseCases(outcome.out)) {
        EXPECT_EQ(view.state, "leased") << view.canonical;
        pulled.push_back(view.id);
        ++this_round;
      }
      EXPECT_LE(Lines(outcome.out).size(), 7u);
    }
    drained = this_round == 0;
  }
  const std::set<std::string> unique(pulled.begin(), pulled.end());
  EXPECT_EQ(unique.size(), pulled.size()) << "a case was leased to two consumers";
  EXPECT_EQ(unique, open);
  std::printf("%zu cases pulled by %d consumers in %d rounds\n", pulled.size(), kConsumers, rounds);
  Outcome leased = Earshot(CasesArgs("list", config, {"--state", "leased"}));
  EXPECT_EQ(Ids(ParseCases(leased.out)), open);
}

// A lease that runs out returns the case: while it is live another pull gets a different case,
// afterwards the first case again.
TEST_F(RunProcessTest, LeaseExpiryReturnsTheCase) {
  std::string posts;
  for (int i = 0; i < 3; ++i) {
    posts += Post("p" + std::to_string(i), "@a" + std::to_string(i),
                  std::string(kComplaints[i]) + " (order " + std::to_string(i) + ")", kEpoch2025 + i * 60);
  }
  Write("posts.jsonl", posts);
  const fs::path config = WriteConfig("config.yaml");
  ASSERT_EQ(Earshot(RunArgs(config)).exit_code, 0);
  const std::vector<std::string> pull = CasesArgs("pull", config, {"--max", "1", "--lease", "1"});

  const auto first_pull = Clock::now();
  const Outcome first = Earshot(pull);
  const auto first_done = Clock::now();  // the lease ends at most 1 s after this
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::vector<CaseView> got_first = ParseCases(first.out);
  ASSERT_EQ(got_first.size(), 1u) << first.out;
  EXPECT_EQ(got_first[0].state, "leased");
  EXPECT_TRUE(got_first[0].has_lease_expiry) << first.out;

  const Outcome second = Earshot(pull);
  // The first lease (from at least `first_pull` + 1 s) must still be live for the second pull to
  // prove anything.
  ASSERT_LT(SecondsSince(first_pull), 0.9) << "the machine is too slow for a 1 s lease test";
  ASSERT_EQ(second.exit_code, 0) << second.err;
  for (const CaseView& view : ParseCases(second.out)) EXPECT_NE(view.id, got_first[0].id);

  std::this_thread::sleep_until(first_done + milliseconds(1200));
  const Outcome third = Earshot(pull);
  ASSERT_EQ(third.exit_code, 0) << third.err;
  const std::vector<CaseView> got_third = ParseCases(third.out);
  ASSERT_EQ(got_third.size(), 1u) << third.out;
  EXPECT_EQ(got_third[0].id, got_first[0].id);
  EXPECT_EQ(got_third[0].state, "leased");
}

// The finishing commands as a consumer uses them: JSON of the new state on stdout, and a clear
// refusal (exit 1, the case and its state on stderr) for a transition that does not apply.
TEST_F(RunProcessTest, AckNackResolve) {
  std::string posts;
  for (int i = 0; i < 4; ++i) {
    posts += Post("p" + std::to_string(i), "@a" + std::to_string(i),
                  std::string(kComplaints[i]) + " (order " + std::to_string(i) + ")", kEpoch2025 + i * 60);
  }
  Write("posts.jsonl", posts);
  const fs::path config = WriteConfig("config.yaml");
  ASSERT_EQ(Earshot(RunArgs(config)).exit_code, 0);
  auto pull_one = [&]() -> std::string {
    const Outcome pull = Earshot(CasesArgs("pull", config, {"--max", "1", "--lease", "600"}));
    EXPECT_EQ(pull.exit_code, 0) << pull.err;
    const std::vector<CaseView> cases = ParseCases(pull.out);
    return cases.size() == 1 ? cases[0].id : std::string();
  };
  auto finish = [&](const std::string& verb, const std::string& id) {
    return Earshot(CasesArgs(verb, config, {id}));
  };
  auto single_state = [](const Outcome& outcome) {
    const std::vector<CaseView> cases = ParseCases(outcome.out);
    return cases.size() == 1 ? cases[0].state : "(" + std::to_string(cases.size()) + " cases)";
  };

  const std::string acked = pull_one();
  ASSERT_FALSE(acked.empty());
  Outcome ack = finish("ack", acked);
  EXPECT_EQ(ack.exit_code, 0) << ack.err;
  EXPECT_EQ(single_state(ack), "acked") << ack.out;

  const std::string resolved = pull_one();
  ASSERT_FALSE(resolved.empty());
  ASSERT_NE(resolved, acked);
  // Of the two cases still queued, one is acked while queued: refused.
  Outcome all = Earshot(CasesArgs("list", config, {"--state", "queued"}));
  const std::vector<CaseView> queued = ParseCases(all.out);
  ASSERT_EQ(queued.size(), 2u) << all.out;
  Outcome refused = finish("ack", queued[0].id);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find(queued[0].id), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("not leased"), std::string::npos) << refused.err;
  EXPECT_EQ(refused.out, "");

  Outcome nack = finish("nack", resolved);
  EXPECT_EQ(nack.exit_code, 0) << nack.err;
  EXPECT_EQ(single_state(nack), "queued") << nack.out;
  EXPECT_EQ(pull_one(), resolved) << "a nacked case goes back to the front of the queue";
  Outcome resolve = finish("resolve", resolved);
  EXPECT_EQ(resolve.exit_code, 0) << resolve.err;
  EXPECT_EQ(single_state(resolve), "resolved") << resolve.out;
  Outcome again = finish("resolve", resolved);
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("already resolved"), std::string::npos) << again.err;

  const std::string leased = pull_one();
  ASSERT_FALSE(leased.empty());
  EXPECT_EQ(finish("ack", "xyz").exit_code, 2);
  Outcome unknown = finish("ack", "c-00009999");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("c-00009999"), std::string::npos) << unknown.err;

  std::map<std::string, std::string> states;
  for (const CaseView& view : ListAll(config)) states[view.id] = view.state;
  ASSERT_EQ(states.size(), 4u);
  EXPECT_EQ(states[acked], "acked");
  EXPECT_EQ(states[resolved], "resolved");
  EXPECT_EQ(states[leased], "leased");
  const std::string still_queued = queued[0].id == leased ? queued[1].id : queued[0].id;
  EXPECT_EQ(states[still_queued], "queued");

  Outcome open = Earshot(CasesArgs("list", config));
  ASSERT_EQ(open.exit_code, 0) << open.err;
  EXPECT_EQ(Ids(ParseCases(open.out)), (std::set<std::string>{leased, still_queued}));
}

// Resolving a case clears the author's repetition: their next complaint (after the case window)
// opens a case without the "repetition" signal, while an author whose first case is still open
// gets it.
TEST_F(RunProcessTest, ResolveClearsRepetition) {
  const fs::path input =
      Write("posts.jsonl", Post("x1", "@xavier", "@acmenet my internet is down", kEpoch2025) +
                               Post("y1", "@yolanda", "@acmenet they charged me twice", kEpoch2025 + 60));
  const fs::path config = WriteConfig("config.yaml", "data", /*batch=*/64, /*window=*/"1h");
  ASSERT_EQ(Earshot(RunArgs(config)).exit_code, 0);
  std::map<std::string, std::string> first_case;  // author → case
  for (const CaseView& view : ListAll(config)) {
    EXPECT_FALSE(HasSignal(view, "repetition")) << view.canonical;
    first_case[view.author] = view.id;
  }
  ASSERT_EQ(first_case.size(), 2u);
  Outcome resolve = Earshot(CasesArgs("resolve", config, {first_case["@xavier"]}));
  ASSERT_EQ(resolve.exit_code, 0) << resolve.err;

  // Two hours later (twice the window) both complain again; the source resumes at its offset.
  Append(input, Post("x2", "@xavier", "@acmenet no internet again", kEpoch2025 + 7200) +
                    Post("y2", "@yolanda", "@acmenet still no callback", kEpoch2025 + 7260));
  const Outcome second = Earshot(RunArgs(config));
  ASSERT_EQ(second.exit_code, 0) << second.err;
  std::map<std::string, CaseView> second_case;
  const std::vector<CaseView> all = ListAll(config);
  ASSERT_EQ(all.size(), 4u);
  for (const CaseView& view : all) {
    if (view.id != first_case[view.author]) second_case[view.author] = view;
  }
  ASSERT_EQ(second_case.size(), 2u);
  EXPECT_EQ(second_case["@xavier"].posts, std::vector<std::string>{"tw/x2"});
  EXPECT_FALSE(HasSignal(second_case["@xavier"], "repetition")) << second_case["@xavier"].canonical;
  EXPECT_EQ(second_case["@yolanda"].posts, std::vector<std::string>{"tw/y2"});
  EXPECT_TRUE(HasSignal(second_case["@yolanda"], "repetition")) << second_case["@yolanda"].canonical;
}

// SIGTERM lets a long-running `earshot run` commit the batches in flight and exit 0; the next
// run resumes and ends with exactly the cases of an uninterrupted run.
TEST_F(RunProcessTest, SigtermFinishesCleanly) {
  Write("posts.jsonl", MakeCorpus({.posts = 30000, .authors = 2000, .seed = 2}));
  const fs::path config_a = WriteConfig("a.yaml", "data-a", /*batch=*/256);
  const fs::path config_b = WriteConfig("b.yaml", "data-b", /*batch=*/256);
  const Outcome reference = Earshot(RunArgs(config_a));
  ASSERT_EQ(reference.exit_code, 0) << reference.err;
  const std::vector<CaseView> expected = ListAll(config_a);

  Process run = Start(RunArgs(config_b, /*once=*/false));
  std::this_thread::sleep_for(std::chrono::duration<double>(reference.seconds * 0.4));
  ASSERT_FALSE(run.child.Poll()) << "earshot run (without --once) exited by itself: " << Slurp(run.err);
  run.child.Signal(SIGTERM);
  const auto signalled = Clock::now();
  std::optional<int> status = run.child.WaitFor(std::chrono::seconds(5));
  ASSERT_TRUE(status) << "still running 5 s after SIGTERM";
  const double stop_seconds = SecondsSince(signalled);
  const Outcome stopped = Finish(run);
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_NE(stopped.err.find("SIGTERM"), std::string::npos) << stopped.err;
  EXPECT_NE(stopped.err.find("(stopped by signal)"), std::string::npos) << stopped.err;
  // It was stopped mid-input, not after reading everything.
  const std::vector<CaseView> when_stopped = ListAll(config_b);
  const size_t cases_when_stopped = when_stopped.size();
  EXPECT_LT(cases_when_stopped, expected.size());
  ExpectEarlierStateOf(when_stopped, expected);
  std::printf("full run %.2f s; SIGTERM at %.2f s stopped in %.3f s with %zu of %zu cases\n",
              reference.seconds, reference.seconds * 0.4, stop_seconds, cases_when_stopped, expected.size());

  const Outcome resumed = Earshot(RunArgs(config_b));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  const std::vector<CaseView> actual = ListAll(config_b);
  ExpectSameCases(expected, actual);
  ExpectEachPostInOneCasePerBrand(actual);
  EXPECT_EQ(TotalPostCount(actual), TotalPostCount(expected));
}

// A data_dir that cannot hold Earshot data is an error naming it (exit 1), never a crash.
TEST_F(RunProcessTest, BadDataDirectory) {
  Write("posts.jsonl", Post("p1", "@a", "my internet is down", kEpoch2025));
  const fs::path config = WriteConfig("config.yaml");
  const fs::path data_dir = dir_ / "data";

  // A regular file where the directory should be.
  Write("data", "not a directory\n");
  for (const auto& args : {RunArgs(config), CasesArgs("list", config)}) {
    const Outcome outcome = Earshot(args);
    EXPECT_EQ(outcome.exit_code, 1) << args[0] << "\n" << outcome.err;
    EXPECT_NE(outcome.err.find(data_dir.string()), std::string::npos) << outcome.err;
    EXPECT_NE(outcome.err.find("not a directory"), std::string::npos) << outcome.err;
  }
  EXPECT_EQ(Slurp(data_dir), "not a directory\n") << "the file was left alone";

  // A data.mdb full of garbage.
  fs::remove(data_dir);
  std::mt19937_64 rng(3);
  std::string garbage(64 * 1024, '\0');
  for (char& byte : garbage) byte = static_cast<char>(rng());
  Write("data/data.mdb", garbage);
  for (const auto& args : {RunArgs(config), CasesArgs("list", config), CasesArgs("pull", config)}) {
    const Outcome outcome = Earshot(args);
    EXPECT_EQ(outcome.signal, 0) << args[0] << " " << args[1] << " crashed:\n" << outcome.err;
    EXPECT_EQ(outcome.exit_code, 1) << args[0] << " " << args[1] << "\n" << outcome.err;
    EXPECT_NE(outcome.err.find("not an Earshot data file or is corrupt"), std::string::npos) << outcome.err;
    EXPECT_NE(outcome.err.find(data_dir.string()), std::string::npos) << outcome.err;
  }
  EXPECT_EQ(Slurp(data_dir / "data.mdb"), garbage) << "the garbage was not overwritten";

  // No data directory at all: consumers do not conjure an empty queue out of a typo.
  fs::remove_all(data_dir);
  for (const auto& args :
       {CasesArgs("list", config), CasesArgs("pull", config), CasesArgs("ack", config, {"c-1"})}) {
    const Outcome outcome = Earshot(args);
    EXPECT_EQ(outcome.exit_code, 1) << args[1] << "\n" << outcome.err;
    EXPECT_NE(outcome.err.find("holds no Earshot data"), std::string::npos) << outcome.err;
    EXPECT_NE(outcome.err.find(data_dir.string()), std::string::npos) << outcome.err;
  }
  EXPECT_FALSE(fs::exists(data_dir));
}

// A disk that fills up mid-run: the run stops with exit 1 saying the disk is full, keeps every
// batch committed before, and a rerun once there is room ends with exactly the cases of an
// uninterrupted run. The "disk" is RLIMIT_FSIZE (SIGXFSZ ignored) at three sizes below what the
// data file reaches in a full run: two on a page boundary, where a commit's write may start exactly
// at the limit (EFBIG), and one mid-page, where the write that crosses it comes up short (what a
// really full disk does, too).
TEST_F(RunProcessTest, FullDiskLosesNothingCommitted) {
  Write("posts.jsonl", MakeCorpus({.posts = 6000, .authors = 300, .seed = 4}));
  const fs::path config_a = WriteConfig("a.yaml", "data-a");
  const Outcome reference = Earshot(RunArgs(config_a));
  ASSERT_EQ(reference.exit_code, 0) << reference.err;
  const std::vector<CaseView> expected = ListAll(config_a);
  const uintmax_t full_size = fs::file_size(dir_ / "data-a" / "data.mdb");
  ASSERT_GT(full_size, 512u * 1024) << "too little data for the limits to bite mid-run";

  const uintmax_t kPage = 4096;
  const uintmax_t limits[] = {full_size / 4 / kPage * kPage, full_size / 2 / kPage * kPage + 1000,
                              full_size * 3 / 4 / kPage * kPage};
  for (const uintmax_t limit : limits) {
    SCOPED_TRACE("file size limit " + std::to_string(limit) + " of " + std::to_string(full_size) + " bytes");
    const std::string data_dir = "data-" + std::to_string(limit);
    const fs::path config = WriteConfig(data_dir + ".yaml", data_dir);
    SpawnOptions limited;
    limited.file_size_limit = static_cast<rlim_t>(limit);
    const Outcome full = Earshot(RunArgs(config), limited);
    EXPECT_EQ(full.signal, 0) << full.err;
    EXPECT_EQ(full.exit_code, 1) << full.err;
    EXPECT_NE(full.err.find("the disk is full"), std::string::npos) << full.err;
    EXPECT_NE(full.err.find("everything committed before this error is safe"), std::string::npos) << full.err;
    EXPECT_LE(fs::file_size(dir_ / data_dir / "data.mdb"), limit);
    // What was committed before the failure is readable and is an earlier state of the full result.
    const std::vector<CaseView> partial = ListAll(config);
    EXPECT_GT(partial.size(), 0u);
    EXPECT_LT(partial.size(), expected.size());
    ExpectEarlierStateOf(partial, expected);

    const Outcome rerun = Earshot(RunArgs(config));
    ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
    const std::vector<CaseView> actual = ListAll(config);
    ExpectSameCases(expected, actual);
    EXPECT_EQ(TotalPostCount(actual), TotalPostCount(expected));
  }
}

// Lines that are not posts are reported with source and line number and skipped; the rest of the
// input is processed and the run succeeds.
TEST_F(RunProcessTest, BadLinesAreReportedAndSkipped) {
  Write("posts.jsonl", Post("p1", "@a", "my internet is down", kEpoch2025) +
                           "{\"source\":\"tw\",\"id\":\"p2\",\"text\": oops\n" +
                           "{\"source\":\"tw\",\"id\":\"p3\",\"author\":\"@c\"}\n" +
                           Post("p4", "@d", "they lost my parcel", kEpoch2025 + 60));
  const fs::path config = WriteConfig("config.yaml");
  const Outcome run = Earshot(RunArgs(config));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("source feed: line 2: "), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("source feed: line 3: "), std::string::npos) << run.err;
  EXPECT_EQ(run.err.find("source feed: line 1: "), std::string::npos) << run.err;
  EXPECT_EQ(run.err.find("source feed: line 4: "), std::string::npos) << run.err;
  EXPECT_EQ(SummaryCount(run.err, "skipped"), 2) << run.err;
  std::set<std::string> filed;
  for (const CaseView& view : ListAll(config)) filed.insert(view.posts.begin(), view.posts.end());
  EXPECT_EQ(filed, (std::set<std::string>{"tw/p1", "tw/p4"}));
}

}  // namespace
