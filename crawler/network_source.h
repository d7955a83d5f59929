// NetworkSource: a Source that polls a social or blog API. It drives one Adapter (the API's paging
// logic, adapter.h) through the shared Fetcher (the polite HTTP engine, http/fetcher.h) and hands
// the pipeline the posts of each page as Post JSON lines.
//
// A poll cycle starts in BeginPoll and runs in the fetcher thread: each response goes to the
// adapter, whose page of posts is buffered here and whose next request (a burst larger than one
// page) is sent at once — unless the buffer already holds kMaxBufferedLines, in which case the
// request waits until the pipeline has drained half of it, so a huge burst cannot fill memory.
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
// Thread safety: Source's contract (one caller thread); the fetcher thread's callbacks share the
// state under a mutex.
#ifndef EARSHOT_CRAWLER_NETWORK_SOURCE_H_
#define EARSHOT_CRAWLER_NETWORK_SOURCE_H_

#include <memory>
#include <string>

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

  struct State;  // shared with the fetcher's callbacks (network_source.cc)

 private:
  core::SourceConfig config_;
  SourceOptions options_;
  std::shared_ptr<State> state_;  // shared with in-flight callbacks, which may outlive this object
};

}  // namespace earshot::crawler

#endif  // EARSHOT_CRAWLER_NETWORK_SOURCE_H_
