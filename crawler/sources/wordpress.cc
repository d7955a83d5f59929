#include "crawler/sources/wordpress.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <map>
#include <limits>
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

constexpr std::string_view kCursorFormat = "wordpress1";

// WordPress ids are integers; older plugins have been seen to send them as strings.
std::optional<uint64_t> IdField(simdjson::simdjson_result<simdjson::dom::element> value) {
  uint64_t number = 0;
  if (value.get_uint64().get(number) == simdjson::SUCCESS) return number;
  const std::string_view text = StringField(value);
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return number;
}

// "https://User@Example.org:8443/blog" → "example.org": comment ids are only unique per site.
std::string HostOf(std::string_view url) {
  const size_t scheme = url.find("://");
  std::string_view rest = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const size_t at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  if (!rest.empty() && rest.front() == '[') {
    rest = rest.substr(0, rest.find(']') + 1);  // IPv6 literal: its colons are not a port
  } else {
    rest = rest.substr(0, rest.find(':'));
  }
  std::string host(rest);
  std::transform(host.begin(), host.end(), host.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
  return host;
}

// True if an ISO 8601 date-time already ends in a zone ("Z", "+02:00", "-0500").
bool HasZone(std::string_view date) {
  if (date.ends_with('Z') || date.ends_with('z')) return true;
  const size_t time = date.find_first_of("Tt ");
  return time != std::string_view::npos && date.find_first_of("+-", time) != std::string_view::npos;
}

struct Settings {
  std::string base_url;  // without a trailing '/'
  std::string host;
  int per_page = 100;
  std::string post;  // digits, or empty
  int64_t overlap_ms = 60'000;
};

class WordPressAdapter final : public Adapter {
 public:
  WordPressAdapter(Settings settings, std::string after) : settings_(std::move(settings)), after_(std::move(after)) {}

  core::Result<HttpRequest> BeginCycle() override {
    cycle_ = Cycle{};
    cycle_.first_poll = after_.empty();
    if (!cycle_.first_poll) {
      // The cursor is a valid date (checked when it was parsed or produced).
      const int64_t after_ms = std::max<int64_t>(0, core::ParseRfc3339Millis(after_).value_or(0) - settings_.overlap_ms);
      std::string text = core::FormatRfc3339Millis(after_ms);  // "…:SS.mmmZ"; WordPress dates are whole seconds
      text.erase(text.size() - 5, 4);
      cycle_.after_param = std::move(text);
    }
    return PageRequest(1);
  }

  core::Result<Page> OnResponse(const HttpRequest& /*request*/, const HttpResponse& response) override {
    simdjson::dom::element root;
    const simdjson::error_code error = ParseJsonRepairingUtf8(parser_, response.body, root);
    if (!response.ok()) {
      const std::string_view code = error == simdjson::SUCCESS ? StringField(root["code"]) : std::string_view();
      // Comments deleted between two pages shrink the page count under our feet: nothing is lost.
      if (response.code == 400 && code.ends_with("_invalid_page_number")) return Page{};
      std::string text = "HTTP " + std::to_string(response.code);
      if (!code.empty()) text += " " + std::string(code);
      if (const std::string_view message = error == simdjson::SUCCESS ? StringField(root["message"]) : std::string_view();
          !message.empty()) {
        text += ": " + std::string(message.substr(0, 200));
      }
      return core::Status::Unavailable("comments request failed (" + text + ")");
    }
    if (error != simdjson::SUCCESS) {
      return core::Status::Corruption(std::string("malformed JSON (") + simdjson::error_message(error) + ")");
    }
    simdjson::dom::array comments;
    if (root.get_array().get(comments) != simdjson::SUCCESS) {
      return core::Status::Corruption("expected an array of comments");
    }

    std::vector<std::pair<int64_t, std::string>> dated_lines;  // (date_gmt ms or 0, line)
    // A sentinel rather than std::optional: g++ 12 -O2 warns (falsely) of an uninitialized optional.
    int64_t best_ms = std::numeric_limits<int64_t>::min();
    if (const std::optional<int64_t> after_ms = core::ParseRfc3339Millis(after_)) best_ms = *after_ms;
    std::string best = after_;
    size_t index = 0;
    for (simdjson::dom::element comment : comments) {
      core::Result<core::Post> post = ReadComment(comment, index++);
      if (!post) return post.error();
      const std::string_view date_gmt = StringField(comment["date_gmt"]);
      const std::optional<int64_t> ms = core::ParseRfc3339Millis(date_gmt);
      if (ms && *ms > best_ms) {
        best_ms = *ms;
        best = std::string(date_gmt);
      }
      std::string line;
      core::AppendPostJson(line, *post);
      dated_lines.emplace_back(ms.value_or(0), std::move(line));
    }
    // Oldest first whatever the order asked for (the first poll reads newest first); sorting
    // rather than reversing also copes with a plugin that ignores `order`.
    std::stable_sort(dated_lines.begin(), dated_lines.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    Page page;
    for (auto& [ms, line] : dated_lines) page.lines.push_back(std::move(line));
    // Each ascending page is newer than the ones before it, so committing it can skip nothing.
    after_ = std::move(best);

    const std::optional<int> total_pages = TotalPages(response);
    const bool full = comments.size() >= static_cast<size_t>(settings_.per_page);
    if (!cycle_.first_poll && full && (!total_pages || cycle_.page < *total_pages)) {
      page.next = PageRequest(cycle_.page + 1);
    }
    return page;
  }

  std::string Cursor() const override {
    if (after_.empty()) return std::string(kCursorFormat);
    return FormatCursor(kCursorFormat, {{"after", after_}});
  }

  std::string Describe() const override { return after_.empty() ? std::string("first poll") : "after " + after_; }

 private:
  struct Cycle {
    bool first_poll = false;
    std::string after_param;  // fixed for the whole cycle, so page numbers stay meaningful
    int page = 1;
  };

  HttpRequest PageRequest(int page) {
    cycle_.page = page;
    HttpRequest request;
    request.url = settings_.base_url + "/wp-json/wp/v2/comments?";
    if (cycle_.first_poll) {
      request.url += "order=desc";
    } else {
      request.url += "after=" + UrlEncode(cycle_.after_param) + "&order=asc&orderby=date";
    }
    request.url += "&per_page=" + std::to_string(settings_.per_page) + "&page=" + std::to_string(page);
    if (!settings_.post.empty()) request.url += "&post=" + settings_.post;
    return request;
  }

  static std::optional<int> TotalPages(const HttpResponse& response) {
    const std::string_view text = response.Header("x-wp-totalpages");
    int value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
  }

  core::Result<core::Post> ReadComment(simdjson::dom::element comment, size_t index) const {
    const std::string& host = settings_.host;
    const std::optional<uint64_t> id = IdField(comment["id"]);
    if (!id) return core::Status::Corruption("comment " + std::to_string(index) + " of the page has no numeric `id`");
    core::Post post;
    post.source = "wordpress";
    post.id = host + ":" + std::to_string(*id);
    post.text = HtmlToText(StringField(comment["content"]["rendered"]));
    post.author = std::string(StringField(comment["author_name"]));
    // User ids are per site too: user 1 is the admin of every WordPress site.
    if (const std::optional<uint64_t> author = IdField(comment["author"]); author && *author != 0) {
      post.author_id = host + ":user-" + std::to_string(*author);
    }
    if (const std::string_view date = StringField(comment["date_gmt"]); !date.empty()) {
      post.created_at = std::string(date) + (HasZone(date) ? "" : "Z");  // date_gmt is UTC without saying so
    }
    post.url = std::string(StringField(comment["link"]));
    if (const std::optional<uint64_t> parent = IdField(comment["parent"]); parent && *parent != 0) {
      post.reply_to = host + ":" + std::to_string(*parent);
    }
    if (const std::optional<uint64_t> on = IdField(comment["post"]); on && *on != 0) {
      post.thread_id = host + ":post-" + std::to_string(*on);
    }
    return post;
  }

  const Settings settings_;
  std::string after_;  // committed: the highest date_gmt seen, as given; empty before the first post
  Cycle cycle_;
  simdjson::dom::parser parser_;
};

bool AllDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

core::Result<std::unique_ptr<Adapter>> MakeWordPressAdapter(const core::SourceConfig& config, std::string_view cursor) {
  Settings settings;
  settings.base_url = Param(config, "base_url");
  if (settings.base_url.empty()) return BadParam(config, "base_url", "is required (the site's root URL)");
  TrimTrailingSlashes(settings.base_url);
  settings.host = HostOf(settings.base_url);
  if (!IsHttpUrl(settings.base_url) || settings.host.empty()) {
    return BadParam(config, "base_url", "must be an http:// or https:// URL");
  }
  // An empty value means the default here, and the message names no value (unlike IntParam's).
  if (const std::string per_page = Param(config, "per_page"); !per_page.empty()) {
    const std::optional<int> value = ParseIntInRange(per_page, 1, 100);
    if (!value) return BadParam(config, "per_page", "must be an integer from 1 to 100");
    settings.per_page = *value;
  }
  settings.post = Param(config, "post");
  if (!settings.post.empty() && !AllDigits(settings.post)) return BadParam(config, "post", "must be a post id");
  if (const std::string overlap = Param(config, "overlap"); !overlap.empty()) {
    const std::optional<std::chrono::milliseconds> duration = core::ParseDuration(overlap);
    if (!duration) return BadParam(config, "overlap", "must be a duration such as 60s or 5m");
    settings.overlap_ms = duration->count();
  }

  core::Result<std::map<std::string, std::string>> fields = ParseCursor(config.id, kCursorFormat, cursor);
  if (!fields) return fields.error();
  std::string after;
  if (const auto found = fields->find("after"); found != fields->end()) {
    if (!core::ParseRfc3339Millis(found->second)) {
      return BadCursor(config, cursor, "`after` is not an ISO 8601 time");
    }
    after = found->second;
  }
  return std::unique_ptr<Adapter>(std::make_unique<WordPressAdapter>(std::move(settings), std::move(after)));
}

}  // namespace earshot::crawler
