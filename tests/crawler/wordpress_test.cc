// The wordpress adapter on recorded and hand-written /wp/v2/comments responses: the first poll's
// newest page, later ascending pages after cursor − overlap walked by X-WP-TotalPages with the
// cursor advancing per page, the quiet end on rest_post_invalid_page_number, and the Post fields.
#include "crawler/sources/wordpress.h"

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

using test_support::Ids;
using test_support::JsonArray;
using test_support::Posts;
using test_support::ReadFixture;
using test_support::WithParam;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

core::SourceConfig Config() {
  core::SourceConfig config;
  config.id = "blog";
  config.kind = "wordpress";
  config.params["base_url"] = "https://News.Example.org/";
  return config;
}

std::unique_ptr<Adapter> Make(const core::SourceConfig& config, std::string_view cursor = "") {
  return test_support::MustMake(MakeWordPressAdapter, config, cursor);
}

HttpResponse Response(long code, std::string body, std::string total_pages = "") {
  std::vector<std::pair<std::string, std::string>> headers;
  if (!total_pages.empty()) headers.emplace_back("x-wp-totalpages", std::move(total_pages));
  return test_support::MakeResponse(code, std::move(body), std::move(headers));
}

std::string Comment(int id, std::string_view date_gmt, int parent = 0, int author = 7, int post = 560) {
  return R"({"id":)" + std::to_string(id) + R"(,"post":)" + std::to_string(post) + R"(,"parent":)" +
         std::to_string(parent) + R"(,"author":)" + std::to_string(author) +
         R"(,"author_name":"Ana &amp; Bo","author_url":"","date":"2026-01-20T14:39:34","date_gmt":")" +
         std::string(date_gmt) +
         R"(","content":{"rendered":"<p>Still no refund &#8212; <b>third</b> week&hellip;<\/p>\n<p>Help!<\/p>\n"},)"
         R"("link":"https:\/\/news.example.org\/2026\/01\/16\/post\/#comment-)" +
         std::to_string(id) + R"(","status":"approved","type":"comment"})";
}

TEST(WordPressAdapter, FirstPollTakesTheNewestPageOnly) {
  std::unique_ptr<Adapter> adapter = Make(Config());
  EXPECT_EQ(adapter->Cursor(), "wordpress1");
  core::Result<HttpRequest> request = adapter->BeginCycle();
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->method, "GET");
  EXPECT_EQ(request->url, "https://News.Example.org/wp-json/wp/v2/comments?order=desc&per_page=100&page=1");
  EXPECT_THAT(request->headers, IsEmpty());

  // Newest first, as order=desc returns them; a full page and more pages do not matter here.
  core::Result<Page> page = adapter->OnResponse(
      *request,
      Response(200, JsonArray({Comment(12, "2026-01-20T13:45:12", 11, 0), Comment(11, "2026-01-20T13:39:34")}), "9"));
  ASSERT_TRUE(page.has_value()) << page.error().ToString();
  EXPECT_FALSE(page->next.has_value());
  EXPECT_EQ(adapter->Cursor(), "wordpress1 after=2026-01-20T13%3A45%3A12");

  const std::vector<core::Post> posts = Posts(*page);
  ASSERT_THAT(posts, SizeIs(2));
  const core::Post& first = posts[0];
  EXPECT_EQ(first.source, "wordpress");
  EXPECT_EQ(first.id, "news.example.org:11");
  EXPECT_EQ(first.text, "Still no refund \u2014 third week\u2026\n\nHelp!");
  EXPECT_EQ(first.author, "Ana &amp; Bo") << "author_name is plain text, as given";
  EXPECT_EQ(first.author_id, "news.example.org:user-7");
  EXPECT_EQ(first.created_at, "2026-01-20T13:39:34Z");
  EXPECT_EQ(first.url, "https://news.example.org/2026/01/16/post/#comment-11");
  EXPECT_EQ(first.reply_to, "");
  EXPECT_EQ(first.thread_id, "news.example.org:post-560");
  EXPECT_FALSE(first.followers.has_value());
  const core::Post& guest_reply = posts[1];
  EXPECT_EQ(guest_reply.id, "news.example.org:12");
  EXPECT_EQ(guest_reply.author_id, "") << "author 0 is a guest";
  EXPECT_EQ(guest_reply.reply_to, "news.example.org:11");
}

