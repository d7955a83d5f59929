// HtmlToText, DecodeHtmlEntities and UrlEncode: what a reader (and a rule) sees in the HTML that
// Mastodon, HN, WordPress and feeds send.
#include "crawler/text/html_text.h"

#include <gtest/gtest.h>

#include <string>

namespace earshot::crawler {
namespace {

TEST(HtmlToText, TagsVanishWithoutGluingOrSplittingWords) {
  EXPECT_EQ(HtmlToText("<b>Acme</b> is <i>down</i>"), "Acme is down");
  EXPECT_EQ(HtmlToText("<b>a</b>b"), "ab") << "inline tags are not word boundaries";
  EXPECT_EQ(HtmlToText(R"(<a href="https://x/?a=1&amp;b=2" title="a > b">link</a> text)"), "link text")
      << "a '>' inside a quoted attribute does not end the tag";
  EXPECT_EQ(HtmlToText("<span class=\"h-card\"><a href=\"u\">@<span>ana</span></a></span> hi"), "@ana hi");
  EXPECT_EQ(HtmlToText("<table><tr><td>Plan</td><td>Price</td></tr></table>"), "Plan Price");
}

TEST(HtmlToText, BlockTagsBecomeLineBreaks) {
  EXPECT_EQ(HtmlToText("<p>one</p><p>two</p>"), "one\n\ntwo");
  EXPECT_EQ(HtmlToText("line<br>break<br/>again<br />end"), "line\nbreak\nagain\nend");
  EXPECT_EQ(HtmlToText("<ul><li>a</li><li>b</li></ul>"), "a\n\nb");
  EXPECT_EQ(HtmlToText("<h2>Title</h2>Body"), "Title\nBody");
  EXPECT_EQ(HtmlToText("<DIV>upper</DIV>case"), "upper\ncase");
  EXPECT_EQ(HtmlToText("<p>a</p>\n\n\n<p>b</p>"), "a\n\nb") << "at most one empty line";
}

TEST(HtmlToText, SourceLineBreaksAreSpacesExceptInPre) {
  // Hard-wrapped HTML: a rule looking for "not working" must find it.
  EXPECT_EQ(HtmlToText("<p>it is not\nworking at all</p>"), "it is not working at all");
  // WordPress writes "<br />\n": one line break, not an empty line.
  EXPECT_EQ(HtmlToText("<p>first<br />\nsecond</p>\n"), "first\nsecond");
  EXPECT_EQ(HtmlToText("<pre>x = 1\ny = 2</pre>after\nwrap"), "x = 1\ny = 2\nafter wrap");
}

TEST(HtmlToText, EntitiesDecode) {
  EXPECT_EQ(HtmlToText("fish &amp; chips &lt;3 &quot;ok&quot; &apos;s"), "fish & chips <3 \"ok\" 's");
  EXPECT_EQ(HtmlToText("caf&eacute; &euro;5 &hellip; &mdash;"), "caf\u00e9 \u20ac5 \u2026 \u2014");
  EXPECT_EQ(HtmlToText("&#8217;&#x2019;&#X1F600;&#65;"), "\u2019\u2019\U0001F600A");
  EXPECT_EQ(HtmlToText("&#0; &#xD800; &#x110000; &#9999999;"), "\uFFFD \uFFFD \uFFFD \uFFFD")
      << "numeric entities naming no character";
  EXPECT_EQ(HtmlToText("AT&T &unknown; &amp &#; &#x;"), "AT&T &unknown; &amp &#; &#x;") << "not entities stay text";
  EXPECT_EQ(HtmlToText("&lt;script&gt;alert(1)&lt;/script&gt;"), "<script>alert(1)</script>")
      << "decoded text is never parsed again";
}

TEST(HtmlToText, LessThanThatCannotStartATagStaysText) {
  EXPECT_EQ(HtmlToText("a < b and 3<4"), "a < b and 3<4");
  EXPECT_EQ(HtmlToText("i <3 acme"), "i <3 acme");
  EXPECT_EQ(HtmlToText("end <"), "end <");
}

TEST(HtmlToText, ScriptStyleAndCommentsAreDropped) {
  EXPECT_EQ(HtmlToText("a<script>var x = '<p>no</p>';</script>b"), "ab");
  EXPECT_EQ(HtmlToText("a<STYLE type=\"text/css\">p { color: red }</Style>b"), "ab");
  EXPECT_EQ(HtmlToText("a<!-- hidden <p>text</p> -->b"), "ab");
  EXPECT_EQ(HtmlToText("a<!---->b"), "ab");
  EXPECT_EQ(HtmlToText("a<!-- never closed"), "a");
  EXPECT_EQ(HtmlToText("a<script>never closed"), "a");
}

TEST(HtmlToText, SpacesCollapseAndNbspIsASpace) {
  EXPECT_EQ(HtmlToText("  lots \t of   space  "), "lots of space");
  EXPECT_EQ(HtmlToText("no&nbsp;break\u00a0here"), "no break here");
  EXPECT_EQ(HtmlToText("<p> padded </p>"), "padded");
  EXPECT_EQ(HtmlToText(""), "");
  EXPECT_EQ(HtmlToText("<p></p><br>"), "");
}

TEST(HtmlToText, InvalidUtf8BecomesReplacementCharacter) {
  EXPECT_EQ(HtmlToText("caf\xe9 ok"), "caf\uFFFD ok");
  EXPECT_EQ(HtmlToText("<b>\xff\xfe</b>"), "\uFFFD\uFFFD");
  EXPECT_EQ(HtmlToText("\xe2\x82"), "\uFFFD") << "a truncated sequence";
  EXPECT_EQ(HtmlToText("\xc3\xa9t\xc3\xa9"), "\u00e9t\u00e9") << "valid UTF-8 is untouched";
}

TEST(DecodeHtmlEntities, DecodesEntitiesButKeepsTags) {
  EXPECT_EQ(DecodeHtmlEntities("Nokogiri&#8217;s <b>Slop</b> &amp; more"), "Nokogiri\u2019s <b>Slop</b> & more");
  EXPECT_EQ(DecodeHtmlEntities("a  b\n"), "a  b\n") << "whitespace is left alone";
  EXPECT_EQ(DecodeHtmlEntities("bad \xc3 byte &#0;"), "bad \uFFFD byte \uFFFD");
}

TEST(UrlEncode, KeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(UrlEncode("AZaz09-_.~"), "AZaz09-_.~");
  EXPECT_EQ(UrlEncode("acme outage"), "acme%20outage");
  EXPECT_EQ(UrlEncode("a&b=c/d?e#f+g:h"), "a%26b%3Dc%2Fd%3Fe%23f%2Bg%3Ah");
  EXPECT_EQ(UrlEncode("\"caf\u00e9\""), "%22caf%C3%A9%22");
  EXPECT_EQ(UrlEncode(std::string("\0\xff", 2)), "%00%FF");
  EXPECT_EQ(UrlEncode(""), "");
}

}  // namespace
}  // namespace earshot::crawler
