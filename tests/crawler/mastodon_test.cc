#include "crawler/sources/mastodon.h"

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
  return test_support::SourceConfig("masto", "mastodon", std::move(params), std::move(secrets));
}

core::SourceConfig DefaultConfig(std::string limit = "") {
  std::map<std::string, std::string> params = {{"base_url", "https://social.example/"}, {"hashtag", "#acme"}};
  if (!limit.empty()) params["limit"] = limit;
  return Config(std::move(params));
}

std::unique_ptr<Adapter> Make(const core::SourceConfig& config, std::string_view cursor = "") {
  return test_support::MustMake(MakeMastodonAdapter, config, cursor);
}

HttpResponse Response(std::string body, long code = 200) {
  return test_support::MakeResponse(code, std::move(body), {{"content-type", "application/json; charset=utf-8"}});
}

// A status as the API sends it (trimmed to the fields the adapter reads, plus a few it ignores).
std::string Status(std::string id, std::string acct = "ana@other.example", std::string content = "<p>hello</p>",
                   std::string extra = "") {
  return R"({"id":")" + id + R"(","created_at":"2025-07-17T19:07:48.000Z","in_reply_to_id":null,)" +
         R"("sensitive":false,"spoiler_text":"","visibility":"public","language":"en",)" +
         R"("uri":"https://other.example/users/ana/statuses/)" + id + R"(","url":"https://other.example/@ana/)" + id +
         R"(","content":")" + content + R"(","reblog":null,"account":{"id":"7)" + id + R"(","username":"ana",)" +
         R"("acct":")" + acct + R"(","followers_count":656,"note":"<p>bio</p>"},"media_attachments":[])" + extra + "}";
}

TEST(MastodonAdapter, FirstPollAsksForTheNewestPageOnly) {
  std::unique_ptr<Adapter> adapter = Make(DefaultConfig("3"));
  ASSERT_NE(adapter, nullptr);
  core::Result<HttpRequest> request = adapter->BeginCycle();
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->method, "GET");
  EXPECT_EQ(request->url, "https://social.example/api/v1/timelines/tag/acme?limit=3");
  EXPECT_TRUE(request->headers.empty());
  EXPECT_EQ(adapter->Cursor(), "");

  // A full page: on the first poll that is still the end of the cycle (no backlog).
  const Page page = MustPage(*adapter, *request, Response(JsonArray({Status("300"), Status("200"), Status("100")})));
  EXPECT_FALSE(page.next.has_value());
  EXPECT_EQ(Ids(page), (std::vector<std::string>{"100", "200", "300"}));  // oldest first
  EXPECT_EQ(adapter->Cursor(), "mastodon1 min_id=300");
}

TEST(MastodonAdapter, DefaultLimitIsForty) {
  std::unique_ptr<Adapter> adapter =
      Make(Config({{"base_url", "http://127.0.0.1:8080"}, {"hashtag", "caf\xC3\xA9 bar"}}));
  ASSERT_NE(adapter, nullptr);
  EXPECT_EQ(adapter->BeginCycle()->url, "http://127.0.0.1:8080/api/v1/timelines/tag/caf%C3%A9%20bar?limit=40");
}

TEST(MastodonAdapter, TokenTravelsInTheAuthorizationHeaderOnly) {
  std::unique_ptr<Adapter> adapter =
      Make(Config({{"base_url", "https://social.example"}, {"hashtag", "acme"}}, {{"token", "s3cr3t-token"}}),
           "mastodon1 min_id=5");
  ASSERT_NE(adapter, nullptr);
  const HttpRequest request = *adapter->BeginCycle();
  ASSERT_EQ(request.headers.size(), 1u);
  EXPECT_EQ(request.headers[0].first, "Authorization");
  EXPECT_EQ(request.headers[0].second, "Bearer s3cr3t-token");
  EXPECT_EQ(request.url.find("s3cr3t"), std::string::npos) << request.url;
  const core::Result<Page> page =
      adapter->OnResponse(request, Response(R"({"error":"The access token is invalid"})", 401));
  ASSERT_FALSE(page.has_value());
  EXPECT_EQ(page.error().message().find("s3cr3t"), std::string::npos);
  EXPECT_EQ(adapter->Cursor().find("s3cr3t"), std::string::npos);
  EXPECT_EQ(adapter->Describe().find("s3cr3t"), std::string::npos);
}

