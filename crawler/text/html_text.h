// HtmlToText: the plain text a reader sees in an HTML fragment (a Mastodon status, an HN comment, a
// WordPress comment, an RSS description), for matching. Rule authors write patterns against words,
// so markup must not split or glue them: tags vanish, block boundaries (<p>, <br>, <li>, <div>,
// headings, …) become line breaks, line breaks in the source are spaces (except inside <pre>),
// table cells are separated by a space, entities are decoded (named ones HTML authors actually use,
// and every numeric one), <script>/<style> bodies and comments are dropped, runs of spaces collapse,
// and the result is trimmed. A '<' that cannot start a tag ("a < b") stays text. Invalid UTF-8 in
// the input, or a numeric entity naming no character, becomes U+FFFD.
//
// Not a sanitiser: the output is never rendered as HTML, only matched and shown as text.
#ifndef EARSHOT_CRAWLER_TEXT_HTML_TEXT_H_
#define EARSHOT_CRAWLER_TEXT_HTML_TEXT_H_

#include <string>
#include <string_view>

namespace earshot::crawler {

std::string HtmlToText(std::string_view html);

// Decodes entities only (for fields that are plain text with entities, such as RSS titles).
std::string DecodeHtmlEntities(std::string_view text);

// Percent-encodes `value` for a URL query component (RFC 3986 unreserved characters stay).
std::string UrlEncode(std::string_view value);

}  // namespace earshot::crawler

#endif  // EARSHOT_CRAWLER_TEXT_HTML_TEXT_H_
