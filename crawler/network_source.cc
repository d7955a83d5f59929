#include "crawler/network_source.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "core/time.h"

namespace earshot::crawler {

// What the fetcher thread shares with the source: responses as they arrive. The adapter never runs
// on the fetcher thread (parsing a large page there would stall every other transfer); the
// pipeline's thread takes the responses from here in Next.
struct NetworkSource::State {
  struct Arrival {
    HttpRequest request;
    HttpResponse response;
  };
  std::mutex mutex;
  std::condition_variable arrived;
  std::deque<Arrival> arrivals;  // guarded by mutex
};

namespace {

void SubmitTo(Fetcher& fetcher, const std::shared_ptr<NetworkSource::State>& state, HttpRequest request) {
  HttpRequest sent = request;
  // The callback keeps the state alive: it may run after the source is gone (then it only queues).
  fetcher.Submit(std::move(sent), [state, request = std::move(request)](HttpResponse response) mutable {
    {
      std::scoped_lock lock(state->mutex);
      state->arrivals.push_back({std::move(request), std::move(response)});
    }
    state->arrived.notify_all();
  });
}

}  // namespace

NetworkSource::NetworkSource(const core::SourceConfig& config, std::unique_ptr<Adapter> adapter, std::string cursor,
                             const SourceOptions& options)
    : config_(config),
      options_(options),
      state_(std::make_shared<State>()),
      adapter_(std::move(adapter)),
      committed_cursor_(std::move(cursor)) {}

NetworkSource::~NetworkSource() = default;

void NetworkSource::Submit(HttpRequest request) {
  host_key_ = Fetcher::HostKey(request.url);
  if (config_.max_requests_per_minute) options_.fetcher->LimitHost(request.url, *config_.max_requests_per_minute);
  SubmitTo(*options_.fetcher, state_, std::move(request));
}

void NetworkSource::BeginPoll() {
  if (cycle_active_ || !pages_.empty()) return;
  core::Result<HttpRequest> request = adapter_->BeginCycle();
  if (!request) {
    failure_ = request.error().WithContext("source " + config_.id);
    return;
  }
  cycle_active_ = true;
  Submit(std::move(*request));
}

void NetworkSource::Process(HttpRequest request, const HttpResponse& response) {
  auto fail = [&](core::Status status) {
    last_error_ = status.message();
    failure_ = std::move(status);
    cycle_active_ = false;
  };
  if (!response.transport.ok()) {
    // The fetcher's message already names the method, URL and attempts.
    fail(response.transport.WithContext("source " + config_.id));
    return;
  }
  core::Result<Page> page = adapter_->OnResponse(request, response);
  if (!page) {
    // Adapters reject a bad status as "HTTP 500: <body>"; other errors get the status here.
    const bool names_status = page.error().message().starts_with("HTTP ");
    fail(page.error().WithContext("source " + config_.id + ": " + request.method + " " + request.url +
                                  (names_status ? "" : ": HTTP " + std::to_string(response.code))));
    return;
  }
  ++pages_fetched_;
  posts_fetched_ += page->lines.size();
  buffered_lines_ += page->lines.size();
  pages_.push_back(BufferedPage{std::move(page->lines), 0, adapter_->Cursor()});
  if (!page->next) {
    cycle_active_ = false;
  } else if (buffered_lines_ >= kMaxBufferedLines) {
    deferred_ = std::move(*page->next);
  } else {
    Submit(std::move(*page->next));
  }
}

bool NetworkSource::ProcessArrivals() {
  std::deque<State::Arrival> arrivals;
  {
    std::scoped_lock lock(state_->mutex);
    if (state_->arrivals.empty()) return false;
    arrivals.swap(state_->arrivals);
  }
  for (State::Arrival& arrival : arrivals) Process(std::move(arrival.request), arrival.response);
  return true;
}

core::Result<Source::Outcome> NetworkSource::Next(std::string& line, uint64_t& line_number) {
  for (;;) {
    // Responses first, so the next page of a burst is requested while this one is being read.
    ProcessArrivals();
    // Drop drained pages (also empty ones: a 304, a page of boosts) and adopt their cursors.
    while (!pages_.empty() && pages_.front().next == pages_.front().lines.size()) {
      committed_cursor_ = std::move(pages_.front().cursor_after);
      pages_.pop_front();
    }
    if (!pages_.empty()) {
      BufferedPage& page = pages_.front();
      line = std::move(page.lines[page.next++]);
      --buffered_lines_;
      line_number = ++lines_returned_;
      if (page.next == page.lines.size()) {
        committed_cursor_ = std::move(page.cursor_after);
        pages_.pop_front();
      }
      if (deferred_ && buffered_lines_ <= kMaxBufferedLines / 2) {
        HttpRequest request = std::move(*deferred_);
        deferred_.reset();
        Submit(std::move(request));
      }
      return Outcome::kLine;
    }
    if (failure_) {
      core::Status failure = std::move(*failure_);
      failure_.reset();
      return failure;
    }
    if (!cycle_active_) return Outcome::kIdle;
    if (!options_.once) return Outcome::kPending;
    if (options_.stop != nullptr && options_.stop->load()) {
      return core::Status::Cancelled("source " + config_.id + ": stopped while waiting for a response");
    }
    // --once waits for the poll to finish; the timeout only re-checks `stop`.
    std::unique_lock lock(state_->mutex);
    state_->arrived.wait_for(lock, std::chrono::milliseconds(100), [this] { return !state_->arrivals.empty(); });
  }
}

std::string NetworkSource::Cursor() const { return committed_cursor_; }

std::string NetworkSource::Describe() const {
  std::string description = adapter_->Describe();
  description += ", " + std::to_string(pages_fetched_) + " pages, " + std::to_string(posts_fetched_) + " posts fetched";
  if (cycle_active_) description += ", polling";
  if (!last_error_.empty()) description += ", last error: " + last_error_;
  return description;
}

}  // namespace earshot::crawler
