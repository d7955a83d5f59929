// The `rss` adapter: one RSS 2.0, RSS 1.0 (RDF) or Atom feed, including WordPress comment feeds
// (/comments/feed/, <permalink>/feed/) — the fallback for blogs whose REST API is off
// (SOURCES.md C6).
//
// Params:
//   url              required; the feed's URL
//   follow_comments  optional, default false. When true, after the feed itself the same cycle
//                    fetches the comment feed of each item (wfw:commentRss, or an Atom
//                    link rel="replies" of a feed type) whose comment count (slash:comments,
//                    thr:total or the link's thr:count) changed since the last cycle. Counts are
//                    only recorded on the first poll (no backlog), and items without a count are
//                    not followed (nothing says when to look).
//
// Cursor: "rss1 etag=<ETag> modified=<Last-Modified>" from the last 200 response, plus, with
// follow_comments, "counts=<hash>:<n>,…" (FNV-1a of each comment feed's URL, for the items in the
// latest feed only, so it stays bounded).
//
// Paging: none — a feed holds its last N items. Each cycle is one conditional GET
// (If-None-Match / If-Modified-Since from the cursor); a 304 gives no lines and keeps the cursor,
// which is what saves the body. With follow_comments the comment feeds follow in the same cycle,
// and the cursor moves only after the last of them, so a crash in between fetches them again.
// Items come out oldest first by date (undated items keep the feed's order, reversed: feeds list
// newest first).
//
// Posts: source "rss"; id = guid (RSS) / id (Atom), else the link, else "sha:" + FNV-1a 64 of
// title and text. Comment items (a WordPress "Comment on …" title, or an Atom thr:in-reply-to)
// carry their body only; other items "title\n\nbody". Bodies (content:encoded, description, Atom
// content/summary of type html/xhtml) are HTML made plain; titles have their entities decoded.
// author = dc:creator / author / Atom author name; created_at = pubDate / dc:date / published /
// updated as RFC 3339; url = link; reply_to = thr:in-reply-to ref; thread_id = for WordPress
// comment items, the post's permalink (the link without "#comment-…" and "comment-page-N/").
// Malformed XML is an error naming pugixml's description and the byte offset.
#ifndef EARSHOT_CRAWLER_SOURCES_RSS_H_
#define EARSHOT_CRAWLER_SOURCES_RSS_H_

#include <memory>
#include <string_view>

#include "core/config.h"
#include "core/status.h"
#include "crawler/adapter.h"

namespace earshot::crawler {

core::Result<std::unique_ptr<Adapter>> MakeRssAdapter(const core::SourceConfig& config, std::string_view cursor);

}  // namespace earshot::crawler

#endif  // EARSHOT_CRAWLER_SOURCES_RSS_H_
