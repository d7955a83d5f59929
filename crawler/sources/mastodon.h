// The `mastodon` source kind: one hashtag timeline on one Mastodon instance (SOURCES.md C1).
//
// Params (SourceConfig::params):
//   base_url  required  the instance, e.g. https://mastodon.social (a trailing slash is tolerated)
//   hashtag   required  the tag, with or without its leading '#'
//   limit     optional  statuses per page, 1..40 (default 40, the server's maximum)
// Secret (SourceConfig::secrets, from `token_env`): `token`, sent as `Authorization: Bearer …`,
// never in the URL or in a message. Instances that disable anonymous tag feeds need it.
// Any other param or secret is InvalidArgument: a misspelt optional key would otherwise be ignored.
//
// Request: GET {base_url}/api/v1/timelines/tag/{hashtag}?limit=L[&min_id=C].
//
// Cursor: "mastodon1 min_id=<id>", the highest status id stored so far. Ids are opaque strings
// ordered by length, then bytewise (never converted to integers: they outgrow nothing today, but
// the API promises only strings).
//
// Paging. `min_id` asks for the statuses immediately newer than the id, so paging runs forward in
// time and the cursor can advance after every page:
//  * First poll (empty cursor): one request without min_id (the newest page); the cursor becomes
//    the highest id on it, and the cycle ends however full the page was (no backlog).
//  * Later polls: min_id = cursor. After each page the cursor moves to the page's highest id; while
//    a page holds at least `limit` statuses (servers may return more than asked) the next page is
//    requested at once, and a shorter page ends the cycle. `since_id` is not used: with more than a
//    page of new statuses it returns the newest page and leaves a gap.
//  * A page whose ids do not pass the cursor ends the cycle, so a server that ignores min_id cannot
//    loop us forever.
//
// Boosts (`reblog` not null) are skipped — a popular post boosted a hundred times would otherwise
// flood triage — but their ids still advance the cursor and still count towards a full page.
//
// Posts: source "mastodon", id = status id (a numeric id, as some test servers send, is kept as
// its decimal text), text = HtmlToText(spoiler_text + "\n" + content) (content alone without a
// content warning), author = "@" + account.acct with "@<instance host>" appended for local
// accounts (acct has no '@' then), author_id = account.id, followers = account.followers_count,
// created_at as given, url (else uri), lang (language, if given), reply_to = in_reply_to_id.
// Lines are oldest first.
//
// Errors from OnResponse: a non-2xx status is Unavailable "HTTP <code>: <start of the body>"; a
// body that is not JSON is InvalidArgument "malformed JSON: <simdjson's message>"; a body that is
// not an array, an element that is not an object or a status without an id is InvalidArgument
// naming the element's index. A broken status fails the whole page instead of being skipped,
// because silently dropping posts is worse than a visible error (the cursor does not move, so the
// page is fetched again next poll).
//
// Thread safety: an adapter is used by one thread at a time (adapter.h).
#ifndef EARSHOT_CRAWLER_SOURCES_MASTODON_H_
#define EARSHOT_CRAWLER_SOURCES_MASTODON_H_

#include <memory>
#include <string_view>

#include "core/config.h"
#include "core/status.h"
#include "crawler/adapter.h"

namespace earshot::crawler {

// Validates `config` (InvalidArgument "source ID: `key` …") and resumes from `cursor` (empty: first
// poll; anything but a "mastodon1 min_id=…" cursor is Corruption naming the source).
core::Result<std::unique_ptr<Adapter>> MakeMastodonAdapter(const core::SourceConfig& config, std::string_view cursor);

}  // namespace earshot::crawler

#endif  // EARSHOT_CRAWLER_SOURCES_MASTODON_H_
