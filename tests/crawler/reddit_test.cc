#include "crawler/sources/reddit.h"

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
  return test_support::SourceConfig("rd", "reddit", std::move(params), std::move(secrets));
}

core::SourceConfig SubConfig(const test_support::Params& extra = {}) {
  return Config(test_support::Merged({{"subreddit", "acme"}, {"base_url", "http://reddit.test"}}, extra));
}

std::unique_ptr<Adapter> Make(const core::SourceConfig& config, std::string_view cursor = "") {
  return test_support::MustMake(MakeRedditAdapter, config, cursor);
}

HttpResponse Response(std::string body, long code = 200) {
  return test_support::MakeResponse(
      code, std::move(body), {{"content-type", "application/json; charset=UTF-8"}, {"x-ratelimit-remaining", "99"}});
}

// A submission (t3) as a listing child; `created` counts down with the base36 id in these tests.
std::string Submission(const std::string& id, const std::string& title = "Title", const std::string& selftext = "",
                       const std::string& author = "alice") {
  return R"({"kind":"t3","data":{"id":")" + id + R"(","name":"t3_)" + id + R"(","title":")" + title +
         R"(","selftext":")" + selftext + R"(","author":")" + author + R"(","author_fullname":"t2_)" + author +
         R"(","created_utc":1456814968.0,"permalink":"/r/acme/comments/)" + id +
         R"(/title/","url":"https://x.test/",)" + R"("subreddit":"acme","score":1}})";
}

std::string Comment(const std::string& id, const std::string& body) {
  return R"({"kind":"t1","data":{"id":")" + id + R"(","name":"t1_)" + id + R"(","body":")" + body +
         R"(","author":"bob","author_fullname":"t2_bob","parent_id":"t3_4r4inc","link_id":"t3_4r4inc",)" +
         R"("created_utc":1467590690.5,"permalink":"/r/AskReddit/comments/4r4inc/x/)" + id + R"(/"}})";
}

std::string Listing(const std::vector<std::string>& children, const std::string& after = "") {
  return R"({"kind":"Listing","data":{"modhash":"","dist":)" + std::to_string(children.size()) + R"(,"children":)" +
         JsonArray(children) + R"(,"after":)" + (after.empty() ? "null" : "\"" + after + "\"") + R"(,"before":null}})";
}

TEST(RedditAdapter, BuildsListingAndSearchRequests) {
  EXPECT_EQ(Make(SubConfig())->BeginCycle()->url, "http://reddit.test/r/acme/new.json?limit=100&raw_json=1");
  EXPECT_EQ(Make(Config({{"subreddit", "r/acme+widgets/"}, {"limit", "25"}}))->BeginCycle()->url,
            "https://www.reddit.com/r/acme+widgets/new.json?limit=25&raw_json=1");
  EXPECT_EQ(Make(Config({{"query", "acme support & billing"}}))->BeginCycle()->url,
            "https://www.reddit.com/search.json?q=acme%20support%20%26%20billing&sort=new&limit=100&raw_json=1");
  EXPECT_EQ(Make(Config({{"query", "outage"}, {"subreddit", "acme"}}))->BeginCycle()->url,
            "https://www.reddit.com/r/acme/search.json?q=outage&sort=new&limit=100&raw_json=1&restrict_sr=on");
  const HttpRequest anonymous = *Make(SubConfig())->BeginCycle();
  EXPECT_TRUE(anonymous.headers.empty());
}

TEST(RedditAdapter, TokenSwitchesToOauthHostAndTravelsInTheHeaderOnly) {
  std::unique_ptr<Adapter> adapter = Make(Config({{"subreddit", "acme"}}, {{"token", "tok-123456"}}));
  ASSERT_NE(adapter, nullptr);
  const HttpRequest request = *adapter->BeginCycle();
  EXPECT_EQ(request.url, "https://oauth.reddit.com/r/acme/new.json?limit=100&raw_json=1");
  ASSERT_EQ(request.headers.size(), 1u);
  EXPECT_EQ(request.headers[0], (std::pair<std::string, std::string>{"Authorization", "bearer tok-123456"}));
  const core::Result<Page> page =
      adapter->OnResponse(request, Response(R"({"message":"Unauthorized","error":401})", 401));
  ASSERT_FALSE(page.has_value());
  EXPECT_EQ(page.error().message(), R"(HTTP 401: {"message":"Unauthorized","error":401})");
  EXPECT_EQ(page.error().message().find("tok-123456"), std::string::npos);
}

