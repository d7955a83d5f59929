// The `hackernews` source kind: Hacker News stories and comments matching a query, through the
// Algolia HN Search API's date-sorted endpoint (SOURCES.md C3).
//
// Params (SourceConfig::params):
//   query          required  the search words
//   tags           optional  Algolia tag filter (default "(story,comment)")
//   base_url       optional  default https://hn.algolia.com (a trailing slash is tolerated)
//   hits_per_page  optional  1..1000 (default 100)
//   since          optional  RFC 3339 time: the first poll (empty cursor) reads back to it instead
//                            of taking only the newest page
// No secrets (the API is anonymous); any other param or secret is InvalidArgument, so a misspelt
// optional key is reported instead of ignored.
//
// Request: GET {base_url}/api/v1/search_by_date?query=Q&tags=T&hitsPerPage=H&page=P
//              [&numericFilters=created_at_i>=S[,created_at_i<=U]]   (values URL-encoded)
//
// Cursor: "hackernews1 since=<unix seconds>", the highest created_at_i of the last completed poll.
// The next poll asks for created_at_i >= since: the second itself is fetched again (an overlap,
// never a gap) and the pipeline's seen-set drops what it already stored.
//
// Paging. Results are newest first, `page` counts from 0 and the response gives nbPages/nbHits:
//  * First poll without `since`: page 0 only (no backlog); since = its highest created_at_i.
//  * Otherwise pages 0, 1, … while more results remain (page + 1 < nbPages, or nbHits beyond the
//    pages read — Algolia caps nbPages at its 1000-result limit). Deep paging ends at result 1000,
//    so when the next page would reach past it a new window starts at page 0 with
//    created_at_i <= U, U = the lowest created_at_i seen this poll (`<=`, an overlap again; if U
//    would not move, U - 1, so a second holding over 1000 results cannot loop us). An empty page,
//    or no more pages, ends the poll.
//  * Pages go backwards in time, so Cursor() keeps returning the state the poll started from until
//    its last page is processed (a crash mid-poll re-fetches; it never skips). Then since = the
//    poll's highest created_at_i (or the lower bound it used, when it saw nothing).
//
// Posts: source "hackernews", id = objectID; a comment's text = HtmlToText(comment_text), a
// story's = title + "\n\n" + HtmlToText(story_text) (the title alone without one); author,
// created_at as given (else from created_at_i), url = https://news.ycombinator.com/item?id=<id>,
// reply_to = parent_id, thread_id = story_id (a story without story_id is its own thread root, as
// Reddit's t3 is). No followers: HN has none. Lines are oldest first.
//
// Errors from OnResponse: a non-2xx status is Unavailable "HTTP <code>: <start of the body>";
// a body that is not JSON is InvalidArgument "malformed JSON: <simdjson's message>"; one without a
// `hits` array, a hit that is not an object or a hit without objectID is InvalidArgument (naming
// the hit's index; the whole page fails rather than silently losing a post).
//
// Thread safety: an adapter is used by one thread at a time (adapter.h).
#ifndef EARSHOT_CRAWLER_SOURCES_HACKERNEWS_H_
#define EARSHOT_CRAWLER_SOURCES_HACKERNEWS_H_

#include <memory>
#include <string_view>

#include "core/config.h"
#include "core/status.h"
#include "crawler/adapter.h"

namespace earshot::crawler {

// Validates `config` (InvalidArgument "source ID: `key` …") and resumes from `cursor` (empty: first
// poll; anything but a "hackernews1 since=…" cursor is Corruption naming the source).
core::Result<std::unique_ptr<Adapter>> MakeHackerNewsAdapter(const core::SourceConfig& config, std::string_view cursor);

}  // namespace earshot::crawler

#endif  // EARSHOT_CRAWLER_SOURCES_HACKERNEWS_H_
