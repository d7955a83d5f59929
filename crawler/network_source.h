// NetworkSource: a Source that polls a social or blog API. It drives one Adapter (the API's paging
// logic, adapter.h) through the shared Fetcher (the polite HTTP engine, http/fetcher.h) and hands
// the pipeline the posts of each page as Post JSON lines.
//
// A poll cycle starts in BeginPoll. The fetcher thread only queues each response; Next, on the
// pipeline's thread, hands it to the adapter (so parsing a big page never stalls other transfers),
// buffers the page's posts and sends the adapter's next request (a burst larger than one page) at
// once — unless the buffer already holds kMaxBufferedLines, in which case the request waits until
// the pipeline has drained half of it, so a huge burst cannot fill memory.
//
// Cursor() is the adapter's cursor as of the last page whose posts have ALL been returned by Next.
// The pipeline commits it with those posts, so after a crash the adapter resumes from a page
// boundary that is fully stored: a page is fetched again rather than skipped, and the seen-set
// drops its posts that were already stored.
//
// Failures never stop other sources: a transport error, an HTTP error the adapter does not accept
// or a body it cannot read ends the cycle, and the next Next returns it, naming the source, the
// method and URL, the HTTP status and the reason ("source masto: GET http://…/tag/acme?limit=40:
// HTTP 200: malformed JSON: …"). The posts of the pages before it still flow, and the next poll
// starts again from the committed cursor.
//
// Thread safety: Source's contract (one caller thread, which alone touches the adapter); the
// fetcher thread's callbacks only append to the shared arrivals queue, under its mutex.
#ifndef EARSHOT_CRAWLER_NETWORK_SOURCE_H_
#define EARSHOT_CRAWLER_NETWORK_SOURCE_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crawler/adapter.h"
#include "crawler/http/fetcher.h"
#include "crawler/source.h"

namespace earshot::crawler {

class NetworkSource final : public Source {
 public:
  static constexpr size_t kMaxBufferedLines = 20'000;

  // `options.fetcher` must be set and outlive the source. `cursor` is what `adapter` was built from.
  NetworkSource(const core::SourceConfig& config, std::unique_ptr<Adapter> adapter, std::string cursor,
                const SourceOptions& options);
  ~NetworkSource() override;

  const core::SourceConfig& config() const override { return config_; }
  void BeginPoll() override;
  core::Result<Outcome> Next(std::string& line, uint64_t& line_number) override;
  std::string Cursor() const override;
  std::string Describe() const override;
  std::string HostKey() const override { return host_key_; }

  struct State;  // shared with the fetcher's callbacks (network_source.cc)

 private:
  struct BufferedPage {
    std::vector<std::string> lines;
    size_t next = 0;
    std::string cursor_after;  // the adapter's cursor once every line of this page is returned
  };

  void Submit(HttpRequest request);
  void Process(HttpRequest request, const HttpResponse& response);
  bool ProcessArrivals();

  core::SourceConfig config_;
  SourceOptions options_;
  std::shared_ptr<State> state_;  // shared with in-flight callbacks, which may outlive this object
  std::unique_ptr<Adapter> adapter_;
  std::deque<BufferedPage> pages_;
  size_t buffered_lines_ = 0;
  std::string committed_cursor_;
  bool cycle_active_ = false;               // a request is in flight, queued or deferred
  std::optional<HttpRequest> deferred_;     // waiting for the buffer to drain
  std::optional<core::Status> failure_;     // ended the cycle; Next reports it once
  uint64_t lines_returned_ = 0;
  uint64_t pages_fetched_ = 0;
  uint64_t posts_fetched_ = 0;
  std::string last_error_;
  std::string host_key_;  // of the last request Submit sent; set and read on the caller's thread
};

}  // namespace earshot::crawler

#endif  // EARSHOT_CRAWLER_NETWORK_SOURCE_H_
