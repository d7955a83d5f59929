// Helpers shared by the adapter tests (mastodon, reddit, hackernews, bluesky, wordpress, rss):
// config and adapter builders, canned responses, reading a page's lines back as Posts, and the
// recorded fixtures under tests/replay/fixtures.
#ifndef EARSHOT_TESTS_CRAWLER_ADAPTER_TEST_SUPPORT_H_
#define EARSHOT_TESTS_CRAWLER_ADAPTER_TEST_SUPPORT_H_

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/config.h"
#include "core/post.h"
#include "core/post_json.h"
#include "core/status.h"
#include "crawler/adapter.h"

namespace earshot::crawler::test_support {

using Params = std::map<std::string, std::string>;

// A source config of `kind` named `id`, with these params and secrets.
inline core::SourceConfig SourceConfig(std::string id, std::string kind, Params params, Params secrets = {}) {
  core::SourceConfig config;
  config.id = std::move(id);
  config.kind = std::move(kind);
  config.params = std::move(params);
  config.secrets = std::move(secrets);
  return config;
}

// `base` with `extra` added; a key in both takes its value from `extra`.
inline Params Merged(Params base, const Params& extra) {
  for (const auto& [key, value] : extra) base[key] = value;
  return base;
}

// `config` with params[key] = value, or without `key` when `value` is empty (bad-param tables).
inline core::SourceConfig WithParam(core::SourceConfig config, const std::string& key, const std::string& value) {
  if (value.empty()) {
    config.params.erase(key);
  } else {
    config.params[key] = value;
  }
  return config;
}

// The adapter `factory` makes from config and cursor; a failure is a test failure and gives null.
template <typename Factory>
std::unique_ptr<Adapter> MustMake(Factory factory, const core::SourceConfig& config, std::string_view cursor) {
  core::Result<std::unique_ptr<Adapter>> adapter = factory(config, cursor);
  EXPECT_TRUE(adapter.has_value()) << adapter.error().ToString();
  return adapter ? std::move(*adapter) : nullptr;
}

// A response as the fetcher hands it to an adapter.
inline HttpResponse MakeResponse(long code, std::string body,
                                 std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpResponse response;
  response.code = code;
  response.body = std::move(body);
  response.headers = std::move(headers);
  return response;
}

// The value of the request header `name`, or empty.
inline std::string HeaderOf(const HttpRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) return value;
  }
  return "";
}

// The page's lines parsed back into Posts; a line that does not parse is a test failure.
inline std::vector<core::Post> Posts(const Page& page) {
  core::PostParser parser;
  std::vector<core::Post> posts;
  for (const std::string& line : page.lines) {
    core::Result<core::Post> post = parser.Parse(line);
    EXPECT_TRUE(post.has_value()) << line << ": " << post.error().ToString();
    if (post) posts.push_back(*post);
  }
  return posts;
}

// The ids of the page's posts, in line order.
inline std::vector<std::string> Ids(const Page& page) {
  std::vector<std::string> ids;
  for (const core::Post& post : Posts(page)) ids.push_back(post.id);
  return ids;
}

// The page the adapter makes of `response`; an error is a test failure and gives an empty page.
inline Page MustPage(Adapter& adapter, const HttpRequest& request, const HttpResponse& response) {
  core::Result<Page> page = adapter.OnResponse(request, response);
  EXPECT_TRUE(page.has_value()) << page.error().ToString();
  return page ? std::move(*page) : Page{};
}

// A JSON array of the given JSON texts.
inline std::string JsonArray(const std::vector<std::string>& items) {
  std::string json = "[";
  for (size_t i = 0; i < items.size(); ++i) json += (i ? "," : "") + items[i];
  return json + "]";
}

// The bytes of tests/replay/fixtures/<path>; a missing file is a test failure and gives "".
inline std::string ReadFixture(std::string_view path) {
  const std::string full = std::string(EARSHOT_SOURCE_DIR) + "/tests/replay/fixtures/" + std::string(path);
  std::ifstream file(full, std::ios::binary);
  EXPECT_TRUE(file) << "missing fixture " << full;
  return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
}

}  // namespace earshot::crawler::test_support

#endif  // EARSHOT_TESTS_CRAWLER_ADAPTER_TEST_SUPPORT_H_
