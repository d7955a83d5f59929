// The rss adapter on recorded feeds and hand-written snippets: RSS 2.0 (WordPress, with wfw/slash
// and a blank line before <?xml), RSS 1.0, Atom with RFC 4685 threading, conditional GET
// (ETag / Last-Modified stored and sent back, 304 → nothing), malformed XML, oldest-first order,
// fallback ids, and follow_comments.
#include "crawler/sources/rss.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/post.h"
#include "core/post_json.h"
#include "tests/crawler/adapter_test_support.h"

namespace earshot::crawler {
namespace {

using test_support::HeaderOf;
using test_support::Posts;

using ::testing::AnyOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;

core::SourceConfig Config(std::string url = "https://blog.example/comments/feed/") {
  core::SourceConfig config;
  config.id = "feed";
  config.kind = "rss";
  config.params["url"] = std::move(url);
  return config;
}

std::unique_ptr<Adapter> Make(const core::SourceConfig& config, std::string_view cursor = "") {
  return test_support::MustMake(MakeRssAdapter, config, cursor);
}

HttpResponse Response(long code, std::string body, std::vector<std::pair<std::string, std::string>> headers = {}) {
  return test_support::MakeResponse(code, std::move(body), std::move(headers));
}

// One cycle on a fresh adapter: the feed's posts, or the error.
core::Result<Page> Fetch(std::string body, const core::SourceConfig& config = Config()) {
  std::unique_ptr<Adapter> adapter = Make(config);
  core::Result<HttpRequest> request = adapter->BeginCycle();
  EXPECT_TRUE(request.has_value());
  return adapter->OnResponse(*request, Response(200, std::move(body)));
}

std::vector<core::Post> FetchPosts(std::string body) {
  core::Result<Page> page = Fetch(std::move(body));
  EXPECT_TRUE(page.has_value()) << page.error().ToString();
  return page ? Posts(*page) : std::vector<core::Post>{};
}

std::string ReadFixture(std::string_view name) { return test_support::ReadFixture("feeds/" + std::string(name)); }

bool HasMarkup(std::string_view text) {
  return text.find('<') != std::string_view::npos || text.find("&amp;") != std::string_view::npos ||
         text.find("&#") != std::string_view::npos;
}

// A WordPress comment feed (/comments/feed/), newest first, after a blank line as some servers send.
constexpr std::string_view kWordPressComments = R"(
<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
	<title>Comments for Acme Blog</title>
	<atom:link href="https://blog.example/comments/feed/" rel="self" type="application/rss+xml" />
	<link>https://blog.example</link>
	<item>
		<title>Comment on Outage update by Ana &#038; Bo</title>
		<link>https://blog.example/2026/01/16/outage-update/comment-page-1/#comment-102</link>
		<dc:creator><![CDATA[Ana &amp; Bo]]></dc:creator>
		<pubDate>Tue, 20 Jan 2026 13:45:12 +0000</pubDate>
		<guid isPermaLink="false">https://blog.example/?p=560#comment-102</guid>
		<description><![CDATA[Still down &#8211; no refund]]></description>
		<content:encoded><![CDATA[<p>Still down &#8211; <em>no</em> refund&hellip;</p>
<p>Day three.</p>
]]></content:encoded>
	</item>
	<item>
		<title>Comment on Outage update by Cy</title>
		<link>https://blog.example/2026/01/16/outage-update/#comment-101</link>
		<dc:creator>Cy</dc:creator>
		<pubDate>Tue, 20 Jan 2026 14:39:34 +0100</pubDate>
		<guid isPermaLink="false">https://blog.example/?p=560#comment-101</guid>
		<description>Same here</description>
	</item>
</channel>
</rss>
)";

TEST(RssAdapter, WordPressCommentFeedGivesCommentBodiesAndThreads) {
  const std::vector<core::Post> posts = FetchPosts(std::string(kWordPressComments));
  ASSERT_THAT(posts, SizeIs(2));
  const core::Post& older = posts[0];  // 14:39:34 +0100 is 13:39:34Z
  EXPECT_EQ(older.id, "https://blog.example/?p=560#comment-101");
  EXPECT_EQ(older.text, "Same here");
  EXPECT_EQ(older.created_at, "2026-01-20T13:39:34.000Z");
  EXPECT_EQ(older.thread_id, "https://blog.example/2026/01/16/outage-update/");
  const core::Post& newer = posts[1];
  EXPECT_EQ(newer.source, "rss");
  EXPECT_EQ(newer.id, "https://blog.example/?p=560#comment-102");
  EXPECT_EQ(newer.text, "Still down \u2013 no refund\u2026\n\nDay three.") << "body only: the title says nothing";
  EXPECT_EQ(newer.author, "Ana &amp; Bo") << "dc:creator is text, kept as written";
  EXPECT_EQ(newer.created_at, "2026-01-20T13:45:12.000Z");
  EXPECT_EQ(newer.url, "https://blog.example/2026/01/16/outage-update/comment-page-1/#comment-102");
  EXPECT_EQ(newer.thread_id, "https://blog.example/2026/01/16/outage-update/") << "without comment-page-1/";
  EXPECT_EQ(newer.reply_to, "");
  EXPECT_FALSE(newer.followers.has_value());
}

constexpr std::string_view kAtomComments = R"(<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:t="http://purl.org/syndication/thread/1.0">
  <title>Acme comments</title>
  <author><name>Acme Blog</name></author>
  <id>tag:blog.example,2026:comments</id>
  <entry>
    <id>tag:blog.example,2026:comment-7</id>
    <title type="html">Re: &lt;b&gt;Outage&lt;/b&gt;</title>
    <link rel="alternate" type="text/html" href="https://blog.example/outage#c7"/>
    <t:in-reply-to ref="tag:blog.example,2026:post-1" href="https://blog.example/outage"/>
    <author><name>Dee</name></author>
    <published>2026-01-20T15:00:00+01:00</published>
    <updated>2026-01-21T09:00:00Z</updated>
    <content type="html">&lt;p&gt;Me too &amp;amp; my &lt;a href="x"&gt;neighbours&lt;/a&gt;&lt;/p&gt;</content>
  </entry>
  <entry>
    <id>tag:blog.example,2026:post-1</id>
    <title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">Outage <i>update</i></div></title>
    <link rel="replies" type="text/html" href="https://blog.example/outage#comments" t:count="1"/>
    <link href="https://blog.example/outage"/>
    <updated>2026-01-20T12:00:00Z</updated>
    <summary>Service is back &lt;soon&gt;</summary>
  </entry>
</feed>)";

TEST(RssAdapter, AtomThreadingAndTextConstructs) {
  const std::vector<core::Post> posts = FetchPosts(std::string(kAtomComments));
  ASSERT_THAT(posts, SizeIs(2));
  const core::Post& post = posts[0];
  EXPECT_EQ(post.id, "tag:blog.example,2026:post-1");
  EXPECT_EQ(post.text, "Outage update\n\nService is back <soon>") << "a text summary is not HTML";
  EXPECT_EQ(post.author, "Acme Blog") << "the feed's author covers entries without one";
  EXPECT_EQ(post.url, "https://blog.example/outage");
  EXPECT_EQ(post.created_at, "2026-01-20T12:00:00.000Z");
  EXPECT_EQ(post.reply_to, "");
  const core::Post& reply = posts[1];
  EXPECT_EQ(reply.id, "tag:blog.example,2026:comment-7");
  EXPECT_EQ(reply.text, "Me too & my neighbours") << "a reply carries its body only";
  EXPECT_EQ(reply.author, "Dee");
  EXPECT_EQ(reply.url, "https://blog.example/outage#c7");
  EXPECT_EQ(reply.created_at, "2026-01-20T14:00:00.000Z") << "published wins over updated";
  EXPECT_EQ(reply.reply_to, "tag:blog.example,2026:post-1");
  EXPECT_EQ(reply.thread_id, "");
}

TEST(RssAdapter, Rss1RdfItemsParse) {
  const std::vector<core::Post> posts = FetchPosts(R"(<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://x.example/"><title>X</title><link>https://x.example/</link></channel>
  <item rdf:about="https://x.example/2">
    <title>Two</title><link>https://x.example/2</link>
    <description>Second &amp;amp; last</description>
    <dc:date>2026-01-20T11:00:00Z</dc:date><dc:creator>Ana</dc:creator>
  </item>
  <item rdf:about="https://x.example/1">
    <title>One</title><link>https://x.example/1</link><dc:date>2026-01-20T10:00:00Z</dc:date>
  </item>
</rdf:RDF>)");
  ASSERT_THAT(posts, SizeIs(2));
  EXPECT_EQ(posts[0].id, "https://x.example/1");
  EXPECT_EQ(posts[0].text, "One");
  EXPECT_EQ(posts[1].text, "Two\n\nSecond & last");
  EXPECT_EQ(posts[1].author, "Ana");
  EXPECT_EQ(posts[1].created_at, "2026-01-20T11:00:00.000Z");
}

TEST(RssAdapter, RecordedWordPressFeedWithBlankLineBeforeTheDeclaration) {
  const std::string body = ReadFixture("feedjira_TenderLovemaking.xml");
  ASSERT_FALSE(body.empty());
  ASSERT_EQ(body.front(), '\n') << "the fixture is meant to start with a blank line";
  const std::vector<core::Post> posts = FetchPosts(body);
  ASSERT_THAT(posts, SizeIs(10));
  for (size_t i = 0; i < posts.size(); ++i) {
    // The blog quotes HTML in its code samples ("&lt;html&gt;" shows as "<html>"), so look for the
    // markup of the page itself: links, spans, the onclick handlers, and undecoded entities.
    for (std::string_view markup : {"<a href", "<span", "urchinTracker", "<strong>", "&#", "&amp;", "&lt;"}) {
      EXPECT_EQ(posts[i].text.find(markup), std::string::npos) << markup << " in " << posts[i].id;
    }
    EXPECT_EQ(posts[i].author, "Aaron Patterson");
    EXPECT_THAT(posts[i].id, StartsWith("http://tenderlovemaking.com/?p="));
    if (i > 0) {
      EXPECT_LE(posts[i - 1].created_at, posts[i].created_at);
    }
  }
  const core::Post& newest = posts.back();
  EXPECT_EQ(newest.id, "http://tenderlovemaking.com/?p=198");
  EXPECT_EQ(newest.url, "http://tenderlovemaking.com/2008/12/04/nokogiris-slop-feature/");
  EXPECT_EQ(newest.created_at, "2008-12-04T17:17:49.000Z");
  EXPECT_THAT(newest.text, StartsWith("Nokogiri\u2019s Slop Feature\n\nOops! When I released nokogiri version 1.0.7"));
  EXPECT_THAT(newest.text, HasSubstr("doc = Nokogiri::Slop(<<-eohtml)\n<html>")) << "quoted code is text";
  EXPECT_EQ(newest.thread_id, "") << "a post, not a comment";
}

TEST(RssAdapter, RecordedAtomFeedsParse) {
  for (const auto& [file, items] : {std::pair{"feedjira_pet_atom.xml", 10u}, std::pair{"rss-parser_heise.atom", 15u}}) {
    const std::vector<core::Post> posts = FetchPosts(ReadFixture(file));
    EXPECT_THAT(posts, SizeIs(items)) << file;
    for (const core::Post& post : posts) {
      EXPECT_THAT(post.id, AnyOf(StartsWith("tag:typepad.com,2003:post-"), StartsWith("http://heise.de/-"))) << file;
      EXPECT_FALSE(post.created_at.empty()) << file << " " << post.id;
      EXPECT_FALSE(post.author.empty()) << file << " " << post.id;
      EXPECT_FALSE(HasMarkup(post.text)) << file << ": " << post.text.substr(0, 300);
      EXPECT_EQ(post.reply_to, "") << "posts, not replies";
    }
  }
  // TypePad: an xhtml title with markup, an xhtml summary, thr:count on a text/html replies link.
  const std::vector<core::Post> pets = FetchPosts(ReadFixture("feedjira_pet_atom.xml"));
  ASSERT_FALSE(pets.empty());
  EXPECT_THAT(pets.back().text, StartsWith("Sentry Calming Collar for dogs\n\n"));
  EXPECT_THAT(pets.back().text, HasSubstr("The claim: Sentry claims")) << "content wins over summary";
  EXPECT_THAT(pets.back().text, Not(HasSubstr("This is XHTML content")));
  EXPECT_THAT(pets.back().text, HasSubstr("about the Sentry Calming Collar and one lucky reader"))
      << "hard-wrapped source lines are one paragraph";
  EXPECT_EQ(pets.back().author, "dogtime");
  EXPECT_EQ(pets.back().url, "http://www.petsecretshopper.com/2012/12/sentry-calming-collar.html");
  EXPECT_EQ(pets.back().created_at, "2012-12-27T18:32:37.000Z") << "published, in UTC";
  // heise: only the feed names an author; German text survives as UTF-8.
  const std::vector<core::Post> heise = FetchPosts(ReadFixture("rss-parser_heise.atom"));
  ASSERT_FALSE(heise.empty());
  EXPECT_EQ(heise.back().author, "heise online");
  EXPECT_THAT(heise.back().text, StartsWith("Java-Anwendungsserver: Red Hat gibt WildFly 10 frei\n\n"));
  EXPECT_EQ(heise.back().created_at, "2016-02-01T16:22:00.000Z");
}

TEST(RssAdapter, ConditionalGetStoresValidatorsAndSendsThemBack) {
  std::unique_ptr<Adapter> adapter = Make(Config());
  core::Result<HttpRequest> first = adapter->BeginCycle();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->method, "GET");
  EXPECT_EQ(first->url, "https://blog.example/comments/feed/");
  EXPECT_THAT(first->headers, IsEmpty());
  core::Result<Page> page = adapter->OnResponse(
      *first, Response(200, std::string(kWordPressComments),
                       {{"etag", "W/\"abc def\""}, {"last-modified", "Tue, 20 Jan 2026 13:45:12 GMT"}}));
  ASSERT_TRUE(page.has_value()) << page.error().ToString();
  EXPECT_THAT(page->lines, SizeIs(2));
  EXPECT_FALSE(page->next.has_value());
  const std::string cursor = adapter->Cursor();
  EXPECT_EQ(cursor, "rss1 etag=W%2F%22abc%20def%22 modified=Tue%2C%2020%20Jan%202026%2013%3A45%3A12%20GMT");

