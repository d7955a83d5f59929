#include "crawler/sources/mastodon.h"

#include <simdjson.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/post.h"
#include "core/post_json.h"
#include "crawler/sources/adapter_support.h"
#include "crawler/sources/cursor_text.h"
#include "crawler/text/html_text.h"

namespace earshot::crawler {
namespace {

constexpr std::string_view kCursorFormat = "mastodon1";
constexpr int kMaxLimit = 40;  // the API's maximum for timelines

// Mastodon ids are decimal strings today, but the API only promises strings; ordering by length
// and then bytewise is what the docs prescribe and never overflows.
bool IdLess(std::string_view a, std::string_view b) { return a.size() != b.size() ? a.size() < b.size() : a < b; }

// An id field: a string, or an integer kept as its decimal text (older or test servers).
std::optional<std::string> IdField(simdjson::dom::object object, std::string_view key) {
  simdjson::dom::element element;
  if (object[key].get(element) != simdjson::SUCCESS) return std::nullopt;
  std::string_view text;
  int64_t signed_value = 0;
  uint64_t unsigned_value = 0;
  if (element.get_string().get(text) == simdjson::SUCCESS) {
    if (text.empty()) return std::nullopt;
    return std::string(text);
  }
  if (element.get_int64().get(signed_value) == simdjson::SUCCESS) return std::to_string(signed_value);
  if (element.get_uint64().get(unsigned_value) == simdjson::SUCCESS) return std::to_string(unsigned_value);
  return std::nullopt;
}

struct Settings {
  std::string base_url;  // without trailing '/'
  std::string host;      // for local accounts' handles
  std::string hashtag;   // without '#'
  int limit = kMaxLimit;
  std::string token;  // empty: anonymous
};

class MastodonAdapter final : public Adapter {
 public:
  MastodonAdapter(Settings settings, std::string min_id) : settings_(std::move(settings)), min_id_(std::move(min_id)) {}

  core::Result<HttpRequest> BeginCycle() override { return Request(); }

  core::Result<Page> OnResponse(const HttpRequest& /*request*/, const HttpResponse& response) override {
    if (!response.ok()) return HttpError(response);
    core::Result<simdjson::dom::element> parsed = ParseJsonBody(parser_, response.body);
    if (!parsed) return parsed.error();
    const simdjson::dom::element document = *parsed;
    simdjson::dom::array statuses;
    if (document.get_array().get(statuses) != simdjson::SUCCESS) {
      return core::Status::InvalidArgument("expected an array of statuses");
    }

    // Parse the whole page before touching the cursor, so a broken status leaves the state as it was.
    std::vector<std::pair<std::string, core::Post>> posts;
    std::string highest = min_id_;
    size_t count = 0;
    for (simdjson::dom::element item : statuses) {
      const size_t index = count++;
      simdjson::dom::object status;
      if (item.get_object().get(status) != simdjson::SUCCESS) {
        return core::Status::InvalidArgument("status " + std::to_string(index) + " is not an object");
      }
      std::optional<std::string> id = IdField(status, "id");
      if (!id) return core::Status::InvalidArgument("status " + std::to_string(index) + " has no id");
      if (highest.empty() || IdLess(highest, *id)) highest = *id;
      simdjson::dom::element reblog;
      if (status["reblog"].get(reblog) == simdjson::SUCCESS && !reblog.is_null()) continue;  // a boost
      core::Post post = ToPost(status, *id);
      posts.emplace_back(std::move(*id), std::move(post));
    }

    Page page;
    std::sort(posts.begin(), posts.end(), [](const auto& a, const auto& b) { return IdLess(a.first, b.first); });
    for (const auto& [id, post] : posts) {
      std::string line;
      core::AppendPostJson(line, post);
      page.lines.push_back(std::move(line));
    }

    const bool first_poll = min_id_.empty();
    const bool advanced = highest != min_id_;
    min_id_ = std::move(highest);
    // A full page means more may be waiting right behind it; the first poll deliberately takes
    // only the newest page. No progress means the server ignored min_id: stop rather than loop.
    if (!first_poll && advanced && count >= static_cast<size_t>(settings_.limit)) page.next = Request();
    return page;
  }

  std::string Cursor() const override {
    if (min_id_.empty()) return "";  // nothing seen yet: the next poll is still a first poll
    return FormatCursor(kCursorFormat, {{"min_id", min_id_}});
  }

  std::string Describe() const override {
    return min_id_.empty() ? "#" + settings_.hashtag + " first poll (newest page)"
                           : "#" + settings_.hashtag + " min_id " + min_id_;
  }

