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
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// No single earshot invocation in this suite should come near this, even under ASan.
constexpr auto kProcessTimeout = std::chrono::seconds(60);

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string Slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  for (size_t begin = 0, end; begin < text.size(); begin = end + 1) {
    end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    if (end > begin) lines.push_back(text.substr(begin, end - begin));
  }
  return lines;
}

// An owned file descriptor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    Reset(std::exchange(other.fd_, -1));
    return *this;
  }
  ~UniqueFd() { Reset(); }

  int get() const { return fd_; }
  void Reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

struct SpawnOptions {
  fs::path stdout_path;  // required
  fs::path stderr_path;  // required
  // RLIMIT_FSIZE in bytes, with SIGXFSZ ignored, so a write past the limit fails (EFBIG, or a
  // short write) instead of killing the process. An ignored signal stays ignored across exec.
  std::optional<rlim_t> file_size_limit;
  // When >= 0, the child reads one byte from this fd before exec: a starting gate that releases
  // several children at the same moment.
  int gate_fd = -1;
};

// One child process. Move-only; the destructor kills (SIGKILL) and reaps a child that still runs.
// Thread safety: one thread at a time.
class Child {
 public:
  // Starts argv[0] with `argv`, stdin from /dev/null, stdout and stderr to the given files, and
  // XDG_CACHE_HOME set to the suite's shared rule cache.
  static Child Spawn(const std::vector<std::string>& argv, const SpawnOptions& options) {
    // Everything the child needs is prepared before fork: between fork and exec only
    // async-signal-safe calls are allowed.
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    std::vector<std::string> env_strings = {std::string("XDG_CACHE_HOME=") + EARSHOT_TEST_CACHE_DIR};
    for (char** entry = environ; *entry != nullptr; ++entry) {
      if (std::string_view(*entry).starts_with("XDG_CACHE_HOME=")) continue;
      env_strings.emplace_back(*entry);
    }
    std::vector<char*> env;
    for (std::string& entry : env_strings) env.push_back(entry.data());
    env.push_back(nullptr);

    UniqueFd in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    UniqueFd out(::open(options.stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    UniqueFd err(::open(options.stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (in.get() < 0 || out.get() < 0 || err.get() < 0) {
      ADD_FAILURE() << "cannot open the child's stdio files: " << std::strerror(errno);
      return Child(-1, 127 << 8);
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
      ADD_FAILURE() << "fork: " << std::strerror(errno);
      return Child(-1, 127 << 8);
    }
    if (pid == 0) {
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      if (options.gate_fd >= 0) {
        char byte;
        while (::read(options.gate_fd, &byte, 1) < 0 && errno == EINTR) {
        }
      }
      if (options.file_size_limit) {
        const rlimit limit = {*options.file_size_limit, *options.file_size_limit};
        ::signal(SIGXFSZ, SIG_IGN);
        if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(126);
      }
      if (::dup2(in.get(), STDIN_FILENO) < 0 || ::dup2(out.get(), STDOUT_FILENO) < 0 ||
          ::dup2(err.get(), STDERR_FILENO) < 0) {
        ::_exit(126);
      }
      ::execve(args[0], args.data(), env.data());
      static constexpr char kMessage[] = "run_process_test: execve failed\n";
      [[maybe_unused]] ssize_t ignored = ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
      ::_exit(127);
    }
    return Child(pid, std::nullopt);
  }

  Child(Child&& other) noexcept : pid_(std::exchange(other.pid_, -1)), status_(other.status_) {}
  Child& operator=(Child&&) = delete;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0 && !status_) {
      ::kill(pid_, SIGKILL);
      Reap(0);
    }
  }

  pid_t pid() const { return pid_; }

  // Sends `signal` unless the child has been reaped. An exited child that is not reaped yet is a
  // zombie: the signal does nothing and its wait status still says how it ended.
  void Signal(int signal) {
    if (pid_ > 0 && !status_) ::kill(pid_, signal);
  }

  // The wait status once the child has ended; nullopt while it runs.
  std::optional<int> Poll() {
    if (pid_ > 0 && !status_) Reap(WNOHANG);
    return status_;
  }

  // Waits up to `timeout` for the child to end; nullopt if it still runs then.
  std::optional<int> WaitFor(Clock::duration timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!Poll() && Clock::now() < deadline) std::this_thread::sleep_for(milliseconds(2));
    return status_;
  }

 private:
  Child(pid_t pid, std::optional<int> status) : pid_(pid), status_(status) {}

  void Reap(int flags) {
    int status = 0;
    pid_t reaped;
    while ((reaped = ::waitpid(pid_, &status, flags)) < 0 && errno == EINTR) {
    }
    if (reaped == pid_) status_ = status;
  }

  pid_t pid_ = -1;
  std::optional<int> status_;
};

struct Outcome {
  int exit_code = -1;  // -1 when the process did not exit normally
  int signal = 0;      // the signal that ended it, if one did
  std::string out;
  std::string err;
  double seconds = 0;
};

// A started earshot process and where its output goes.
struct Process {
  Child child;
  fs::path out;
  fs::path err;
  Clock::time_point started;
};

// ---------------------------------------------------------------------------------------------
// Rules and inputs.

// A small rule set: five complaint rules over four categories and two brands, one of which has
// an account of its own (its posts are never complaints).
constexpr char kComplaintRules[] = R"(complaints:
  - id: outage.down
    category: outage
    patterns: ['\b(is|went) down\b', '\bno (internet|signal)\b']
  - id: billing.twice
    category: billing
    patterns: ['\bcharged (me )?twice\b']
  - id: service_failure.no_callback
    category: service_failure
    patterns: ['\bno call\s?back\b', '\bon hold\b']
  - id: lost_or_damaged.parcel
    category: lost_or_damaged
    patterns: ['\blost my (parcel|bag)\b']
  - id: general_negative.awful
    category: general_negative
    patterns: ['\bawful\b']
signals:
  - id: signal.duration
    signal: duration
    patterns: ['\b\d+ (minutes|hours|days)\b']
)";