  // After a restart, from the cursor alone.
  std::unique_ptr<Adapter> resumed = Make(Config(), cursor);
  core::Result<HttpRequest> second = resumed->BeginCycle();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(HeaderOf(*second, "If-None-Match"), "W/\"abc def\"");
  EXPECT_EQ(HeaderOf(*second, "If-Modified-Since"), "Tue, 20 Jan 2026 13:45:12 GMT");
  core::Result<Page> unchanged = resumed->OnResponse(*second, Response(304, ""));
  ASSERT_TRUE(unchanged.has_value()) << unchanged.error().ToString();
  EXPECT_THAT(unchanged->lines, IsEmpty());
  EXPECT_FALSE(unchanged->next.has_value());
  EXPECT_EQ(resumed->Cursor(), cursor);

  // A server that stops sending validators gets unconditional requests again.
  core::Result<HttpRequest> third = resumed->BeginCycle();
  ASSERT_TRUE(third.has_value());
  ASSERT_TRUE(resumed->OnResponse(*third, Response(200, std::string(kWordPressComments))).has_value());
  EXPECT_EQ(resumed->Cursor(), "rss1 etag= modified=");
  core::Result<HttpRequest> fourth = resumed->BeginCycle();
  ASSERT_TRUE(fourth.has_value());
  EXPECT_THAT(fourth->headers, IsEmpty());
}

TEST(RssAdapter, MalformedXmlNamesTheOffset) {
  const std::string body = "\n\n<?xml version=\"1.0\"?><rss><channel><item><title>x</titl></item></channel></rss>";
  core::Result<Page> page = Fetch(body);
  ASSERT_FALSE(page.has_value());
  const std::string& message = page.error().message();
  const std::string prefix = "malformed XML at byte ";
  ASSERT_THAT(message, StartsWith(prefix));
  EXPECT_THAT(message, HasSubstr("mismatch"));
  // The offset counts the blank lines too, so it points at the broken closing tag's name.
  const size_t offset = std::stoul(message.substr(prefix.size()));
  EXPECT_EQ(offset, body.find("titl>")) << message;

  core::Result<Page> html = Fetch("<!DOCTYPE html><html><body>Not found</body></html>");
  ASSERT_FALSE(html.has_value());
  EXPECT_THAT(html.error().message(), HasSubstr("expected an RSS or Atom feed"));

  std::unique_ptr<Adapter> adapter = Make(Config());
  ASSERT_TRUE(adapter->BeginCycle().has_value());
  core::Result<Page> missing = adapter->OnResponse(HttpRequest{}, Response(404, "gone"));
  ASSERT_FALSE(missing.has_value());
  EXPECT_THAT(missing.error().message(), HasSubstr("404"));
  EXPECT_EQ(adapter->Cursor(), "rss1 etag= modified=");
}

TEST(RssAdapter, ItemsComeOutOldestFirstAndUndatedOnesKeepReversedFeedOrder) {
  const std::vector<core::Post> posts = FetchPosts(R"(<rss version="2.0"><channel>
    <item><guid>A</guid><title>a</title><pubDate>Tue, 20 Jan 2026 10:00:00 GMT</pubDate></item>
    <item><guid>B</guid><title>b</title></item>
    <item><guid>C</guid><title>c</title><pubDate>Tue, 20 Jan 2026 12:00:00 GMT</pubDate></item>
    <item><guid>D</guid><title>d</title><pubDate>Tue, 20 Jan 2026 11:00:00 GMT</pubDate></item>
    <item><guid>E</guid><title>e</title><pubDate>not a date</pubDate></item>
  </channel></rss>)");
  std::vector<std::string> ids;
  for (const core::Post& post : posts) ids.push_back(post.id);
  // Reversed: E D C B A; the dated slots (D C _ A) sorted by date: A D C.
  EXPECT_THAT(ids, ElementsAre("E", "A", "D", "B", "C"));
  EXPECT_EQ(posts[0].created_at, "");
}

TEST(RssAdapter, IdsFallBackToLinkThenAStableHash) {
  const std::vector<core::Post> posts = FetchPosts(R"(<rss version="2.0"><channel>
    <item><title>Linked &amp;amp; titled</title><link> https://x.example/a </link><author>ana@x.example (Ana Lima)</author></item>
    <item><description>&lt;p&gt;Just text&lt;/p&gt;</description></item>
  </channel></rss>)");
  ASSERT_THAT(posts, SizeIs(2));
  EXPECT_EQ(posts[0].id, "sha:7f4266c0c46e687e") << "FNV-1a 64 of \"\\nJust text\": the same in every build";
  EXPECT_EQ(posts[0].text, "Just text");
  EXPECT_EQ(posts[1].id, "https://x.example/a");
  EXPECT_EQ(posts[1].text, "Linked & titled");
  EXPECT_EQ(posts[1].author, "Ana Lima");
}

// A WordPress post feed whose items point at their comment feeds.
std::string PostFeed(int first_count, int second_count) {
  return R"(<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:wfw="http://wellformedweb.org/CommentAPI/" xmlns:slash="http://purl.org/rss/1.0/modules/slash/">
<channel>
  <item><guid>http://example.org/?p=2</guid><title>Q</title><link>http://example.org/q/</link>
    <wfw:commentRss>http://example.org/q/feed/</wfw:commentRss><slash:comments>)" +
         std::to_string(second_count) + R"(</slash:comments></item>
  <item><guid>http://example.org/?p=1</guid><title>P</title><link>http://example.org/p/</link>
    <wfw:commentRss>http://example.org/p/feed/</wfw:commentRss><slash:comments>)" +
         std::to_string(first_count) + R"(</slash:comments></item>
</channel></rss>)";
}

