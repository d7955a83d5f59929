// The replay server over real HTTP (libcurl), in process: paging semantics of each imitated API,
// rate-limit headers, conditional GET, synthetic arrivals, every fault kind and the request log.
#include "tests/replay/replay_server.h"

#include <curl/curl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/time.h"
#include "tests/replay/replay_util.h"

namespace earshot::replay {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

struct Reply {
  CURLcode error = CURLE_OK;
  long code = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-cased names, last value wins
  double seconds = 0;

  std::string Header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct Call {
  std::string method = "GET";
  std::string body;
  std::vector<std::string> headers;  // "Name: value"
  long timeout_ms = 5000;
};

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  static_cast<Reply*>(user)->body.append(data, size * count);
  return size * count;
}

size_t WriteHeader(char* data, size_t size, size_t count, void* user) {
  std::string line(data, size * count);
  const size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.erase(value.begin());
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    static_cast<Reply*>(user)->headers[name] = value;
  }
  return size * count;
}

// One request on a fresh connection (the handle's cleanup closes it, so the server never waits on
// an idle keep-alive connection when it stops).
Reply Fetch(const std::string& url, const Call& call = {}) {
  Reply reply;
  CURL* easy = curl_easy_init();
  curl_slist* headers = nullptr;
  for (const std::string& header : call.headers) headers = curl_slist_append(headers, header.c_str());
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &reply);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &reply);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, call.timeout_ms);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  if (call.method == "POST") {
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, call.body.c_str());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(call.body.size()));
  }
  const auto start = std::chrono::steady_clock::now();
  reply.error = curl_easy_perform(easy);
  reply.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &reply.code);
  curl_slist_free_all(headers);
  curl_easy_cleanup(easy);
  return reply;
}

Reply Post(const std::string& url, std::string body = {}) {
  Call call;
  call.method = "POST";
  call.body = std::move(body);
  return Fetch(url, call);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// The value of a Link header entry with rel="<rel>": the URL between < and >.
std::string LinkUrl(const std::string& link, const std::string& rel) {
  const size_t at = link.find("rel=\"" + rel + "\"");
  if (at == std::string::npos) return {};
  const size_t close = link.rfind('>', at);
  const size_t open = link.rfind('<', close);
  return link.substr(open + 1, close - open - 1);
}

class ReplayTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { curl_global_init(CURL_GLOBAL_DEFAULT); }

  void SetUp() override { StartServer({0}); }

  void StartServer(std::vector<int> ports) {
    server_.reset();
    ReplayOptions options;
    options.fixtures_dir = EARSHOT_REPLAY_FIXTURES_DIR;
    options.ports = std::move(ports);
    options.threads_per_listener = 4;
    auto started = ReplayServer::Start(options);
    ASSERT_TRUE(started) << started.error().ToString();
    server_ = std::move(*started);
    base_ = server_->base_url();
  }

  simdjson::dom::element Parse(const std::string& body) {
    simdjson::dom::element element;
    const auto error = parser_.parse(body).get(element);
    EXPECT_EQ(error, simdjson::SUCCESS) << body.substr(0, 200);
    return element;
  }

  std::vector<std::string> Strings(simdjson::dom::array array, const char* field) {
    std::vector<std::string> out;
    for (simdjson::dom::element element : array) {
      std::string_view value;
      if (element[field].get(value) == simdjson::SUCCESS) out.emplace_back(value);
    }
    return out;
  }

  std::string BlueskyToken() {
    const Reply session = Post(base_ + "/xrpc/com.atproto.server.createSession",
                               R"({"identifier":"tester.bsky.social","password":"replay-app-password"})");
    EXPECT_EQ(session.code, 200) << session.body;
    std::string_view token;
    EXPECT_EQ(Parse(session.body)["accessJwt"].get(token), simdjson::SUCCESS);
    return std::string(token);
  }

  std::unique_ptr<ReplayServer> server_;
  std::string base_;
  simdjson::dom::parser parser_;
};

// ---------------------------------------------------------------------------------------------
// Mastodon

