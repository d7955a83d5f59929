#include "crawler/sources/reddit.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
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

constexpr std::string_view kCursorFormat = "reddit1";
constexpr size_t kSeenKept = 50;  // enough stop markers to survive many removals, small enough for a cursor

struct Settings {
  std::string base_url;   // without trailing '/'
  std::string subreddit;  // empty: site-wide search
  std::string query;      // empty: the subreddit's new listing
  int limit = 100;
  int max_pages = 10;
  std::string token;  // empty: anonymous
};

class RedditAdapter final : public Adapter {
 public:
  RedditAdapter(Settings settings, bool first_poll, std::vector<std::string> seen)
      : settings_(std::move(settings)), first_poll_(first_poll), seen_(std::move(seen)) {}

  core::Result<HttpRequest> BeginCycle() override {
    pages_ = 0;
    cycle_names_.clear();
    return Request("");
  }

  core::Result<Page> OnResponse(const HttpRequest& /*request*/, const HttpResponse& response) override {
    if (!response.ok()) return HttpError(response);
    core::Result<simdjson::dom::element> parsed = ParseJsonBody(parser_, response.body);
    if (!parsed) return parsed.error();
    const simdjson::dom::element document = *parsed;
    simdjson::dom::array children;
    if (document["data"]["children"].get_array().get(children) != simdjson::SUCCESS) {
      return core::Status::InvalidArgument("expected a Listing (an object with data.children, an array)");
    }
    // null when the listing ends; a string otherwise.
    std::string_view after;
    if (document["data"]["after"].get_string().get(after) != simdjson::SUCCESS) after = {};

    std::vector<core::Post> posts;  // newest first, as listed
    std::vector<std::string> names;
    bool reached_seen = false;
    size_t index = 0;
    for (simdjson::dom::element child : children) {
      const size_t position = index++;
      simdjson::dom::object data;
      if (child["data"].get_object().get(data) != simdjson::SUCCESS) {
        return core::Status::InvalidArgument("child " + std::to_string(position) + " has no data object");
      }
      std::string_view kind;
      if (child["kind"].get_string().get(kind) != simdjson::SUCCESS) kind = {};
      std::string name(StringField(data, "name"));
      if (name.empty()) {
        const std::string_view id = StringField(data, "id");
        if (!kind.empty() && !id.empty()) name = std::string(kind) + "_" + std::string(id);
      }
      if (name.empty()) return core::Status::InvalidArgument("child " + std::to_string(position) + " has no name");
      if (Contains(seen_, name)) {
        reached_seen = true;  // everything older was handled by an earlier poll
        break;
      }
      if (kind != "t3" && kind != "t1") continue;  // "more" stubs, accounts, subreddits: not posts
      // A new item arriving between two requests can shift a page boundary and repeat an item.
      if (Contains(cycle_names_, name) || Contains(names, name)) continue;
      posts.push_back(ToPost(data, kind, name));
      names.push_back(std::move(name));
    }
    // The page is whole: only now record its names, so an error above leaves the cycle state as it was.
    cycle_names_.insert(cycle_names_.end(), names.begin(), names.end());
    ++pages_;

    Page page;
    for (auto post = posts.rbegin(); post != posts.rend(); ++post) {
      std::string line;
      core::AppendPostJson(line, *post);
      page.lines.push_back(std::move(line));
    }
    const bool more = !reached_seen && !after.empty() && !first_poll_ && pages_ < settings_.max_pages && index > 0;
    if (more) {
      page.next = Request(after);
    } else {
      FinishCycle();
    }
    return page;
  }

  std::string Cursor() const override {
    if (first_poll_) return "";  // nothing completed yet: the next poll is still a first poll
    std::string joined;
    for (const std::string& name : seen_) joined.append(joined.empty() ? "" : ",").append(name);
    return FormatCursor(kCursorFormat, {{"seen", joined}});
  }

  std::string Describe() const override {
    const std::string what =
        settings_.query.empty() ? "r/" + settings_.subreddit + " new" : "search '" + settings_.query + "'";
    if (first_poll_) return what + ": first poll (newest page)";
    if (seen_.empty()) return what + ": nothing seen yet";
    return what + ": newest seen " + seen_.front() + (pages_ > 0 ? ", page " + std::to_string(pages_ + 1) : "");
  }

 private:
  static bool Contains(const std::vector<std::string>& names, std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  }

  // Installs the new seen set: this cycle's items (newest first) ahead of the old ones, which stay
  // as stop markers in case the newest are removed before the next poll.
  void FinishCycle() {
    std::vector<std::string> seen;
    for (std::string& name : cycle_names_) {
      if (seen.size() == kSeenKept) break;
      seen.push_back(std::move(name));
    }
    for (std::string& name : seen_) {
      if (seen.size() == kSeenKept) break;
      if (!Contains(seen, name)) seen.push_back(std::move(name));
    }
    seen_ = std::move(seen);
    cycle_names_.clear();
    pages_ = 0;
    first_poll_ = false;
  }

  HttpRequest Request(std::string_view after) const {
    HttpRequest request;
    std::string& url = request.url;
    url = settings_.base_url;
    if (!settings_.subreddit.empty()) url += "/r/" + settings_.subreddit;
    const std::string limit = "limit=" + std::to_string(settings_.limit) + "&raw_json=1";
    if (settings_.query.empty()) {
      url += "/new.json?" + limit;
    } else {
      url += "/search.json?q=" + UrlEncode(settings_.query) + "&sort=new&" + limit;
      if (!settings_.subreddit.empty()) url += "&restrict_sr=on";
    }
    if (!after.empty()) url += "&after=" + UrlEncode(after);
    if (!settings_.token.empty()) request.headers.emplace_back("Authorization", "bearer " + settings_.token);
    return request;
  }