TEST(MastodonAdapter, MapsAStatusToAPost) {
  std::unique_ptr<Adapter> adapter = Make(DefaultConfig());
  ASSERT_NE(adapter, nullptr);
  const HttpRequest request = *adapter->BeginCycle();
  const std::string remote = Status("114870142263126875", "simonpcouch@rstats.me",
                                    R"(<p>Don&#x27;t use <a href=\"https://rstats.me/tags/rstats\" class=\"mention\">)"
                                    R"(#<span>rstats</span></a> &amp; friends<br>ok?</p>)");
  // A local account (bare acct), a reply, a content warning, no url (falls back to uri), no language.
  std::string local = Status("114870142263126874", "bob", "<p>the <b>app</b> crashed</p>");
  local.replace(local.find(R"("spoiler_text":"")"), 17, R"("spoiler_text":"CW: rant")");
  local.replace(local.find(R"("in_reply_to_id":null)"), 21, R"("in_reply_to_id":"114870142263126000")");
  local.replace(local.find(R"("language":"en")"), 15, R"("language":null)");
  local.replace(local.find(R"("url":")"), 7, R"("url":null,"x":")");
  const Page page = MustPage(*adapter, request, Response(JsonArray({remote, local})));
  const std::vector<core::Post> posts = Posts(page);
  ASSERT_EQ(posts.size(), 2u);

  const core::Post& bob = posts[0];  // the older one comes first
  EXPECT_EQ(bob.source, "mastodon");
  EXPECT_EQ(bob.id, "114870142263126874");
  EXPECT_EQ(bob.text, "CW: rant\nthe app crashed");
  EXPECT_EQ(bob.author, "@bob@social.example");
  EXPECT_EQ(bob.reply_to, "114870142263126000");
  EXPECT_EQ(bob.lang, "");
  EXPECT_EQ(bob.url, "https://other.example/users/ana/statuses/114870142263126874");

  const core::Post& simon = posts[1];
  EXPECT_EQ(simon.id, "114870142263126875");
  EXPECT_EQ(simon.text, "Don't use #rstats & friends\nok?");
  EXPECT_EQ(simon.text.find('<'), std::string::npos);
  EXPECT_EQ(simon.author, "@simonpcouch@rstats.me");
  EXPECT_EQ(simon.author_id, "7114870142263126875");
  EXPECT_EQ(simon.followers, 656);
  EXPECT_EQ(simon.created_at, "2025-07-17T19:07:48.000Z");
  EXPECT_EQ(simon.url, "https://other.example/@ana/114870142263126875");
  EXPECT_EQ(simon.lang, "en");
  EXPECT_EQ(simon.reply_to, "");
}

TEST(MastodonAdapter, LaterPollPagesForwardWhileThePageIsFull) {
  std::unique_ptr<Adapter> adapter = Make(DefaultConfig("2"), "mastodon1 min_id=100");
  ASSERT_NE(adapter, nullptr);
  const HttpRequest first = *adapter->BeginCycle();
  EXPECT_EQ(first.url, "https://social.example/api/v1/timelines/tag/acme?limit=2&min_id=100");

  // Statuses immediately newer than min_id, newest first as the server sends them.
  const Page page1 = MustPage(*adapter, first, Response(JsonArray({Status("102"), Status("101")})));
  EXPECT_EQ(Ids(page1), (std::vector<std::string>{"101", "102"}));
  ASSERT_TRUE(page1.next.has_value());
  EXPECT_EQ(page1.next->url, "https://social.example/api/v1/timelines/tag/acme?limit=2&min_id=102");
  // Forward paging: the cursor may advance after every page.
  EXPECT_EQ(adapter->Cursor(), "mastodon1 min_id=102");

  const Page page2 = MustPage(*adapter, *page1.next, Response(JsonArray({Status("103")})));
  EXPECT_EQ(Ids(page2), (std::vector<std::string>{"103"}));
  EXPECT_FALSE(page2.next.has_value());
  EXPECT_EQ(adapter->Cursor(), "mastodon1 min_id=103");

  // The next cycle starts where this one ended.
  EXPECT_EQ(adapter->BeginCycle()->url, "https://social.example/api/v1/timelines/tag/acme?limit=2&min_id=103");
}

TEST(MastodonAdapter, APageLargerThanTheLimitStillCountsAsFull) {
  std::unique_ptr<Adapter> adapter = Make(DefaultConfig("2"), "mastodon1 min_id=100");
  ASSERT_NE(adapter, nullptr);
  const HttpRequest request = *adapter->BeginCycle();
  const Page page = MustPage(*adapter, request, Response(JsonArray({Status("103"), Status("102"), Status("101")})));
  ASSERT_TRUE(page.next.has_value());
  EXPECT_NE(page.next->url.find("&min_id=103"), std::string::npos) << page.next->url;
}

TEST(MastodonAdapter, AnEmptyPageEndsTheCycleAndKeepsTheCursor) {
  std::unique_ptr<Adapter> adapter = Make(DefaultConfig("2"), "mastodon1 min_id=100");
  ASSERT_NE(adapter, nullptr);
  const Page page = MustPage(*adapter, *adapter->BeginCycle(), Response("[]"));
  EXPECT_TRUE(page.lines.empty());
  EXPECT_FALSE(page.next.has_value());
  EXPECT_EQ(adapter->Cursor(), "mastodon1 min_id=100");
}

TEST(MastodonAdapter, IdsCompareByLengthThenBytes) {
  // As integers or as plain strings one of these orders would be wrong: "99" < "100" < "101".
  std::unique_ptr<Adapter> adapter = Make(DefaultConfig("3"), "mastodon1 min_id=98");
  ASSERT_NE(adapter, nullptr);
  const HttpRequest request = *adapter->BeginCycle();
  const Page page = MustPage(*adapter, request, Response(JsonArray({Status("100"), Status("99"), Status("101")})));
  EXPECT_EQ(Ids(page), (std::vector<std::string>{"99", "100", "101"}));
  EXPECT_EQ(adapter->Cursor(), "mastodon1 min_id=101");
  ASSERT_TRUE(page.next.has_value());
  EXPECT_NE(page.next->url.find("&min_id=101"), std::string::npos);

  // A 20-digit id beyond int64 is just a longer string.
  const Page page2 = MustPage(*adapter, *page.next, Response(JsonArray({Status("99999999999999999999")})));
  EXPECT_EQ(adapter->Cursor(), "mastodon1 min_id=99999999999999999999");
  EXPECT_FALSE(page2.next.has_value());
}

TEST(MastodonAdapter, SkipsBoostsButAdvancesPastThem) {
  std::unique_ptr<Adapter> adapter = Make(DefaultConfig("2"), "mastodon1 min_id=100");
  ASSERT_NE(adapter, nullptr);
  const std::string boost = Status("105", "booster", "", R"(,"reblog":)" + Status("50"));
  // The duplicate "reblog" key would be ambiguous; build the boost without the null one.
  std::string clean_boost = boost;
  clean_boost.replace(clean_boost.find(R"("reblog":null,)"), 14, "");
  const Page page = MustPage(*adapter, *adapter->BeginCycle(), Response(JsonArray({clean_boost, Status("104")})));
  EXPECT_EQ(Ids(page), (std::vector<std::string>{"104"}));
  EXPECT_EQ(adapter->Cursor(), "mastodon1 min_id=105");
  // The boost still counts towards a full page, so the burst goes on.
  ASSERT_TRUE(page.next.has_value());
  EXPECT_NE(page.next->url.find("&min_id=105"), std::string::npos);
}

TEST(MastodonAdapter, StopsWhenTheServerIgnoresMinId) {
  std::unique_ptr<Adapter> adapter = Make(DefaultConfig("2"), "mastodon1 min_id=500");
  ASSERT_NE(adapter, nullptr);
  const Page page = MustPage(*adapter, *adapter->BeginCycle(), Response(JsonArray({Status("400"), Status("300")})));
  EXPECT_FALSE(page.next.has_value());
  EXPECT_EQ(adapter->Cursor(), "mastodon1 min_id=500");
}

TEST(MastodonAdapter, AcceptsNumericIds) {
  std::unique_ptr<Adapter> adapter = Make(DefaultConfig());
  ASSERT_NE(adapter, nullptr);
  const Page page =
      MustPage(*adapter, *adapter->BeginCycle(),
               Response(R"([{"id":12,"content":"<p>Hello world.</p>","account":{"id":1,"acct":"USER"}}])"));
  const std::vector<core::Post> posts = Posts(page);
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].id, "12");
  EXPECT_EQ(posts[0].author_id, "1");
  EXPECT_EQ(posts[0].text, "Hello world.");
  EXPECT_EQ(adapter->Cursor(), "mastodon1 min_id=12");
}