TEST_F(ReplayTest, MastodonMinIdWalksForwardWithoutGap) {
  const std::vector<std::string> before = server_->Ids(Dataset::kMastodon);
  ASSERT_EQ(before.size(), 25u);  // 20 public + 5 tag statuses
  auto added = server_->AddItems(Dataset::kMastodon, 50);
  ASSERT_TRUE(added);

  std::vector<std::string> seen;
  std::string url = base_ + "/api/v1/timelines/tag/rstats?limit=40&min_id=" + before.back();
  std::vector<size_t> page_sizes;
  for (int guard = 0; guard < 10; ++guard) {
    const Reply reply = Fetch(url);
    ASSERT_EQ(reply.code, 200);
    std::vector<std::string> page = Strings(Parse(reply.body).get_array().value(), "id");
    page_sizes.push_back(page.size());
    if (page.empty()) {
      EXPECT_EQ(reply.Header("link"), "");  // no Link on an empty page
      break;
    }
    // Newest first within the page; the walk itself goes forward in time.
    EXPECT_TRUE(std::is_sorted(page.rbegin(), page.rend(), [](const auto& a, const auto& b) { return CompareIds(a, b) < 0; }));
    seen.insert(seen.end(), page.rbegin(), page.rend());
    url = LinkUrl(reply.Header("link"), "prev");
    ASSERT_THAT(url, HasSubstr("min_id=" + page.front()));
  }
  EXPECT_EQ(page_sizes, (std::vector<size_t>{40, 10, 0}));
  EXPECT_EQ(seen, *added);  // every new status exactly once, no gap
}

TEST_F(ReplayTest, MastodonSinceIdLeavesAGap) {
  const std::string newest = server_->Ids(Dataset::kMastodon).back();
  auto added = server_->AddItems(Dataset::kMastodon, 50);
  ASSERT_TRUE(added);
  const Reply reply = Fetch(base_ + "/api/v1/timelines/public?limit=40&since_id=" + newest);
  std::vector<std::string> page = Strings(Parse(reply.body).get_array().value(), "id");
  ASSERT_EQ(page.size(), 40u);
  EXPECT_EQ(page.front(), added->back());  // the newest 40 ...
  EXPECT_EQ(page.back(), (*added)[10]);    // ... so the 10 oldest new ones are skipped
  // limit is clamped to 40.
  EXPECT_EQ(Strings(Parse(Fetch(base_ + "/api/v1/timelines/public?limit=500").body).get_array().value(), "id").size(), 40u);
}

TEST_F(ReplayTest, MastodonIdsCompareByLengthThenLexically) {
  auto count = [&](const std::string& query) {
    return Strings(Parse(Fetch(base_ + "/api/v1/timelines/public?limit=40&" + query).body).get_array().value(), "id").size();
  };
  EXPECT_EQ(count("since_id=9"), 25u);  // "9" < "114870..." (shorter), although "9" > "1" lexically
  EXPECT_EQ(count("max_id=9"), 0u);
  EXPECT_EQ(count("max_id=100000000000000000000"), 25u);  // 21 digits: above every 18-digit id
  EXPECT_EQ(count("min_id=100000000000000000000"), 0u);
  EXPECT_LT(CompareIds("9", "10"), 0);
  EXPECT_GT(CompareIds("114870361973436726", "99999999999999999"), 0);
}

