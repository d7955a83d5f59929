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
namespace {

struct BufferedPage {
  std::vector<std::string> lines;
  size_t next = 0;
  std::string cursor_after;  // the adapter's cursor once every line of this page is returned
};

}  // namespace

struct NetworkSource::State {
  std::mutex mutex;
  std::condition_variable changed;

  std::string source_id;
  std::optional<int> max_requests_per_minute;
  Fetcher* fetcher = nullptr;
  std::unique_ptr<Adapter> adapter;

  std::deque<BufferedPage> pages;
  size_t buffered_lines = 0;
  std::string committed_cursor;
  bool cycle_active = false;               // a request is in flight or deferred
  std::optional<HttpRequest> deferred;     // waiting for the buffer to drain
  std::optional<core::Status> failure;     // ended the cycle; Next reports it once
  uint64_t lines_returned = 0;

  // For Describe.
  int64_t cycle_started_ms = 0;
  uint64_t pages_fetched = 0;
  uint64_t posts_fetched = 0;
  std::string last_error;
};

namespace {

void SubmitLocked(const std::shared_ptr<NetworkSource::State>& state, HttpRequest request);

void HandleResponse(const std::shared_ptr<NetworkSource::State>& state, const HttpRequest& request,
                    const HttpResponse& response) {
  std::scoped_lock lock(state->mutex);
  auto fail = [&](core::Status status) {
    state->last_error = status.message();
    state->failure = std::move(status);
    state->cycle_active = false;
  };
  if (!response.transport.ok()) {
    // The fetcher's message already names the method, URL and attempts.
    fail(response.transport.WithContext("source " + state->source_id));
  } else {
    core::Result<Page> page = state->adapter->OnResponse(request, response);
    if (!page) {
      // Adapters reject a bad status as "HTTP 500: <body>"; other errors get the status here.
      const bool names_status = page.error().message().starts_with("HTTP ");
      fail(page.error().WithContext("source " + state->source_id + ": " + request.method + " " + request.url +
                                    (names_status ? "" : ": HTTP " + std::to_string(response.code))));
    } else {
      ++state->pages_fetched;
      state->posts_fetched += page->lines.size();
      state->buffered_lines += page->lines.size();
      state->pages.push_back(BufferedPage{std::move(page->lines), 0, state->adapter->Cursor()});
      if (!page->next) {
        state->cycle_active = false;
      } else if (state->buffered_lines >= NetworkSource::kMaxBufferedLines) {
        state->deferred = std::move(*page->next);
      } else {
        SubmitLocked(state, std::move(*page->next));
      }
    }
  }
  state->changed.notify_all();
}

void SubmitLocked(const std::shared_ptr<NetworkSource::State>& state, HttpRequest request) {
  if (state->max_requests_per_minute) {
    state->fetcher->LimitHost(request.url, *state->max_requests_per_minute);
  }
  HttpRequest sent = request;
  // The callback keeps the state alive: it may run after the source is gone (then it only buffers).
  state->fetcher->Submit(std::move(sent), [state, request = std::move(request)](HttpResponse response) {
    HandleResponse(state, request, response);
  });
}

}  // namespace

NetworkSource::NetworkSource(const core::SourceConfig& config, std::unique_ptr<Adapter> adapter, std::string cursor,
                             const SourceOptions& options)
    : config_(config), options_(options), state_(std::make_shared<State>()) {
  state_->source_id = config.id;
  state_->max_requests_per_minute = config.max_requests_per_minute;
  state_->fetcher = options.fetcher;
  state_->adapter = std::move(adapter);
  state_->committed_cursor = std::move(cursor);
}

NetworkSource::~NetworkSource() = default;

void NetworkSource::BeginPoll() {
  std::scoped_lock lock(state_->mutex);
  if (state_->cycle_active || !state_->pages.empty()) return;
  core::Result<HttpRequest> request = state_->adapter->BeginCycle();
  if (!request) {
    state_->failure = request.error().WithContext("source " + config_.id);
    return;
  }
  state_->cycle_active = true;
  state_->cycle_started_ms = core::NowMillis();
  SubmitLocked(state_, std::move(*request));
}

core::Result<Source::Outcome> NetworkSource::Next(std::string& line, uint64_t& line_number) {
  std::unique_lock lock(state_->mutex);
  for (;;) {
    // Drop drained pages (also empty ones: a 304, a page of boosts) and adopt their cursors.
    while (!state_->pages.empty() && state_->pages.front().next == state_->pages.front().lines.size()) {
      state_->committed_cursor = std::move(state_->pages.front().cursor_after);
      state_->pages.pop_front();
    }
    if (!state_->pages.empty()) {
      BufferedPage& page = state_->pages.front();
      line = std::move(page.lines[page.next++]);
      --state_->buffered_lines;
      line_number = ++state_->lines_returned;
      if (page.next == page.lines.size()) {
        state_->committed_cursor = std::move(page.cursor_after);
        state_->pages.pop_front();
      }
      if (state_->deferred && state_->buffered_lines <= kMaxBufferedLines / 2) {
        HttpRequest request = std::move(*state_->deferred);
        state_->deferred.reset();
        SubmitLocked(state_, std::move(request));
      }
      return Outcome::kLine;
    }
    if (state_->failure) {
      core::Status failure = std::move(*state_->failure);
      state_->failure.reset();
      return failure;
    }
    if (!state_->cycle_active) return Outcome::kIdle;
    if (!options_.once) return Outcome::kPending;
    if (options_.stop != nullptr && options_.stop->load()) {
      return core::Status::Cancelled("source " + config_.id + ": stopped while waiting for a response");
    }
    // --once waits for the poll to finish; the timeout only re-checks `stop`.
    state_->changed.wait_for(lock, std::chrono::milliseconds(100));
  }
}

std::string NetworkSource::Cursor() const {
  std::scoped_lock lock(state_->mutex);
  return state_->committed_cursor;
}

std::string NetworkSource::Describe() const {
  std::scoped_lock lock(state_->mutex);
  std::string description = state_->adapter->Describe();
  description += ", " + std::to_string(state_->pages_fetched) + " pages, " + std::to_string(state_->posts_fetched) +
                 " posts fetched";
  if (state_->cycle_active) description += ", polling";
  if (!state_->last_error.empty()) description += ", last error: " + state_->last_error;
  return description;
}

}  // namespace earshot::crawler
