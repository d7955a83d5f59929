// The `bluesky` adapter: full-text search of Bluesky posts (SOURCES.md C4) through
// app.bsky.feed.searchPosts on the account's PDS, which proxies to the AppView. Logged-out search
// was switched off in 2025, so the adapter logs in with an app password.
//
// Params:
//   query       required; the search text, sent as `q`
//   identifier  required; the handle or DID of the account that logs in
//   base_url    default https://bsky.social (the account's PDS)
//   limit       posts per page, 1..100, default 100
//   overlap     default 60s (a duration, core::ParseDuration); how far before the cursor to search
//               again, because `since` applies to sortAt, which "may not match" the indexedAt we
//               remember. The pipeline's seen-set (keyed on the post's at:// uri) drops the repeats.
// Secret: `app_password` (from `app_password_env`), required.
//
// Session: the first request of the adapter's life is POST com.atproto.server.createSession; the
// accessJwt it returns lives in memory only (never in the cursor, a URL or a message) and goes in
// an `Authorization: Bearer` header. A 401, or a 400 whose error is ExpiredToken/InvalidToken,
// drops the token, logs in again and repeats the search, at most once per cycle.
//
// Cursor: "bluesky1 since=<highest indexedAt seen, RFC 3339>" ("bluesky1" alone until a post is seen).
//
// Paging: a cycle searches sort=latest with since = cursor − overlap and follows the response's
// `cursor` while it is present and the page was not empty. Pages run newest → oldest, so the
// cursor moves only when the cycle's last page has been handled: a crash after page 1 is committed
// must not skip page 2's older posts. The first poll (empty cursor) takes one page only.
//
// Posts: source "bluesky", id = the at:// uri, author "@handle", author_id = DID, created_at =
// record.createdAt as given, url https://bsky.app/profile/{handle}/post/{rkey}, lang = first of
// record.langs, reply_to/thread_id = record.reply.parent/root uri. No follower count: the search
// result's profileViewBasic has none, and fetching profiles would cost a call per author.
#ifndef EARSHOT_CRAWLER_SOURCES_BLUESKY_H_
#define EARSHOT_CRAWLER_SOURCES_BLUESKY_H_

#include <memory>
#include <string_view>

#include "core/config.h"
#include "core/status.h"
#include "crawler/adapter.h"

namespace earshot::crawler {

core::Result<std::unique_ptr<Adapter>> MakeBlueskyAdapter(const core::SourceConfig& config, std::string_view cursor);

}  // namespace earshot::crawler

#endif  // EARSHOT_CRAWLER_SOURCES_BLUESKY_H_
