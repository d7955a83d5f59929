// The shared helpers, ApiRequest, API routing, Bluesky sessions and the dispatch. The handlers:
// apis_json.cc (Mastodon, Reddit, HN Algolia, Bluesky, WordPress), apis_feeds.cc (feeds).
#include "tests/replay/apis.h"

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json_writer.h"
#include "tests/replay/apis_internal.h"
#include "tests/replay/replay_util.h"

namespace earshot::replay {
namespace internal {

// {"k":"v",...} with string values.
std::string JsonObject(const Fields& fields) {
  std::string out = "{";
  for (const auto& [key, value] : fields) {
    if (out.size() > 1) out += ',';
    core::AppendJsonString(out, key);
    out += ':';
    core::AppendJsonString(out, value);
  }
  out += '}';
  return out;
}

ApiResponse Json(int status, std::string body) {
  ApiResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

bool StartsWith(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }
bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return std::string(text);
}

// Splits "a,(b,c),d" at top-level commas.
std::vector<std::string> SplitTopLevel(std::string_view text) {
  std::vector<std::string> out;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || (text[i] == ',' && depth == 0)) {
      const std::string part = Trim(text.substr(start, i - start));
      if (!part.empty()) out.push_back(part);
      start = i + 1;
    } else if (text[i] == '(') {
      ++depth;
    } else if (text[i] == ')') {
      --depth;
    }
  }
  return out;
}

// A non-empty parameter value, or nullopt.
std::optional<std::string> NonEmpty(const ApiRequest& request, std::string_view name) {
  const std::string* value = request.Param(name);
  if (value == nullptr || value->empty()) return std::nullopt;
  return *value;
}

// Lenient integer parameter (Mastodon/Reddit/Algolia): absent or garbage → fallback, then clamped.
int64_t ClampedInt(const ApiRequest& request, std::string_view name, int64_t fallback, int64_t low, int64_t high) {
  const std::string* value = request.Param(name);
  int64_t result = fallback;
  if (value != nullptr) {
    if (const std::optional<int64_t> parsed = ParseInt(*value)) result = *parsed;
  }
  return std::clamp(result, low, high);
}

// "http://HOST/path?query" with the request's parameters minus `drop`, plus `add`, sorted by name
// (Mastodon's Link URLs list parameters alphabetically).
std::string AbsoluteUrl(const ApiRequest& request, const std::vector<std::string_view>& drop,
                        std::vector<std::pair<std::string, std::string>> add, bool sort) {
  std::vector<std::pair<std::string, std::string>> params;
  for (const auto& [key, value] : request.params) {
    bool dropped = std::find(drop.begin(), drop.end(), key) != drop.end();
    for (const auto& added : add) dropped = dropped || added.first == key;
    if (!dropped) params.emplace_back(key, value);
  }
  for (auto& entry : add) params.push_back(std::move(entry));
  if (sort) std::stable_sort(params.begin(), params.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string url = "http://" + request.host + request.path;
  if (!params.empty()) {
    url.push_back('?');  // not `"?" + …`: g++ 12 -O3 warns -Wrestrict on that form
    url += BuildQuery(params);
  }
  return url;
}

}  // namespace internal

using internal::Bluesky;
using internal::Feeds;
using internal::HackerNews;
using internal::Json;
using internal::JsonObject;
using internal::Mastodon;
using internal::Reddit;
using internal::StartsWith;
using internal::WordPress;

const std::string* ApiRequest::Param(std::string_view name) const {
  for (const auto& [key, value] : params) {
    if (key == name) return &value;
  }
  return nullptr;
}

Api ApiForPath(std::string_view path) {
  if (path == "/api/v1/search_by_date") return Api::kHackerNews;
  if (StartsWith(path, "/api/v1/timelines/")) return Api::kMastodon;
  if (StartsWith(path, "/r/") || path == "/search.json" || path == "/search") return Api::kReddit;
  if (StartsWith(path, "/xrpc/")) return Api::kBluesky;
  if (StartsWith(path, "/wp-json/")) return Api::kWordPress;
  if (StartsWith(path, "/feeds/") && path.size() > 7) return Api::kFeeds;
  return Api::kNone;
}

std::string_view ApiName(Api api) {
  switch (api) {
    case Api::kMastodon: return "mastodon";
    case Api::kReddit: return "reddit";
    case Api::kHackerNews: return "hackernews";
    case Api::kBluesky: return "bluesky";
    case Api::kWordPress: return "wordpress";
    case Api::kFeeds: return "feeds";
    case Api::kNone: break;
  }
  return "none";
}

std::string Sessions::RandomToken(std::string_view prefix) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%016llx%016llx", static_cast<unsigned long long>(random_()),
                static_cast<unsigned long long>(random_()));
  return std::string(prefix) + buffer;
}

Sessions::Tokens Sessions::Issue(const std::string& handle) {
  std::lock_guard lock(mutex_);
  Tokens tokens{RandomToken("replay-access."), RandomToken("replay-refresh.")};
  access_[tokens.access] = false;
  refresh_[tokens.refresh] = handle;
  return tokens;
}

Sessions::Check Sessions::CheckAccess(std::string_view token) const {
  std::lock_guard lock(mutex_);
  const auto it = access_.find(std::string(token));
  if (it == access_.end()) return Check::kUnknown;
  return it->second ? Check::kExpired : Check::kValid;
}

std::optional<Sessions::Tokens> Sessions::Refresh(std::string_view refresh_token, std::string* handle) {
  std::lock_guard lock(mutex_);
  const auto it = refresh_.find(std::string(refresh_token));
  if (it == refresh_.end()) return std::nullopt;
  *handle = it->second;
  refresh_.erase(it);
  Tokens tokens{RandomToken("replay-access."), RandomToken("replay-refresh.")};
  access_[tokens.access] = false;
  refresh_[tokens.refresh] = *handle;
  return tokens;
}

void Sessions::ExpireAll() {
  std::lock_guard lock(mutex_);
  for (auto& [token, expired] : access_) expired = true;
}

ApiResponse HandleApi(Api api, const ApiContext& context, const ApiRequest& request) {
  const bool read = request.method == "GET" || request.method == "HEAD";
  switch (api) {
    case Api::kMastodon:
      return read ? Mastodon(context, request) : Json(404, JsonObject({{"error", "Record not found"}}));
    case Api::kReddit:
      return read ? Reddit(context, request) : Json(404, R"({"message": "Not Found", "error": 404})");
    case Api::kHackerNews:
      return read ? HackerNews(context, request) : Json(404, R"({"message":"Not Found","status":404})");
    case Api::kBluesky:
      return Bluesky(context, request);
    case Api::kWordPress:
      return read ? WordPress(context, request)
                  : Json(404, R"({"code":"rest_no_route","message":"No route was found matching the URL and request method.","data":{"status":404}})");
    case Api::kFeeds:
      if (read) return Feeds(context, request);
      break;
    case Api::kNone:
      break;
  }
  return Json(404, R"({"error":"not found"})");
}

}  // namespace earshot::replay