TEST(MastodonAdapter, CursorRoundTrips) {
  std::unique_ptr<Adapter> adapter = Make(DefaultConfig());
  ASSERT_NE(adapter, nullptr);
  (void)MustPage(*adapter, *adapter->BeginCycle(), Response(JsonArray({Status("1148701"), Status("1148700")})));
  const std::string cursor = adapter->Cursor();
  EXPECT_EQ(cursor, "mastodon1 min_id=1148701");
  std::unique_ptr<Adapter> resumed = Make(DefaultConfig(), cursor);
  ASSERT_NE(resumed, nullptr);
  EXPECT_EQ(resumed->BeginCycle()->url, "https://social.example/api/v1/timelines/tag/acme?limit=40&min_id=1148701");
  EXPECT_EQ(resumed->Cursor(), cursor);
  EXPECT_NE(resumed->Describe().find("1148701"), std::string::npos);
}

TEST(MastodonAdapter, HttpErrorsNameTheStatusAndTheBodyStart) {
  std::unique_ptr<Adapter> adapter = Make(DefaultConfig(), "mastodon1 min_id=7");
  ASSERT_NE(adapter, nullptr);
  const HttpRequest request = *adapter->BeginCycle();
  const std::string body = "<html>" + std::string(500, 'x') + "</html>";
  const core::Result<Page> page = adapter->OnResponse(request, Response(body, 500));
  ASSERT_FALSE(page.has_value());
  const std::string& message = page.error().message();
  EXPECT_EQ(message.rfind("HTTP 500: <html>xxx", 0), 0u) << message;
  EXPECT_LT(message.size(), 230u);
  EXPECT_EQ(adapter->Cursor(), "mastodon1 min_id=7");
}