TEST(WordPressAdapter, RecordedCommentsCollectionParses) {
  const std::string body = ReadFixture("wordpress/comments_collection.json");
  ASSERT_FALSE(body.empty());

  core::SourceConfig config = Config();
  config.params["base_url"] = "http://example.org";
  std::unique_ptr<Adapter> adapter = Make(config);
  core::Result<HttpRequest> request = adapter->BeginCycle();
  ASSERT_TRUE(request.has_value());
  core::Result<Page> page = adapter->OnResponse(*request, Response(200, body, "1"));
  ASSERT_TRUE(page.has_value()) << page.error().ToString();
  const std::vector<core::Post> posts = Posts(*page);
  ASSERT_THAT(posts, SizeIs(1));
  const core::Post& post = posts[0];
  EXPECT_EQ(post.source, "wordpress");
  EXPECT_EQ(post.id, "example.org:2");
  EXPECT_EQ(post.text, "This is a comment");
  EXPECT_EQ(post.author, "Internet of something or other");
  EXPECT_EQ(post.author_id, "") << "author 0: a guest";
  EXPECT_EQ(post.created_at, "2017-02-14T00:00:00Z");
  EXPECT_EQ(post.url, "http://example.org/?p=4#comment-2");
  EXPECT_EQ(post.reply_to, "");
  EXPECT_EQ(post.thread_id, "example.org:post-4");
  EXPECT_FALSE(page->next.has_value());
  EXPECT_EQ(adapter->Cursor(), "wordpress1 after=2017-02-14T00%3A00%3A00");
}

TEST(WordPressAdapter, LaterCyclesWalkAscendingPagesAndAdvanceTheCursorPerPage) {
  core::SourceConfig config = Config();
  config.params["per_page"] = "2";
  config.params["post"] = "560";
  std::unique_ptr<Adapter> adapter = Make(config, "wordpress1 after=2026-01-20T13%3A45%3A12");
  core::Result<HttpRequest> request = adapter->BeginCycle();
  ASSERT_TRUE(request.has_value());
  const std::string base =
      "https://News.Example.org/wp-json/wp/v2/comments?after=2026-01-20T13%3A44%3A12Z&order=asc&orderby=date&per_page=2";
  EXPECT_EQ(request->url, base + "&page=1&post=560");

  core::Result<Page> page1 = adapter->OnResponse(
      *request,
      Response(200, JsonArray({Comment(12, "2026-01-20T13:45:12"), Comment(13, "2026-01-20T14:00:00")}), "3"));
  ASSERT_TRUE(page1.has_value()) << page1.error().ToString();
  EXPECT_THAT(Ids(*page1), ElementsAre("news.example.org:12", "news.example.org:13"));
  ASSERT_TRUE(page1->next.has_value());
  EXPECT_EQ(page1->next->url, base + "&page=2&post=560");
  EXPECT_EQ(adapter->Cursor(), "wordpress1 after=2026-01-20T14%3A00%3A00");

  core::Result<Page> page2 = adapter->OnResponse(
      *page1->next,
      Response(200, JsonArray({Comment(14, "2026-01-20T14:10:00"), Comment(15, "2026-01-20T14:20:00")}), "3"));
  ASSERT_TRUE(page2.has_value());
  ASSERT_TRUE(page2->next.has_value());
  EXPECT_EQ(page2->next->url, base + "&page=3&post=560");
  EXPECT_EQ(adapter->Cursor(), "wordpress1 after=2026-01-20T14%3A20%3A00");

  core::Result<Page> page3 =
      adapter->OnResponse(*page2->next, Response(200, JsonArray({Comment(16, "2026-01-20T14:30:00")}), "3"));
  ASSERT_TRUE(page3.has_value());
  EXPECT_FALSE(page3->next.has_value());
  EXPECT_EQ(adapter->Cursor(), "wordpress1 after=2026-01-20T14%3A30%3A00");

  // The next cycle asks again from the new cursor, page 1.
  core::Result<HttpRequest> again = adapter->BeginCycle();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->url,
            "https://News.Example.org/wp-json/wp/v2/comments?after=2026-01-20T14%3A29%3A00Z&order=asc&orderby=date"
            "&per_page=2&page=1&post=560");
}

