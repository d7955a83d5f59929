// The bluesky adapter on recorded and hand-written searchPosts responses: the session dance
// (createSession, bearer token only in a header, re-login once on expiry), since = cursor −
// overlap, cursor paging that commits only at the cycle's end, and the Post fields.
#include "crawler/sources/bluesky.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

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
using test_support::JsonArray;
using test_support::Posts;
using test_support::ReadFixture;
using test_support::WithParam;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;

// Quotes and a backslash check the JSON escaping of the createSession body.
constexpr std::string_view kPassword = "pw-\"secret\\x-1234";

core::SourceConfig Config() {
  core::SourceConfig config;
  config.id = "bsky";
  config.kind = "bluesky";
  config.params["query"] = "acme outage";
  config.params["identifier"] = "care.acme.example";
  config.params["base_url"] = "https://pds.example/";
  config.secrets["app_password"] = std::string(kPassword);
  return config;
}

std::unique_ptr<Adapter> Make(const core::SourceConfig& config, std::string_view cursor = "") {
  return test_support::MustMake(MakeBlueskyAdapter, config, cursor);
}

HttpResponse Response(long code, std::string body) { return test_support::MakeResponse(code, std::move(body)); }

HttpResponse SessionOk(std::string_view jwt) {
  return Response(200, R"({"did":"did:plc:care","handle":"care.acme.example","accessJwt":")" + std::string(jwt) +
                           R"(","refreshJwt":"refresh-token"})");
}

// A searchPosts post; `reply` adds record.reply pointing at a parent and a root.
std::string PostJson(std::string_view rkey, std::string_view indexed_at, std::string_view text, bool reply = false) {
  std::string json = R"({"uri":"at://did:plc:ana/app.bsky.feed.post/)" + std::string(rkey) +
                     R"(","cid":"bafy","author":{"did":"did:plc:ana","handle":"ana.bsky.social","displayName":"Ana"},)" +
                     R"("record":{"$type":"app.bsky.feed.post","createdAt":")" + std::string(indexed_at) +
                     R"(","langs":["pt","en"],"text":")" + std::string(text) + "\"";
  if (reply) {
    json += R"(,"reply":{"parent":{"uri":"at://did:plc:bo/app.bsky.feed.post/p1","cid":"c"},)"
            R"("root":{"uri":"at://did:plc:bo/app.bsky.feed.post/r1","cid":"c"}})";
  }
  json += R"(},"indexedAt":")" + std::string(indexed_at) + R"(","labels":[]})";
  return json;
}

std::string SearchJson(const std::vector<std::string>& posts, std::string_view cursor = "") {
  std::string json = R"({"posts":)" + JsonArray(posts);
  if (!cursor.empty()) json += R"(,"cursor":")" + std::string(cursor) + "\"";
  return json + "}";
}

// Logs in: BeginCycle's createSession answered with `jwt`; returns the search request that follows.
HttpRequest LogIn(Adapter& adapter, std::string_view jwt = "jwt-1") {
  core::Result<HttpRequest> session = adapter.BeginCycle();
  EXPECT_TRUE(session.has_value());
  core::Result<Page> page = adapter.OnResponse(*session, SessionOk(jwt));
  EXPECT_TRUE(page.has_value()) << page.error().ToString();
  EXPECT_THAT(page->lines, IsEmpty());
  EXPECT_TRUE(page->next.has_value());
  return page->next.value_or(HttpRequest{});
}

TEST(BlueskyAdapter, FirstRequestCreatesASessionWithTheAppPasswordInTheBodyOnly) {
  std::unique_ptr<Adapter> adapter = Make(Config());
  core::Result<HttpRequest> session = adapter->BeginCycle();
  ASSERT_TRUE(session.has_value());
  EXPECT_EQ(session->method, "POST");
  EXPECT_EQ(session->url, "https://pds.example/xrpc/com.atproto.server.createSession");
  EXPECT_EQ(HeaderOf(*session, "Content-Type"), "application/json");
  EXPECT_THAT(session->url, Not(HasSubstr("secret")));

  simdjson::dom::parser parser;
  simdjson::dom::element body;
  ASSERT_EQ(parser.parse(session->body).get(body), simdjson::SUCCESS) << session->body;
  std::string_view identifier, password;
  ASSERT_EQ(body["identifier"].get_string().get(identifier), simdjson::SUCCESS);
  ASSERT_EQ(body["password"].get_string().get(password), simdjson::SUCCESS);
  EXPECT_EQ(identifier, "care.acme.example");
  EXPECT_EQ(password, kPassword);
  EXPECT_EQ(adapter->Cursor(), "bluesky1");
}

