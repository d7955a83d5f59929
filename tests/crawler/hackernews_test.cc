#include "crawler/sources/hackernews.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "core/post.h"
#include "core/post_json.h"
#include "tests/crawler/adapter_test_support.h"

namespace earshot::crawler {
namespace {

using test_support::Ids;
using test_support::JsonArray;
using test_support::MustPage;
using test_support::Posts;
using test_support::ReadFixture;

core::SourceConfig Config(test_support::Params params, test_support::Params secrets = {}) {
  return test_support::SourceConfig("hn", "hackernews", std::move(params), std::move(secrets));
}

core::SourceConfig QueryConfig(const test_support::Params& extra = {}) {
  return Config(test_support::Merged({{"query", "acme"}, {"base_url", "http://hn.test/"}}, extra));
}

std::unique_ptr<Adapter> Make(const core::SourceConfig& config, std::string_view cursor = "") {
  return test_support::MustMake(MakeHackerNewsAdapter, config, cursor);
}

HttpResponse Response(std::string body, long code = 200) {
  return test_support::MakeResponse(code, std::move(body), {{"content-type", "application/json; charset=UTF-8"}});
}

std::string CommentHit(int64_t id, int64_t created, const std::string& html = "<p>hello</p>") {
  return R"({"created_at":"2017-09-27T23:33:24.000Z","title":null,"url":null,"author":"RealJon","points":null,)"
         R"("story_text":null,"comment_text":")" +
         html + R"(","num_comments":null,"story_id":15345483,"story_title":"Vespa","parent_id":15352681,)" +
         R"("created_at_i":)" + std::to_string(created) + R"(,"_tags":["comment","author_RealJon"],"objectID":")" +
         std::to_string(id) + R"("})";
}

std::string StoryHit(int64_t id, int64_t created, const std::string& title, const std::string& story_text = "") {
  return R"({"created_at":"2017-09-27T23:17:07.000Z","title":")" + title +
         R"(","url":"https://example.com/","author":"pg","points":3,"story_text":)" +
         (story_text.empty() ? "null" : "\"" + story_text + "\"") +
         R"(,"comment_text":null,"num_comments":0,"story_id":null,"parent_id":null,"created_at_i":)" +
         std::to_string(created) + R"(,"_tags":["story","author_pg"],"objectID":")" + std::to_string(id) + R"("})";
}

// A search_by_date result; `hits` newest first.
std::string Result(const std::vector<std::string>& hits, int page, int pages, int total, int per_page = 100) {
  return R"({"hits":)" + JsonArray(hits) + R"(,"nbHits":)" + std::to_string(total) + R"(,"page":)" +
         std::to_string(page) + R"(,"nbPages":)" +
         std::to_string(pages) + R"(,"hitsPerPage":)" + std::to_string(per_page) +
         R"(,"exhaustiveNbHits":false,"query":"acme","params":"query=acme"})";
}

const std::string kBase = "http://hn.test/api/v1/search_by_date?query=acme&tags=%28story%2Ccomment%29";

TEST(HackerNewsAdapter, FirstPollTakesPageZeroOnly) {
  std::unique_ptr<Adapter> adapter = Make(Config({{"query", "acme corp"}}));
  ASSERT_NE(adapter, nullptr);
  const HttpRequest request = *adapter->BeginCycle();
  EXPECT_EQ(request.url,
            "https://hn.algolia.com/api/v1/search_by_date?query=acme%20corp&tags=%28story%2Ccomment%29"
            "&hitsPerPage=100&page=0");
  EXPECT_TRUE(request.headers.empty());
  const Page page = MustPage(*adapter, request, Response(Result({CommentHit(3, 300), CommentHit(2, 200)}, 0, 5, 480)));
  EXPECT_FALSE(page.next.has_value());
  EXPECT_EQ(Ids(page), (std::vector<std::string>{"2", "3"}));
  EXPECT_EQ(adapter->Cursor(), "hackernews1 since=300");
}

