// The JSON APIs: Mastodon, Reddit, HN Algolia, Bluesky, WordPress REST (README.md, "Endpoints").
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json_writer.h"
#include "core/time.h"
#include "tests/replay/apis.h"
#include "tests/replay/apis_internal.h"
#include "tests/replay/datasets.h"
#include "tests/replay/json_value.h"
#include "tests/replay/replay_util.h"

namespace earshot::replay::internal {

// ---------------------------------------------------------------------------------------------
// Mastodon: GET /api/v1/timelines/public, /api/v1/timelines/tag/:hashtag

ApiResponse Mastodon(const ApiContext& context, const ApiRequest& request) {
  const std::string_view path = request.path;
  const bool is_public = path == "/api/v1/timelines/public";
  const bool is_tag = StartsWith(path, "/api/v1/timelines/tag/") && path.size() > 22 &&
                      path.find('/', 22) == std::string_view::npos;
  if (!is_public && !is_tag) return Json(404, JsonObject({{"error", "Record not found"}}));

  const size_t limit = static_cast<size_t>(ClampedInt(request, "limit", 20, 1, 40));
  const size_t take = limit + request.extra_items;
  const std::optional<std::string> max_id = NonEmpty(request, "max_id");
  const std::optional<std::string> since_id = NonEmpty(request, "since_id");
  const std::optional<std::string> min_id = NonEmpty(request, "min_id");

  ApiResponse response;
  std::string newest_id;
  std::string oldest_id;
  response.body = context.store->Read(Dataset::kMastodon, [&](std::span<const Item> items) {
    auto above = [&](const std::string& id) {  // first index with item id > id
      return static_cast<size_t>(std::upper_bound(items.begin(), items.end(), id, [](const std::string& v, const Item& item) {
                                   return CompareIds(v, item.order_id) < 0;
                                 }) -
                                 items.begin());
    };
    auto at_or_above = [&](const std::string& id) {  // first index with item id >= id
      return static_cast<size_t>(std::lower_bound(items.begin(), items.end(), id, [](const Item& item, const std::string& v) {
                                   return CompareIds(item.order_id, v) < 0;
                                 }) -
                                 items.begin());
    };
    size_t low = 0;
    size_t high = items.size();
    if (since_id) low = std::max(low, above(*since_id));
    if (min_id) low = std::max(low, above(*min_id));
    if (max_id) high = std::min(high, at_or_above(*max_id));
    size_t begin = low;
    size_t end = low;
    if (low < high) {
      if (min_id) {  // the oldest `limit` above min_id: forward paging without a gap
        end = std::min(high, low + take);
      } else {  // the newest `limit` (since_id only cuts off: leaves a gap)
        end = high;
        begin = high - std::min(high - low, take);
      }
    }
    std::string body = "[";
    for (size_t i = end; i > begin; --i) {
      if (body.size() > 1) body += ',';
      body += items[i - 1].json;
    }
    body += ']';
    if (end > begin) {
      newest_id = items[end - 1].id;
      oldest_id = items[begin].id;
    }
    return body;
  });
  if (!newest_id.empty()) {
    const std::vector<std::string_view> drop = {"max_id", "min_id", "since_id"};
    response.headers.emplace_back(
        "Link", "<" + AbsoluteUrl(request, drop, {{"max_id", oldest_id}}, true) + ">; rel=\"next\", <" +
                    AbsoluteUrl(request, drop, {{"min_id", newest_id}}, true) + ">; rel=\"prev\"");
  }
  return response;
}

// ---------------------------------------------------------------------------------------------
// Reddit: GET /r/{sub}/new(.json), /r/{sub}/search(.json), /search(.json)

ApiResponse Reddit(const ApiContext& context, const ApiRequest& request) {
  std::string_view path = request.path;
  if (EndsWith(path, ".json")) path.remove_suffix(5);
  bool known = path == "/search";
  if (StartsWith(path, "/r/")) {
    const size_t slash = path.find('/', 3);
    if (slash != std::string_view::npos && slash > 3) {
      const std::string_view rest = path.substr(slash);
      known = rest == "/new" || rest == "/search";
    }
  }
  if (!known) return Json(404, R"({"message": "Not Found", "error": 404})");

  const size_t limit = static_cast<size_t>(ClampedInt(request, "limit", 25, 1, 100));
  const size_t take = limit + request.extra_items;
  const std::optional<std::string> after = NonEmpty(request, "after");
  const std::optional<std::string> before = NonEmpty(request, "before");

  ApiResponse response;
  response.body = context.store->Read(Dataset::kReddit, [&](std::span<const Item> items) {
    const size_t n = items.size();
    auto find = [&](const std::string& fullname) -> std::optional<size_t> {
      for (size_t i = 0; i < n; ++i) {
        if (items[i].id == fullname) return i;
      }
      return std::nullopt;
    };
    // [begin, end) in ascending (oldest → newest) order; served newest first.
    size_t begin = 0;
    size_t end = 0;
    if (after) {  // older than `after`
      if (const std::optional<size_t> at = find(*after)) {
        end = *at;
        begin = end - std::min(end, take);
      }
    } else if (before) {  // the page just newer than `before`
      if (const std::optional<size_t> at = find(*before)) {
        begin = *at + 1;
        end = std::min(n, begin + take);
      }
    } else {
      end = n;
      begin = n - std::min(n, take);
    }
    std::string body = R"({"kind": "Listing", "data": {"after": )";
    if (end > begin && begin > 0) {
      core::AppendJsonString(body, items[begin].id);
    } else {
      body += "null";
    }
    body += ", \"dist\": " + std::to_string(end - begin) + R"(, "modhash": "", "geo_filter": "", "children": [)";
    for (size_t i = end; i > begin; --i) {
      if (i != end) body += ", ";
      body += items[i - 1].json;
    }
    body += R"(], "before": )";
    if (end > begin && end < n) {
      core::AppendJsonString(body, items[end - 1].id);
    } else {
      body += "null";
    }
    body += "}}";
    return body;
  });
  return response;
}

// ---------------------------------------------------------------------------------------------
// HN Algolia: GET /api/v1/search_by_date

namespace {

// An AND of OR-groups: "story,(author_a,author_b)".
std::vector<std::vector<std::string>> ParseGroups(std::string_view text) {
  std::vector<std::vector<std::string>> groups;
  for (const std::string& term : SplitTopLevel(text)) {
    std::string_view inner = term;
    if (inner.size() >= 2 && inner.front() == '(' && inner.back() == ')') {
      inner = inner.substr(1, inner.size() - 2);
    }
    std::vector<std::string> group = SplitTopLevel(inner);
    if (!group.empty()) groups.push_back(std::move(group));
  }
  return groups;
}

struct NumericCondition {
  bool on_created_at = false;  // conditions on other attributes are accepted and ignored
  std::string op;
  double value = 0;
  bool Matches(int64_t created_at_i) const {
    if (!on_created_at) return true;
    const double v = static_cast<double>(created_at_i);
    if (op == ">") return v > value;
    if (op == ">=") return v >= value;
    if (op == "<") return v < value;
    if (op == "<=") return v <= value;
    if (op == "=") return v == value;
    return v != value;  // "!="
  }
};

std::optional<NumericCondition> ParseNumericCondition(std::string_view text) {
  static constexpr std::array<std::string_view, 6> kOps = {">=", "<=", "!=", ">", "<", "="};
  for (std::string_view op : kOps) {
    const size_t at = text.find(op);
    if (at == std::string_view::npos || at == 0) continue;
    NumericCondition condition;
    const std::string field = Trim(text.substr(0, at));
    const std::string number = Trim(text.substr(at + op.size()));
    if (field.empty() || number.empty()) return std::nullopt;
    char* end = nullptr;
    condition.value = std::strtod(number.c_str(), &end);
    if (end == nullptr || *end != '\0') return std::nullopt;
    condition.op = std::string(op);
    condition.on_created_at = field == "created_at_i";
    return condition;
  }
  return std::nullopt;
}

}  // namespace

ApiResponse HackerNews(const ApiContext& context, const ApiRequest& request) {
  if (request.path != "/api/v1/search_by_date") return Json(404, R"({"message":"Not Found","status":404})");
  const int64_t hits_per_page = ClampedInt(request, "hitsPerPage", 20, 1, 1000);
  const int64_t page = ClampedInt(request, "page", 0, 0, 1'000'000);
  const std::string query = request.Param("query") != nullptr ? *request.Param("query") : "";

  std::vector<std::vector<NumericCondition>> numeric;  // AND of ORs
  if (const std::string* filters = request.Param("numericFilters")) {
    for (const std::vector<std::string>& group : ParseGroups(*filters)) {
      std::vector<NumericCondition> any;
      for (const std::string& text : group) {
        const std::optional<NumericCondition> condition = ParseNumericCondition(text);
        if (!condition) {
          return Json(400, "{\"message\":" + [&] {
            std::string quoted;
            core::AppendJsonString(quoted, "invalid numeric filter: " + text);
            return quoted;
          }() + ",\"status\":400}");
        }
        any.push_back(*condition);
      }
      numeric.push_back(std::move(any));
    }
  }
  const std::vector<std::vector<std::string>> tag_groups =
      request.Param("tags") != nullptr ? ParseGroups(*request.Param("tags")) : std::vector<std::vector<std::string>>{};

  constexpr int64_t kPaginationLimit = 1000;  // Algolia's paginationLimitedTo
  ApiResponse response;
  response.body = context.store->Read(Dataset::kHackerNews, [&](std::span<const Item> items) {
    std::vector<const Item*> matches;  // newest first
    for (size_t i = items.size(); i > 0; --i) {
      const Item& item = items[i - 1];
      const int64_t created = item.t_ms / 1000;
      bool ok = true;
      for (const auto& any : numeric) {
        ok = ok && std::any_of(any.begin(), any.end(), [&](const NumericCondition& c) { return c.Matches(created); });
      }
      for (const auto& any : tag_groups) {
        ok = ok && std::any_of(any.begin(), any.end(), [&](const std::string& tag) {
               return std::find(item.tags.begin(), item.tags.end(), tag) != item.tags.end();
             });
      }
      if (ok) matches.push_back(&item);
    }
    const int64_t nb_hits = static_cast<int64_t>(matches.size());
    const int64_t reachable = std::min(nb_hits, kPaginationLimit);
    const int64_t nb_pages = (reachable + hits_per_page - 1) / hits_per_page;
    const int64_t start = page * hits_per_page;
    int64_t end = start;
    if (start < reachable) {
      end = std::min(start + hits_per_page, reachable);
      end = std::min(nb_hits, end + static_cast<int64_t>(request.extra_items));
    }
    std::string body = "{\"hits\":[";
    for (int64_t i = start; i < end; ++i) {
      if (i != start) body += ',';
      body += matches[static_cast<size_t>(i)]->json;
    }
    body += "],\"nbHits\":" + std::to_string(nb_hits) + ",\"page\":" + std::to_string(page) +
            ",\"nbPages\":" + std::to_string(nb_pages) + ",\"hitsPerPage\":" + std::to_string(hits_per_page) +
            ",\"exhaustiveNbHits\":true,\"exhaustiveTypo\":true,\"query\":";
    core::AppendJsonString(body, query);
    body += ",\"params\":";
    core::AppendJsonString(body, request.raw_query);
    body += ",\"processingTimeMS\":1}";
    return body;
  });
  return response;
}

// ---------------------------------------------------------------------------------------------
// Bluesky: POST com.atproto.server.createSession / refreshSession, GET app.bsky.feed.searchPosts

namespace {

ApiResponse XrpcError(int status, std::string_view error, std::string_view message) {
  return Json(status, JsonObject({{"error", error}, {"message", message}}));
}

std::string_view BearerToken(const ApiRequest& request) {
  std::string_view value = request.authorization;
  if (value.size() > 7 && (StartsWith(value, "Bearer ") || StartsWith(value, "bearer "))) return value.substr(7);
  return {};
}

ApiResponse SessionResponse(const Sessions::Tokens& tokens, const std::string& handle) {
  std::string body = "{\"did\":\"did:plc:replay\",\"handle\":";
  core::AppendJsonString(body, handle);
  body += ",\"accessJwt\":";
  core::AppendJsonString(body, tokens.access);
  body += ",\"refreshJwt\":";
  core::AppendJsonString(body, tokens.refresh);
  body += ",\"active\":true}";
  return Json(200, std::move(body));
}

}  // namespace

ApiResponse Bluesky(const ApiContext& context, const ApiRequest& request) {
  const std::string_view path = request.path;
  if (path == "/xrpc/com.atproto.server.createSession") {
    if (request.method != "POST") return XrpcError(405, "InvalidRequest", "Method Not Allowed");
    core::Result<JsonValue> input = JsonValue::Parse(request.body);
    if (!input || !input->is_object()) return XrpcError(400, "InvalidRequest", "Request body must be a JSON object");
    const JsonValue* identifier = input->Find("identifier");
    const JsonValue* password = input->Find("password");
    if (identifier == nullptr || !identifier->is_string()) {
      return XrpcError(400, "InvalidRequest", "Input must have the property \"identifier\"");
    }
    if (password == nullptr || !password->is_string()) {
      return XrpcError(400, "InvalidRequest", "Input must have the property \"password\"");
    }
    if (identifier->text().empty() || password->text() != context.app_password) {
      return XrpcError(401, "AuthenticationRequired", "Invalid identifier or password");
    }
    return SessionResponse(context.sessions->Issue(identifier->text()), identifier->text());
  }
  if (path == "/xrpc/com.atproto.server.refreshSession") {
    if (request.method != "POST") return XrpcError(405, "InvalidRequest", "Method Not Allowed");
    std::string handle;
    const std::optional<Sessions::Tokens> tokens = context.sessions->Refresh(BearerToken(request), &handle);
    if (!tokens) return XrpcError(400, "ExpiredToken", "Token has been revoked");
    return SessionResponse(*tokens, handle);
  }
  if (path != "/xrpc/app.bsky.feed.searchPosts") {
    return XrpcError(501, "MethodNotImplemented", "Method Not Implemented");
  }

  const std::string_view token = BearerToken(request);
  switch (token.empty() ? Sessions::Check::kUnknown : context.sessions->CheckAccess(token)) {
    case Sessions::Check::kValid:
      break;
    case Sessions::Check::kExpired:
      return XrpcError(400, "ExpiredToken", "Token has expired");
    case Sessions::Check::kUnknown:
      return XrpcError(401, "AuthenticationRequired", "Authentication Required");
  }
  const std::optional<std::string> q = NonEmpty(request, "q");
  if (!q) return XrpcError(400, "InvalidRequest", "Error: Params must have the property \"q\"");
  const std::string sort = request.Param("sort") != nullptr ? *request.Param("sort") : "latest";
  if (sort != "latest" && sort != "top") {
    return XrpcError(400, "InvalidRequest", "Error: Params sort must be one of (latest|top)");
  }
  int64_t limit = 25;
  if (const std::string* text = request.Param("limit")) {
    const std::optional<int64_t> parsed = ParseInt(*text);
    if (!parsed) return XrpcError(400, "InvalidRequest", "Error: Params limit must be an integer");
    if (*parsed < 1) return XrpcError(400, "InvalidRequest", "Error: Params limit can not be less than 1");
    if (*parsed > 100) return XrpcError(400, "InvalidRequest", "Error: Params limit can not be greater than 100");
    limit = *parsed;
  }
  std::optional<int64_t> since;
  std::optional<int64_t> until;
  if (const std::optional<std::string> text = NonEmpty(request, "since")) {
    since = core::ParseRfc3339Millis(*text);
    if (!since) return XrpcError(400, "InvalidRequest", "Error: Params since must be a valid datetime");
  }
  if (const std::optional<std::string> text = NonEmpty(request, "until")) {
    until = core::ParseRfc3339Millis(*text);
    if (!until) return XrpcError(400, "InvalidRequest", "Error: Params until must be a valid datetime");
  }
  int64_t offset = 0;
  if (const std::optional<std::string> cursor = NonEmpty(request, "cursor")) {
    const std::optional<int64_t> parsed = ParseInt(*cursor);
    if (!parsed || *parsed < 0) return XrpcError(400, "InvalidRequest", "Malformed cursor");
    offset = *parsed;
  }

  ApiResponse response;
  response.body = context.store->Read(Dataset::kBluesky, [&](std::span<const Item> items) {
    std::vector<const Item*> matches;  // newest first
    for (size_t i = items.size(); i > 0; --i) {
      const Item& item = items[i - 1];
      if (since && item.t_ms < *since) continue;   // since: inclusive
      if (until && item.t_ms >= *until) continue;  // until: exclusive
      matches.push_back(&item);
    }
    if (sort == "top") {
      std::stable_sort(matches.begin(), matches.end(),
                       [](const Item* a, const Item* b) { return a->number > b->number; });
    }
    const size_t total = matches.size();
    const size_t begin = std::min(total, static_cast<size_t>(offset));
    const size_t end = std::min(total, begin + static_cast<size_t>(limit) + request.extra_items);
    std::string body = "{\"posts\":[";
    for (size_t i = begin; i < end; ++i) {
      if (i != begin) body += ',';
      body += matches[i]->json;
    }
    body += ']';
    if (begin + static_cast<size_t>(limit) < total) {
      body += ",\"cursor\":\"" + std::to_string(begin + static_cast<size_t>(limit)) + "\"";
    }
    body += ",\"hitsTotal\":" + std::to_string(total) + "}";
    return body;
  });
  return response;
}

// ---------------------------------------------------------------------------------------------
// WordPress: GET /wp-json/wp/v2/comments

namespace {

ApiResponse WpInvalidParam(std::string_view param, std::string_view why) {
  std::string body = "{\"code\":\"rest_invalid_param\",\"message\":";
  core::AppendJsonString(body, "Invalid parameter(s): " + std::string(param));
  body += ",\"data\":{\"status\":400,\"params\":{";
  core::AppendJsonString(body, param);
  body += ':';
  core::AppendJsonString(body, why);
  body += "}}}";
  return Json(400, std::move(body));
}

}  // namespace

ApiResponse WordPress(const ApiContext& context, const ApiRequest& request) {
  if (request.path != "/wp-json/wp/v2/comments" && request.path != "/wp-json/wp/v2/comments/") {
    return Json(404, R"({"code":"rest_no_route","message":"No route was found matching the URL and request method.","data":{"status":404}})");
  }
  auto strict_int = [&](std::string_view name, int64_t fallback, int64_t low, int64_t high,
                        std::optional<ApiResponse>& error) -> int64_t {
    const std::string* text = request.Param(name);
    if (text == nullptr) return fallback;
    const std::optional<int64_t> value = ParseInt(*text);
    if (!value) {
      error = WpInvalidParam(name, std::string(name) + " is not of type integer.");
    } else if (*value < low || *value > high) {
      error = WpInvalidParam(name, std::string(name) + " must be between " + std::to_string(low) + " (inclusive) and " +
                                       std::to_string(high) + " (inclusive)");
    }
    return value.value_or(fallback);
  };
  std::optional<ApiResponse> error;
  const int64_t per_page = strict_int("per_page", 10, 1, 100, error);
  if (error) return *error;
  const int64_t page = strict_int("page", 1, 1, INT32_MAX, error);
  if (error) return *error;
  const int64_t offset = strict_int("offset", 0, 0, INT32_MAX, error);
  if (error) return *error;
  const bool has_offset = request.Param("offset") != nullptr && offset > 0;

  const std::string order = request.Param("order") != nullptr ? *request.Param("order") : "desc";
  if (order != "asc" && order != "desc") return WpInvalidParam("order", "order is not one of asc, desc.");
  const std::string orderby = request.Param("orderby") != nullptr ? *request.Param("orderby") : "date_gmt";
  static const std::set<std::string> kOrderby = {"date", "date_gmt", "id", "include", "post", "parent", "type"};
  if (kOrderby.count(orderby) == 0) {
    return WpInvalidParam("orderby", "orderby is not one of date, date_gmt, id, include, post, parent, type.");
  }
  std::optional<int64_t> after;
  std::optional<int64_t> before;
  for (auto [name, target] : {std::pair{"after", &after}, std::pair{"before", &before}}) {
    if (const std::string* text = request.Param(name)) {
      *target = core::ParseRfc3339Millis(*text);
      if (!*target) return WpInvalidParam(name, "Invalid date.");
    }
  }
  std::set<int64_t> posts;
  for (const auto& [key, value] : request.params) {
    if (key != "post" && key != "post[]") continue;
    for (const std::string& part : SplitTopLevel(value)) {
      const std::optional<int64_t> id = ParseInt(part);
      if (!id) return WpInvalidParam("post", "post[0] is not of type integer.");
      posts.insert(*id);
    }
  }

  ApiResponse response;
  int64_t total = 0;
  response.body = context.store->Read(Dataset::kWordPress, [&](std::span<const Item> items) {
    std::vector<const Item*> matches;  // ascending by date_gmt (then id)
    for (const Item& item : items) {
      if (after && !(item.t_ms > *after)) continue;
      if (before && !(item.t_ms < *before)) continue;
      if (!posts.empty() && posts.count(item.number) == 0) continue;
      matches.push_back(&item);
    }
    if (orderby == "id" || orderby == "include") {
      std::stable_sort(matches.begin(), matches.end(),
                       [](const Item* a, const Item* b) { return CompareIds(a->order_id, b->order_id) < 0; });
    }
    if (order == "desc") std::reverse(matches.begin(), matches.end());
    total = static_cast<int64_t>(matches.size());
    const int64_t start = has_offset ? offset : per_page * (page - 1);
    std::string body = "[";
    const int64_t end = std::min(total, start + per_page + static_cast<int64_t>(request.extra_items));
    for (int64_t i = start; i < end; ++i) {
      if (i != start) body += ',';
      body += matches[static_cast<size_t>(i)]->json;
    }
    body += ']';
    return body;
  });
  const int64_t max_pages = (total + per_page - 1) / per_page;
  if (page > max_pages && total > 0) {
    return Json(400,
                R"({"code":"rest_comment_invalid_page_number","message":"The page number requested is larger than the number of pages available.","data":{"status":400}})");
  }
  response.headers.emplace_back("X-WP-Total", std::to_string(total));
  response.headers.emplace_back("X-WP-TotalPages", std::to_string(max_pages));
  std::string link;
  if (page > 1) {
    link += "<" + AbsoluteUrl(request, {}, {{"page", std::to_string(std::min(page - 1, std::max<int64_t>(max_pages, 1)))}}, false) +
            ">; rel=\"prev\"";
  }
  if (max_pages > page) {
    if (!link.empty()) link += ", ";
    link += "<" + AbsoluteUrl(request, {}, {{"page", std::to_string(page + 1)}}, false) + ">; rel=\"next\"";
  }
  if (!link.empty()) response.headers.emplace_back("Link", link);
  return response;
}

}  // namespace earshot::replay::internal
