// Adapter: one social or blog API's polling logic — which request to send next, what a response
// means, and what to remember between polls — with no I/O of its own. NetworkSource
// (network_source.h) drives an adapter through the Fetcher and hands its posts to the pipeline;
// keeping the adapters pure lets each one be tested on recorded responses alone.
//
// A poll is a "cycle": BeginCycle gives the first request, each OnResponse gives the page's posts
// and, while the API has more for this poll (a burst larger than one page), the next request. The
// cycle ends when OnResponse returns no next request or returns an error.
//
// Cursors. Cursor() is the state to persist once every post returned so far is committed; it is
// called after each OnResponse, and NetworkSource stores it only when the pipeline has taken all
// of that page's posts. The adapter is rebuilt from a committed cursor after a restart, so a crash
// mid-cycle re-fetches from the last committed page: nothing is skipped, and the pipeline's
// seen-set (keyed by source + post id) drops what it already stored. Adapters therefore prefer
// overlap to gaps. A cursor starts with the adapter's name and a format version ("mastodon1 …")
// so an old or foreign cursor is detected (Corruption) rather than misread.
//
// First poll (empty cursor): every adapter takes the newest page only and starts from there; an
// adapter with a `since` param (RFC 3339) may look further back. Nobody wants a year of backlog
// triaged as urgent on the first run.
//
// Errors from OnResponse name what went wrong with the body ("malformed JSON at byte 512: …",
// "expected an array of statuses"); NetworkSource adds the source id, method, URL and HTTP status.
// A non-2xx response that reaches an adapter (the Fetcher already retried what is retryable) is
// the adapter's to judge: most return an error; Bluesky re-creates its session on 401/ExpiredToken.
//
// Thread safety: one thread at a time (NetworkSource serialises calls).
#ifndef EARSHOT_CRAWLER_ADAPTER_H_
#define EARSHOT_CRAWLER_ADAPTER_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/status.h"
#include "crawler/http/fetcher.h"

namespace earshot::crawler {

struct Page {
  // Post JSON lines (DESIGN §3.1, written with core::AppendPostJson), oldest first, so a
  // restart mid-page never leaves an older post behind a newer one that was committed.
  std::vector<std::string> lines;
  std::optional<HttpRequest> next;  // the next request of this cycle, if the API has more now
};

class Adapter {
 public:
  virtual ~Adapter() = default;
  // The first request of a poll cycle, from the current (committed) state.
  virtual core::Result<HttpRequest> BeginCycle() = 0;
  // Interprets the response to the last request returned by BeginCycle or a previous OnResponse.
  // `response.transport` is always Ok here (NetworkSource reports transport failures itself).
  virtual core::Result<Page> OnResponse(const HttpRequest& request, const HttpResponse& response) = 0;
  // State after the last successful OnResponse, as opaque text for the cursors table.
  virtual std::string Cursor() const = 0;
  // "min_id 1148701…" — where the adapter stands, for progress lines.
  virtual std::string Describe() const = 0;
};

// Each kind's factory: validates the source's params (InvalidArgument naming the source id and the
// key, e.g. "source masto: `hashtag` is required") and resumes from `cursor` (empty: first poll;
// a malformed or foreign cursor is Corruption naming the source).
using AdapterFactory = core::Result<std::unique_ptr<Adapter>> (*)(const core::SourceConfig& config,
                                                                  std::string_view cursor);

}  // namespace earshot::crawler

#endif  // EARSHOT_CRAWLER_ADAPTER_H_