 private:
  HttpRequest Request() const {
    HttpRequest request;
    request.url = settings_.base_url + "/api/v1/timelines/tag/" + UrlEncode(settings_.hashtag) +
                  "?limit=" + std::to_string(settings_.limit);
    if (!min_id_.empty()) request.url += "&min_id=" + UrlEncode(min_id_);
    if (!settings_.token.empty()) request.headers.emplace_back("Authorization", "Bearer " + settings_.token);
    return request;
  }

  core::Post ToPost(simdjson::dom::object status, std::string id) const {
    core::Post post;
    post.source = "mastodon";
    post.id = std::move(id);
    const std::string_view spoiler = StringField(status, "spoiler_text");
    const std::string_view content = StringField(status, "content");
    // The content warning is what readers see first, and complaints often sit in it.
    post.text = spoiler.empty() ? HtmlToText(content) : HtmlToText(std::string(spoiler) + "\n" + std::string(content));
    simdjson::dom::object account;
    if (status["account"].get_object().get(account) == simdjson::SUCCESS) {
      const std::string_view acct = StringField(account, "acct");
      if (!acct.empty()) {
        post.author = "@" + std::string(acct);
        // Local accounts have a bare acct; the full handle keeps authors distinct across instances.
        if (acct.find('@') == std::string_view::npos) post.author += "@" + settings_.host;
      }
      post.author_id = IdField(account, "id").value_or("");
      int64_t followers = 0;
      if (account["followers_count"].get_int64().get(followers) == simdjson::SUCCESS) post.followers = followers;
    }
    post.created_at = StringField(status, "created_at");
    post.url = StringField(status, "url");
    if (post.url.empty()) post.url = StringField(status, "uri");
    post.lang = StringField(status, "language");
    post.reply_to = IdField(status, "in_reply_to_id").value_or("");
    return post;
  }

  Settings settings_;
  std::string min_id_;            // the highest id stored so far; empty before the first page
  simdjson::dom::parser parser_;  // kept to reuse its buffers across pages
};

// "https://host:port/path" → "host"; empty if the URL has no scheme.
std::string HostOf(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return "";
  std::string_view rest = url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const size_t at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);   // userinfo
  if (!rest.empty() && rest.front() == '[') return std::string(rest.substr(0, rest.find(']') + 1));  // IPv6
  return std::string(rest.substr(0, rest.find(':')));
}

}  // namespace

core::Result<std::unique_ptr<Adapter>> MakeMastodonAdapter(const core::SourceConfig& config, std::string_view cursor) {
  for (const auto& [key, value] : config.params) {
    if (key != "base_url" && key != "hashtag" && key != "limit") {
      return BadParam(config, key, "is not a mastodon param (expected base_url, hashtag, limit)");
    }
  }
  for (const auto& [key, value] : config.secrets) {
    if (key != "token") return BadParam(config, key + "_env", "is not a mastodon secret (expected token_env)");
  }

  Settings settings;
  const auto base = config.params.find("base_url");
  if (base == config.params.end() || base->second.empty()) return BadParam(config, "base_url", "is required");
  settings.base_url = base->second;
  TrimTrailingSlashes(settings.base_url);
  settings.host = HostOf(settings.base_url);
  if (!IsHttpUrl(settings.base_url) || settings.host.empty()) {
    return BadParam(config, "base_url", "must be an http:// or https:// URL, got '" + base->second + "'");
  }

  const auto tag = config.params.find("hashtag");
  if (tag == config.params.end()) return BadParam(config, "hashtag", "is required");
  settings.hashtag = tag->second;
  if (!settings.hashtag.empty() && settings.hashtag.front() == '#') settings.hashtag.erase(0, 1);
  if (settings.hashtag.empty()) return BadParam(config, "hashtag", "must name a tag");

  core::Result<int> limit = IntParam(config, "limit", kMaxLimit, 1, kMaxLimit);
  if (!limit) return limit.error();
  settings.limit = *limit;
  if (const auto token = config.secrets.find("token"); token != config.secrets.end()) settings.token = token->second;

  core::Result<std::map<std::string, std::string>> fields = ParseCursor(config.id, kCursorFormat, cursor);
  if (!fields) return fields.error();
  std::string min_id;
  if (!cursor.empty()) {
    const auto found = fields->find("min_id");
    if (found == fields->end() || found->second.empty()) {
      return BadCursor(config, cursor, "missing min_id");
    }
    min_id = found->second;
  }
  return std::unique_ptr<Adapter>(std::make_unique<MastodonAdapter>(std::move(settings), std::move(min_id)));
}

}  // namespace earshot::crawler