TEST(HackerNewsAdapter, MapsCommentsAndStories) {
  std::unique_ptr<Adapter> adapter = Make(QueryConfig());
  ASSERT_NE(adapter, nullptr);
  const Page page =
      MustPage(*adapter, *adapter->BeginCycle(),
               Response(Result({CommentHit(15353312, 1506555204,
                                           "You don&#x27;t need <i>Java</i>.<p>It &quot;just&quot; works &amp; scales"),
                                StoryHit(15353234, 1506554227, "Show HN: <Acme> & friends", "Ask away<p>really"),
                                StoryHit(15353081, 1506552832, "Node v8.6.0")},
                               0, 1, 3)));
  const std::vector<core::Post> posts = Posts(page);
  ASSERT_EQ(posts.size(), 3u);

  EXPECT_EQ(posts[0].id, "15353081");
  EXPECT_EQ(posts[0].text, "Node v8.6.0");
  EXPECT_EQ(posts[0].thread_id, "15353081");  // a story roots its own thread
  EXPECT_EQ(posts[0].reply_to, "");

  EXPECT_EQ(posts[1].text, "Show HN: <Acme> & friends\n\nAsk away\nreally");  // the title is plain text
  EXPECT_EQ(posts[1].author, "pg");

  const core::Post& comment = posts[2];
  EXPECT_EQ(comment.source, "hackernews");
  EXPECT_EQ(comment.id, "15353312");
  EXPECT_EQ(comment.text, "You don't need Java.\nIt \"just\" works & scales");
  EXPECT_EQ(comment.text.find('<'), std::string::npos);
  EXPECT_EQ(comment.author, "RealJon");
  EXPECT_EQ(comment.created_at, "2017-09-27T23:33:24.000Z");
  EXPECT_EQ(comment.url, "https://news.ycombinator.com/item?id=15353312");
  EXPECT_EQ(comment.reply_to, "15352681");
  EXPECT_EQ(comment.thread_id, "15345483");
  EXPECT_FALSE(comment.followers.has_value());
}

TEST(HackerNewsAdapter, SinceParamLooksBackOnTheFirstPoll) {
  std::unique_ptr<Adapter> adapter = Make(QueryConfig({{"since", "2017-09-27T00:00:00Z"}, {"hits_per_page", "2"}}));
  ASSERT_NE(adapter, nullptr);
  const HttpRequest request = *adapter->BeginCycle();
  EXPECT_EQ(request.url, kBase + "&hitsPerPage=2&page=0&numericFilters=created_at_i%3E%3D1506470400");
  const Page page =
      MustPage(*adapter, request, Response(Result({CommentHit(4, 1506470500), CommentHit(3, 1506470450)}, 0, 2, 3)));
  ASSERT_TRUE(page.next.has_value());
  EXPECT_EQ(page.next->url, kBase + "&hitsPerPage=2&page=1&numericFilters=created_at_i%3E%3D1506470400");
  EXPECT_EQ(adapter->Cursor(), "");  // the look-back is not done yet
  const Page last = MustPage(*adapter, *page.next, Response(Result({CommentHit(2, 1506470401)}, 1, 2, 3)));
  EXPECT_FALSE(last.next.has_value());
  EXPECT_EQ(adapter->Cursor(), "hackernews1 since=1506470500");
}