TEST(WordPressAdapter, StopsAtTheLastPageEvenWhenItIsFull) {
  core::SourceConfig config = Config();
  config.params["per_page"] = "2";
  std::unique_ptr<Adapter> adapter = Make(config, "wordpress1 after=2026-01-20T13%3A45%3A12");
  core::Result<HttpRequest> request = adapter->BeginCycle();
  ASSERT_TRUE(request.has_value());
  core::Result<Page> page = adapter->OnResponse(
      *request,
      Response(200, JsonArray({Comment(12, "2026-01-20T13:45:12"), Comment(13, "2026-01-20T14:00:00")}), "1"));
  ASSERT_TRUE(page.has_value());
  EXPECT_FALSE(page->next.has_value());
  // Without the header, a full page is the only hint that more may follow.
  core::Result<HttpRequest> next = adapter->BeginCycle();
  ASSERT_TRUE(next.has_value());
  core::Result<Page> no_header = adapter->OnResponse(
      *next, Response(200, JsonArray({Comment(14, "2026-01-20T14:10:00"), Comment(15, "2026-01-20T14:20:00")})));
  ASSERT_TRUE(no_header.has_value());
  EXPECT_TRUE(no_header->next.has_value());
}

TEST(WordPressAdapter, InvalidPageNumberEndsTheCycleQuietly) {
  std::unique_ptr<Adapter> adapter = Make(Config(), "wordpress1 after=2026-01-20T13%3A45%3A12");
  ASSERT_TRUE(adapter->BeginCycle().has_value());
  core::Result<Page> page = adapter->OnResponse(
      HttpRequest{}, Response(400, R"({"code":"rest_post_invalid_page_number","message":"The page number requested )"
                                   R"(is larger than the number of pages available.","data":{"status":400}})"));
  ASSERT_TRUE(page.has_value()) << page.error().ToString();
  EXPECT_THAT(page->lines, IsEmpty());
  EXPECT_FALSE(page->next.has_value());
  EXPECT_EQ(adapter->Cursor(), "wordpress1 after=2026-01-20T13%3A45%3A12");
}

TEST(WordPressAdapter, OtherErrorsNameTheirCode) {
  std::unique_ptr<Adapter> adapter = Make(Config());
  ASSERT_TRUE(adapter->BeginCycle().has_value());
  core::Result<Page> forbidden = adapter->OnResponse(
      HttpRequest{}, Response(401, R"({"code":"rest_forbidden","message":"Sorry, you are not allowed to do that."})"));
  ASSERT_FALSE(forbidden.has_value());
  EXPECT_THAT(forbidden.error().message(), HasSubstr("rest_forbidden"));
  EXPECT_THAT(forbidden.error().message(), HasSubstr("not allowed"));

  core::Result<Page> html = adapter->OnResponse(HttpRequest{}, Response(200, "<html>Blocked</html>"));
  ASSERT_FALSE(html.has_value());
  EXPECT_THAT(html.error().message(), HasSubstr("malformed JSON"));
  core::Result<Page> object = adapter->OnResponse(HttpRequest{}, Response(200, R"({"id":1})"));
  ASSERT_FALSE(object.has_value());
  EXPECT_THAT(object.error().message(), HasSubstr("array of comments"));
  core::Result<Page> no_id = adapter->OnResponse(HttpRequest{}, Response(200, R"([{"post":1}])"));
  ASSERT_FALSE(no_id.has_value());
  EXPECT_THAT(no_id.error().message(), HasSubstr("`id`"));
  EXPECT_EQ(adapter->Cursor(), "wordpress1");
}

TEST(WordPressFactory, RejectsBadParamsNamingSourceAndKey) {
  struct Case {
    std::string key;
    std::string value;  // empty: remove the key
  };
  const std::vector<Case> cases = {{"base_url", ""},   {"base_url", "news.example.org"}, {"per_page", "0"},
                                   {"per_page", "101"}, {"post", "hello-world"},          {"overlap", "-5s"}};
  for (const Case& c : cases) {
    core::Result<std::unique_ptr<Adapter>> adapter = MakeWordPressAdapter(WithParam(Config(), c.key, c.value), "");
    ASSERT_FALSE(adapter.has_value()) << c.key << "=" << c.value;
    EXPECT_TRUE(adapter.error().IsInvalidArgument());
    EXPECT_THAT(adapter.error().message(), HasSubstr("source blog"));
    EXPECT_THAT(adapter.error().message(), HasSubstr("`" + c.key + "`"));
  }
}

TEST(WordPressFactory, ForeignOrBrokenCursorIsCorruption) {
  for (std::string_view cursor : {"rss1 etag=x", "wordpress1 after=last-tuesday", "wordpress1 after=%zz"}) {
    core::Result<std::unique_ptr<Adapter>> adapter = MakeWordPressAdapter(Config(), cursor);
    ASSERT_FALSE(adapter.has_value()) << cursor;
    EXPECT_TRUE(adapter.error().IsCorruption()) << adapter.error().ToString();
    EXPECT_THAT(adapter.error().message(), HasSubstr("source blog"));
  }
}

}  // namespace
}  // namespace earshot::crawler
