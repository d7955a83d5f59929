// NetworkSource against a real Fetcher and a loopback HTTP server, with a scripted adapter: page
// boundaries and cursors, kPending vs waiting (--once), failures named with the source and URL,
// back-pressure on huge bursts, and stopping a wait.
#include "crawler/network_source.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "crawler/adapter.h"
#include "crawler/http/fetcher.h"

namespace earshot::crawler {
namespace {

using std::chrono::milliseconds;

// Serves /page?n=N&lines=L with the text "N:L"; /missing is 404; /slow sleeps first.
class PageServer {
 public:
  PageServer() {
    server_.Get("/page", [this](const httplib::Request& request, httplib::Response& response) {
      ++requests_;
      if (request.has_param("delay_ms")) {
        std::this_thread::sleep_for(milliseconds(std::stoi(request.get_param_value("delay_ms"))));
      }
      response.set_content(request.get_param_value("n") + ":" + request.get_param_value("lines"), "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(milliseconds(1));
  }
  ~PageServer() {
    server_.stop();
    thread_.join();
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  int requests() const { return requests_.load(); }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<int> requests_{0};
};

// Pages 0..pages-1 of `lines` posts each; page `failing_page` (if any) is fetched from /missing.
class ScriptedAdapter : public Adapter {
 public:
  ScriptedAdapter(std::string base, int pages, int lines, int failing_page = -1, int delay_ms = 0)
      : base_(std::move(base)), pages_(pages), lines_(lines), failing_page_(failing_page), delay_ms_(delay_ms) {}

  core::Result<HttpRequest> BeginCycle() override { return Request(0); }

  core::Result<Page> OnResponse(const HttpRequest& /*request*/, const HttpResponse& response) override {
    if (response.code != 200) return core::Status::InvalidArgument("unexpected status");
    const std::string& body = response.body;
    const int page = std::stoi(body.substr(0, body.find(':')));
    Page out;
    for (int i = 0; i < lines_; ++i) {
      out.lines.push_back(R"({"source":"fake","id":")" + std::to_string(page) + "-" + std::to_string(i) +
                          R"(","text":"hello"})");
    }
    cursor_ = "fake1 page=" + std::to_string(page);
    if (page + 1 < pages_) out.next = Request(page + 1);
    return out;
  }
  std::string Cursor() const override { return cursor_; }
  std::string Describe() const override { return cursor_; }

 private:
  HttpRequest Request(int page) const {
    HttpRequest request;
    request.url = base_ + (page == failing_page_ ? "/missing" : "/page") + "?n=" + std::to_string(page) +
                  "&lines=" + std::to_string(lines_) + (delay_ms_ > 0 ? "&delay_ms=" + std::to_string(delay_ms_) : "");
    return request;
  }
  std::string base_;
  int pages_, lines_, failing_page_, delay_ms_;
  std::string cursor_ = "fake1 page=none";
};

class NetworkSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FetcherOptions options;
    options.default_requests_per_minute = 60'000;
    options.backoff_base = milliseconds(10);
    options.max_attempts = 2;
    auto started = Fetcher::Start(options);
    ASSERT_TRUE(started.has_value()) << started.error().message();
    fetcher_ = std::move(*started);
    config_.id = "fake-source";
    config_.kind = "mastodon";
  }
  std::unique_ptr<NetworkSource> Make(std::unique_ptr<Adapter> adapter, bool once) {
    SourceOptions options;
    options.once = once;
    options.fetcher = fetcher_.get();
    options.stop = &stop_;
    return std::make_unique<NetworkSource>(config_, std::move(adapter), "fake1 page=none", options);
  }

