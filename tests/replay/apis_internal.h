// Internal to the API handlers (apis.cc, apis_json.cc, apis_feeds.cc): the helpers they share and
// the per-API handlers HandleApi dispatches to. Not for use outside those files; apis.h is the
// interface.
//
// Thread safety: as apis.h (pure helpers; the handlers lock through DatasetStore and Sessions).
#ifndef EARSHOT_TESTS_REPLAY_APIS_INTERNAL_H_
#define EARSHOT_TESTS_REPLAY_APIS_INTERNAL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/replay/apis.h"

namespace earshot::replay::internal {

using Fields = std::vector<std::pair<std::string_view, std::string_view>>;

// {"k":"v",...} with string values.
std::string JsonObject(const Fields& fields);
// A response with `status` and `body` (JSON content type, no headers).
ApiResponse Json(int status, std::string body);

bool StartsWith(std::string_view text, std::string_view prefix);
bool EndsWith(std::string_view text, std::string_view suffix);
// `text` without leading and trailing spaces and tabs.
std::string Trim(std::string_view text);
// Splits "a,(b,c),d" at top-level commas (parts trimmed, empty parts dropped).
std::vector<std::string> SplitTopLevel(std::string_view text);

// A non-empty parameter value, or nullopt.
std::optional<std::string> NonEmpty(const ApiRequest& request, std::string_view name);
// Lenient integer parameter (Mastodon/Reddit/Algolia): absent or garbage → fallback, then clamped.
int64_t ClampedInt(const ApiRequest& request, std::string_view name, int64_t fallback, int64_t low, int64_t high);
// "http://HOST/path?query" with the request's parameters minus `drop`, plus `add`, sorted by name
// if `sort` (Mastodon's Link URLs list parameters alphabetically).
std::string AbsoluteUrl(const ApiRequest& request, const std::vector<std::string_view>& drop,
                        std::vector<std::pair<std::string, std::string>> add, bool sort);

// The handlers (apis_json.cc): HandleApi has already answered non-read methods where the API
// only reads; Bluesky checks methods itself.
ApiResponse Mastodon(const ApiContext& context, const ApiRequest& request);
ApiResponse Reddit(const ApiContext& context, const ApiRequest& request);
ApiResponse HackerNews(const ApiContext& context, const ApiRequest& request);
ApiResponse Bluesky(const ApiContext& context, const ApiRequest& request);
ApiResponse WordPress(const ApiContext& context, const ApiRequest& request);
// GET /feeds/{file name}, /feeds/comments (apis_feeds.cc).
ApiResponse Feeds(const ApiContext& context, const ApiRequest& request);

}  // namespace earshot::replay::internal

#endif  // EARSHOT_TESTS_REPLAY_APIS_INTERNAL_H_