TEST(BlueskyAdapter, SearchCarriesTheTokenOnlyInTheAuthorizationHeader) {
  std::unique_ptr<Adapter> adapter = Make(Config());
  const HttpRequest search = LogIn(*adapter, "jwt-abc");
  EXPECT_EQ(search.method, "GET");
  // First poll: no since, one page.
  EXPECT_EQ(search.url, "https://pds.example/xrpc/app.bsky.feed.searchPosts?q=acme%20outage&sort=latest&limit=100");
  EXPECT_EQ(HeaderOf(search, "Authorization"), "Bearer jwt-abc");
  EXPECT_THAT(search.url, Not(HasSubstr("jwt")));

  core::Result<Page> page = adapter->OnResponse(
      search, Response(200, SearchJson({PostJson("3b", "2025-05-19T17:10:09.813Z", "newer"),
                                        PostJson("3a", "2025-05-19T16:00:00.000Z", "older")},
                                       "more-please")));
  ASSERT_TRUE(page.has_value()) << page.error().ToString();
  EXPECT_FALSE(page->next.has_value()) << "the first poll takes one page only";
  EXPECT_EQ(adapter->Cursor(), "bluesky1 since=2025-05-19T17%3A10%3A09.813Z");
  EXPECT_THAT(adapter->Cursor(), Not(HasSubstr("jwt")));
  EXPECT_THAT(adapter->Cursor(), Not(HasSubstr("secret")));

  // The next cycle reuses the session: no second login.
  core::Result<HttpRequest> next = adapter->BeginCycle();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->method, "GET");
  EXPECT_EQ(HeaderOf(*next, "Authorization"), "Bearer jwt-abc");
}

TEST(BlueskyAdapter, PostsCarryEveryFieldTheSearchGivesOldestFirst) {
  std::unique_ptr<Adapter> adapter = Make(Config());
  const HttpRequest search = LogIn(*adapter);
  core::Result<Page> page = adapter->OnResponse(
      search, Response(200, SearchJson({PostJson("3lnew", "2025-05-19T17:10:09.813Z", "reply text", true),
                                        PostJson("3lold", "2025-05-19T16:00:00.000Z", "top \\u00e9 level")})));
  ASSERT_TRUE(page.has_value()) << page.error().ToString();
  const std::vector<core::Post> posts = Posts(*page);
  ASSERT_THAT(posts, SizeIs(2));
  EXPECT_EQ(posts[0].id, "at://did:plc:ana/app.bsky.feed.post/3lold");
  EXPECT_EQ(posts[0].text, "top \u00e9 level");
  EXPECT_EQ(posts[0].reply_to, "");
  EXPECT_EQ(posts[0].thread_id, "");
  const core::Post& reply = posts[1];
  EXPECT_EQ(reply.source, "bluesky");
  EXPECT_EQ(reply.id, "at://did:plc:ana/app.bsky.feed.post/3lnew");
  EXPECT_EQ(reply.text, "reply text");
  EXPECT_EQ(reply.author, "@ana.bsky.social");
  EXPECT_EQ(reply.author_id, "did:plc:ana");
  EXPECT_EQ(reply.created_at, "2025-05-19T17:10:09.813Z");
  EXPECT_EQ(reply.url, "https://bsky.app/profile/ana.bsky.social/post/3lnew");
  EXPECT_EQ(reply.lang, "pt");
  EXPECT_EQ(reply.reply_to, "at://did:plc:bo/app.bsky.feed.post/p1");
  EXPECT_EQ(reply.thread_id, "at://did:plc:bo/app.bsky.feed.post/r1");
  EXPECT_FALSE(reply.followers.has_value());
}