TEST(HackerNewsAdapter, PagesThroughNbPagesAndHoldsTheCursorUntilDone) {
  std::unique_ptr<Adapter> adapter = Make(QueryConfig({{"hits_per_page", "2"}}), "hackernews1 since=1000");
  ASSERT_NE(adapter, nullptr);
  const std::string filter = "&numericFilters=created_at_i%3E%3D1000";
  HttpRequest request = *adapter->BeginCycle();
  EXPECT_EQ(request.url, kBase + "&hitsPerPage=2&page=0" + filter);

  Page page = MustPage(*adapter, request, Response(Result({CommentHit(16, 1600), CommentHit(15, 1500)}, 0, 3, 5)));
  ASSERT_TRUE(page.next.has_value());
  EXPECT_EQ(page.next->url, kBase + "&hitsPerPage=2&page=1" + filter);
  EXPECT_EQ(adapter->Cursor(), "hackernews1 since=1000");  // later pages are older: hold the old state

  page = MustPage(*adapter, *page.next, Response(Result({CommentHit(14, 1400), CommentHit(13, 1300)}, 1, 3, 5)));
  ASSERT_TRUE(page.next.has_value());
  EXPECT_EQ(page.next->url, kBase + "&hitsPerPage=2&page=2" + filter);
  EXPECT_EQ(adapter->Cursor(), "hackernews1 since=1000");

  page = MustPage(*adapter, *page.next, Response(Result({CommentHit(12, 1200)}, 2, 3, 5)));
  EXPECT_FALSE(page.next.has_value());
  EXPECT_EQ(Ids(page), (std::vector<std::string>{"12"}));
  EXPECT_EQ(adapter->Cursor(), "hackernews1 since=1600");

  // The next poll asks from the newest second on (an overlap, never a gap).
  EXPECT_EQ(adapter->BeginCycle()->url, kBase + "&hitsPerPage=2&page=0&numericFilters=created_at_i%3E%3D1600");
}

TEST(HackerNewsAdapter, SlidesTheWindowBeforeResultThousand) {
  // 500 per page: pages 0 and 1 reach result 999; page 2 would be past Algolia's limit.
  std::unique_ptr<Adapter> adapter = Make(QueryConfig({{"hits_per_page", "500"}}), "hackernews1 since=1000");
  ASSERT_NE(adapter, nullptr);
  const std::string lower = "created_at_i%3E%3D1000";
  Page page = MustPage(*adapter, *adapter->BeginCycle(),
                       Response(Result({CommentHit(90, 9000), CommentHit(80, 8000)}, 0, 2, 3000, 500)));
  ASSERT_TRUE(page.next.has_value());
  EXPECT_EQ(page.next->url, kBase + "&hitsPerPage=500&page=1&numericFilters=" + lower);

  // nbPages says 2 (capped), but nbHits says there is more: a new window from the lowest time seen.
  page =
      MustPage(*adapter, *page.next, Response(Result({CommentHit(70, 7000), CommentHit(60, 6000)}, 1, 2, 3000, 500)));
  ASSERT_TRUE(page.next.has_value());
  EXPECT_EQ(page.next->url, kBase + "&hitsPerPage=500&page=0&numericFilters=" + lower + "%2Ccreated_at_i%3C%3D6000");
  EXPECT_EQ(adapter->Cursor(), "hackernews1 since=1000");

  // The new window overlaps at 6000 (the seen-set dedupes) and ends the cycle.
  page = MustPage(*adapter, *page.next, Response(Result({CommentHit(60, 6000), CommentHit(50, 5000)}, 0, 1, 2, 500)));
  EXPECT_FALSE(page.next.has_value());
  EXPECT_EQ(adapter->Cursor(), "hackernews1 since=9000");
}

TEST(HackerNewsAdapter, WindowAlwaysMovesDown) {
  // Over 1000 results within one second: the window must still shrink, not repeat forever.
  std::unique_ptr<Adapter> adapter = Make(QueryConfig({{"hits_per_page", "1000"}}), "hackernews1 since=1000");
  ASSERT_NE(adapter, nullptr);
  Page page = MustPage(*adapter, *adapter->BeginCycle(),
                       Response(Result({CommentHit(2, 5000), CommentHit(1, 5000)}, 0, 1, 1500, 1000)));
  ASSERT_TRUE(page.next.has_value());
  EXPECT_NE(page.next->url.find("%2Ccreated_at_i%3C%3D5000"), std::string::npos) << page.next->url;
  page = MustPage(*adapter, *page.next, Response(Result({CommentHit(2, 5000), CommentHit(1, 5000)}, 0, 1, 1500, 1000)));
  ASSERT_TRUE(page.next.has_value());
  EXPECT_NE(page.next->url.find("%2Ccreated_at_i%3C%3D4999"), std::string::npos) << page.next->url;
}

