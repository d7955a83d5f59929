// libFuzzer target: arbitrary bytes as an API response body, to each network adapter. The first
// byte picks the adapter (and the HTTP status); the rest is the body, answered to the adapter's
// request and, while it asks for more pages, to those too. Every adapter must return a page or a
// Status for every body (no crash, hang, leak or exception); every line it hands out must be a
// valid Post for the pipeline; and its cursor must always be one it can resume from.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "core/config.h"
#include "core/post_json.h"
#include "crawler/adapter.h"
#include "crawler/sources/bluesky.h"
#include "crawler/sources/hackernews.h"
#include "crawler/sources/mastodon.h"
#include "crawler/sources/reddit.h"
#include "crawler/sources/rss.h"
#include "crawler/sources/wordpress.h"

namespace {

using earshot::crawler::AdapterFactory;

struct Kind {
  const char* name;
  AdapterFactory factory;
};

constexpr Kind kKinds[] = {
    {"mastodon", &earshot::crawler::MakeMastodonAdapter},   {"reddit", &earshot::crawler::MakeRedditAdapter},
    {"hackernews", &earshot::crawler::MakeHackerNewsAdapter}, {"bluesky", &earshot::crawler::MakeBlueskyAdapter},
    {"wordpress", &earshot::crawler::MakeWordPressAdapter},  {"rss", &earshot::crawler::MakeRssAdapter},
};
constexpr long kCodes[] = {200, 200, 200, 304, 400, 401, 404, 500};

earshot::core::SourceConfig ConfigFor(const char* kind) {
  earshot::core::SourceConfig config;
  config.id = "fuzz";
  config.kind = kind;
  const std::string name = kind;
  if (name == "rss") {
    config.params["url"] = "http://127.0.0.1:1/feed.xml";
    config.params["follow_comments"] = "true";
    return config;
  }
  config.params["base_url"] = "http://127.0.0.1:1";
  if (name == "mastodon") config.params["hashtag"] = "acme";
  if (name == "reddit") config.params["subreddit"] = "acme";
  if (name == "hackernews" || name == "bluesky") config.params["query"] = "acme";
  if (name == "bluesky") {
    config.params["identifier"] = "fuzz.bsky.social";
    config.secrets["app_password"] = "fuzz-password";
  }
  return config;
}

[[noreturn]] void Fail(const char* kind, const std::string& what) {
  std::fprintf(stderr, "adapter_fuzz: %s: %s\n", kind, what.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Kind& kind = kKinds[data[0] % std::size(kKinds)];
  const long code = kCodes[(data[0] / std::size(kKinds)) % std::size(kCodes)];
  const earshot::core::SourceConfig config = ConfigFor(kind.name);

  auto adapter = kind.factory(config, "");
  if (!adapter) Fail(kind.name, "cannot build: " + adapter.error().message());
  auto request = (*adapter)->BeginCycle();
  if (!request) return 0;

  earshot::crawler::HttpResponse response;
  response.code = code;
  response.body.assign(reinterpret_cast<const char*>(data + 1), size - 1);
  response.headers = {{"etag", "\"fuzz\""}, {"x-wp-totalpages", "3"}};
  earshot::core::PostParser parser;
  earshot::crawler::HttpRequest current = *request;
  for (int page = 0; page < 4; ++page) {
    response.url = current.url;
    auto result = (*adapter)->OnResponse(current, response);
    if (!result) break;
    for (const std::string& line : result->lines) {
      auto post = parser.Parse(line);
      if (!post) Fail(kind.name, "a line the pipeline would reject: " + post.error().message() + ": " + line);
    }
    const std::string cursor = (*adapter)->Cursor();
    auto resumed = kind.factory(config, cursor);
    if (!resumed) Fail(kind.name, "its own cursor is refused: " + resumed.error().message() + ": " + cursor);
    if (!result->next) break;
    current = *result->next;
  }
  return 0;
}
