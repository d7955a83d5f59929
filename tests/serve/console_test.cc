// The operator console in a real browser: headless Chromium (Debian's chromium package) loads the
// page from an HttpServer whose store was filled by a real Pipeline pass, runs console.js against
// the API, and dumps the DOM it built. Checks that a case injected through the pipeline appears in
// the cases table with its post, that the source appears in the sources table, that a post's text
// is shown as text even when it looks like markup, and that a token-protected server makes the
// page ask for the token.
//
// --virtual-time-budget lets the page's timers (the 2 s poll) run in virtual time, so the dump
// comes after several polls without the test waiting for them; network requests pause virtual
// time, so every fetch completes first.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "store/queue.h"
#include "tests/serve/serve_test_support.h"

extern char** environ;

namespace earshot::serve {
namespace {

using testing::kToken;
using testing::PostLine;

constexpr char kChromium[] = "/usr/bin/chromium";
constexpr auto kChromiumTimeout = std::chrono::seconds(60);

// Runs Chromium headless on `url` and returns the DOM it dumped (its stdout), or nullopt after a
// test failure saying why. Chromium runs in its own process group, so its helper processes (zygote,
// renderer, GPU) are killed along with it on a timeout.
std::optional<std::string> DumpDom(const std::filesystem::path& work_dir, const std::string& url) {
  if (::access(kChromium, X_OK) != 0) {
    ADD_FAILURE() << kChromium << " is missing: the console test drives it headless; scripts/install-deps.sh "
                  << "installs chromium (apt-get install chromium)";
    return std::nullopt;
  }
  const std::filesystem::path profile = work_dir / "chromium-profile";
  const std::filesystem::path out_path = work_dir / "chromium.out";
  const std::filesystem::path err_path = work_dir / "chromium.err";
  std::filesystem::create_directories(profile);
  const std::vector<std::string> args = {kChromium,
                                         "--headless",
                                         "--no-sandbox",
                                         "--disable-gpu",
                                         "--disable-dev-shm-usage",
                                         "--no-first-run",
                                         "--disable-background-networking",
                                         "--user-data-dir=" + profile.string(),
                                         "--virtual-time-budget=10000",
                                         "--dump-dom",
                                         url};
  std::vector<char*> argv;
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  pid_t pid = -1;
  const int spawned = ::posix_spawn(&pid, kChromium, &actions, &attributes, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawned != 0) {
    ADD_FAILURE() << "posix_spawn " << kChromium << ": " << std::strerror(spawned);
    return std::nullopt;
  }

  const auto deadline = std::chrono::steady_clock::now() + kChromiumTimeout;
  int status = 0;
  bool exited = false;
  while (std::chrono::steady_clock::now() < deadline) {
    const pid_t reaped = ::waitpid(pid, &status, WNOHANG);
    if (reaped == pid || (reaped < 0 && errno != EINTR)) {
      exited = reaped == pid;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto slurp = [](const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
  };
  if (!exited) {
    ::kill(-pid, SIGKILL);  // the group we made it lead: chromium and its helpers
    ::waitpid(pid, &status, 0);
    ADD_FAILURE() << "chromium did not finish within " << kChromiumTimeout.count() << " s\n" << slurp(err_path);
    return std::nullopt;
  }
  const std::string dom = slurp(out_path);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || dom.empty()) {
    ADD_FAILURE() << "chromium failed (wait status " << status << ")\n" << slurp(err_path);
    return std::nullopt;
  }
  return dom;
}

// The serialised element that starts with `open_tag_prefix`, up to its `closing` tag.
std::string Section(const std::string& dom, const std::string& open_tag_prefix, const std::string& closing) {
  const size_t begin = dom.find(open_tag_prefix);
  if (begin == std::string::npos) return "";
  const size_t end = dom.find(closing, begin);
  return dom.substr(begin, end == std::string::npos ? std::string::npos : end + closing.size() - begin);
}

class ConsoleTest : public testing::ServeTest {
 protected:
  std::vector<store::CaseRecord> OpenCases() {
    std::vector<store::CaseRecord> cases;
    EXPECT_TRUE(store_->Read([&](store::Txn& txn) -> core::Status {
                        core::Result<std::vector<store::CaseRecord>> listed =
                            store::ListCases(txn, store::StateFilter::kOpen, core::NowMillis(), 0);
                        if (!listed) return listed.error();
                        cases = std::move(*listed);
                        return core::Status::Ok();
                      })
                    .ok());
    return cases;
  }
};

TEST_F(ConsoleTest, ACaseInjectedThroughThePipelineAppearsOnThePage) {
  RunPipelinePass({PostLine("101", "@dana", "acme charged me twice for one order", "https://mastodon.example/@dana/101"),
                   PostLine("102", "@eli", "what a lovely morning")});
  const std::vector<store::CaseRecord> cases = OpenCases();
  ASSERT_EQ(cases.size(), 1u);
  const std::string case_id = store::CaseId(cases[0].number);
  StartServer();

  const std::optional<std::string> dom = DumpDom(dir_.path(), Url("/"));
  ASSERT_TRUE(dom.has_value());
  const std::string table = Section(*dom, "<table id=\"cases\"", "</table>");
  ASSERT_FALSE(table.empty()) << *dom;
  EXPECT_NE(table.find("data-case-id=\"" + case_id + "\""), std::string::npos) << table;
  EXPECT_NE(table.find(">" + case_id + "<"), std::string::npos) << table;
  EXPECT_NE(table.find("acme charged me twice for one order"), std::string::npos) << table;
  EXPECT_NE(table.find("href=\"https://mastodon.example/@dana/101\""), std::string::npos) << table;
  EXPECT_NE(table.find("@dana"), std::string::npos) << table;
  EXPECT_EQ(table.find("lovely morning"), std::string::npos) << "not a complaint, so in no case";

  const std::string sources = Section(*dom, "<table id=\"sources\"", "</table>");
  EXPECT_NE(sources.find("data-source-id=\"replay\""), std::string::npos) << sources;
  EXPECT_NE(sources.find(">replay<"), std::string::npos) << sources;
  const std::string rules = Section(*dom, "<table id=\"rules\"", "</table>");
  EXPECT_NE(rules.find("billing.twice"), std::string::npos) << rules;
  // Every poll succeeded.
  EXPECT_NE(dom->find("data-state=\"ok\""), std::string::npos) << Section(*dom, "<header", "</header>");
}

TEST_F(ConsoleTest, PostTextThatLooksLikeMarkupIsShownAsText) {
  RunPipelinePass({PostLine("201", "@mallory", "acme sucks <img src=x onerror=\"document.title='pwned'\"> <b>bold</b>",
                            "javascript:document.title='clicked'")});
  ASSERT_EQ(OpenCases().size(), 1u);
  StartServer();

  const std::optional<std::string> dom = DumpDom(dir_.path(), Url("/"));
  ASSERT_TRUE(dom.has_value());
  const std::string table = Section(*dom, "<table id=\"cases\"", "</table>");
  ASSERT_NE(table.find("data-case-id="), std::string::npos) << table;
  // The serialiser escapes '<' in text nodes: the text is there, as text.
  EXPECT_NE(table.find("acme sucks &lt;img src=x onerror=\"document.title='pwned'\"&gt; &lt;b&gt;bold&lt;/b&gt;"),
            std::string::npos)
      << table;
  EXPECT_EQ(table.find("<img"), std::string::npos) << "became an element:\n" << table;
  EXPECT_EQ(table.find("<b>"), std::string::npos) << "became an element:\n" << table;
  EXPECT_EQ(table.find("javascript:"), std::string::npos) << "a javascript: URL must not become a link";
  EXPECT_NE(dom->find("<title>Earshot · operator console</title>"), std::string::npos) << "no script ran";
}

TEST_F(ConsoleTest, WithATokenThePageAsksForIt) {
  AddCase(core::Severity::kHigh, 70, "@ann");
  ServeOptions options;
  options.token = kToken;
  StartServer(options);

  const std::optional<std::string> dom = DumpDom(dir_.path(), Url("/"));
  ASSERT_TRUE(dom.has_value());
  const std::string auth = Section(*dom, "<section class=\"auth\" id=\"auth\"", ">");
  ASSERT_FALSE(auth.empty()) << *dom;
  EXPECT_EQ(auth.find("hidden"), std::string::npos) << "the token form is shown: " << auth;
  EXPECT_NE(dom->find("data-state=\"auth\""), std::string::npos);
  EXPECT_EQ(Section(*dom, "<table id=\"cases\"", "</table>").find("data-case-id="), std::string::npos)
      << "no data without the token";
}

}  // namespace
}  // namespace earshot::serve