constexpr char kBrandRules[] = R"(brands:
  - id: acmenet
    patterns: ['\bacme ?net\b', '@acmenet\b']
    handles: ['@AcmeNetHelp']
  - id: skyway
    patterns: ['\bsky ?way\b', '@skywayair\b']
)";

// Each is a complaint under kComplaintRules.
constexpr const char* kComplaints[] = {
    "my internet is down again",        "no internet since monday, 3 days now",
    "they charged me twice this month", "been on hold for 45 minutes",
    "still no callback as promised",    "they lost my parcel",
    "awful service, never again",       "THE APP IS DOWN!!!",
};
// None is.
constexpr const char* kChatter[] = {
    "lovely weather today", "new phone, who dis",       "watching the game tonight",
    "coffee first",         "the sun came out at last",
};

constexpr int64_t kEpoch2025 = 1735689600;  // 2025-01-01T00:00:00Z

std::string Rfc3339(int64_t seconds) {
  const time_t time = static_cast<time_t>(seconds);
  tm parts;
  gmtime_r(&time, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

struct PostLine {
  std::string source = "tw";
  std::string id;
  std::string author;
  std::string author_id;  // omitted when empty
  std::string text;       // JSON-safe: no quotes, backslashes or control characters
  int64_t created_at = kEpoch2025;
};

std::string ToJson(const PostLine& post) {
  std::string line =
      "{\"source\":\"" + post.source + "\",\"id\":\"" + post.id + "\",\"author\":\"" + post.author + "\"";
  if (!post.author_id.empty()) line += ",\"author_id\":\"" + post.author_id + "\"";
  line += ",\"text\":\"" + post.text + "\",\"created_at\":\"" + Rfc3339(post.created_at) + "\"}\n";
  return line;
}

// One "tw" post by AUTHOR (no author_id) as a JSON line.
std::string Post(const std::string& id, const std::string& author, const std::string& text,
                 int64_t created_at) {
  return ToJson(
      {.source = "tw", .id = id, .author = author, .author_id = "", .text = text, .created_at = created_at});
}

struct CorpusSpec {
  int posts = 20000;
  int authors = 300;
  uint64_t seed = 1;
};

// A deterministic firehose: ~40% complaints (about a third naming @acmenet, some skyway, some
// both), authors who come back within and after the case window, replies from the brand's own
// account, re-polled duplicates (the same line again, a few lines later) and reposts ("RT @x:
// <text>" by someone else). created_at moves forward 0-119 s per post; a duplicate repeats the
// created_at of the line it copies.
std::string MakeCorpus(const CorpusSpec& spec) {
  std::mt19937_64 rng(spec.seed);
  auto pick = [&rng](uint64_t n) { return rng() % n; };
  std::vector<std::string> lines;
  lines.reserve(static_cast<size_t>(spec.posts));
  struct Filed {
    std::string author;
    std::string text;
  };
  std::vector<Filed> recent;  // the last complaints, for reposts
  int64_t now = kEpoch2025;
  for (int i = 0; i < spec.posts; ++i) {
    now += static_cast<int64_t>(pick(120));
    const uint64_t roll = pick(100);
    if (roll < 3 && !lines.empty()) {
      lines.push_back(lines[lines.size() - 1 - pick(std::min<size_t>(lines.size(), 50))]);
      continue;
    }
    const int author = static_cast<int>(pick(static_cast<uint64_t>(spec.authors)));
    PostLine post;
    post.source = author % 5 == 0 ? "masto" : "tw";
    post.id = post.source + "-" + std::to_string(i);
    post.author = "@u" + std::to_string(author) + (author % 5 == 0 ? "@example.social" : "");
    if (author % 2 == 0 && author % 5 != 0) post.author_id = "id" + std::to_string(author);
    post.created_at = now;
    if (roll < 7 && !recent.empty()) {
      const Filed& original = recent[recent.size() - 1 - pick(std::min<size_t>(recent.size(), 100))];
      post.text = "RT " + original.author + ": " + original.text;
    } else if (roll < 9) {
      post.author = "@AcmeNetHelp";
      post.author_id.clear();
      post.text = "so sorry your internet is down, please DM us @acmenet (" + std::to_string(i) + ")";
    } else if (roll < 49) {
      post.text = std::string(kComplaints[pick(std::size(kComplaints))]) + " (ref " + std::to_string(i) + ")";
      const uint64_t brand = pick(100);
      if (brand < 30) {
        post.text = "@acmenet " + post.text;
      } else if (brand < 40) {
        post.text += " skyway";
      } else if (brand < 45) {
        post.text = "@acmenet and skyway: " + post.text;
      }
      recent.push_back({post.author, post.text});
    } else {
      post.text = std::string(kChatter[pick(std::size(kChatter))]) + " " + std::to_string(i);
    }
    lines.push_back(ToJson(post));
  }
  std::string text;
  for (const std::string& line : lines) text += line;
  return text;
}

// ---------------------------------------------------------------------------------------------
// Reading `earshot cases` output.

struct CaseView {
  std::string id;
  std::string state;
  std::string brand;  // empty for null
  std::string author;
  uint64_t version = 0;
  uint64_t post_count = 0;
  std::vector<std::string> signals;
  std::vector<std::string> posts;  // "source/id" of each stored post
  bool has_lease_expiry = false;
  std::string canonical;  // the JSON line without its wall-clock fields opened_at and updated_at
};

// The line without `,"opened_at":"…","updated_at":"…"`: the only fields that depend on when a
// batch was committed rather than on what it held.
std::string WithoutWallClock(const std::string& line) {
  const size_t begin = line.find(",\"opened_at\":\"");
  const size_t updated = line.find(",\"updated_at\":\"", begin);
  if (begin == std::string::npos || updated == std::string::npos) return line;
  const size_t close = line.find('"', updated + 15);
  if (close == std::string::npos) return line;
  return line.substr(0, begin) + line.substr(close + 1);
}

std::vector<CaseView> ParseCases(const std::string& jsonl) {
  simdjson::dom::parser parser;
  std::vector<CaseView> cases;
  for (const std::string& line : Lines(jsonl)) {
    simdjson::dom::element doc;
    if (parser.parse(line).get(doc) != simdjson::SUCCESS) {
      ADD_FAILURE() << "not JSON: " << line;
      continue;
    }
    CaseView view;
    std::string_view text;
    bool ok = doc["case_id"].get(text) == simdjson::SUCCESS;
    view.id = text;
    ok = ok && doc["state"].get(text) == simdjson::SUCCESS;
    view.state = text;
    ok = ok && doc["author"].get(text) == simdjson::SUCCESS;
    view.author = text;
    if (doc["brand"].get(text) == simdjson::SUCCESS) view.brand = text;
    ok = ok && doc["version"].get(view.version) == simdjson::SUCCESS &&
         doc["post_count"].get(view.post_count) == simdjson::SUCCESS;
    simdjson::dom::array array;
    ok = ok && doc["signals"].get(array) == simdjson::SUCCESS;
    for (simdjson::dom::element signal : array) {
      if (signal.get(text) == simdjson::SUCCESS) view.signals.emplace_back(text);
    }
    ok = ok && doc["posts"].get(array) == simdjson::SUCCESS;
    for (simdjson::dom::element post : array) {
      std::string_view source, id;
      ok = ok && post["source"].get(source) == simdjson::SUCCESS && post["id"].get(id) == simdjson::SUCCESS;
      view.posts.push_back(std::string(source) + "/" + std::string(id));
    }
    view.has_lease_expiry = doc["lease_expires_at"].error() == simdjson::SUCCESS;
    view.canonical = WithoutWallClock(line);
    EXPECT_TRUE(ok) << "a case line lacks a field: " << line;
    cases.push_back(std::move(view));
  }
  return cases;
}

bool HasSignal(const CaseView& view, std::string_view signal) {
  return std::find(view.signals.begin(), view.signals.end(), signal) != view.signals.end();
}

std::set<std::string> Ids(const std::vector<CaseView>& cases) {
  std::set<std::string> ids;
  for (const CaseView& view : cases) ids.insert(view.id);
  return ids;
}

// Same cases, case by case, ignoring only opened_at/updated_at.
void ExpectSameCases(const std::vector<CaseView>& expected, const std::vector<CaseView>& actual) {
  EXPECT_EQ(actual.size(), expected.size());
  std::map<std::string, const CaseView*> by_id;
  for (const CaseView& view : actual) {
    EXPECT_TRUE(by_id.emplace(view.id, &view).second) << "case listed twice: " << view.id;
  }
  int reported = 0;
  for (const CaseView& want : expected) {
    auto found = by_id.find(want.id);
    if (found == by_id.end()) {
      if (++reported <= 5) ADD_FAILURE() << "missing case " << want.canonical;
      continue;
    }
    if (found->second->canonical != want.canonical && ++reported <= 5) {
      ADD_FAILURE() << "case differs:\n  expected " << want.canonical << "\n  actual   "
                    << found->second->canonical;
    }
  }
  EXPECT_EQ(reported, 0) << "cases missing or different (first 5 shown)";
}

// A post is filed at most once per brand: the seen-set and the case builder never file it twice.
void ExpectEachPostInOneCasePerBrand(const std::vector<CaseView>& cases) {
  std::map<std::string, std::string> filed;  // brand \0 post → case
  int reported = 0;
  for (const CaseView& view : cases) {
    for (const std::string& post : view.posts) {
      auto [where, inserted] = filed.emplace(view.brand + '\0' + post, view.id);
      if (!inserted && ++reported <= 5) {
        ADD_FAILURE() << "post " << post << " (brand '" << view.brand << "') is in " << where->second
                      << " and " << view.id;
      }
    }
  }
}

// Each case of `partial` (a store stopped mid-run) is an earlier state of the same case in
// `complete`: same author and brand, no later version, and its posts are the first ones filed.
void ExpectEarlierStateOf(const std::vector<CaseView>& partial, const std::vector<CaseView>& complete) {
  std::map<std::string, const CaseView*> by_id;
  for (const CaseView& view : complete) by_id.emplace(view.id, &view);
  int reported = 0;
  for (const CaseView& early : partial) {
    auto found = by_id.find(early.id);
    const CaseView* late = found == by_id.end() ? nullptr : found->second;
    const bool ok = late != nullptr && late->author == early.author && late->brand == early.brand &&
                    late->version >= early.version && late->post_count >= early.post_count &&
                    (late->post_count > late->posts.size() ||
                     std::equal(early.posts.begin(), early.posts.end(), late->posts.begin()));
    if (!ok && ++reported <= 5) {
      ADD_FAILURE() << "not an earlier state of the finished case:\n  " << early.canonical << "\n  "
                    << (late != nullptr ? late->canonical : "(no such case)");
    }
  }
}

uint64_t TotalPostCount(const std::vector<CaseView>& cases) {
  uint64_t total = 0;
  for (const CaseView& view : cases) total += view.post_count;
  return total;
}

// "N what" from the summary line `earshot run` logs ("... 12 duplicates, 3 reposts ..."); -1 if absent.
int64_t SummaryCount(const std::string& err, const std::string& what) {
  std::smatch match;
  if (!std::regex_search(err, match, std::regex("run: .*?([0-9]+) " + what))) return -1;
  return std::stoll(match[1].str());
}

// ---------------------------------------------------------------------------------------------

class RunProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("earshot_proc_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    Write("rules/complaints.yaml", kComplaintRules);
    Write("rules/brands.yaml", kBrandRules);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  fs::path Write(const std::string& name, const std::string& content) {
    const fs::path path = dir_ / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  void Append(const fs::path& path, const std::string& content) {
    std::ofstream(path, std::ios::binary | std::ios::app) << content;
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

  // Starts `earshot ARGS`; its stdout and stderr go to fresh files in the test's directory.
  Process Start(const std::vector<std::string>& args, SpawnOptions options = {}) {
    const std::string stem = "proc" + std::to_string(++processes_);
    options.stdout_path = dir_ / (stem + ".out");
    options.stderr_path = dir_ / (stem + ".err");
    std::vector<std::string> argv = {EARSHOT_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    Process process{Child::Spawn(argv, options), options.stdout_path, options.stderr_path, Clock::now()};
    return process;
  }

  // Waits for `process` (killing it after `timeout`, which fails the test) and collects its output.
  static Outcome Finish(Process& process, Clock::duration timeout = kProcessTimeout) {
    std::optional<int> status = process.child.WaitFor(timeout);
    if (!status) {
      ADD_FAILURE() << "pid " << process.child.pid() << " still running after the timeout; killed";
      process.child.Signal(SIGKILL);
      status = process.child.WaitFor(std::chrono::seconds(10));
    }
    Outcome outcome;
    outcome.seconds = SecondsSince(process.started);
    if (status && WIFEXITED(*status)) outcome.exit_code = WEXITSTATUS(*status);
    if (status && WIFSIGNALED(*status)) outcome.signal = WTERMSIG(*status);
    outcome.out = Slurp(process.out);
    outcome.err = Slurp(process.err);
    return outcome;
  }

  Outcome Earshot(const std::vector<std::string>& args, SpawnOptions options = {}) {
    Process process = Start(args, std::move(options));
    return Finish(process);
  }

  // `cases list --state all`, parsed; the run must succeed.
  std::vector<CaseView> ListAll(const fs::path& config) {
    Outcome list = Earshot(CasesArgs("list", config, {"--state", "all"}));
    EXPECT_EQ(list.exit_code, 0) << list.err;
    return ParseCases(list.out);
  }

  fs::path dir_;
  int processes_ = 0;
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