TEST(BlueskyAdapter, RecordedSearchResponseParses) {
  const std::string body = ReadFixture("bluesky/search_posts.json");
  ASSERT_FALSE(body.empty());

  std::unique_ptr<Adapter> adapter = Make(Config());
  const HttpRequest search = LogIn(*adapter);
  core::Result<Page> page = adapter->OnResponse(search, Response(200, body));
  ASSERT_TRUE(page.has_value()) << page.error().ToString();
  const std::vector<core::Post> posts = Posts(*page);
  ASSERT_THAT(posts, SizeIs(25));
  // The response runs newest first; the lines oldest first.
  EXPECT_EQ(posts.front().author, "@mcpli.bsky.social");
  EXPECT_EQ(posts.back().author, "@socpaperbot.bsky.social");
  EXPECT_EQ(posts.back().url, "https://bsky.app/profile/socpaperbot.bsky.social/post/3lpk2u6qo222m");
  EXPECT_EQ(posts.back().lang, "") << "that post has no langs";
  size_t replies = 0;
  for (const core::Post& post : posts) {
    EXPECT_THAT(post.id, StartsWith("at://did:"));
    EXPECT_THAT(post.author_id, StartsWith("did:"));
    EXPECT_FALSE(post.created_at.empty());
    if (!post.reply_to.empty()) {
      ++replies;
      EXPECT_THAT(post.thread_id, StartsWith("at://"));
    }
  }
  EXPECT_EQ(replies, 12u);
  EXPECT_EQ(adapter->Cursor(), "bluesky1 since=2025-05-19T17%3A10%3A09.813Z");
}

TEST(BlueskyAdapter, LaterCyclesSearchSinceCursorMinusOverlapAndCommitAtTheEnd) {
  core::SourceConfig config = Config();
  config.params["overlap"] = "2m";
  config.params["limit"] = "2";
  std::unique_ptr<Adapter> adapter = Make(config, "bluesky1 since=2025-05-19T17%3A10%3A09.813Z");
  const std::string committed = adapter->Cursor();
  EXPECT_EQ(committed, "bluesky1 since=2025-05-19T17%3A10%3A09.813Z");
  const HttpRequest first = LogIn(*adapter);
  EXPECT_EQ(first.url,
            "https://pds.example/xrpc/app.bsky.feed.searchPosts?q=acme%20outage&sort=latest&limit=2"
            "&since=2025-05-19T17%3A08%3A09.813Z");

  core::Result<Page> page1 = adapter->OnResponse(
      first, Response(200, SearchJson({PostJson("3d", "2025-05-19T17:30:00.000Z", "d"),
                                       PostJson("3c", "2025-05-19T17:20:00.000Z", "c")},
                                      "page2")));
  ASSERT_TRUE(page1.has_value()) << page1.error().ToString();
  ASSERT_TRUE(page1->next.has_value());
  EXPECT_EQ(page1->next->url, first.url + "&cursor=page2");
  EXPECT_EQ(HeaderOf(*page1->next, "Authorization"), "Bearer jwt-1");
  // Page 2 holds older posts: committing page 1's newest time now would skip them after a crash.
  EXPECT_EQ(adapter->Cursor(), committed);

  core::Result<Page> page2 = adapter->OnResponse(
      *page1->next, Response(200, SearchJson({PostJson("3b", "2025-05-19T17:15:00.000Z", "b"),
                                              PostJson("3a", "2025-05-19T17:12:00.000Z", "a")},
                                             "page3")));
  ASSERT_TRUE(page2.has_value());
  ASSERT_TRUE(page2->next.has_value());
  EXPECT_EQ(adapter->Cursor(), committed);
  std::vector<std::string> texts;
  for (const core::Post& post : Posts(*page2)) texts.push_back(post.text);
  EXPECT_THAT(texts, ElementsAre("a", "b"));

  // An empty page ends the cycle even though the API still offers a cursor.
  core::Result<Page> page3 = adapter->OnResponse(*page2->next, Response(200, SearchJson({}, "page4")));
  ASSERT_TRUE(page3.has_value());
  EXPECT_FALSE(page3->next.has_value());
  EXPECT_EQ(adapter->Cursor(), "bluesky1 since=2025-05-19T17%3A30%3A00.000Z");
}