TEST_F(ReplayTest, MastodonLinkAndRateLimitHeaders) {
  const std::vector<std::string> ids = server_->Ids(Dataset::kMastodon);
  const Reply first = Fetch(base_ + "/api/v1/timelines/tag/rstats?limit=5&local=false");
  ASSERT_EQ(first.code, 200);
  const std::string prefix = base_ + "/api/v1/timelines/tag/rstats?";
  EXPECT_EQ(first.Header("link"), "<" + prefix + "limit=5&local=false&max_id=" + ids[20] + ">; rel=\"next\", <" + prefix +
                                      "limit=5&local=false&min_id=" + ids[24] + ">; rel=\"prev\"");
  EXPECT_EQ(first.Header("x-ratelimit-limit"), "300");
  EXPECT_EQ(first.Header("x-ratelimit-remaining"), "299");
  const std::optional<int64_t> reset = core::ParseRfc3339Millis(first.Header("x-ratelimit-reset"));
  ASSERT_TRUE(reset);
  EXPECT_EQ(*reset % 300'000, 0);  // the end of the 5-minute window
  EXPECT_GT(*reset, core::NowMillis());

  // rel="next" continues with older statuses, no overlap.
  const Reply next = Fetch(LinkUrl(first.Header("link"), "next"));
  const std::vector<std::string> page = Strings(Parse(next.body).get_array().value(), "id");
  EXPECT_EQ(page, (std::vector<std::string>{ids[19], ids[18], ids[17], ids[16], ids[15]}));
  EXPECT_EQ(next.Header("x-ratelimit-remaining"), "298");

  ASSERT_TRUE(server_->SetApiLimit(RateApi::kMastodon, 2).ok());
  EXPECT_EQ(Fetch(base_ + "/api/v1/timelines/public").code, 200);
  EXPECT_EQ(Fetch(base_ + "/api/v1/timelines/public").code, 200);
  const Reply over = Fetch(base_ + "/api/v1/timelines/public");
  EXPECT_EQ(over.code, 429);
  EXPECT_EQ(over.body, R"({"error":"Too many requests"})");
  EXPECT_EQ(over.Header("x-ratelimit-remaining"), "0");
}

// ---------------------------------------------------------------------------------------------
// Reddit

TEST_F(ReplayTest, RedditAfterPagingWalksTheListing) {
  std::vector<std::string> seen;
  std::string after;
  int pages = 0;
  for (; pages < 10; ++pages) {
    const Reply reply = Fetch(base_ + "/r/AskReddit/new.json?limit=12" + (after.empty() ? "" : "&after=" + after));
    ASSERT_EQ(reply.code, 200);
    simdjson::dom::element data = Parse(reply.body)["data"];
    std::vector<std::string> names;
    for (simdjson::dom::element child : data["children"].get_array()) {
      EXPECT_EQ(std::string_view(child["kind"].get_string().value()), "t3");
      names.emplace_back(child["data"]["name"].get_string().value());
    }
    EXPECT_EQ(data["dist"].get_int64().value(), static_cast<int64_t>(names.size()));
    seen.insert(seen.end(), names.begin(), names.end());
    if (data["after"].is_null()) break;
    after = std::string(data["after"].get_string().value());
    EXPECT_EQ(after, names.back());
  }
  EXPECT_EQ(pages, 2);  // 12 + 12 + 6
  std::vector<std::string> expected = server_->Ids(Dataset::kReddit);
  std::reverse(expected.begin(), expected.end());
  EXPECT_EQ(seen, expected);  // newest first, each once

  // before= returns the page just newer, and the rate-limit headers count down.
  const Reply back = Fetch(base_ + "/search.json?q=anything&limit=2&before=" + expected[4]);
  simdjson::dom::element data = Parse(back.body)["data"];
  EXPECT_EQ(Strings(data["children"].get_array().value(), "kind").size(), 2u);
  EXPECT_EQ(std::string_view(data["children"].at(0)["data"]["name"].get_string().value()), expected[2]);
  EXPECT_EQ(std::string_view(data["before"].get_string().value()), expected[2]);
  EXPECT_EQ(back.Header("x-ratelimit-used"), "4");
  EXPECT_EQ(back.Header("x-ratelimit-remaining"), "996.0");
  const int reset = std::stoi(back.Header("x-ratelimit-reset"));
  EXPECT_GT(reset, 0);
  EXPECT_LE(reset, 600);

  ASSERT_TRUE(server_->SetApiLimit(RateApi::kReddit, 0).ok());
  const Reply over = Fetch(base_ + "/r/AskReddit/new.json");
  EXPECT_EQ(over.code, 429);
  EXPECT_EQ(over.Header("x-ratelimit-remaining"), "0.0");
  // An unknown fullname gives an empty listing, as Reddit does.
  ASSERT_TRUE(server_->SetApiLimit(RateApi::kReddit, 100).ok());
  EXPECT_EQ(Parse(Fetch(base_ + "/r/AskReddit/new?after=t3_zzzzzz").body)["data"]["dist"].get_int64().value(), 0);
}

// ---------------------------------------------------------------------------------------------
// Hacker News (Algolia)

TEST_F(ReplayTest, HackerNewsNumericFiltersTagsAndPaging) {
  const std::string url = base_ + "/api/v1/search_by_date?query=x&tags=story&hitsPerPage=2&numericFilters=" +
                          UrlEncode("created_at_i>=1300000000,created_at_i<1403235000");
  std::vector<std::string> seen;
  int64_t previous = INT64_MAX;
  for (int page = 0;; ++page) {
    simdjson::dom::element doc = Parse(Fetch(url + "&page=" + std::to_string(page)).body);
    EXPECT_EQ(doc["nbHits"].get_int64().value(), 5);
    EXPECT_EQ(doc["nbPages"].get_int64().value(), 3);
    EXPECT_EQ(doc["hitsPerPage"].get_int64().value(), 2);
    EXPECT_EQ(doc["page"].get_int64().value(), page);
    simdjson::dom::array hits = doc["hits"].get_array();
    if (hits.size() == 0) break;
    for (simdjson::dom::element hit : hits) {
      const int64_t created = hit["created_at_i"].get_int64().value();
      EXPECT_LE(created, previous);  // newest first
      EXPECT_GE(created, 1300000000);
      EXPECT_LT(created, 1403235000);
      previous = created;
      seen.emplace_back(hit["objectID"].get_string().value());
    }
    ASSERT_LT(page, 5);
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"7915384", "7493856", "5239673", "3078128", "2922756"}));
  // OR groups in tags; malformed numeric filters are a 400.
  EXPECT_EQ(Parse(Fetch(base_ + "/api/v1/search_by_date?tags=(story,poll)").body)["nbHits"].get_int64().value(), 13);
  EXPECT_EQ(Fetch(base_ + "/api/v1/search_by_date?numericFilters=created_at_i%3E").code, 400);
}