TEST(RedditAdapter, FirstPollTakesPageOneOnly) {
  std::unique_ptr<Adapter> adapter = Make(SubConfig());
  ASSERT_NE(adapter, nullptr);
  const HttpRequest request = *adapter->BeginCycle();
  const Page page =
      MustPage(*adapter, request, Response(Listing({Submission("c"), Submission("b"), Submission("a")}, "t3_a")));
  EXPECT_FALSE(page.next.has_value());                                       // even though `after` offers more
  EXPECT_EQ(Ids(page), (std::vector<std::string>{"t3_a", "t3_b", "t3_c"}));  // oldest first
  EXPECT_EQ(adapter->Cursor(), "reddit1 seen=t3_c%2Ct3_b%2Ct3_a");
}

TEST(RedditAdapter, MapsSubmissionsAndComments) {
  std::unique_ptr<Adapter> adapter = Make(SubConfig());
  ASSERT_NE(adapter, nullptr);
  const Page page = MustPage(*adapter, *adapter->BeginCycle(),
                             Response(Listing({Comment("d4y8bdp", "it&#x27;s great &amp; &lt;fine&gt;"),
                                               Submission("48f0th", "Fish &amp; chips", "Line one\\n\\nLine two"),
                                               Submission("48f0ri", "Title only", "", "[deleted]")})));
  const std::vector<core::Post> posts = Posts(page);
  ASSERT_EQ(posts.size(), 3u);

  const core::Post& bare = posts[0];
  EXPECT_EQ(bare.id, "t3_48f0ri");
  EXPECT_EQ(bare.text, "Title only");
  EXPECT_EQ(bare.author, "");  // "[deleted]" is nobody
  EXPECT_EQ(bare.thread_id, "t3_48f0ri");

  const core::Post& submission = posts[1];
  EXPECT_EQ(submission.source, "reddit");
  EXPECT_EQ(submission.id, "t3_48f0th");
  EXPECT_EQ(submission.text, "Fish & chips\n\nLine one\n\nLine two");
  EXPECT_EQ(submission.author, "u/alice");
  EXPECT_EQ(submission.author_id, "t2_alice");
  EXPECT_EQ(submission.created_at, "2016-03-01T06:49:28.000Z");
  EXPECT_EQ(submission.url, "https://www.reddit.com/r/acme/comments/48f0th/title/");
  EXPECT_EQ(submission.thread_id, "t3_48f0th");
  EXPECT_EQ(submission.reply_to, "");
  EXPECT_FALSE(submission.followers.has_value());

  const core::Post& comment = posts[2];
  EXPECT_EQ(comment.id, "t1_d4y8bdp");
  EXPECT_EQ(comment.text, "it's great & <fine>");
  EXPECT_EQ(comment.author, "u/bob");
  EXPECT_EQ(comment.reply_to, "t3_4r4inc");
  EXPECT_EQ(comment.thread_id, "t3_4r4inc");
  EXPECT_EQ(comment.created_at, "2016-07-04T00:04:50.500Z");
  EXPECT_EQ(comment.url, "https://www.reddit.com/r/AskReddit/comments/4r4inc/x/d4y8bdp/");
}

TEST(RedditAdapter, StopsAtTheFirstSeenFullname) {
  std::unique_ptr<Adapter> adapter = Make(SubConfig(), "reddit1 seen=t3_c%2Ct3_b");
  ASSERT_NE(adapter, nullptr);
  const Page page =
      MustPage(*adapter, *adapter->BeginCycle(),
               Response(Listing({Submission("e"), Submission("d"), Submission("c"), Submission("b")}, "t3_b")));
  EXPECT_EQ(Ids(page), (std::vector<std::string>{"t3_d", "t3_e"}));
  EXPECT_FALSE(page.next.has_value());
  EXPECT_EQ(adapter->Cursor(), "reddit1 seen=t3_e%2Ct3_d%2Ct3_c%2Ct3_b");
}

