// The imitated APIs, server side: each handler turns a request into the response the real API
// would send for the recorded data (paging, filters, validation errors), independent of HTTP
// plumbing, faults and rate budgets (replay_server.cc adds those).
//
// Thread safety: the handlers are safe to call concurrently (DatasetStore and Sessions lock).
#ifndef EARSHOT_TESTS_REPLAY_APIS_H_
#define EARSHOT_TESTS_REPLAY_APIS_H_

#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tests/replay/datasets.h"

namespace earshot::replay {

enum class Api { kNone, kMastodon, kReddit, kHackerNews, kBluesky, kWordPress, kFeeds };

// Which API a path belongs to (kNone: 404).
Api ApiForPath(std::string_view path);
std::string_view ApiName(Api api);  // "mastodon", ..., "feeds", "none"

struct ApiRequest {
  std::string method;  // "GET", "POST", "HEAD"
  std::string path;
  std::string host;  // the Host header, for absolute URLs ("127.0.0.1:8080")
  std::vector<std::pair<std::string, std::string>> params;  // decoded query parameters
  std::string raw_query;                                    // as sent, without '?'
  std::string body;
  std::string authorization;
  std::string if_none_match;
  std::string if_modified_since;
  size_t extra_items = 0;  // the `oversize` fault: this many items beyond the page size

  // The first value of `name`, or nullptr.
  const std::string* Param(std::string_view name) const;
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Bluesky sessions: tokens this server issued. ExpireAll() makes every access token issued so far
// answer 400 ExpiredToken (refresh tokens keep working, as on a real PDS after 2 hours).
class Sessions {
 public:
  enum class Check { kValid, kExpired, kUnknown };
  struct Tokens {
    std::string access;
    std::string refresh;
  };
  Tokens Issue(const std::string& handle);
  Check CheckAccess(std::string_view token) const;
  // Exchanges a valid refresh token for new tokens (the old refresh token is then invalid).
  std::optional<Tokens> Refresh(std::string_view refresh_token, std::string* handle);
  void ExpireAll();

 private:
  std::string RandomToken(std::string_view prefix);

  mutable std::mutex mutex_;
  std::mt19937_64 random_{std::random_device{}()};
  std::unordered_map<std::string, bool> access_;          // token → expired
  std::unordered_map<std::string, std::string> refresh_;  // token → handle
};

struct ApiContext {
  const DatasetStore* store;
  Sessions* sessions;
  std::string app_password;  // the Bluesky password createSession accepts (any identifier)
};

// Serves `request` for `api` (not kNone). Rate-limit headers are not added here.
ApiResponse HandleApi(Api api, const ApiContext& context, const ApiRequest& request);

}  // namespace earshot::replay

#endif  // EARSHOT_TESTS_REPLAY_APIS_H_
