#include "crawler/sources/rss.h"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <pugixml.hpp>
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

constexpr std::string_view kCursorFormat = "rss1";
// Comment counts remembered with follow_comments: the items of one feed, which WordPress caps
// at 10 by default; a feed with more items has its newest ones followed.
constexpr size_t kMaxCounts = 100;

constexpr std::string_view kAtomNs = "http://www.w3.org/2005/Atom";
constexpr std::string_view kRss1Ns = "http://purl.org/rss/1.0/";
constexpr std::string_view kRdfNs = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
constexpr std::string_view kDcNs = "http://purl.org/dc/elements/1.1/";
constexpr std::string_view kContentNs = "http://purl.org/rss/1.0/modules/content/";
constexpr std::string_view kWfwNs = "http://wellformedweb.org/CommentAPI/";
constexpr std::string_view kSlashNs = "http://purl.org/rss/1.0/modules/slash/";
constexpr std::string_view kThrNs = "http://purl.org/syndication/thread/1.0";

// A hash that is the same in every build (std::hash is not), for ids and cursor keys.
uint64_t Fnv1a64(std::string_view text) {
  uint64_t hash = 14695981039346656037ull;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return hash;
}

std::string Hex64(uint64_t value) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, value >>= 4) out[static_cast<size_t>(i)] = kHex[value & 0xF];
  return out;
}

bool IsXmlSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsXmlSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsXmlSpace(text.back())) text.remove_suffix(1);
  return text;
}

