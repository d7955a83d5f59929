#include "crawler/sources/hackernews.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
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

constexpr std::string_view kCursorFormat = "hackernews1";
constexpr int64_t kMaxResults = 1000;  // Algolia's paginationLimitedTo: results past it are unreachable

// An integer field, or nullopt when missing, null or not an integer.
std::optional<int64_t> IntField(simdjson::dom::object object, std::string_view key) {
  int64_t value = 0;
  if (object[key].get_int64().get(value) != simdjson::SUCCESS) return std::nullopt;
  return value;
}

// An id: Algolia sends objectID as a string and parent_id/story_id as numbers.
std::optional<std::string> IdField(simdjson::dom::object object, std::string_view key) {
  const std::string_view text = StringField(object, key);
  if (!text.empty()) return std::string(text);
  if (const std::optional<int64_t> number = IntField(object, key)) return std::to_string(*number);
  return std::nullopt;
}

bool ParseInt64(std::string_view text, int64_t& value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
}

struct Settings {
  std::string base_url;  // without trailing '/'
  std::string query;
  std::string tags = "(story,comment)";
  int hits_per_page = 100;
  std::optional<int64_t> since;  // the `since` param, Unix seconds
};

class HackerNewsAdapter final : public Adapter {
 public:
  HackerNewsAdapter(Settings settings, std::optional<int64_t> since) : settings_(std::move(settings)), since_(since) {}

  core::Result<HttpRequest> BeginCycle() override {
    // The committed cursor wins over the `since` param: the param only shapes the very first poll.
    lower_ = since_ ? since_ : settings_.since;
    upper_.reset();
    page_ = 0;
    cycle_max_.reset();
    cycle_min_.reset();
    return Request();
  }

  core::Result<Page> OnResponse(const HttpRequest& /*request*/, const HttpResponse& response) override {
    if (!response.ok()) return HttpError(response);
    core::Result<simdjson::dom::element> parsed = ParseJsonBody(parser_, response.body);
    if (!parsed) return parsed.error();
    const simdjson::dom::element document = *parsed;
    simdjson::dom::object root;
    simdjson::dom::array hits;
    if (document.get_object().get(root) != simdjson::SUCCESS ||
        root["hits"].get_array().get(hits) != simdjson::SUCCESS) {
      return core::Status::InvalidArgument("expected a search result (an object with a `hits` array)");
    }

    // Parse the whole page before touching the cycle's state, so a broken hit changes nothing.
    std::vector<core::Post> posts;  // newest first, as listed
    std::optional<int64_t> page_max;
    std::optional<int64_t> page_min;
    size_t index = 0;
    for (simdjson::dom::element item : hits) {
      const size_t position = index++;
      simdjson::dom::object hit;
      if (item.get_object().get(hit) != simdjson::SUCCESS) {
        return core::Status::InvalidArgument("hit " + std::to_string(position) + " is not an object");
      }
      std::optional<std::string> id = IdField(hit, "objectID");
      if (!id) return core::Status::InvalidArgument("hit " + std::to_string(position) + " has no objectID");
      std::optional<int64_t> created = IntField(hit, "created_at_i");
      if (!created) {
        if (const std::optional<int64_t> millis = core::ParseRfc3339Millis(StringField(hit, "created_at"))) {
          created = *millis / 1000;
        }
      }
      if (created) {
        page_max = std::max(page_max.value_or(*created), *created);
        page_min = std::min(page_min.value_or(*created), *created);
      }
      posts.push_back(ToPost(hit, std::move(*id), created));
    }

    Page page;
    for (auto post = posts.rbegin(); post != posts.rend(); ++post) {
      std::string line;
      core::AppendPostJson(line, *post);
      page.lines.push_back(std::move(line));
    }
    if (page_max) cycle_max_ = std::max(cycle_max_.value_or(*page_max), *page_max);
    if (page_min) cycle_min_ = std::min(cycle_min_.value_or(*page_min), *page_min);

    const int64_t hits_per_page = settings_.hits_per_page;
    const std::optional<int64_t> pages = IntField(root, "nbPages");
    const std::optional<int64_t> total = IntField(root, "nbHits");
    const bool more = (pages && page_ + 1 < *pages) || (total && *total > (page_ + 1) * hits_per_page);
    // The first poll without `since` takes the newest page only.
    if (!lower_ || posts.empty() || !more) {
      FinishCycle();
      return page;
    }
    if ((page_ + 2) * hits_per_page > kMaxResults) {
      // The next page would reach past result 1000: restart at page 0 below what we have seen.
      if (!cycle_min_) {  // no timestamps at all: no way to slide the window
        FinishCycle();
        return page;
      }
      int64_t upper = *cycle_min_;
      if (upper_ && upper >= *upper_) upper = *upper_ - 1;  // over 1000 results in one second
      if (upper < *lower_) {
        FinishCycle();
        return page;
      }
      upper_ = upper;
      page_ = 0;
    } else {
      ++page_;
    }
    page.next = Request();
    return page;
  }

  std::string Cursor() const override {
    if (!since_) return "";  // no poll completed yet: the next poll is still a first poll
    return FormatCursor(kCursorFormat, {{"since", std::to_string(*since_)}});
  }

  std::string Describe() const override {
    std::string text = "'" + settings_.query + "' ";
    if (!since_ && !settings_.since) return text + "first poll (newest page)";
    text += "since " + core::FormatRfc3339Millis((since_ ? *since_ : *settings_.since) * 1000);
    if (upper_) text += ", window to " + core::FormatRfc3339Millis(*upper_ * 1000);
    if (page_ > 0) text += ", page " + std::to_string(page_);
    return text;
  }