TEST_F(ReplayTest, HackerNewsDeepPagingStopsAt1000) {
  ASSERT_TRUE(server_->AddItems(Dataset::kHackerNews, 1200));
  auto get = [&](const std::string& query) { return Parse(Fetch(base_ + "/api/v1/search_by_date?" + query).body); };
  simdjson::dom::element big = get("hitsPerPage=1000");
  EXPECT_EQ(big["nbHits"].get_int64().value(), 1218);
  EXPECT_EQ(big["nbPages"].get_int64().value(), 1);
  EXPECT_EQ(big["hits"].get_array().size(), 1000u);
  EXPECT_EQ(get("hitsPerPage=1000&page=1")["hits"].get_array().size(), 0u);
  simdjson::dom::element last = get("hitsPerPage=100&page=9");
  EXPECT_EQ(last["nbPages"].get_int64().value(), 10);
  EXPECT_EQ(last["hits"].get_array().size(), 100u);
  EXPECT_EQ(get("hitsPerPage=100&page=10")["hits"].get_array().size(), 0u);
  EXPECT_EQ(get("hitsPerPage=5000")["hitsPerPage"].get_int64().value(), 1000);  // clamped
}

// ---------------------------------------------------------------------------------------------
// Bluesky

TEST_F(ReplayTest, BlueskyNeedsASession) {
  const std::string search = base_ + "/xrpc/app.bsky.feed.searchPosts?q=redistricting";
  Reply anonymous = Fetch(search);
  EXPECT_EQ(anonymous.code, 401);
  EXPECT_THAT(anonymous.body, HasSubstr("\"AuthenticationRequired\""));
  EXPECT_EQ(Fetch(search, Call{"GET", "", {"Authorization: Bearer forged"}, 5000}).code, 401);

  const Reply wrong = Post(base_ + "/xrpc/com.atproto.server.createSession", R"({"identifier":"a","password":"nope"})");
  EXPECT_EQ(wrong.code, 401);
  EXPECT_EQ(wrong.body, R"({"error":"AuthenticationRequired","message":"Invalid identifier or password"})");

  const std::string token = BlueskyToken();
  const Call authorized{"GET", "", {"Authorization: Bearer " + token}, 5000};
  const Reply ok = Fetch(search, authorized);
  EXPECT_EQ(ok.code, 200);
  EXPECT_EQ(ok.Header("ratelimit-limit"), "3000");
  EXPECT_EQ(ok.Header("ratelimit-policy"), "3000;w=300");
  EXPECT_GT(std::stoll(ok.Header("ratelimit-reset")), core::NowMillis() / 1000);
  EXPECT_EQ(Fetch(base_ + "/xrpc/app.bsky.feed.searchPosts", authorized).code, 400);  // q is required
  EXPECT_EQ(Fetch(search + "&limit=101", authorized).code, 400);

  server_->ExpireTokens();
  const Reply expired = Fetch(search, authorized);
  EXPECT_EQ(expired.code, 400);
  EXPECT_EQ(expired.body, R"({"error":"ExpiredToken","message":"Token has expired"})");
  EXPECT_EQ(Fetch(search, Call{"GET", "", {"Authorization: Bearer " + BlueskyToken()}, 5000}).code, 200);
}

TEST_F(ReplayTest, BlueskyCursorPagingAndSince) {
  const Call authorized{"GET", "", {"Authorization: Bearer " + BlueskyToken()}, 5000};
  const std::string search = base_ + "/xrpc/app.bsky.feed.searchPosts?q=x&sort=latest&limit=10";
  std::vector<std::string> uris;
  std::vector<std::string> indexed;
  std::string cursor;
  for (int page = 0; page < 5; ++page) {
    simdjson::dom::element doc = Parse(Fetch(search + (cursor.empty() ? "" : "&cursor=" + cursor), authorized).body);
    EXPECT_EQ(doc["hitsTotal"].get_int64().value(), 25);
    for (simdjson::dom::element post : doc["posts"].get_array()) {
      uris.emplace_back(post["uri"].get_string().value());
      indexed.emplace_back(post["indexedAt"].get_string().value());
    }
    std::string_view next;
    if (doc["cursor"].get(next) != simdjson::SUCCESS) break;  // absent on the last page
    cursor = std::string(next);
  }
  EXPECT_EQ(uris.size(), 25u);
  EXPECT_EQ(std::set<std::string>(uris.begin(), uris.end()).size(), 25u);
  EXPECT_TRUE(std::is_sorted(indexed.rbegin(), indexed.rend()));  // latest first
  std::vector<std::string> expected = server_->Ids(Dataset::kBluesky);
  std::reverse(expected.begin(), expected.end());
  EXPECT_EQ(uris, expected);

  // since is inclusive and applies to indexedAt.
  simdjson::dom::element recent = Parse(Fetch(search + "&since=" + indexed[4], authorized).body);
  EXPECT_EQ(Strings(recent["posts"].get_array().value(), "uri"),
            std::vector<std::string>(uris.begin(), uris.begin() + 5));
  simdjson::dom::element older = Parse(Fetch(search + "&until=" + indexed[4], authorized).body);
  EXPECT_EQ(older["hitsTotal"].get_int64().value(), 20);
}