  PageServer server_;
  std::unique_ptr<Fetcher> fetcher_;
  core::SourceConfig config_;
  std::atomic<bool> stop_{false};
};

TEST_F(NetworkSourceTest, OnceWaitsForEveryPageAndMovesTheCursorOnlyAtPageEnds) {
  auto source = Make(std::make_unique<ScriptedAdapter>(server_.url(""), 3, 4), /*once=*/true);
  EXPECT_EQ(source->Cursor(), "fake1 page=none");
  source->BeginPoll();
  std::string line;
  uint64_t line_number = 0;
  std::vector<std::string> cursors;
  for (int i = 0; i < 12; ++i) {
    auto outcome = source->Next(line, line_number);
    ASSERT_TRUE(outcome.has_value()) << outcome.error().message();
    ASSERT_EQ(*outcome, Source::Outcome::kLine);
    EXPECT_EQ(line_number, static_cast<uint64_t>(i + 1));
    EXPECT_NE(line.find("\"id\":\"" + std::to_string(i / 4) + "-" + std::to_string(i % 4) + "\""), std::string::npos)
        << line;
    cursors.push_back(source->Cursor());
  }
  // Mid-page the cursor is the previous page's: a crash there re-fetches the page.
  EXPECT_EQ(cursors[0], "fake1 page=none");
  EXPECT_EQ(cursors[2], "fake1 page=none");
  EXPECT_EQ(cursors[3], "fake1 page=0");
  EXPECT_EQ(cursors[4], "fake1 page=0");
  EXPECT_EQ(cursors[7], "fake1 page=1");
  EXPECT_EQ(cursors[11], "fake1 page=2");
  auto outcome = source->Next(line, line_number);
  ASSERT_TRUE(outcome.has_value());
  EXPECT_EQ(*outcome, Source::Outcome::kIdle);
  EXPECT_EQ(server_.requests(), 3);
}

TEST_F(NetworkSourceTest, TailingSaysPendingUntilTheResponseArrives) {
  auto source = Make(std::make_unique<ScriptedAdapter>(server_.url(""), 1, 2, -1, /*delay_ms=*/300), /*once=*/false);
  std::string line;
  uint64_t line_number = 0;
  auto before = source->Next(line, line_number);
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(*before, Source::Outcome::kIdle) << "no poll was begun";
  source->BeginPoll();
  auto pending = source->Next(line, line_number);
  ASSERT_TRUE(pending.has_value());
  EXPECT_EQ(*pending, Source::Outcome::kPending);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  Source::Outcome outcome = Source::Outcome::kPending;
  while (outcome == Source::Outcome::kPending && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(10));
    auto next = source->Next(line, line_number);
    ASSERT_TRUE(next.has_value());
    outcome = *next;
  }
  EXPECT_EQ(outcome, Source::Outcome::kLine);
}

TEST_F(NetworkSourceTest, AFailedPageIsReportedWithSourceUrlAndStatusAfterTheGoodPages) {
  auto source = Make(std::make_unique<ScriptedAdapter>(server_.url(""), 3, 2, /*failing_page=*/1), /*once=*/true);
  source->BeginPoll();
  std::string line;
  uint64_t line_number = 0;
  for (int i = 0; i < 2; ++i) {
    auto outcome = source->Next(line, line_number);
    ASSERT_TRUE(outcome.has_value()) << outcome.error().message();
    EXPECT_EQ(*outcome, Source::Outcome::kLine);
  }
  auto failure = source->Next(line, line_number);
  ASSERT_FALSE(failure.has_value());
  const std::string& message = failure.error().message();
  EXPECT_NE(message.find("source fake-source: GET " + server_.url("/missing")), std::string::npos) << message;
  EXPECT_NE(message.find("HTTP 404"), std::string::npos) << message;
  EXPECT_EQ(source->Cursor(), "fake1 page=0");
  auto after = source->Next(line, line_number);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(*after, Source::Outcome::kIdle);
  // The next poll starts again.
  source->BeginPoll();
  auto again = source->Next(line, line_number);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*again, Source::Outcome::kLine);
}

TEST_F(NetworkSourceTest, AnUnreachableHostIsReportedNamingTheSource) {
  // A port nobody listens on: bound, never listened on, closed.
  int port = 0;
  {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    socklen_t length = sizeof address;
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
    port = ntohs(address.sin_port);
    ::close(fd);
  }
  auto source = Make(std::make_unique<ScriptedAdapter>("http://127.0.0.1:" + std::to_string(port), 1, 1), true);
  source->BeginPoll();
  std::string line;
  uint64_t line_number = 0;
  auto failure = source->Next(line, line_number);
  ASSERT_FALSE(failure.has_value());
  EXPECT_NE(failure.error().message().find("source fake-source"), std::string::npos) << failure.error().message();
}

TEST_F(NetworkSourceTest, AHugeBurstWaitsForThePipelineInsteadOfFillingMemory) {
  const int lines = static_cast<int>(NetworkSource::kMaxBufferedLines);  // one page fills the buffer
  auto source = Make(std::make_unique<ScriptedAdapter>(server_.url(""), 3, lines), /*once=*/true);
  source->BeginPoll();
  std::string line;
  uint64_t line_number = 0;
  auto first = source->Next(line, line_number);
  ASSERT_TRUE(first.has_value());
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(server_.requests(), 1) << "the second page must wait until the buffer drains";
  int read = 1;
  for (;;) {
    auto outcome = source->Next(line, line_number);
    ASSERT_TRUE(outcome.has_value()) << outcome.error().message();
    if (*outcome != Source::Outcome::kLine) break;
    ++read;
  }
  EXPECT_EQ(read, 3 * lines);
  EXPECT_EQ(server_.requests(), 3);
}

TEST_F(NetworkSourceTest, StopEndsAWaitPromptly) {
  auto source = Make(std::make_unique<ScriptedAdapter>(server_.url(""), 1, 1, -1, /*delay_ms=*/3000), true);
  source->BeginPoll();
  std::thread stopper([this] {
    std::this_thread::sleep_for(milliseconds(100));
    stop_ = true;
  });
  const auto start = std::chrono::steady_clock::now();
  std::string line;
  uint64_t line_number = 0;
  auto outcome = source->Next(line, line_number);
  stopper.join();
  ASSERT_FALSE(outcome.has_value());
  EXPECT_TRUE(outcome.error().IsCancelled()) << outcome.error().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

}  // namespace
}  // namespace earshot::crawler
