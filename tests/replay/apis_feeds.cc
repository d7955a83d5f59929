// The feeds: the fixture feeds (ETag, Last-Modified, 304) and the generated WordPress comments
// feed (README.md, "Endpoints").
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/replay/apis.h"
#include "tests/replay/apis_internal.h"
#include "tests/replay/datasets.h"
#include "tests/replay/json_value.h"
#include "tests/replay/replay_util.h"

namespace earshot::replay::internal {

// ---------------------------------------------------------------------------------------------
// Feeds: GET /feeds/{file name}, GET /feeds/comments (WordPress comments RSS 2.0, last 10)

namespace {

std::string CData(std::string_view text) {
  std::string out = "<![CDATA[";
  std::string body(text);
  ReplaceAll(body, "]]>", "]]]]><![CDATA[>");
  out += body;
  out += "]]>";
  return out;
}

std::string StripTags(std::string_view html) {
  std::string out;
  bool in_tag = false;
  for (char c : html) {
    if (c == '<') {
      in_tag = true;
    } else if (c == '>') {
      in_tag = false;
    } else if (!in_tag) {
      out += c;
    }
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

struct FeedBody {
  std::string body;
  std::string content_type;
  std::string etag;
  int64_t last_modified_ms = 0;
};

FeedBody CommentsFeed(const ApiContext& context, const ApiRequest& request) {
  FeedBody feed;
  feed.content_type = "application/rss+xml; charset=UTF-8";
  context.store->Read(Dataset::kWordPress, [&](std::span<const Item> items) {
    std::vector<const Item*> newest;  // by date_gmt desc, 10 at most (WordPress's posts_per_rss)
    for (size_t i = items.size(); i > 0 && newest.size() < 10; --i) newest.push_back(&items[i - 1]);
    feed.last_modified_ms = newest.empty() ? 0 : newest.front()->t_ms;
    std::string& out = feed.body;
    out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"\n"
           "\txmlns:content=\"http://purl.org/rss/1.0/modules/content/\"\n"
           "\txmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n"
           "\txmlns:atom=\"http://www.w3.org/2005/Atom\"\n"
           "\txmlns:sy=\"http://purl.org/rss/1.0/modules/syndication/\"\n"
           "\txmlns:wfw=\"http://wellformedweb.org/CommentAPI/\"\n"
           "\txmlns:slash=\"http://purl.org/rss/1.0/modules/slash/\"\n"
           "\t>\n"
           "<channel>\n"
           "\t<title>Comments for Replay Example Blog</title>\n";
    out += "\t<atom:link href=\"http://" + XmlEscape(request.host) + "/feeds/comments\" rel=\"self\" type=\"application/rss+xml\" />\n";
    out += "\t<link>http://example.org</link>\n"
           "\t<description>Just another WordPress site</description>\n";
    out += "\t<lastBuildDate>" + FormatRfc822Date(feed.last_modified_ms) + "</lastBuildDate>\n";
    out += "\t<sy:updatePeriod>\n\thourly\t</sy:updatePeriod>\n"
           "\t<sy:updateFrequency>\n\t1\t</sy:updateFrequency>\n"
           "\t<generator>https://wordpress.org/?v=6.5</generator>\n";
    for (const Item* item : newest) {
      const JsonValue& doc = item->doc;
      const std::string author(doc.StringOr("author_name"));
      const std::string link(doc.StringOr("link"));
      const JsonValue* rendered = doc.FindPath({"content", "rendered"});
      const std::string html = rendered != nullptr ? rendered->text() : "";
      out += "\t<item>\n";
      out += "\t\t<title>" + XmlEscape("Comment on Post " + std::to_string(item->number) + " by " + author) + "</title>\n";
      out += "\t\t<link>" + XmlEscape(link) + "</link>\n";
      out += "\t\t<dc:creator>" + CData(author) + "</dc:creator>\n";
      out += "\t\t<pubDate>" + FormatRfc822Date(item->t_ms) + "</pubDate>\n";
      out += "\t\t<guid isPermaLink=\"false\">" + XmlEscape(link) + "</guid>\n";
      out += "\t\t<description>" + CData(StripTags(html)) + "</description>\n";
      out += "\t\t<content:encoded>" + CData(html) + "</content:encoded>\n";
      out += "\t</item>\n";
    }
    out += "</channel>\n</rss>\n";
    return 0;
  });
  char etag[24];
  std::snprintf(etag, sizeof etag, "\"%016llx\"", static_cast<unsigned long long>(Fnv1a64(feed.body)));
  feed.etag = etag;
  return feed;
}

bool EtagMatches(std::string_view header, std::string_view etag) {
  for (const std::string& candidate : SplitTopLevel(header)) {
    std::string_view value = candidate;
    if (value == "*") return true;
    if (StartsWith(value, "W/")) value.remove_prefix(2);  // weak comparison, as GET allows
    if (value == etag) return true;
  }
  return false;
}

}  // namespace

ApiResponse Feeds(const ApiContext& context, const ApiRequest& request) {
  const std::string_view name = std::string_view(request.path).substr(7);  // after "/feeds/"
  FeedBody feed;
  if (name == "comments" || name == "comments/") {
    feed = CommentsFeed(context, request);
  } else {
    const auto& feeds = context.store->feeds();
    const auto it = std::find_if(feeds.begin(), feeds.end(), [&](const Feed& f) { return f.name == name; });
    if (it == feeds.end()) {
      ApiResponse response;
      response.status = 404;
      response.content_type = "text/html; charset=UTF-8";
      response.body = "<html><body><h1>404 Not Found</h1></body></html>\n";
      return response;
    }
    feed = FeedBody{it->body, it->content_type, it->etag, it->last_modified_ms};
  }
  ApiResponse response;
  response.content_type = feed.content_type;
  response.headers.emplace_back("ETag", feed.etag);
  response.headers.emplace_back("Last-Modified", FormatHttpDate(feed.last_modified_ms));
  bool not_modified = false;
  if (!request.if_none_match.empty()) {  // If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)
    not_modified = EtagMatches(request.if_none_match, feed.etag);
  } else if (!request.if_modified_since.empty()) {
    const std::optional<int64_t> since = ParseHttpDate(request.if_modified_since);
    not_modified = since && *since >= feed.last_modified_ms / 1000 * 1000;
  }
  if (not_modified) {
    response.status = 304;
    return response;
  }
  response.body = std::move(feed.body);
  return response;
}

}  // namespace earshot::replay::internal