// ---------------------------------------------------------------------------------------------
// WordPress

TEST_F(ReplayTest, WordPressPagingOrderAndHeaders) {
  const std::string comments = base_ + "/wp-json/wp/v2/comments";
  const Reply first = Fetch(comments);
  ASSERT_EQ(first.code, 200);
  EXPECT_EQ(first.Header("x-wp-total"), "25");  // the recorded comment + 24 synthetic ones
  EXPECT_EQ(first.Header("x-wp-totalpages"), "3");
  EXPECT_EQ(LinkUrl(first.Header("link"), "next"), comments + "?page=2");
  simdjson::dom::array page = Parse(first.body).get_array();
  ASSERT_EQ(page.size(), 10u);
  EXPECT_EQ(page.at(0)["id"].get_int64().value(), 26);  // newest first by default

  // after= is strict, order=asc goes forward.
  const std::vector<std::string> ids = server_->Ids(Dataset::kWordPress);
  ASSERT_EQ(ids.front(), "2");  // the recorded comment, oldest
  std::string_view date;
  ASSERT_EQ(Parse(Fetch(comments + "?order=asc&per_page=100").body).at(18)["date_gmt"].get(date), simdjson::SUCCESS);
  const Reply after = Fetch(comments + "?after=" + std::string(date) + "&order=asc&per_page=5&page=2");
  EXPECT_EQ(after.Header("x-wp-total"), "6");
  EXPECT_EQ(after.Header("x-wp-totalpages"), "2");
  simdjson::dom::array tail = Parse(after.body).get_array();
  ASSERT_EQ(tail.size(), 1u);
  EXPECT_EQ(tail.at(0)["id"].get_int64().value(), 26);

  const Reply past = Fetch(comments + "?page=4");
  EXPECT_EQ(past.code, 400);
  EXPECT_THAT(past.body, HasSubstr("\"code\":\"rest_comment_invalid_page_number\""));
  EXPECT_EQ(Fetch(comments + "?per_page=0").code, 400);
  EXPECT_THAT(Fetch(comments + "?per_page=101").body, HasSubstr("rest_invalid_param"));
  EXPECT_EQ(Fetch(comments + "?after=yesterday").code, 400);
  // post filter.
  for (simdjson::dom::element comment : Parse(Fetch(comments + "?post=9&per_page=100").body).get_array()) {
    EXPECT_EQ(comment["post"].get_int64().value(), 9);
  }
}

// ---------------------------------------------------------------------------------------------
// Feeds

TEST_F(ReplayTest, FeedsAreByteExactWithConditionalGet) {
  const std::string url = base_ + "/feeds/feedjira_TenderLovemaking.xml";
  const Reply feed = Fetch(url);
  ASSERT_EQ(feed.code, 200);
  EXPECT_EQ(feed.body, ReadFile(std::string(EARSHOT_REPLAY_FIXTURES_DIR) + "/feeds/feedjira_TenderLovemaking.xml"));
  EXPECT_THAT(feed.body, StartsWith("\n<?xml"));  // the blank line strict parsers reject is kept
  EXPECT_THAT(feed.Header("content-type"), StartsWith("application/rss+xml"));
  const std::string etag = feed.Header("etag");
  const std::string last_modified = feed.Header("last-modified");
  ASSERT_THAT(etag, StartsWith("\""));
  ASSERT_FALSE(last_modified.empty());
  EXPECT_EQ(last_modified, "Mon, 29 Dec 2008 07:51:19 GMT");  // the newest date in the feed

  const Reply by_etag = Fetch(url, Call{"GET", "", {"If-None-Match: " + etag}, 5000});
  EXPECT_EQ(by_etag.code, 304);
  EXPECT_EQ(by_etag.body, "");
  EXPECT_EQ(by_etag.Header("etag"), etag);
  EXPECT_EQ(Fetch(url, Call{"GET", "", {"If-Modified-Since: " + last_modified}, 5000}).code, 304);
  EXPECT_EQ(Fetch(url, Call{"GET", "", {"If-Modified-Since: Sun, 28 Dec 2008 07:51:19 GMT"}, 5000}).code, 200);
  EXPECT_EQ(Fetch(url, Call{"GET", "", {"If-None-Match: \"other\""}, 5000}).code, 200);
  EXPECT_THAT(Fetch(base_ + "/feeds/rss-parser_heise.atom").Header("content-type"), StartsWith("application/atom+xml"));
  EXPECT_EQ(Fetch(base_ + "/feeds/missing.xml").code, 404);
}