TEST(RedditAdapter, SurvivesTheRemovalOfTheNewestSeenItem) {
  // t3_x was deleted since the last poll; the older stop marker still ends the walk.
  std::unique_ptr<Adapter> adapter = Make(SubConfig(), "reddit1 seen=t3_x%2Ct3_c");
  ASSERT_NE(adapter, nullptr);
  const Page page = MustPage(*adapter, *adapter->BeginCycle(),
                             Response(Listing({Submission("y"), Submission("c"), Submission("b")}, "t3_b")));
  EXPECT_EQ(Ids(page), (std::vector<std::string>{"t3_y"}));
  EXPECT_FALSE(page.next.has_value());
}

TEST(RedditAdapter, CursorHoldsUntilTheLastPageOfTheCycle) {
  std::unique_ptr<Adapter> adapter = Make(SubConfig({{"limit", "2"}}), "reddit1 seen=t3_a");
  ASSERT_NE(adapter, nullptr);
  const std::string old_cursor = adapter->Cursor();
  EXPECT_EQ(adapter->Describe(), "r/acme new: newest seen t3_a");
  const HttpRequest first = *adapter->BeginCycle();
  const Page page1 = MustPage(*adapter, first, Response(Listing({Submission("f"), Submission("e")}, "t3_e")));
  ASSERT_TRUE(page1.next.has_value());
  EXPECT_EQ(page1.next->url, "http://reddit.test/r/acme/new.json?limit=2&raw_json=1&after=t3_e");
  // Page 2 is older than page 1: committing t3_f now would make a restart skip page 2.
  EXPECT_EQ(adapter->Cursor(), old_cursor);

  const Page page2 = MustPage(*adapter, *page1.next, Response(Listing({Submission("d"), Submission("a")}, "t3_a")));
  EXPECT_EQ(Ids(page2), (std::vector<std::string>{"t3_d"}));
  EXPECT_FALSE(page2.next.has_value());
  EXPECT_EQ(adapter->Cursor(), "reddit1 seen=t3_f%2Ct3_e%2Ct3_d%2Ct3_a");

  // The next cycle starts again at page 1, stopping at what this one saw.
  const HttpRequest again = *adapter->BeginCycle();
  EXPECT_EQ(again.url, "http://reddit.test/r/acme/new.json?limit=2&raw_json=1");
  const Page page3 = MustPage(*adapter, again, Response(Listing({Submission("g"), Submission("f")}, "t3_f")));
  EXPECT_EQ(Ids(page3), (std::vector<std::string>{"t3_g"}));
  EXPECT_FALSE(page3.next.has_value());
}

TEST(RedditAdapter, AnErrorMidCycleKeepsTheOldCursor) {
  std::unique_ptr<Adapter> adapter = Make(SubConfig(), "reddit1 seen=t3_a");
  ASSERT_NE(adapter, nullptr);
  const Page page1 = MustPage(*adapter, *adapter->BeginCycle(), Response(Listing({Submission("c")}, "t3_c")));
  ASSERT_TRUE(page1.next.has_value());
  EXPECT_FALSE(adapter->OnResponse(*page1.next, Response("upstream timeout", 503)).has_value());
  EXPECT_EQ(adapter->Cursor(), "reddit1 seen=t3_a");
  // The next cycle starts over and does not remember the failed cycle's items as seen.
  const Page retry = MustPage(*adapter, *adapter->BeginCycle(), Response(Listing({Submission("c"), Submission("a")})));
  EXPECT_EQ(Ids(retry), (std::vector<std::string>{"t3_c"}));
}

TEST(RedditAdapter, StopsAfterMaxPages) {
  std::unique_ptr<Adapter> adapter = Make(SubConfig({{"max_pages", "2"}}), "reddit1 seen=t3_zzz");
  ASSERT_NE(adapter, nullptr);
  const Page page1 =
      MustPage(*adapter, *adapter->BeginCycle(), Response(Listing({Submission("f"), Submission("e")}, "t3_e")));
  ASSERT_TRUE(page1.next.has_value());
  const Page page2 = MustPage(*adapter, *page1.next, Response(Listing({Submission("d"), Submission("c")}, "t3_c")));
  EXPECT_FALSE(page2.next.has_value());
  EXPECT_EQ(adapter->Cursor(), "reddit1 seen=t3_f%2Ct3_e%2Ct3_d%2Ct3_c%2Ct3_zzz");
}