TEST(MastodonAdapter, RejectsBodiesThatAreNotStatusArrays) {
  std::unique_ptr<Adapter> adapter = Make(DefaultConfig(), "mastodon1 min_id=7");
  ASSERT_NE(adapter, nullptr);
  const HttpRequest request = *adapter->BeginCycle();

  core::Result<Page> page = adapter->OnResponse(request, Response(R"([{"id":"8",)"));
  ASSERT_FALSE(page.has_value());
  EXPECT_TRUE(page.error().IsInvalidArgument());
  EXPECT_EQ(page.error().message().rfind("malformed JSON: ", 0), 0u) << page.error().message();

  page = adapter->OnResponse(request, Response(R"({"error":"Record not found"})"));
  ASSERT_FALSE(page.has_value());
  EXPECT_NE(page.error().message().find("expected an array of statuses"), std::string::npos);

  page = adapter->OnResponse(request, Response(JsonArray({Status("9"), "42"})));
  ASSERT_FALSE(page.has_value());
  EXPECT_NE(page.error().message().find("status 1 is not an object"), std::string::npos) << page.error().message();

  // A status without an id fails the page (rather than silently dropping a post), naming its index.
  page = adapter->OnResponse(request, Response(JsonArray({Status("9"), R"({"content":"<p>no id</p>"})"})));
  ASSERT_FALSE(page.has_value());
  EXPECT_NE(page.error().message().find("status 1 has no id"), std::string::npos) << page.error().message();
  EXPECT_EQ(adapter->Cursor(), "mastodon1 min_id=7");  // nothing moved
}

TEST(MastodonAdapter, RejectsBadParamsNamingSourceAndKey) {
  struct Case {
    std::map<std::string, std::string> params;
    std::map<std::string, std::string> secrets;
    std::string key;
  };
  const std::vector<Case> cases = {
      {{{"hashtag", "acme"}}, {}, "`base_url`"},
      {{{"base_url", "social.example"}, {"hashtag", "acme"}}, {}, "`base_url`"},
      {{{"base_url", "https://social.example"}}, {}, "`hashtag`"},
      {{{"base_url", "https://social.example"}, {"hashtag", "#"}}, {}, "`hashtag`"},
      {{{"base_url", "https://social.example"}, {"hashtag", "acme"}, {"limit", "0"}}, {}, "`limit`"},
      {{{"base_url", "https://social.example"}, {"hashtag", "acme"}, {"limit", "41"}}, {}, "`limit`"},
      {{{"base_url", "https://social.example"}, {"hashtag", "acme"}, {"limit", "20x"}}, {}, "`limit`"},
      {{{"base_url", "https://social.example"}, {"hashtag", "acme"}, {"hashtags", "b"}}, {}, "`hashtags`"},
      {{{"base_url", "https://social.example"}, {"hashtag", "acme"}}, {{"password", "p"}}, "`password_env`"},
  };
  for (const Case& c : cases) {
    const core::Result<std::unique_ptr<Adapter>> adapter = MakeMastodonAdapter(Config(c.params, c.secrets), "");
    ASSERT_FALSE(adapter.has_value()) << c.key;
    EXPECT_TRUE(adapter.error().IsInvalidArgument()) << adapter.error().ToString();
    EXPECT_EQ(adapter.error().message().rfind("source masto: " + c.key, 0), 0u) << adapter.error().message();
  }
}