TEST_F(ReplayTest, CommentsFeedHoldsTheLastTenAndChangesOnArrival) {
  const std::string url = base_ + "/feeds/comments";
  const Reply feed = Fetch(url);
  ASSERT_EQ(feed.code, 200);
  for (const char* ns : {"xmlns:wfw=", "xmlns:slash=", "xmlns:dc=", "xmlns:content="}) EXPECT_THAT(feed.body, HasSubstr(ns));
  size_t items = 0;
  for (size_t at = 0; (at = feed.body.find("<item>", at)) != std::string::npos; ++at) ++items;
  EXPECT_EQ(items, 10u);
  EXPECT_THAT(feed.body, HasSubstr("<guid isPermaLink=\"false\">http://example.org/?p=9#comment-26</guid>"));
  EXPECT_LT(feed.body.find("#comment-26<"), feed.body.find("#comment-25<"));  // newest first
  EXPECT_EQ(feed.body.find("#comment-16<"), std::string::npos);                // only the last 10
  EXPECT_EQ(Fetch(url, Call{"GET", "", {"If-None-Match: " + feed.Header("etag")}, 5000}).code, 304);

  auto added = server_->AddItems(Dataset::kWordPress, 1);
  ASSERT_TRUE(added);
  const Reply changed = Fetch(url, Call{"GET", "", {"If-None-Match: " + feed.Header("etag")}, 5000});
  EXPECT_EQ(changed.code, 200);
  EXPECT_NE(changed.Header("etag"), feed.Header("etag"));
  EXPECT_NE(changed.Header("last-modified"), feed.Header("last-modified"));
  EXPECT_THAT(changed.body, HasSubstr("#comment-" + added->front() + "</guid>"));
  EXPECT_EQ(Fetch(url, Call{"GET", "", {"If-Modified-Since: " + feed.Header("last-modified")}, 5000}).code, 200);
}

// ---------------------------------------------------------------------------------------------
// Synthetic arrivals

TEST_F(ReplayTest, AddReturnsIdsThatIdsListsInEachApisStyle) {
  for (Dataset dataset : kAllDatasets) {
    const std::string name(DatasetName(dataset));
    const std::vector<std::string> before = server_->Ids(dataset);
    const Reply added = Post(base_ + "/_replay/add?dataset=" + name + "&count=3");
    ASSERT_EQ(added.code, 200) << added.body;
    simdjson::dom::element doc = Parse(added.body);
    EXPECT_EQ(doc["added"].get_int64().value(), 3);
    std::vector<std::string> ids;
    for (simdjson::dom::element id : doc["ids"].get_array()) ids.emplace_back(id.get_string().value());
    ASSERT_EQ(ids.size(), 3u);

    std::vector<std::string> listed;
    for (simdjson::dom::element id : Parse(Fetch(base_ + "/_replay/ids?dataset=" + name).body)["ids"].get_array()) {
      listed.emplace_back(id.get_string().value());
    }
    std::vector<std::string> expected = before;
    expected.insert(expected.end(), ids.begin(), ids.end());
    EXPECT_EQ(listed, expected) << name;
    EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()).size(), listed.size()) << name;
    for (const std::string& id : ids) {
      switch (dataset) {
        case Dataset::kMastodon: EXPECT_GT(CompareIds(id, before.back()), 0); break;
        case Dataset::kReddit: EXPECT_THAT(id, StartsWith("t3_")); break;
        case Dataset::kHackerNews: EXPECT_GT(std::stoll(id), 7919431); break;
        case Dataset::kBluesky: EXPECT_THAT(id, StartsWith("at://did:")); break;
        case Dataset::kWordPress: EXPECT_GT(std::stoll(id), 26); break;
      }
    }
  }
  // The new items are served first, with distinct texts and fresh timestamps.
  const Reply reddit = Fetch(base_ + "/r/AskReddit/new.json?limit=3");
  simdjson::dom::element first = Parse(reddit.body)["data"]["children"].at(0)["data"];
  EXPECT_EQ(std::string_view(first["name"].get_string().value()), server_->Ids(Dataset::kReddit).back());
  EXPECT_THAT(std::string(first["title"].get_string().value()), testing::EndsWith(" #3"));
  EXPECT_THAT(std::string(first["permalink"].get_string().value()),
              HasSubstr("/comments/" + server_->Ids(Dataset::kReddit).back().substr(3) + "/"));
  EXPECT_EQ(Post(base_ + "/_replay/add?dataset=twitter&count=1").code, 400);
}