  static core::Post ToPost(simdjson::dom::object data, std::string_view kind, const std::string& name) {
    core::Post post;
    post.source = "reddit";
    post.id = name;
    if (kind == "t3") {
      post.text = DecodeHtmlEntities(StringField(data, "title"));
      const std::string selftext = DecodeHtmlEntities(StringField(data, "selftext"));
      if (!selftext.empty()) post.text += "\n\n" + selftext;
      post.thread_id = name;
    } else {
      post.text = DecodeHtmlEntities(StringField(data, "body"));
      post.reply_to = StringField(data, "parent_id");
      post.thread_id = StringField(data, "link_id");
    }
    const std::string_view author = StringField(data, "author");
    if (!author.empty() && author != "[deleted]") post.author = "u/" + std::string(author);
    post.author_id = StringField(data, "author_fullname");
    double created = 0;
    if (data["created_utc"].get_double().get(created) == simdjson::SUCCESS && std::isfinite(created) && created >= 0 &&
        created < 253402300800.0) {  // year 10000: beyond it the timestamp is garbage
      post.created_at = core::FormatRfc3339Millis(std::llround(created * 1000));
    }
    const std::string_view permalink = StringField(data, "permalink");
    if (permalink.starts_with("/")) {
      post.url = "https://www.reddit.com" + std::string(permalink);
    } else {
      post.url = permalink;  // already absolute, or absent
    }
    return post;
  }

  Settings settings_;
  bool first_poll_;                       // no cycle completed yet: take page 1 only
  std::vector<std::string> seen_;         // committed stop markers, newest first
  int pages_ = 0;                         // pages processed in the current cycle
  std::vector<std::string> cycle_names_;  // fullnames emitted in the current cycle, newest first
  simdjson::dom::parser parser_;          // kept to reuse its buffers across pages
};

bool IsSubredditName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '+';
  });
}

}  // namespace

core::Result<std::unique_ptr<Adapter>> MakeRedditAdapter(const core::SourceConfig& config, std::string_view cursor) {
  for (const auto& [key, value] : config.params) {
    if (key != "subreddit" && key != "query" && key != "base_url" && key != "limit" && key != "max_pages") {
      return BadParam(config, key, "is not a reddit param (expected subreddit, query, base_url, limit, max_pages)");
    }
  }
  for (const auto& [key, value] : config.secrets) {
    if (key != "token") return BadParam(config, key + "_env", "is not a reddit secret (expected token_env)");
  }

  Settings settings;
  if (const auto token = config.secrets.find("token"); token != config.secrets.end()) settings.token = token->second;
  if (const auto sub = config.params.find("subreddit"); sub != config.params.end()) {
    std::string_view name = sub->second;
    if (name.starts_with("/")) name.remove_prefix(1);
    if (name.starts_with("r/")) name.remove_prefix(2);
    while (name.ends_with("/")) name.remove_suffix(1);
    if (!IsSubredditName(name)) {
      return BadParam(config, "subreddit",
                      "must be a subreddit name (letters, digits, '_', '+'), got '" + sub->second + "'");
    }
    settings.subreddit = name;
  }
  if (const auto query = config.params.find("query"); query != config.params.end()) {
    if (query->second.empty()) return BadParam(config, "query", "must not be empty");
    settings.query = query->second;
  }
  if (settings.subreddit.empty() && settings.query.empty()) {
    return BadParam(config, "subreddit", "or `query` is required");
  }

  const auto base = config.params.find("base_url");
  settings.base_url = base != config.params.end() ? base->second
                      : settings.token.empty()    ? "https://www.reddit.com"
                                                  : "https://oauth.reddit.com";
  TrimTrailingSlashes(settings.base_url);
  if (!IsHttpUrl(settings.base_url)) {
    return BadParam(config, "base_url", "must be an http:// or https:// URL, got '" + settings.base_url + "'");
  }

  core::Result<int> limit = IntParam(config, "limit", 100, 1, 100);
  if (!limit) return limit.error();
  settings.limit = *limit;
  core::Result<int> max_pages = IntParam(config, "max_pages", 10, 1, 1000);
  if (!max_pages) return max_pages.error();
  settings.max_pages = *max_pages;

  core::Result<std::map<std::string, std::string>> fields = ParseCursor(config.id, kCursorFormat, cursor);
  if (!fields) return fields.error();
  std::vector<std::string> seen;
  if (!cursor.empty()) {
    auto corrupt = [&](std::string_view reason) { return BadCursor(config, cursor, reason); };
    const auto found = fields->find("seen");
    if (found == fields->end()) return corrupt("missing seen");
    std::string_view rest = found->second;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      const std::string_view name = rest.substr(0, comma);
      if (name.empty()) return corrupt("empty fullname in seen");
      seen.emplace_back(name);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
      if (rest.empty()) return corrupt("empty fullname in seen");
    }
  }
  return std::unique_ptr<Adapter>(
      std::make_unique<RedditAdapter>(std::move(settings), cursor.empty(), std::move(seen)));
}

}  // namespace earshot::crawler