TEST(HackerNewsAdapter, AnEmptyPageEndsTheCycle) {
  std::unique_ptr<Adapter> adapter = Make(QueryConfig(), "hackernews1 since=1000");
  ASSERT_NE(adapter, nullptr);
  const Page page = MustPage(*adapter, *adapter->BeginCycle(), Response(Result({}, 0, 0, 0)));
  EXPECT_TRUE(page.lines.empty());
  EXPECT_FALSE(page.next.has_value());
  EXPECT_EQ(adapter->Cursor(), "hackernews1 since=1000");
}

TEST(HackerNewsAdapter, CursorRoundTrips) {
  std::unique_ptr<Adapter> adapter = Make(QueryConfig());
  ASSERT_NE(adapter, nullptr);
  (void)MustPage(*adapter, *adapter->BeginCycle(), Response(Result({CommentHit(7, 1506555204)}, 0, 1, 1)));
  const std::string cursor = adapter->Cursor();
  EXPECT_EQ(cursor, "hackernews1 since=1506555204");
  EXPECT_NE(adapter->Describe().find("since 2017-09-27T23:33:24"), std::string::npos) << adapter->Describe();
  std::unique_ptr<Adapter> resumed = Make(QueryConfig({{"since", "2001-01-01T00:00:00Z"}}), cursor);
  ASSERT_NE(resumed, nullptr);
  EXPECT_EQ(resumed->Cursor(), cursor);
  // The cursor wins over the `since` param, which only shapes the very first poll.
  EXPECT_EQ(resumed->BeginCycle()->url, kBase + "&hitsPerPage=100&page=0&numericFilters=created_at_i%3E%3D1506555204");
}

TEST(HackerNewsAdapter, RejectsBadResponses) {
  std::unique_ptr<Adapter> adapter = Make(QueryConfig(), "hackernews1 since=1000");
  ASSERT_NE(adapter, nullptr);
  const HttpRequest request = *adapter->BeginCycle();

  core::Result<Page> page = adapter->OnResponse(request, Response(R"({"message":"Internal error"})", 500));
  ASSERT_FALSE(page.has_value());
  EXPECT_EQ(page.error().message(), R"(HTTP 500: {"message":"Internal error"})");

  page = adapter->OnResponse(request, Response(R"({"hits":[{"objectID":"1"})"));
  ASSERT_FALSE(page.has_value());
  EXPECT_TRUE(page.error().IsInvalidArgument());
  EXPECT_EQ(page.error().message().rfind("malformed JSON: ", 0), 0u) << page.error().message();

  page = adapter->OnResponse(request, Response(R"({"nbHits":0})"));
  ASSERT_FALSE(page.has_value());
  EXPECT_NE(page.error().message().find("`hits` array"), std::string::npos) << page.error().message();

  page = adapter->OnResponse(request, Response(Result({CommentHit(1, 1500), R"({"comment_text":"x"})"}, 0, 1, 2)));
  ASSERT_FALSE(page.has_value());
  EXPECT_NE(page.error().message().find("hit 1 has no objectID"), std::string::npos) << page.error().message();
  EXPECT_EQ(adapter->Cursor(), "hackernews1 since=1000");
}

