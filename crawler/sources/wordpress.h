// The `wordpress` adapter: a WordPress site's comments through the REST API
// (GET /wp-json/wp/v2/comments, SOURCES.md C5). Sites that disable or auth-gate REST can still be
// followed with the `rss` kind on /comments/feed/.
//
// Params:
//   base_url  required; the site root (https://example.org or https://example.org/blog)
//   per_page  comments per request, 1..100, default 100
//   post      optional; only the comments on this post id
//   overlap   default 60s (a duration, core::ParseDuration); how far before the cursor to ask again,
//             so comments that share the cursor's second (or were stored a moment late) are not
//             lost. The pipeline's seen-set drops the repeats. A comment held for moderation
//             appears with its submission date once approved; on moderated sites an overlap as long
//             as a moderation round (e.g. 1d) catches those too.
//
// Cursor: "wordpress1 after=<highest date_gmt seen>", as the API gives it (no zone: it is UTC).
//
// Paging: the first poll (empty cursor) takes the newest page only (order=desc&page=1). Later
// cycles ask for after=<cursor − overlap, with a Z>&order=asc&orderby=date and walk page=1,2,…
// while the page was full and X-WP-TotalPages says more exist. Ascending order means every page
// holds only comments newer than the previous one, so the cursor advances after each page. A 400
// rest_comment_invalid_page_number (any *_invalid_page_number: comments deleted between pages
// shrank the total) ends the cycle quietly. `after` carries an explicit "Z" because WordPress
// reads a zone-less date in the site's own time zone.
//
// Posts: source "wordpress", id "<host>:<comment id>" (ids are per site), text = content.rendered
// as plain text, author = author_name, author_id "<host>:user-<author>" (none for guests, author 0),
// created_at = date_gmt + "Z", url = link, reply_to "<host>:<parent>" when parent ≠ 0, thread_id
// "<host>:post-<post>". No follower count exists.
#ifndef EARSHOT_CRAWLER_SOURCES_WORDPRESS_H_
#define EARSHOT_CRAWLER_SOURCES_WORDPRESS_H_

#include <memory>
#include <string_view>

#include "core/config.h"
#include "core/status.h"
#include "crawler/adapter.h"

namespace earshot::crawler {

core::Result<std::unique_ptr<Adapter>> MakeWordPressAdapter(const core::SourceConfig& config, std::string_view cursor);

}  // namespace earshot::crawler

#endif  // EARSHOT_CRAWLER_SOURCES_WORDPRESS_H_