// Titles are one line: a title wrapped in the XML source must not keep its line breaks.
std::string CollapseSpaces(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : Trim(text)) {
    if (IsXmlSpace(c)) {
      space = true;
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

// --- Namespaces. pugixml keeps prefixes as written, and feeds choose their own ("atom:link",
// or Atom as the default namespace), so elements are matched by namespace URI + local name. ---

// The namespace URIs that feeds use without declaring them (seen in the wild), by prefix.
std::string_view ConventionalNamespace(std::string_view prefix) {
  if (prefix == "dc") return kDcNs;
  if (prefix == "content") return kContentNs;
  if (prefix == "wfw") return kWfwNs;
  if (prefix == "slash") return kSlashNs;
  if (prefix == "thr") return kThrNs;
  if (prefix == "atom") return kAtomNs;
  if (prefix == "rdf") return kRdfNs;
  return {};
}

// The URI bound to `prefix` ("" for the default namespace) in scope at `node`.
std::string_view ResolvePrefix(pugi::xml_node node, std::string_view prefix) {
  const std::string attribute = prefix.empty() ? std::string("xmlns") : "xmlns:" + std::string(prefix);
  for (pugi::xml_node scope = node; scope && scope.type() == pugi::node_element; scope = scope.parent()) {
    if (const pugi::xml_attribute declared = scope.attribute(attribute.c_str())) return declared.value();
  }
  return ConventionalNamespace(prefix);
}

std::string_view LocalName(std::string_view qualified) {
  const size_t colon = qualified.find(':');
  return colon == std::string_view::npos ? qualified : qualified.substr(colon + 1);
}

std::string_view Prefix(std::string_view qualified) {
  const size_t colon = qualified.find(':');
  return colon == std::string_view::npos ? std::string_view() : qualified.substr(0, colon);
}

std::string_view NamespaceOf(pugi::xml_node node) { return ResolvePrefix(node, Prefix(node.name())); }

bool Is(pugi::xml_node node, std::string_view ns, std::string_view local) {
  return node.type() == pugi::node_element && LocalName(node.name()) == local && NamespaceOf(node) == ns;
}

// An attribute by namespace and local name (an unprefixed attribute has no namespace).
pugi::xml_attribute AttributeNs(pugi::xml_node node, std::string_view ns, std::string_view local) {
  for (pugi::xml_attribute attribute : node.attributes()) {
    const std::string_view name = attribute.name();
    if (LocalName(name) != local) continue;
    const std::string_view prefix = Prefix(name);
    if (ns.empty() ? prefix.empty() : (!prefix.empty() && ResolvePrefix(node, prefix) == ns)) return attribute;
  }
  return {};
}

// The element's character data: every text and CDATA child (pugixml's child_value() gives only
// the first, and "text<![CDATA[more]]>" is common).
std::string Text(pugi::xml_node node) {
  std::string out;
  for (pugi::xml_node child : node.children()) {
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) out.append(child.value());
  }
  return std::string(Trim(out));
}

struct StringWriter final : pugi::xml_writer {
  std::string& out;
  explicit StringWriter(std::string& target) : out(target) {}
  void write(const void* data, size_t size) override { out.append(static_cast<const char*>(data), size); }
};

// An Atom text construct (RFC 4287 §3.1): type text (the default), html (escaped markup) or xhtml
// (markup as child elements, which must be serialised back before it can be made plain text).
std::string AtomText(pugi::xml_node node) {
  const std::string_view type = node.attribute("type").value();
  if (type == "xhtml") {
    std::string markup;
    StringWriter writer(markup);
    for (pugi::xml_node child : node.children()) child.print(writer, "", pugi::format_raw);
    return HtmlToText(markup);
  }
  if (type == "html" || type == "text/html") return HtmlToText(Text(node));
  return std::string(Text(node));
}

// RFC 3339 (Atom, dc:date) or RFC 822 (RSS pubDate, which curl_getdate reads, zones and all).
std::optional<int64_t> ParseFeedDate(std::string_view raw) {
  const std::string text(Trim(raw));
  if (text.empty()) return std::nullopt;
  if (const std::optional<int64_t> millis = core::ParseRfc3339Millis(text)) return millis;
  const time_t seconds = curl_getdate(text.c_str(), nullptr);
  if (seconds < 0) return std::nullopt;
  return static_cast<int64_t>(seconds) * 1000;
}

std::optional<int64_t> ParseCount(std::string_view raw) {
  const std::string_view text = Trim(raw);
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

// "ana@example.org (Ana Lima)" → "Ana Lima": RSS 2 <author> is an email with the name in parentheses.
std::string AuthorName(std::string_view raw) {
  const std::string_view text = Trim(raw);
  const size_t open = text.find(" (");
  if (open != std::string_view::npos && text.ends_with(')') && text.substr(0, open).find('@') != std::string_view::npos) {
    return std::string(Trim(text.substr(open + 2, text.size() - open - 3)));
  }
  return std::string(text);
}

// "https://blog/2026/01/16/post/comment-page-1/#comment-101" → "https://blog/2026/01/16/post/".
std::string WordPressPermalink(std::string_view link) {
  const size_t fragment = link.find("#comment-");
  if (fragment == std::string_view::npos) return {};
  std::string_view page = link.substr(0, fragment);
  // Paged comments: ".../comment-page-N/" is not part of the post's permalink.
  const size_t paged = page.rfind("comment-page-");
  if (paged != std::string_view::npos) {
    std::string_view tail = page.substr(paged + 13);
    if (tail.ends_with('/')) tail.remove_suffix(1);
    if (!tail.empty() && std::all_of(tail.begin(), tail.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      page = page.substr(0, paged);
    }
  }
  return std::string(page);
}

struct Item {
  std::string id;
  std::string title;
  std::string body;  // plain text
  std::string author;
  std::string link;
  std::string reply_to;
  std::optional<int64_t> date_ms;
  std::string comments_feed;  // wfw:commentRss / Atom replies link
  std::optional<int64_t> comment_count;
};

Item ReadRssItem(pugi::xml_node item) {
  Item out;
  std::string description, encoded, creator, author, pub_date, dc_date;
  for (pugi::xml_node child : item.children()) {
    if (child.type() != pugi::node_element) continue;
    const std::string_view ns = NamespaceOf(child);
    const std::string_view name = LocalName(child.name());
    if (ns.empty() || ns == kRss1Ns) {
      if (name == "guid") out.id = Text(child);
      else if (name == "title") out.title = CollapseSpaces(DecodeHtmlEntities(Text(child)));
      else if (name == "link") out.link = Text(child);
      else if (name == "description") description = Text(child);
      else if (name == "author") author = AuthorName(Text(child));
      else if (name == "pubDate") pub_date = Text(child);
    } else if (ns == kDcNs) {
      if (name == "creator") creator = Text(child);
      else if (name == "date") dc_date = Text(child);
    } else if (ns == kContentNs && name == "encoded") {
      encoded = Text(child);
    } else if (ns == kWfwNs && name == "commentRss") {
      out.comments_feed = Text(child);
    } else if (ns == kSlashNs && name == "comments") {
      out.comment_count = ParseCount(Text(child));
    } else if (ns == kThrNs && name == "in-reply-to") {
      out.reply_to = child.attribute("ref").value();
    } else if (ns == kThrNs && name == "total") {
      out.comment_count = ParseCount(Text(child));
    }
  }
  if (out.id.empty()) out.id = AttributeNs(item, kRdfNs, "about").value();  // RSS 1.0 names its items
  out.body = HtmlToText(encoded.empty() ? description : encoded);
  out.author = creator.empty() ? author : creator;
  out.date_ms = ParseFeedDate(pub_date.empty() ? dc_date : pub_date);
  return out;
}

Item ReadAtomEntry(pugi::xml_node entry, std::string_view feed_author) {
  Item out;
  std::string content, summary, published, updated, first_link;
  bool have_content = false;
  for (pugi::xml_node child : entry.children()) {
    if (child.type() != pugi::node_element) continue;
    const std::string_view ns = NamespaceOf(child);
    const std::string_view name = LocalName(child.name());
    if (ns == kAtomNs) {
      if (name == "id") {
        out.id = Text(child);
      } else if (name == "title") {
        out.title = CollapseSpaces(AtomText(child));
      } else if (name == "link") {
        const std::string_view rel = child.attribute("rel").value();
        const std::string_view href = child.attribute("href").value();
        const std::string_view type = child.attribute("type").value();
        if (first_link.empty()) first_link = href;
        if ((rel.empty() || rel == "alternate") && out.link.empty()) {
          out.link = href;
        } else if (rel == "replies" && (type == "application/atom+xml" || type == "application/rss+xml")) {
          out.comments_feed = href;
          if (const pugi::xml_attribute count = AttributeNs(child, kThrNs, "count")) {
            out.comment_count = ParseCount(count.value());
          }
        }
      } else if (name == "author" && out.author.empty()) {
        for (pugi::xml_node part : child.children()) {
          if (Is(part, kAtomNs, "name")) out.author = Text(part);
        }
      } else if (name == "published") {
        published = Text(child);
      } else if (name == "updated") {
        updated = Text(child);
      } else if (name == "content" && !child.attribute("src")) {
        content = AtomText(child);
        have_content = true;
      } else if (name == "summary") {
        summary = AtomText(child);
      }
    } else if (ns == kThrNs && name == "in-reply-to") {
      out.reply_to = child.attribute("ref").value();
    } else if (ns == kThrNs && name == "total") {
      out.comment_count = ParseCount(Text(child));
    }
  }
  if (out.link.empty()) out.link = first_link;
  if (out.author.empty()) out.author = feed_author;  // RFC 4287 §4.2.1: the feed's author covers its entries
  out.body = have_content && !content.empty() ? content : summary;
  out.date_ms = ParseFeedDate(published.empty() ? updated : published);
  return out;
}

// Every item of the document, in feed order, or the reason there are none.
core::Result<std::vector<Item>> ParseFeed(std::string_view body) {
  // pugixml guesses the encoding from the first bytes ("<?xml … encoding="), so the blank lines
  // some servers send first are skipped here, and offsets are reported against the whole body.
  size_t skipped = 0;
  while (skipped < body.size() && IsXmlSpace(body[skipped])) ++skipped;
  pugi::xml_document document;
  const pugi::xml_parse_result result =
      document.load_buffer(body.data() + skipped, body.size() - skipped, pugi::parse_default, pugi::encoding_auto);
  if (!result) {
    return core::Status::Corruption("malformed XML at byte " + std::to_string(static_cast<size_t>(result.offset) + skipped) +
                                    ": " + result.description());
  }
  const pugi::xml_node root = document.document_element();
  const std::string_view root_name = LocalName(root.name());
  std::vector<Item> items;
  if (root_name == "feed" && NamespaceOf(root) == kAtomNs) {
    std::string feed_author;
    for (pugi::xml_node author : root.children()) {
      if (!Is(author, kAtomNs, "author")) continue;
      for (pugi::xml_node part : author.children()) {
        if (Is(part, kAtomNs, "name")) feed_author = Text(part);
      }
      break;
    }
    for (pugi::xml_node entry : root.children()) {
      if (Is(entry, kAtomNs, "entry")) items.push_back(ReadAtomEntry(entry, feed_author));
    }
    return items;
  }
  if (root_name == "rss" && NamespaceOf(root).empty()) {
    for (pugi::xml_node channel : root.children()) {
      if (!Is(channel, "", "channel")) continue;
      for (pugi::xml_node item : channel.children()) {
        if (Is(item, "", "item")) items.push_back(ReadRssItem(item));
      }
    }
    return items;
  }
  if (root_name == "RDF" && NamespaceOf(root) == kRdfNs) {
    // RSS 1.0 keeps its items beside the channel, not inside it.
    for (pugi::xml_node item : root.children()) {
      if (Is(item, kRss1Ns, "item")) items.push_back(ReadRssItem(item));
    }
    return items;
  }
  return core::Status::Corruption("expected an RSS or Atom feed, got a <" + std::string(root.name()) + "> document");
}

core::Post ToPost(const Item& item) {
  core::Post post;
  post.source = "rss";
  // WordPress titles its comment items "Comment on <post> by <author>" (in English sites).
  const bool wordpress_comment = item.title.starts_with("Comment on ");
  const bool comment = wordpress_comment || !item.reply_to.empty();
  if (comment) {
    post.text = item.body.empty() ? item.title : item.body;  // "Comment on X by Y" says nothing
  } else if (item.title.empty() || item.body.empty()) {
    post.text = item.title.empty() ? item.body : item.title;
  } else {
    post.text = item.title + "\n\n" + item.body;
  }
  post.id = !item.id.empty() ? item.id : item.link;
  if (post.id.empty()) post.id = "sha:" + Hex64(Fnv1a64(item.title + "\n" + post.text));
  post.author = item.author;
  if (item.date_ms) post.created_at = core::FormatRfc3339Millis(*item.date_ms);
  post.url = item.link;
  post.reply_to = item.reply_to;
  if (wordpress_comment) post.thread_id = WordPressPermalink(item.link);
  return post;
}

// Oldest first: feeds list newest first, so reverse, then order the dated items by date among
// the places dated items hold (undated ones stay where the reversal put them).
std::vector<std::string> ToLines(const std::vector<Item>& items) {
  std::vector<const Item*> order;
  order.reserve(items.size());
  for (auto it = items.rbegin(); it != items.rend(); ++it) order.push_back(&*it);
  std::vector<size_t> dated_slots;
  std::vector<const Item*> dated;
  for (size_t i = 0; i < order.size(); ++i) {
    if (order[i]->date_ms) {
      dated_slots.push_back(i);
      dated.push_back(order[i]);
    }
  }
  std::stable_sort(dated.begin(), dated.end(), [](const Item* a, const Item* b) { return *a->date_ms < *b->date_ms; });
  for (size_t i = 0; i < dated.size(); ++i) order[dated_slots[i]] = dated[i];
  std::vector<std::string> lines;
  lines.reserve(order.size());
  for (const Item* item : order) {
    std::string line;
    core::AppendPostJson(line, ToPost(*item));
    lines.push_back(std::move(line));
  }
  return lines;
}

struct Validators {
  std::string etag;
  std::string modified;
  std::map<std::string, int64_t> counts;  // comment feed URL hash → comment count
  bool counts_known = false;               // false until a cycle has recorded counts
};

std::string FormatCounts(const std::map<std::string, int64_t>& counts) {
  std::string out;
  for (const auto& [key, count] : counts) {
    if (!out.empty()) out.push_back(',');
    out.append(key).append(":").append(std::to_string(count));
  }
  return out;
}

std::optional<std::map<std::string, int64_t>> ParseCounts(std::string_view text) {
  std::map<std::string, int64_t> counts;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view entry = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const size_t colon = entry.find(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    const std::optional<int64_t> count = ParseCount(entry.substr(colon + 1));
    if (!count) return std::nullopt;
    counts[std::string(entry.substr(0, colon))] = *count;
  }
  return counts;
}

class RssAdapter final : public Adapter {
 public:
  RssAdapter(std::string url, bool follow_comments, Validators committed)
      : url_(std::move(url)), follow_comments_(follow_comments), committed_(std::move(committed)) {}

  core::Result<HttpRequest> BeginCycle() override {
    pending_.reset();
    comment_feeds_.clear();
    HttpRequest request;
    request.url = url_;
    if (!committed_.etag.empty()) request.headers.emplace_back("If-None-Match", committed_.etag);
    if (!committed_.modified.empty()) request.headers.emplace_back("If-Modified-Since", committed_.modified);
    return request;
  }

  core::Result<Page> OnResponse(const HttpRequest& request, const HttpResponse& response) override {
    if (pending_) return OnCommentFeed(request, response);
    if (response.code == 304) return Page{};  // unchanged: the cursor stays, no body was sent
    if (!response.ok()) return core::Status::Unavailable("feed request failed (HTTP " + std::to_string(response.code) + ")");
    core::Result<std::vector<Item>> items = ParseFeed(response.body);
    if (!items) return items.error();

    Validators next;
    next.etag = std::string(response.Header("etag"));
    next.modified = std::string(response.Header("last-modified"));
    if (follow_comments_) {
      next.counts_known = true;
      for (const Item& item : *items) {
        if (next.counts.size() >= kMaxCounts) break;
        if (item.comments_feed.empty() || !item.comment_count || !IsHttpUrl(item.comments_feed)) continue;
        const std::string key = Hex64(Fnv1a64(item.comments_feed));
        if (next.counts.contains(key)) continue;
        next.counts[key] = *item.comment_count;
        // On the first poll counts are only recorded: following every item's comments then would
        // be the backlog the first poll exists to avoid.
        const auto before = committed_.counts.find(key);
        const bool changed = before == committed_.counts.end() ? *item.comment_count > 0 : before->second != *item.comment_count;
        if (committed_.counts_known && changed) comment_feeds_.push_back(item.comments_feed);
      }
    }
    Page page;
    page.lines = ToLines(*items);
    pending_ = std::move(next);
    page.next = NextCommentFeed();
    return page;
  }

  std::string Cursor() const override {
    std::vector<std::pair<std::string, std::string>> fields = {{"etag", committed_.etag},
                                                               {"modified", committed_.modified}};
    if (follow_comments_ && committed_.counts_known) fields.emplace_back("counts", FormatCounts(committed_.counts));
    return FormatCursor(kCursorFormat, fields);
  }

  std::string Describe() const override {
    if (!committed_.etag.empty()) return "etag " + committed_.etag;
    if (!committed_.modified.empty()) return "modified " + committed_.modified;
    return "no validators";
  }

 private:
  // The cycle's next comment feed, or none: then the cycle is over and its state is committed.
  std::optional<HttpRequest> NextCommentFeed() {
    if (comment_feeds_.empty()) {
      committed_ = std::move(*pending_);
      pending_.reset();
      return std::nullopt;
    }
    HttpRequest request;
    request.url = std::move(comment_feeds_.front());
    comment_feeds_.pop_front();
    return request;
  }

  core::Result<Page> OnCommentFeed(const HttpRequest& request, const HttpResponse& response) {
    Page page;
    // A post deleted since the feed was built: its comments are gone, nothing to retry.
    if (response.code != 404 && response.code != 410) {
      if (!response.ok()) {
        return core::Status::Unavailable("comment feed " + request.url + " failed (HTTP " +
                                         std::to_string(response.code) + ")");
      }
      core::Result<std::vector<Item>> items = ParseFeed(response.body);
      if (!items) return items.error().WithContext("comment feed " + request.url);
      page.lines = ToLines(*items);
    }
    page.next = NextCommentFeed();
    return page;
  }

  const std::string url_;
  const bool follow_comments_;
  Validators committed_;
  std::optional<Validators> pending_;  // this cycle's state, committed after its last page
  std::deque<std::string> comment_feeds_;
};

}  // namespace

core::Result<std::unique_ptr<Adapter>> MakeRssAdapter(const core::SourceConfig& config, std::string_view cursor) {
  const auto url = config.params.find("url");
  if (url == config.params.end() || url->second.empty()) return BadParam(config, "url", "is required (the feed's URL)");
  if (!IsHttpUrl(url->second)) return BadParam(config, "url", "must be an http:// or https:// URL");
  bool follow_comments = false;
  if (const auto follow = config.params.find("follow_comments"); follow != config.params.end()) {
    const std::string& value = follow->second;
    if (value == "true" || value == "yes" || value == "on" || value == "1") {
      follow_comments = true;
    } else if (value != "false" && value != "no" && value != "off" && value != "0") {
      return BadParam(config, "follow_comments", "must be true or false");
    }
  }

  core::Result<std::map<std::string, std::string>> fields = ParseCursor(config.id, kCursorFormat, cursor);
  if (!fields) return fields.error();
  Validators committed;
  if (const auto found = fields->find("etag"); found != fields->end()) committed.etag = found->second;
  if (const auto found = fields->find("modified"); found != fields->end()) committed.modified = found->second;
  if (const auto found = fields->find("counts"); found != fields->end()) {
    std::optional<std::map<std::string, int64_t>> counts = ParseCounts(found->second);
    if (!counts) {
      return BadCursor(config, cursor, "`counts` is not a list of hash:count");
    }
    committed.counts = std::move(*counts);
    committed.counts_known = true;
  }
  return std::unique_ptr<Adapter>(std::make_unique<RssAdapter>(url->second, follow_comments, std::move(committed)));
}

}  // namespace earshot::crawler