TEST(RssAdapter, FollowCommentsFetchesChangedCommentFeedsInTheSameCycle) {
  core::SourceConfig config = Config("http://example.org/feed/");
  config.params["follow_comments"] = "true";
  std::unique_ptr<Adapter> adapter = Make(config);

  // First poll: counts are recorded, no comment feed is fetched (no backlog).
  core::Result<HttpRequest> first = adapter->BeginCycle();
  ASSERT_TRUE(first.has_value());
  core::Result<Page> page = adapter->OnResponse(*first, Response(200, PostFeed(2, 0), {{"etag", "\"v1\""}}));
  ASSERT_TRUE(page.has_value()) << page.error().ToString();
  EXPECT_THAT(page->lines, SizeIs(2));
  EXPECT_FALSE(page->next.has_value());
  const std::string committed = adapter->Cursor();
  EXPECT_THAT(committed, HasSubstr("4e014dc1cbf96102%3A2"));

  // The first post gained a comment: its feed follows, and the cursor waits for it.
  core::Result<HttpRequest> second = adapter->BeginCycle();
  ASSERT_TRUE(second.has_value());
  core::Result<Page> posts = adapter->OnResponse(*second, Response(200, PostFeed(3, 0), {{"etag", "\"v2\""}}));
  ASSERT_TRUE(posts.has_value());
  ASSERT_TRUE(posts->next.has_value());
  EXPECT_EQ(posts->next->url, "http://example.org/p/feed/");
  EXPECT_EQ(adapter->Cursor(), committed);
  core::Result<Page> comments = adapter->OnResponse(*posts->next, Response(200, std::string(kWordPressComments)));
  ASSERT_TRUE(comments.has_value()) << comments.error().ToString();
  EXPECT_THAT(comments->lines, SizeIs(2));
  EXPECT_FALSE(comments->next.has_value());
  EXPECT_THAT(adapter->Cursor(), StartsWith("rss1 etag=%22v2%22 "));
  EXPECT_THAT(adapter->Cursor(), HasSubstr("4e014dc1cbf96102%3A3"));

  // Unchanged counts: nothing to follow. A resumed adapter knows the counts from the cursor.
  std::unique_ptr<Adapter> resumed = Make(config, adapter->Cursor());
  core::Result<HttpRequest> third = resumed->BeginCycle();
  ASSERT_TRUE(third.has_value());
  core::Result<Page> same = resumed->OnResponse(*third, Response(200, PostFeed(3, 0)));
  ASSERT_TRUE(same.has_value());
  EXPECT_FALSE(same->next.has_value());

  // A comment feed that is gone is skipped; the cycle still completes.
  core::Result<HttpRequest> fourth = resumed->BeginCycle();
  ASSERT_TRUE(fourth.has_value());
  core::Result<Page> more = resumed->OnResponse(*fourth, Response(200, PostFeed(3, 1)));
  ASSERT_TRUE(more.has_value() && more->next.has_value());
  EXPECT_EQ(more->next->url, "http://example.org/q/feed/");
  core::Result<Page> gone = resumed->OnResponse(*more->next, Response(404, "nope"));
  ASSERT_TRUE(gone.has_value()) << gone.error().ToString();
  EXPECT_FALSE(gone->next.has_value());
  EXPECT_THAT(resumed->Cursor(), HasSubstr("%3A1"));
}