TEST(HackerNewsAdapter, RejectsBadParamsNamingSourceAndKey) {
  const std::vector<std::pair<std::map<std::string, std::string>, std::string>> cases = {
      {{}, "`query`"},
      {{{"query", ""}}, "`query`"},
      {{{"query", "a"}, {"hits_per_page", "0"}}, "`hits_per_page`"},
      {{{"query", "a"}, {"hits_per_page", "1001"}}, "`hits_per_page`"},
      {{{"query", "a"}, {"since", "yesterday"}}, "`since`"},
      {{{"query", "a"}, {"tags", ""}}, "`tags`"},
      {{{"query", "a"}, {"base_url", "hn.algolia.com"}}, "`base_url`"},
      {{{"query", "a"}, {"hitsPerPage", "5"}}, "`hitsPerPage`"},
  };
  for (const auto& [params, key] : cases) {
    const core::Result<std::unique_ptr<Adapter>> adapter = MakeHackerNewsAdapter(Config(params), "");
    ASSERT_FALSE(adapter.has_value()) << key;
    EXPECT_TRUE(adapter.error().IsInvalidArgument()) << adapter.error().ToString();
    EXPECT_EQ(adapter.error().message().rfind("source hn: " + key, 0), 0u) << adapter.error().message();
  }
  const core::Result<std::unique_ptr<Adapter>> with_secret =
      MakeHackerNewsAdapter(Config({{"query", "a"}}, {{"token", "t0ken"}}), "");
  ASSERT_FALSE(with_secret.has_value());
  EXPECT_EQ(with_secret.error().message().rfind("source hn: `token_env`", 0), 0u) << with_secret.error().message();
  EXPECT_EQ(with_secret.error().message().find("t0ken"), std::string::npos);
}

TEST(HackerNewsAdapter, RejectsForeignOrBrokenCursors) {
  for (const std::string cursor :
       {"reddit1 seen=t3_a", "hackernews1", "hackernews1 since=soon", "hackernews1 since=-5"}) {
    const core::Result<std::unique_ptr<Adapter>> adapter = MakeHackerNewsAdapter(QueryConfig(), cursor);
    ASSERT_FALSE(adapter.has_value()) << cursor;
    EXPECT_TRUE(adapter.error().IsCorruption()) << adapter.error().ToString();
    EXPECT_NE(adapter.error().message().find("source hn"), std::string::npos);
  }
}

// Recorded search_by_date hits (18 of them; the recording kept no nbPages, which means no more pages).
TEST(HackerNewsAdapter, ReadsRecordedHits) {
  std::unique_ptr<Adapter> adapter = Make(QueryConfig(), "hackernews1 since=1244573770");
  ASSERT_NE(adapter, nullptr);
  const Page page =
      MustPage(*adapter, *adapter->BeginCycle(), Response(ReadFixture("hackernews/search_by_date_hits.json")));
  const std::vector<core::Post> posts = Posts(page);
  ASSERT_EQ(posts.size(), 18u);
  EXPECT_FALSE(page.next.has_value());
  EXPECT_EQ(posts.front().id, "649663");
  EXPECT_EQ(posts.back().id, "7919431");
  std::map<std::string, core::Post> by_id;
  for (const core::Post& post : posts) {
    by_id[post.id] = post;
    EXPECT_EQ(post.text.find("&#x27;"), std::string::npos) << post.text;
    EXPECT_TRUE(post.url.starts_with("https://news.ycombinator.com/item?id=")) << post.url;
  }
  const core::Post& comment = by_id["7919418"];
  EXPECT_EQ(comment.text.rfind(
                "Yeah the article seems stupid, while technically they aren't contributing to the scholarship", 0),
            0u)
      << comment.text;
  EXPECT_EQ(comment.text.find('<'), std::string::npos) << comment.text;
  EXPECT_EQ(comment.author, "fleitz");
  EXPECT_EQ(comment.created_at, "2014-06-20T03:32:34.000Z");
  EXPECT_EQ(comment.reply_to, "7919290");
  EXPECT_EQ(comment.thread_id, "7918547");
  EXPECT_EQ(by_id["7919424"].text, "Judge says concerned about Apple, Google hiring settlement");
  EXPECT_EQ(by_id["7919424"].thread_id, "7919424");
  EXPECT_EQ(by_id["7918694"].text.rfind("Poll: Do you experience \"The Hum\"?", 0), 0u) << by_id["7918694"].text;
  EXPECT_EQ(adapter->Cursor(), "hackernews1 since=1403235595");
}

}  // namespace
}  // namespace earshot::crawler