TEST(RedditAdapter, EndOfListingEndsTheCycle) {
  std::unique_ptr<Adapter> adapter = Make(SubConfig(), "reddit1 seen=");
  ASSERT_NE(adapter, nullptr);
  const Page page = MustPage(*adapter, *adapter->BeginCycle(), Response(Listing({Submission("b"), Submission("a")})));
  EXPECT_EQ(page.lines.size(), 2u);
  EXPECT_FALSE(page.next.has_value());
  EXPECT_EQ(adapter->Cursor(), "reddit1 seen=t3_b%2Ct3_a");
}

TEST(RedditAdapter, KeepsTheFiftyNewestFullnames) {
  std::string old_seen;
  for (int i = 0; i < 50; ++i) old_seen += (i ? "%2C" : "") + std::string("t3_old") + std::to_string(i);
  std::unique_ptr<Adapter> adapter = Make(SubConfig(), "reddit1 seen=" + old_seen);
  ASSERT_NE(adapter, nullptr);
  (void)MustPage(*adapter, *adapter->BeginCycle(), Response(Listing({Submission("new1"), Submission("new0")})));
  const std::string cursor = adapter->Cursor();
  EXPECT_EQ(cursor.rfind("reddit1 seen=t3_new1%2Ct3_new0%2Ct3_old0%2C", 0), 0u) << cursor;
  EXPECT_NE(cursor.find("t3_old47"), std::string::npos);
  EXPECT_EQ(cursor.find("t3_old48"), std::string::npos);  // 2 new + 48 old = 50
}

TEST(RedditAdapter, CursorRoundTrips) {
  std::unique_ptr<Adapter> adapter = Make(SubConfig());
  ASSERT_NE(adapter, nullptr);
  (void)MustPage(*adapter, *adapter->BeginCycle(), Response(Listing({Submission("b"), Submission("a")}, "t3_a")));
  const std::string cursor = adapter->Cursor();
  std::unique_ptr<Adapter> resumed = Make(SubConfig(), cursor);
  ASSERT_NE(resumed, nullptr);
  EXPECT_EQ(resumed->Cursor(), cursor);
  const HttpRequest request = *resumed->BeginCycle();
  EXPECT_EQ(request.url, "http://reddit.test/r/acme/new.json?limit=100&raw_json=1");
  // Resumed, it is no longer a first poll: unseen items lead on to the next page.
  const Page page = MustPage(*resumed, request, Response(Listing({Submission("d"), Submission("c")}, "t3_c")));
  ASSERT_TRUE(page.next.has_value());
  EXPECT_NE(page.next->url.find("&after=t3_c"), std::string::npos);
}

TEST(RedditAdapter, RejectsBadResponses) {
  std::unique_ptr<Adapter> adapter = Make(SubConfig(), "reddit1 seen=t3_a");
  ASSERT_NE(adapter, nullptr);
  const HttpRequest request = *adapter->BeginCycle();

  core::Result<Page> page = adapter->OnResponse(request, Response("<html>blocked", 403));
  ASSERT_FALSE(page.has_value());
  EXPECT_EQ(page.error().message(), "HTTP 403: <html>blocked");

  page = adapter->OnResponse(request, Response("<!doctype html><p>rate limited</p>"));
  ASSERT_FALSE(page.has_value());
  EXPECT_TRUE(page.error().IsInvalidArgument());
  EXPECT_EQ(page.error().message().rfind("malformed JSON: ", 0), 0u) << page.error().message();

  page = adapter->OnResponse(request, Response(R"([{"kind":"Listing"}])"));
  ASSERT_FALSE(page.has_value());
  EXPECT_NE(page.error().message().find("expected a Listing"), std::string::npos) << page.error().message();

  page = adapter->OnResponse(request, Response(Listing({Submission("c"), R"({"kind":"t3","data":{"title":"x"}})"})));
  ASSERT_FALSE(page.has_value());
  EXPECT_NE(page.error().message().find("child 1 has no name"), std::string::npos) << page.error().message();
  EXPECT_EQ(adapter->Cursor(), "reddit1 seen=t3_a");
}

