#include "crawler/sources/bluesky.h"

#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/post.h"
#include "core/post_json.h"
#include "core/time.h"
#include "crawler/sources/adapter_support.h"
#include "crawler/sources/cursor_text.h"
#include "crawler/text/html_text.h"

namespace earshot::crawler {
namespace {

constexpr std::string_view kCursorFormat = "bluesky1";
constexpr std::string_view kSessionPath = "/xrpc/com.atproto.server.createSession";
constexpr std::string_view kSearchPath = "/xrpc/app.bsky.feed.searchPosts";

// JSON string literal for the createSession body (the only JSON we write by hand).
std::string JsonQuote(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (byte < 0x20) {
      out.append("\\u00").push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xF]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

// The XRPC error body {"error": "ExpiredToken", "message": "..."}, as far as it parses.
struct XrpcError {
  std::string error;
  std::string message;
};

XrpcError ReadXrpcError(simdjson::dom::parser& parser, const std::string& body) {
  XrpcError out;
  simdjson::dom::element root;
  if (ParseJsonRepairingUtf8(parser, body, root) != simdjson::SUCCESS) return out;
  out.error = std::string(StringField(root["error"]));
  out.message = std::string(StringField(root["message"]).substr(0, 200));
  return out;
}

struct Settings {
  std::string source_id;
  std::string base_url;  // without a trailing '/'
  std::string query;
  std::string identifier;
  std::string password;
  int limit = 100;
  int64_t overlap_ms = 60'000;
};

class BlueskyAdapter final : public Adapter {
 public:
  BlueskyAdapter(Settings settings, std::optional<int64_t> since_ms)
      : settings_(std::move(settings)), since_ms_(since_ms) {}

  core::Result<HttpRequest> BeginCycle() override {
    cycle_ = Cycle{};
    cycle_.first_poll = !since_ms_.has_value();
    cycle_.max_indexed_ms = since_ms_;
    HttpRequest search = SearchRequest(std::string_view());
    if (access_jwt_.empty()) {
      cycle_.after_session = std::move(search);
      return SessionRequest();
    }
    return Authorize(std::move(search));
  }

  core::Result<Page> OnResponse(const HttpRequest& request, const HttpResponse& response) override {
    if (cycle_.after_session.has_value()) return OnSession(response);
    return OnSearch(request, response);
  }

  std::string Cursor() const override {
    if (!since_ms_) return std::string(kCursorFormat);
    return FormatCursor(kCursorFormat, {{"since", core::FormatRfc3339Millis(*since_ms_)}});
  }

  std::string Describe() const override {
    return since_ms_ ? "since " + core::FormatRfc3339Millis(*since_ms_) : std::string("first poll");
  }

 private:
  struct Cycle {
    bool first_poll = false;
    bool logged_in_again = false;              // the one re-login a cycle allows is spent
    std::optional<HttpRequest> after_session;  // set while createSession is in flight: what to send next
    std::optional<int64_t> max_indexed_ms;     // the cursor this cycle will commit at its end
  };

  HttpRequest SessionRequest() const {
    HttpRequest request;
    request.method = "POST";
    request.url = settings_.base_url + std::string(kSessionPath);
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = "{\"identifier\":" + JsonQuote(settings_.identifier) +
                   ",\"password\":" + JsonQuote(settings_.password) + "}";
    return request;
  }

  // The search request without credentials; Authorize adds them just before it is sent, so a
  // request kept across a re-login never carries the stale token.
  HttpRequest SearchRequest(std::string_view page_cursor) const {
    HttpRequest request;
    request.url = settings_.base_url + std::string(kSearchPath) + "?q=" + UrlEncode(settings_.query) +
                  "&sort=latest&limit=" + std::to_string(settings_.limit);
    if (since_ms_) {
      const int64_t since = std::max<int64_t>(0, *since_ms_ - settings_.overlap_ms);
      request.url += "&since=" + UrlEncode(core::FormatRfc3339Millis(since));
    }
    if (!page_cursor.empty()) request.url += "&cursor=" + UrlEncode(page_cursor);
    return request;
  }

  HttpRequest Authorize(HttpRequest request) const {
    std::erase_if(request.headers, [](const auto& header) { return header.first == "Authorization"; });
    request.headers.emplace_back("Authorization", "Bearer " + access_jwt_);
    return request;
  }

  // Error text from the server may in theory echo what we sent; the password never leaves here.
  std::string Redact(std::string text) const {
    if (settings_.password.empty()) return text;
    for (size_t at = text.find(settings_.password); at != std::string::npos; at = text.find(settings_.password, at)) {
      text.replace(at, settings_.password.size(), "***");
    }
    return text;
  }

  std::string DescribeError(const HttpResponse& response) {
    const XrpcError error = ReadXrpcError(parser_, response.body);
    std::string text = "HTTP " + std::to_string(response.code);
    if (!error.error.empty()) text += " " + error.error;
    if (!error.message.empty()) text += ": " + error.message;
    return Redact(std::move(text));
  }

  core::Result<Page> OnSession(const HttpResponse& response) {
    HttpRequest next = std::move(*cycle_.after_session);
    cycle_.after_session.reset();
    if (!response.ok()) {
      std::string message = "createSession for " + settings_.identifier + " failed (" + DescribeError(response) + ")";
      // 401 means the identifier or app password is wrong: the operator must fix the config.
      if (response.code == 401 || response.code == 400) {
        return core::Status::InvalidArgument(message + "; check `identifier` and the app password in `app_password_env`");
      }
      return core::Status::Unavailable(std::move(message));
    }
    simdjson::dom::element root;
    if (const simdjson::error_code error = ParseJsonRepairingUtf8(parser_, response.body, root);
        error != simdjson::SUCCESS) {
      return core::Status::Corruption(std::string("createSession: malformed JSON (") + simdjson::error_message(error) + ")");
    }
    const std::string_view jwt = StringField(root["accessJwt"]);
    if (jwt.empty()) return core::Status::Corruption("createSession: the response has no accessJwt");
    access_jwt_ = std::string(jwt);
    Page page;
    page.next = Authorize(std::move(next));
    return page;
  }

  bool IsTokenRejected(const HttpResponse& response) {
    if (response.code == 401) return true;
    if (response.code != 400) return false;
    const XrpcError error = ReadXrpcError(parser_, response.body);
    return error.error == "ExpiredToken" || error.error == "InvalidToken";
  }

  core::Result<Page> OnSearch(const HttpRequest& request, const HttpResponse& response) {
    if (IsTokenRejected(response)) {
      access_jwt_.clear();
      if (cycle_.logged_in_again) {
        return core::Status::Unavailable("searchPosts rejected a fresh session (" + DescribeError(response) + ")");
      }
      // Access tokens live for minutes to hours; a long-running crawler outlives many of them.
      cycle_.logged_in_again = true;
      HttpRequest retry;
      retry.url = request.url;
      cycle_.after_session = std::move(retry);
      Page page;
      page.next = SessionRequest();
      return page;
    }
    if (!response.ok()) return core::Status::Unavailable("searchPosts failed (" + DescribeError(response) + ")");

    simdjson::dom::element root;
    if (const simdjson::error_code error = ParseJsonRepairingUtf8(parser_, response.body, root);
        error != simdjson::SUCCESS) {
      return core::Status::Corruption(std::string("malformed JSON (") + simdjson::error_message(error) + ")");
    }
    simdjson::dom::array posts;
    if (root["posts"].get_array().get(posts) != simdjson::SUCCESS) {
      return core::Status::Corruption("expected an object with a `posts` array");
    }
    Page page;
    size_t index = 0;
    for (simdjson::dom::element item : posts) {
      core::Result<core::Post> post = ReadPost(item, index++);
      if (!post) return post.error();
      if (const std::optional<int64_t> indexed = core::ParseRfc3339Millis(StringField(item["indexedAt"]))) {
        cycle_.max_indexed_ms = std::max(cycle_.max_indexed_ms.value_or(*indexed), *indexed);
      }
      std::string line;
      core::AppendPostJson(line, *post);
      page.lines.push_back(std::move(line));
    }
    // sort=latest returns newest first; the contract wants each page oldest first.
    std::reverse(page.lines.begin(), page.lines.end());

    const std::string_view next_cursor = StringField(root["cursor"]);
    const bool more = !cycle_.first_poll && posts.size() > 0 && !next_cursor.empty() &&
                      !request.url.ends_with("&cursor=" + UrlEncode(next_cursor));  // a repeated cursor would loop
    if (more) {
      page.next = Authorize(SearchRequest(next_cursor));
    } else {
      since_ms_ = cycle_.max_indexed_ms;  // the cycle's last page: now the cursor may move
    }
    return page;
  }

  core::Result<core::Post> ReadPost(simdjson::dom::element item, size_t index) const {
    core::Post post;
    post.source = "bluesky";
    post.id = std::string(StringField(item["uri"]));
    if (post.id.empty()) {
      return core::Status::Corruption("post " + std::to_string(index) + " of the page has no `uri`");
    }
    const simdjson::simdjson_result<simdjson::dom::element> record = item["record"];
    post.text = std::string(StringField(record["text"]));
    const std::string_view handle = StringField(item["author"]["handle"]);
    const std::string_view did = StringField(item["author"]["did"]);
    if (!handle.empty()) post.author = "@" + std::string(handle);
    post.author_id = std::string(did);
    post.created_at = std::string(StringField(record["createdAt"]));
    // at://did/app.bsky.feed.post/rkey → https://bsky.app/profile/{handle}/post/{rkey}. A handle
    // that no longer resolves reads "handle.invalid"; the DID always works in the web URL.
    const size_t slash = post.id.rfind('/');
    const std::string rkey = slash == std::string::npos ? std::string() : post.id.substr(slash + 1);
    const std::string_view profile = handle.empty() || handle == "handle.invalid" ? did : handle;
    if (!rkey.empty() && !profile.empty()) {
      post.url = "https://bsky.app/profile/" + std::string(profile) + "/post/" + rkey;
    }
    simdjson::dom::array langs;
    if (record["langs"].get_array().get(langs) == simdjson::SUCCESS && langs.size() > 0) {
      post.lang = std::string(StringField(langs.at(0)));
    }
    post.reply_to = std::string(StringField(record["reply"]["parent"]["uri"]));
    post.thread_id = std::string(StringField(record["reply"]["root"]["uri"]));
    return post;
  }

  const Settings settings_;
  std::optional<int64_t> since_ms_;  // committed: the highest indexedAt of a finished cycle
  std::string access_jwt_;           // memory only
  Cycle cycle_;
  simdjson::dom::parser parser_;
};

}  // namespace

core::Result<std::unique_ptr<Adapter>> MakeBlueskyAdapter(const core::SourceConfig& config, std::string_view cursor) {
  Settings settings;
  settings.source_id = config.id;
  settings.query = Param(config, "query");
  if (settings.query.empty()) return BadParam(config, "query", "is required (the search text)");
  settings.identifier = Param(config, "identifier");
  if (settings.identifier.empty()) {
    return BadParam(config, "identifier", "is required (the handle or DID of the account that logs in)");
  }
  settings.base_url = Param(config, "base_url");
  if (settings.base_url.empty()) settings.base_url = "https://bsky.social";
  TrimTrailingSlashes(settings.base_url);
  if (!IsHttpUrl(settings.base_url)) {
    return BadParam(config, "base_url", "must be an http:// or https:// URL");
  }
  // An empty value means the default here, and the message names no value (unlike IntParam's).
  if (const std::string limit = Param(config, "limit"); !limit.empty()) {
    const std::optional<int> value = ParseIntInRange(limit, 1, 100);
    if (!value) return BadParam(config, "limit", "must be an integer from 1 to 100");
    settings.limit = *value;
  }
  if (const std::string overlap = Param(config, "overlap"); !overlap.empty()) {
    const std::optional<std::chrono::milliseconds> duration = core::ParseDuration(overlap);
    if (!duration) return BadParam(config, "overlap", "must be a duration such as 60s or 5m");
    settings.overlap_ms = duration->count();
  }
  const auto password = config.secrets.find("app_password");
  if (password == config.secrets.end() || password->second.empty()) {
    return BadParam(config, "app_password_env",
                    "is required (the environment variable holding the account's app password)");
  }
  settings.password = password->second;

  core::Result<std::map<std::string, std::string>> fields = ParseCursor(config.id, kCursorFormat, cursor);
  if (!fields) return fields.error();
  std::optional<int64_t> since_ms;
  if (const auto since = fields->find("since"); since != fields->end()) {
    since_ms = core::ParseRfc3339Millis(since->second);
    if (!since_ms) {
      return BadCursor(config, cursor, "`since` is not an RFC 3339 time");
    }
  }
  return std::unique_ptr<Adapter>(std::make_unique<BlueskyAdapter>(std::move(settings), since_ms));
}

}  // namespace earshot::crawler