// ---------------------------------------------------------------------------------------------
// Faults

TEST_F(ReplayTest, TruncateClosesTheConnectionMidBody) {
  ASSERT_EQ(Post(base_ + "/_replay/fault?path=/api/v1/timelines&kind=truncate").code, 200);
  const Reply reply = Fetch(base_ + "/api/v1/timelines/public");
  EXPECT_EQ(reply.error, CURLE_PARTIAL_FILE);
  EXPECT_EQ(Fetch(base_ + "/api/v1/timelines/public").error, CURLE_OK);  // count=1 by default
}

TEST_F(ReplayTest, HangMakesTheClientTimeOut) {
  FaultSpec hang;
  hang.path_prefix = "/r/";
  hang.kind = FaultKind::kHang;
  hang.hang_ms = 1500;
  ASSERT_TRUE(server_->InjectFault(hang).ok());
  const Reply reply = Fetch(base_ + "/r/AskReddit/new.json", Call{"GET", "", {}, 300});
  EXPECT_EQ(reply.error, CURLE_OPERATION_TIMEDOUT);
  EXPECT_LT(reply.seconds, 1.2);
  const auto start = std::chrono::steady_clock::now();
  server_->Stop();  // wakes the hanging handler
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1000));
}

TEST_F(ReplayTest, StatusFaultsCarryRetryAfterAndCount) {
  ASSERT_EQ(Post(base_ + "/_replay/fault?path=/r/&kind=status&code=429&retry_after=7&count=2").code, 200);
  for (int i = 0; i < 2; ++i) {
    const Reply reply = Fetch(base_ + "/r/AskReddit/new.json");
    EXPECT_EQ(reply.code, 429);
    EXPECT_EQ(reply.Header("retry-after"), "7");
  }
  EXPECT_EQ(Fetch(base_ + "/r/AskReddit/new.json").code, 200);
  ASSERT_EQ(Post(base_ + "/_replay/fault?path=/r/&kind=status&code=403").code, 200);
  EXPECT_THAT(Fetch(base_ + "/r/AskReddit/new.json").body, HasSubstr("blocked"));
  ASSERT_EQ(Post(base_ + "/_replay/fault?path=/feeds/&kind=status&code=503&retry_after=" +
                 UrlEncode("Wed, 21 Oct 2037 07:28:00 GMT") + "&body=down")
                .code,
            200);
  const Reply down = Fetch(base_ + "/feeds/comments");
  EXPECT_EQ(down.code, 503);
  EXPECT_EQ(down.body, "down");
  EXPECT_EQ(down.Header("retry-after"), "Wed, 21 Oct 2037 07:28:00 GMT");
  EXPECT_EQ(Post(base_ + "/_replay/fault?kind=explode").code, 400);
}

TEST_F(ReplayTest, MalformedOversizeHugeAndDrip) {
  const std::string url = base_ + "/api/v1/timelines/public?limit=5";
  const Reply normal = Fetch(url);
  ASSERT_EQ(normal.code, 200);

  ASSERT_EQ(Post(base_ + "/_replay/fault?path=/api/&kind=malformed").code, 200);
  const Reply malformed = Fetch(url);
  EXPECT_EQ(malformed.error, CURLE_OK);
  EXPECT_EQ(malformed.code, 200);
  EXPECT_EQ(malformed.body, normal.body.substr(0, normal.body.size() / 2));
  EXPECT_EQ(malformed.Header("content-length"), std::to_string(malformed.body.size()));
  simdjson::dom::element unused;
  EXPECT_NE(parser_.parse(malformed.body).get(unused), simdjson::SUCCESS);

  ASSERT_EQ(Post(base_ + "/_replay/fault?path=/api/&kind=oversize&items=2").code, 200);
  EXPECT_EQ(Parse(Fetch(url).body).get_array().size(), 7u);

  ASSERT_EQ(Post(base_ + "/_replay/fault?path=/api/&kind=huge&bytes=300000").code, 200);
  const Reply huge = Fetch(url);
  EXPECT_EQ(huge.body.size(), 300000u);
  EXPECT_EQ(Parse(huge.body).get_array().size(), 5u);  // still valid JSON

  ASSERT_EQ(Post(base_ + "/_replay/fault?path=/api/&kind=drip&bytes=4096&interval_ms=50").code, 200);
  const Reply drip = Fetch(url);
  EXPECT_EQ(drip.body, normal.body);
  const double chunks = std::ceil(static_cast<double>(normal.body.size()) / 4096);
  EXPECT_GE(drip.seconds, (chunks - 1) * 0.05 * 0.9);
  EXPECT_EQ(drip.Header("transfer-encoding"), "chunked");
}