TEST(RssFactory, RejectsBadParamsNamingSourceAndKey) {
  core::SourceConfig no_url = Config();
  no_url.params.erase("url");
  core::SourceConfig bad_url = Config("feed.example/rss");
  core::SourceConfig bad_follow = Config();
  bad_follow.params["follow_comments"] = "sometimes";
  for (const auto& [config, key] : {std::pair{no_url, "`url`"}, std::pair{bad_url, "`url`"},
                                    std::pair{bad_follow, "`follow_comments`"}}) {
    core::Result<std::unique_ptr<Adapter>> adapter = MakeRssAdapter(config, "");
    ASSERT_FALSE(adapter.has_value()) << key;
    EXPECT_TRUE(adapter.error().IsInvalidArgument());
    EXPECT_THAT(adapter.error().message(), HasSubstr("source feed"));
    EXPECT_THAT(adapter.error().message(), HasSubstr(key));
  }
}

TEST(RssFactory, ForeignOrBrokenCursorIsCorruption) {
  for (std::string_view cursor : {"wordpress1 after=2026-01-20T13%3A45%3A12", "rss1 counts=nonsense", "rss1 etag"}) {
    core::Result<std::unique_ptr<Adapter>> adapter = MakeRssAdapter(Config(), cursor);
    ASSERT_FALSE(adapter.has_value()) << cursor;
    EXPECT_TRUE(adapter.error().IsCorruption()) << adapter.error().ToString();
    EXPECT_THAT(adapter.error().message(), HasSubstr("source feed"));
  }
}

}  // namespace
}  // namespace earshot::crawler
