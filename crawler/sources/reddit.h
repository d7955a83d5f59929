// The `reddit` source kind: a subreddit's new posts, or a search sorted by new (SOURCES.md C2).
//
// Params (SourceConfig::params), at least one of `subreddit` and `query`:
//   subreddit  a subreddit name ("r/" prefix tolerated; "a+b" combines several)
//   query      a search query; with `subreddit` the search is restricted to it
//   base_url   default https://www.reddit.com, or https://oauth.reddit.com when a token is given
//   limit      items per page, 1..100 (default 100)
//   max_pages  pages per poll, >= 1 (default 10: Reddit listings end after about 1000 items)
// Secret (SourceConfig::secrets, from `token_env`): `token`, an OAuth bearer token sent as
// `Authorization: bearer …`, never in the URL or in a message. Any other param or secret is
// InvalidArgument: a misspelt optional key would otherwise be silently ignored.
//
// Requests (`&after=X` from the second page on):
//   subreddit only:  GET {base}/r/{sub}/new.json?limit=L&raw_json=1
//   query only:      GET {base}/search.json?q=Q&sort=new&limit=L&raw_json=1
//   both:            GET {base}/r/{sub}/search.json?q=Q&sort=new&limit=L&raw_json=1&restrict_sr=on
//
// Cursor: "reddit1 seen=<fullnames>", comma-separated, newest first: up to 50 fullnames of the
// newest items known at the end of the last completed poll. One fullname is not enough because an
// item can be removed, and a stop marker that vanished would make us page back to max_pages.
//
// Paging. Listings are newest first and page backwards in time with `after`:
//  * Each poll starts at page 1 and walks the items newest → oldest, stopping at the first fullname
//    in the seen set. If none was seen, `data.after` is set and fewer than max_pages pages were
//    read, the next page is requested at once.
//  * First poll (empty cursor): page 1 only (no backlog).
//  * Because later pages are OLDER, Cursor() keeps returning the state the poll started from until
//    its last page is processed: committing page 1's newest items as "seen" and then crashing
//    would make the restart stop at them and skip page 2 forever. The poll's last OnResponse
//    installs the new seen set (the poll's items newest first, then the old set, 50 in all). A
//    crash mid-poll therefore re-fetches pages already stored; the pipeline's seen-set drops them.
//  * Reaching max_pages (or the listing's end) without meeting a seen item can leave a gap; Reddit's
//    ~1000-item listings bound how far back any client could read anyway.
//
// Posts: source "reddit", id = fullname (t3_… a submission, t1_… a comment; other kinds are
// skipped), text = title + "\n\n" + selftext (t3; the title alone when there is no selftext) or
// body (t1), entities decoded (raw_json=1 makes Reddit send plain text, but a proxy or an older
// recording may not); author = "u/" + author (left empty for "[deleted]", which is no one: it would
// otherwise join unrelated posts into one case), author_id = author_fullname, created_at from
// created_utc (RFC 3339 with milliseconds), url = https://www.reddit.com + permalink, reply_to =
// parent_id (t1), thread_id = link_id (t1) or the fullname (t3). No followers: listings give none.
// Lines are oldest first within a page.
//
// Errors from OnResponse: a non-2xx status is Unavailable "HTTP <code>: <start of the body>";
// a body that is not JSON is InvalidArgument "malformed JSON: <simdjson's message>"; one that is
// not a Listing (data.children an array) or an item without a name is InvalidArgument.
//
// Thread safety: an adapter is used by one thread at a time (adapter.h).
#ifndef EARSHOT_CRAWLER_SOURCES_REDDIT_H_
#define EARSHOT_CRAWLER_SOURCES_REDDIT_H_

#include <memory>
#include <string_view>

#include "core/config.h"
#include "core/status.h"
#include "crawler/adapter.h"

namespace earshot::crawler {

// Validates `config` (InvalidArgument "source ID: `key` …") and resumes from `cursor` (empty: first
// poll; anything but a "reddit1 seen=…" cursor is Corruption naming the source).
core::Result<std::unique_ptr<Adapter>> MakeRedditAdapter(const core::SourceConfig& config, std::string_view cursor);

}  // namespace earshot::crawler

#endif  // EARSHOT_CRAWLER_SOURCES_REDDIT_H_