TEST_F(ReplayTest, FaultsAndBudgetsArePerListener) {
  StartServer({0, 0});
  ASSERT_EQ(server_->listener_count(), 2u);
  const std::string other = server_->base_url(1);
  ASSERT_NE(other, base_);
  // A fault posted to listener 1 stays there; listener=all reaches both.
  ASSERT_EQ(Post(other + "/_replay/fault?path=/&kind=status&code=500").code, 200);
  EXPECT_EQ(Fetch(base_ + "/api/v1/timelines/public").code, 200);
  EXPECT_EQ(Fetch(other + "/api/v1/timelines/public").code, 500);
  ASSERT_EQ(Post(base_ + "/_replay/fault?path=/&kind=status&code=502&listener=all").code, 200);
  EXPECT_EQ(Fetch(base_ + "/wp-json/wp/v2/comments").code, 502);
  EXPECT_EQ(Fetch(other + "/wp-json/wp/v2/comments").code, 502);
  // Budgets count per listener (a request answered by a status fault does not count).
  EXPECT_EQ(Fetch(base_ + "/api/v1/timelines/public").Header("x-ratelimit-remaining"), "298");
  EXPECT_EQ(Fetch(other + "/api/v1/timelines/public").Header("x-ratelimit-remaining"), "299");
  // Both listeners serve the same datasets.
  ASSERT_TRUE(server_->AddItems(Dataset::kMastodon, 1));
  EXPECT_EQ(Parse(Fetch(other + "/api/v1/timelines/public?limit=1").body).at(0)["id"].get_string().value(),
            server_->Ids(Dataset::kMastodon).back());

  // The per-minute politeness budget.
  ASSERT_EQ(Post(other + "/_replay/limit?per_minute=2").code, 200);
  EXPECT_EQ(Fetch(other + "/feeds/comments").code, 200);
  EXPECT_EQ(Fetch(other + "/feeds/comments").code, 200);
  const Reply limited = Fetch(other + "/feeds/comments");
  EXPECT_EQ(limited.code, 429);
  EXPECT_GE(std::stoi(limited.Header("retry-after")), 1);
  EXPECT_EQ(Fetch(base_ + "/feeds/comments").code, 200);
  ASSERT_EQ(Post(other + "/_replay/reset").code, 200);
  EXPECT_EQ(Fetch(other + "/feeds/comments").code, 200);
}

// ---------------------------------------------------------------------------------------------
// Log

TEST_F(ReplayTest, LogRecordsServedRequests) {
  ASSERT_EQ(Post(base_ + "/_replay/fault?path=/wp-json/&kind=status&code=503").code, 200);
  Fetch(base_ + "/wp-json/wp/v2/comments?per_page=2");
  Fetch(base_ + "/wp-json/wp/v2/comments?per_page=2");
  Fetch(base_ + "/nowhere");
  const std::vector<LogEntry> log = server_->Log();
  ASSERT_EQ(log.size(), 3u);  // control requests are not logged
  EXPECT_EQ(log[0].path, "/wp-json/wp/v2/comments");
  EXPECT_EQ(log[0].query, "per_page=2");
  EXPECT_EQ(log[0].status, 503);
  EXPECT_EQ(log[0].fault, "status:503");
  EXPECT_EQ(log[1].status, 200);
  EXPECT_EQ(log[1].fault, "");
  EXPECT_GT(log[1].bytes, 100u);
  EXPECT_EQ(log[2].status, 404);
  EXPECT_GE(log[1].t_ms, log[0].t_ms);

  const Reply lines = Fetch(base_ + "/_replay/log?listener=all");
  EXPECT_EQ(lines.code, 200);
  size_t count = 0;
  std::istringstream in(lines.body);
  for (std::string line; std::getline(in, line); ++count) {
    simdjson::dom::element entry = Parse(line);
    EXPECT_EQ(entry["listener"].get_int64().value(), 0);
    EXPECT_EQ(entry["method"].get_string().value(), "GET");
  }
  EXPECT_EQ(count, 3u);
  server_->Reset();
  EXPECT_TRUE(server_->Log().empty());
}

}  // namespace
}  // namespace earshot::replay