TEST(BlueskyAdapter, ARepeatedCursorEndsTheCycle) {
  std::unique_ptr<Adapter> adapter = Make(Config(), "bluesky1 since=2025-05-19T17%3A10%3A09.813Z");
  const HttpRequest first = LogIn(*adapter);
  core::Result<Page> page1 =
      adapter->OnResponse(first, Response(200, SearchJson({PostJson("3c", "2025-05-19T17:20:00.000Z", "c")}, "same")));
  ASSERT_TRUE(page1.has_value() && page1->next.has_value());
  core::Result<Page> page2 = adapter->OnResponse(
      *page1->next, Response(200, SearchJson({PostJson("3c", "2025-05-19T17:20:00.000Z", "c")}, "same")));
  ASSERT_TRUE(page2.has_value());
  EXPECT_FALSE(page2->next.has_value());
}

TEST(BlueskyAdapter, ExpiredTokenLogsInAgainOnceAndRepeatsTheSearch) {
  std::unique_ptr<Adapter> adapter = Make(Config(), "bluesky1 since=2025-05-19T17%3A10%3A09.813Z");
  const HttpRequest search = LogIn(*adapter, "jwt-old");
  core::Result<Page> expired = adapter->OnResponse(
      search, Response(400, R"({"error":"ExpiredToken","message":"Token has expired"})"));
  ASSERT_TRUE(expired.has_value()) << expired.error().ToString();
  ASSERT_TRUE(expired->next.has_value());
  EXPECT_EQ(expired->next->method, "POST");
  EXPECT_THAT(expired->next->url, HasSubstr("createSession"));

  core::Result<Page> session = adapter->OnResponse(*expired->next, SessionOk("jwt-new"));
  ASSERT_TRUE(session.has_value());
  ASSERT_TRUE(session->next.has_value());
  EXPECT_EQ(session->next->url, search.url);
  EXPECT_EQ(HeaderOf(*session->next, "Authorization"), "Bearer jwt-new");
  EXPECT_EQ(session->next->headers.size(), 1u) << "the stale token is not sent along";

  // A second rejection in the same cycle is an error, and it does not leak the password.
  core::Result<Page> again = adapter->OnResponse(
      *session->next, Response(401, R"({"error":"AuthenticationRequired","message":"Bad token"})"));
  ASSERT_FALSE(again.has_value());
  EXPECT_THAT(again.error().message(), HasSubstr("AuthenticationRequired"));
  EXPECT_THAT(again.error().message(), Not(HasSubstr("jwt")));

  // The next cycle starts with a fresh login (the token was forgotten) and may re-login again.
  core::Result<HttpRequest> next = adapter->BeginCycle();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->method, "POST");
  core::Result<Page> relogged = adapter->OnResponse(*next, SessionOk("jwt-3"));
  ASSERT_TRUE(relogged.has_value() && relogged->next.has_value());
  core::Result<Page> invalid = adapter->OnResponse(*relogged->next, Response(400, R"({"error":"InvalidToken"})"));
  ASSERT_TRUE(invalid.has_value()) << "one re-login per cycle, and this cycle has not used it";
  ASSERT_TRUE(invalid->next.has_value());
  EXPECT_EQ(invalid->next->method, "POST");
}

TEST(BlueskyAdapter, OtherErrorsAreNotMistakenForExpiry) {
  std::unique_ptr<Adapter> adapter = Make(Config());
  const HttpRequest search = LogIn(*adapter);
  core::Result<Page> page =
      adapter->OnResponse(search, Response(400, R"({"error":"InvalidRequest","message":"q is required"})"));
  ASSERT_FALSE(page.has_value());
  EXPECT_THAT(page.error().message(), HasSubstr("InvalidRequest: q is required"));
}