TEST(MastodonAdapter, RejectsForeignOrBrokenCursors) {
  for (const std::string cursor : {"reddit1 seen=t3_a", "mastodon1", "mastodon1 max_id=5", "mastodon1 min_id=%zz"}) {
    const core::Result<std::unique_ptr<Adapter>> adapter = MakeMastodonAdapter(DefaultConfig(), cursor);
    ASSERT_FALSE(adapter.has_value()) << cursor;
    EXPECT_TRUE(adapter.error().IsCorruption()) << adapter.error().ToString();
    EXPECT_NE(adapter.error().message().find("source masto"), std::string::npos);
  }
}

// A recorded fosstodon.org response to GET /api/v1/timelines/tag/rstats?limit=5.
TEST(MastodonAdapter, ReadsARecordedTagTimeline) {
  std::unique_ptr<Adapter> adapter =
      Make(Config({{"base_url", "https://fosstodon.org"}, {"hashtag", "rstats"}, {"limit", "5"}}));
  ASSERT_NE(adapter, nullptr);
  const Page page =
      MustPage(*adapter, *adapter->BeginCycle(), Response(ReadFixture("mastodon/timeline_tag_rstats.json")));
  const std::vector<core::Post> posts = Posts(page);
  ASSERT_EQ(posts.size(), 5u);
  EXPECT_EQ(posts.front().id, "114869144097749491");  // oldest first
  EXPECT_EQ(posts.back().id, "114870142263126875");
  const core::Post& simon = posts.back();
  EXPECT_EQ(simon.author, "@simonpcouch@rstats.me");
  EXPECT_EQ(simon.author_id, "114377281268186618");
  EXPECT_EQ(simon.followers, 656);
  EXPECT_EQ(simon.created_at, "2025-07-17T19:07:48.000Z");
  EXPECT_EQ(simon.url, "https://rstats.me/@simonpcouch/114870142137562212");
  EXPECT_EQ(simon.lang, "en");
  EXPECT_NE(simon.text.find("peruse #rstats package documentation via MCP is so, so helpful"), std::string::npos)
      << simon.text;
  for (const core::Post& post : posts) {
    EXPECT_EQ(post.text.find('<'), std::string::npos) << post.text;
    EXPECT_EQ(post.text.find("&#"), std::string::npos) << post.text;
  }
  EXPECT_FALSE(page.next.has_value());
  EXPECT_EQ(adapter->Cursor(), "mastodon1 min_id=114870142263126875");
}

// A recorded mastodon.social public timeline: local accounts get the instance's host.
TEST(MastodonAdapter, ReadsARecordedTimelineWithLocalAccounts) {
  std::unique_ptr<Adapter> adapter = Make(
      Config({{"base_url", "https://mastodon.social/"}, {"hashtag", "news"}, {"limit", "20"}}), "mastodon1 min_id=1");
  ASSERT_NE(adapter, nullptr);
  const Page page = MustPage(*adapter, *adapter->BeginCycle(), Response(ReadFixture("mastodon/timeline_public.json")));
  const std::vector<core::Post> posts = Posts(page);
  ASSERT_EQ(posts.size(), 20u);
  std::map<std::string, core::Post> by_id;
  for (const core::Post& post : posts) by_id[post.id] = post;
  EXPECT_EQ(by_id["114870361898081928"].author, "@GreenConnect@mastodon.social");
  EXPECT_EQ(by_id["114870361898081928"].followers, 0);
  EXPECT_EQ(by_id["114870361973436726"].author, "@Michael@weatherby2378.social");
  EXPECT_EQ(by_id["114870361973436726"].lang, "de");
  EXPECT_EQ(by_id["114870361818376588"].reply_to, "114870358786845464");
  EXPECT_EQ(by_id["114870361864193678"].text.find("</p>"), std::string::npos);
  for (size_t i = 1; i < posts.size(); ++i) EXPECT_LT(posts[i - 1].id, posts[i].id);  // equal lengths here
  // A full page (20 of limit 20) on a later poll continues from its newest id.
  ASSERT_TRUE(page.next.has_value());
  EXPECT_NE(page.next->url.find("&min_id=114870361973436726"), std::string::npos) << page.next->url;
}

}  // namespace
}  // namespace earshot::crawler