 private:
  void FinishCycle() {
    // Keep the lower bound when nothing was seen, so a `since` param is not forgotten.
    std::optional<int64_t> since = cycle_max_ ? cycle_max_ : lower_;
    if (since_ && since && *since < *since_) since = since_;
    since_ = since;
    upper_.reset();
    page_ = 0;
  }

  HttpRequest Request() const {
    HttpRequest request;
    request.url = settings_.base_url + "/api/v1/search_by_date?query=" + UrlEncode(settings_.query) +
                  "&tags=" + UrlEncode(settings_.tags) + "&hitsPerPage=" + std::to_string(settings_.hits_per_page) +
                  "&page=" + std::to_string(page_);
    if (lower_) {
      std::string filters = "created_at_i>=" + std::to_string(*lower_);
      if (upper_) filters += ",created_at_i<=" + std::to_string(*upper_);
      request.url += "&numericFilters=" + UrlEncode(filters);
    }
    return request;
  }

  static core::Post ToPost(simdjson::dom::object hit, std::string id, std::optional<int64_t> created) {
    core::Post post;
    post.source = "hackernews";
    post.url = "https://news.ycombinator.com/item?id=" + id;
    const std::string_view comment = StringField(hit, "comment_text");
    if (!comment.empty()) {
      post.text = HtmlToText(comment);
    } else {
      // Titles are plain text on HN; story_text is HTML like a comment.
      post.text = StringField(hit, "title");
      const std::string story = HtmlToText(StringField(hit, "story_text"));
      if (!story.empty()) post.text += (post.text.empty() ? "" : "\n\n") + story;
    }
    post.author = StringField(hit, "author");
    post.created_at = StringField(hit, "created_at");
    if (post.created_at.empty() && created) post.created_at = core::FormatRfc3339Millis(*created * 1000);
    post.reply_to = IdField(hit, "parent_id").value_or("");
    post.thread_id = IdField(hit, "story_id").value_or("");
    if (post.thread_id.empty() && comment.empty()) post.thread_id = id;  // a story roots its own thread
    post.id = std::move(id);
    return post;
  }

  Settings settings_;
  std::optional<int64_t> since_;  // committed: highest created_at_i of the last completed poll

  // The current poll.
  std::optional<int64_t> lower_;  // created_at_i >= lower_; none on a first poll without `since`
  std::optional<int64_t> upper_;  // created_at_i <= upper_ once a window has slid
  int64_t page_ = 0;
  std::optional<int64_t> cycle_max_;  // highest and lowest created_at_i seen this poll
  std::optional<int64_t> cycle_min_;
  simdjson::dom::parser parser_;  // kept to reuse its buffers across pages
};

}  // namespace

core::Result<std::unique_ptr<Adapter>> MakeHackerNewsAdapter(const core::SourceConfig& config,
                                                             std::string_view cursor) {
  for (const auto& [key, value] : config.params) {
    if (key != "query" && key != "tags" && key != "base_url" && key != "hits_per_page" && key != "since") {
      return BadParam(config, key, "is not a hackernews param (expected query, tags, base_url, hits_per_page, since)");
    }
  }
  if (!config.secrets.empty()) {
    return BadParam(config, config.secrets.begin()->first + "_env", "is not used: the hackernews API takes no secret");
  }

  Settings settings;
  const auto query = config.params.find("query");
  if (query == config.params.end() || query->second.empty()) return BadParam(config, "query", "is required");
  settings.query = query->second;
  if (const auto tags = config.params.find("tags"); tags != config.params.end()) {
    if (tags->second.empty()) return BadParam(config, "tags", "must not be empty (default \"(story,comment)\")");
    settings.tags = tags->second;
  }
  const auto base = config.params.find("base_url");
  settings.base_url = base != config.params.end() ? base->second : "https://hn.algolia.com";
  TrimTrailingSlashes(settings.base_url);
  if (!IsHttpUrl(settings.base_url)) {
    return BadParam(config, "base_url", "must be an http:// or https:// URL, got '" + settings.base_url + "'");
  }
  core::Result<int> hits_per_page =
      IntParam(config, "hits_per_page", settings.hits_per_page, 1, static_cast<int>(kMaxResults));
  if (!hits_per_page) return hits_per_page.error();
  settings.hits_per_page = *hits_per_page;
  if (const auto since = config.params.find("since"); since != config.params.end()) {
    const std::optional<int64_t> millis = core::ParseRfc3339Millis(since->second);
    if (!millis) return BadParam(config, "since", "must be an RFC 3339 time, got '" + since->second + "'");
    settings.since = *millis / 1000;
  }

  core::Result<std::map<std::string, std::string>> fields = ParseCursor(config.id, kCursorFormat, cursor);
  if (!fields) return fields.error();
  std::optional<int64_t> since;
  if (!cursor.empty()) {
    const auto found = fields->find("since");
    int64_t value = 0;
    if (found == fields->end() || !ParseInt64(found->second, value) || value < 0) {
      return BadCursor(config, cursor, "expected since=<unix seconds>");
    }
    since = value;
  }
  return std::unique_ptr<Adapter>(std::make_unique<HackerNewsAdapter>(std::move(settings), since));
}

}  // namespace earshot::crawler