TEST(BlueskyAdapter, FailedLoginNamesTheSecretsKeyButNeverThePassword) {
  std::unique_ptr<Adapter> adapter = Make(Config());
  core::Result<HttpRequest> session = adapter->BeginCycle();
  ASSERT_TRUE(session.has_value());
  // A server that echoes the password back must not get it into our error text.
  core::Result<Page> page = adapter->OnResponse(
      *session, Response(401, R"({"error":"AuthenticationRequired","message":"Invalid password pw-\"secret\\x-1234"})"));
  ASSERT_FALSE(page.has_value());
  EXPECT_TRUE(page.error().IsInvalidArgument()) << page.error().ToString();
  EXPECT_THAT(page.error().message(), HasSubstr("app_password_env"));
  EXPECT_THAT(page.error().message(), Not(HasSubstr("secret")));
  EXPECT_THAT(page.error().message(), Not(HasSubstr("1234")));
}

TEST(BlueskyAdapter, MalformedBodiesAreErrors) {
  std::unique_ptr<Adapter> adapter = Make(Config());
  core::Result<HttpRequest> session = adapter->BeginCycle();
  ASSERT_TRUE(session.has_value());
  core::Result<Page> no_token = adapter->OnResponse(*session, Response(200, R"({"did":"x"})"));
  ASSERT_FALSE(no_token.has_value());
  EXPECT_THAT(no_token.error().message(), HasSubstr("accessJwt"));

  const HttpRequest search = LogIn(*adapter);
  core::Result<Page> truncated = adapter->OnResponse(search, Response(200, R"({"posts":[{"uri":)"));
  ASSERT_FALSE(truncated.has_value());
  EXPECT_THAT(truncated.error().message(), HasSubstr("malformed JSON"));
  core::Result<Page> wrong = adapter->OnResponse(search, Response(200, R"({"feed":[]})"));
  ASSERT_FALSE(wrong.has_value());
  EXPECT_THAT(wrong.error().message(), HasSubstr("`posts`"));
  EXPECT_EQ(adapter->Cursor(), "bluesky1") << "failed pages move nothing";
}

TEST(BlueskyFactory, RejectsBadParamsNamingSourceAndKey) {
  struct Case {
    std::string key;
    std::string value;  // empty: remove the key
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"query", "", "`query`"},           {"identifier", "", "`identifier`"}, {"limit", "0", "`limit`"},
      {"limit", "101", "`limit`"},        {"limit", "ten", "`limit`"},        {"overlap", "1 min", "`overlap`"},
      {"base_url", "pds.example", "`base_url`"},
  };
  for (const Case& c : cases) {
    core::Result<std::unique_ptr<Adapter>> adapter = MakeBlueskyAdapter(WithParam(Config(), c.key, c.value), "");
    ASSERT_FALSE(adapter.has_value()) << c.key << "=" << c.value;
    EXPECT_TRUE(adapter.error().IsInvalidArgument());
    EXPECT_THAT(adapter.error().message(), HasSubstr("source bsky"));
    EXPECT_THAT(adapter.error().message(), HasSubstr(c.expected));
  }
  core::SourceConfig no_secret = Config();
  no_secret.secrets.clear();
  core::Result<std::unique_ptr<Adapter>> adapter = MakeBlueskyAdapter(no_secret, "");
  ASSERT_FALSE(adapter.has_value());
  EXPECT_TRUE(adapter.error().IsInvalidArgument());
  EXPECT_THAT(adapter.error().message(), HasSubstr("source bsky"));
  EXPECT_THAT(adapter.error().message(), HasSubstr("app_password_env"));
}

TEST(BlueskyFactory, ForeignOrBrokenCursorIsCorruption) {
  for (std::string_view cursor : {"mastodon1 min_id=5", "bluesky1 since=yesterday", "bluesky1 since"}) {
    core::Result<std::unique_ptr<Adapter>> adapter = MakeBlueskyAdapter(Config(), cursor);
    ASSERT_FALSE(adapter.has_value()) << cursor;
    EXPECT_TRUE(adapter.error().IsCorruption()) << adapter.error().ToString();
    EXPECT_THAT(adapter.error().message(), HasSubstr("source bsky"));
  }
  EXPECT_TRUE(MakeBlueskyAdapter(Config(), "bluesky1").has_value());
}

}  // namespace
}  // namespace earshot::crawler