TEST(RedditAdapter, RejectsBadParamsNamingSourceAndKey) {
  const std::vector<std::pair<std::map<std::string, std::string>, std::string>> cases = {
      {{}, "`subreddit`"},
      {{{"base_url", "https://reddit.test"}}, "`subreddit`"},
      {{{"subreddit", "a b"}}, "`subreddit`"},
      {{{"query", ""}}, "`query`"},
      {{{"subreddit", "acme"}, {"limit", "0"}}, "`limit`"},
      {{{"subreddit", "acme"}, {"limit", "101"}}, "`limit`"},
      {{{"subreddit", "acme"}, {"max_pages", "0"}}, "`max_pages`"},
      {{{"subreddit", "acme"}, {"base_url", "ftp://reddit.test"}}, "`base_url`"},
      {{{"subreddit", "acme"}, {"sort", "top"}}, "`sort`"},
  };
  for (const auto& [params, key] : cases) {
    const core::Result<std::unique_ptr<Adapter>> adapter = MakeRedditAdapter(Config(params), "");
    ASSERT_FALSE(adapter.has_value()) << key;
    EXPECT_TRUE(adapter.error().IsInvalidArgument()) << adapter.error().ToString();
    EXPECT_EQ(adapter.error().message().rfind("source rd: " + key, 0), 0u) << adapter.error().message();
  }
}

TEST(RedditAdapter, RejectsForeignOrBrokenCursors) {
  for (const std::string cursor :
       {"mastodon1 min_id=5", "reddit1", "reddit1 after=t3_a", "reddit1 seen=t3_a%2C%2Ct3_b", "reddit1 seen=t3_a%2C"}) {
    const core::Result<std::unique_ptr<Adapter>> adapter = MakeRedditAdapter(SubConfig(), cursor);
    ASSERT_FALSE(adapter.has_value()) << cursor;
    EXPECT_TRUE(adapter.error().IsCorruption()) << adapter.error().ToString();
    EXPECT_NE(adapter.error().message().find("source rd"), std::string::npos);
  }
}

// A recorded r/AskReddit/new listing (30 submissions, t3_48fbm9 newest, after=t3_48fa4z).
TEST(RedditAdapter, ReadsARecordedListing) {
  const std::string listing = ReadFixture("reddit/askreddit_new.json");
  std::unique_ptr<Adapter> adapter = Make(Config({{"subreddit", "AskReddit"}}));
  ASSERT_NE(adapter, nullptr);
  const Page page = MustPage(*adapter, *adapter->BeginCycle(), Response(listing));
  const std::vector<core::Post> posts = Posts(page);
  ASSERT_EQ(posts.size(), 30u);
  EXPECT_FALSE(page.next.has_value());  // first poll
  const core::Post& newest = posts.back();
  EXPECT_EQ(newest.id, "t3_48fbm9");
  EXPECT_EQ(newest.text, "[Serious] Parents of Reddit, what's the biggest lie about yourself you've told your kids?");
  EXPECT_EQ(newest.author, "u/RedHeadQc");
  EXPECT_EQ(newest.author_id, "");  // 2016 listings had no author_fullname
  EXPECT_EQ(newest.created_at, "2016-03-01T08:37:38.000Z");
  EXPECT_EQ(newest.url,
            "https://www.reddit.com/r/AskReddit/comments/48fbm9/serious_parents_of_reddit_whats_the_biggest_lie/");
  EXPECT_EQ(posts.front().id, "t3_48fa4z");
  EXPECT_EQ(adapter->Cursor().rfind("reddit1 seen=t3_48fbm9%2Ct3_48fbig%2C", 0), 0u) << adapter->Cursor();

  // A later poll that last saw t3_48fb64 (the 10th) emits the 9 newer ones and stops.
  std::unique_ptr<Adapter> later = Make(Config({{"subreddit", "AskReddit"}}), "reddit1 seen=t3_48fb64");
  ASSERT_NE(later, nullptr);
  const Page page2 = MustPage(*later, *later->BeginCycle(), Response(listing));
  EXPECT_EQ(page2.lines.size(), 9u);
  EXPECT_FALSE(page2.next.has_value());

  // One that saw none of them goes on to the next page.
  std::unique_ptr<Adapter> behind = Make(Config({{"subreddit", "AskReddit"}}), "reddit1 seen=t3_0");
  ASSERT_NE(behind, nullptr);
  const Page page3 = MustPage(*behind, *behind->BeginCycle(), Response(listing));
  EXPECT_EQ(page3.lines.size(), 30u);
  ASSERT_TRUE(page3.next.has_value());
  EXPECT_EQ(page3.next->url, "https://www.reddit.com/r/AskReddit/new.json?limit=100&raw_json=1&after=t3_48fa4z");
  EXPECT_EQ(behind->Cursor(), "reddit1 seen=t3_0");
}

}  // namespace
}  // namespace earshot::crawler
