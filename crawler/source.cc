#include "crawler/source.h"

#include <algorithm>
#include <iterator>

#include "crawler/network_source.h"
#include "crawler/sources/bluesky.h"
#include "crawler/sources/hackernews.h"
#include "crawler/sources/jsonl_source.h"
#include "crawler/sources/mastodon.h"
#include "crawler/sources/reddit.h"
#include "crawler/sources/rss.h"
#include "crawler/sources/wordpress.h"

namespace earshot::crawler {
namespace {

using Factory = core::Result<std::unique_ptr<Source>> (*)(const core::SourceConfig& config,
                                                          std::string_view cursor,
                                                          const SourceOptions& options,
                                                          std::vector<std::string>& warnings);

struct Registration {
  std::string_view kind;
  Factory factory = nullptr;          // a source that reads by itself
  AdapterFactory adapter = nullptr;   // or an API adapter, driven by a NetworkSource
};

// The one place where source kinds are registered (STYLE.md 3). A kind listed in
// core::kSourceKinds but not here is reported as not built yet rather than as unknown.
constexpr Registration kRegistry[] = {
    {"mastodon", nullptr, &MakeMastodonAdapter},   {"reddit", nullptr, &MakeRedditAdapter},
    {"hackernews", nullptr, &MakeHackerNewsAdapter}, {"bluesky", nullptr, &MakeBlueskyAdapter},
    {"rss", nullptr, &MakeRssAdapter},             {"wordpress", nullptr, &MakeWordPressAdapter},
    {"jsonl", &JsonlSource::Open, nullptr},
};

core::Result<std::unique_ptr<Source>> MakeNetworkSource(const core::SourceConfig& config, std::string_view cursor,
                                                        const SourceOptions& options, AdapterFactory factory) {
  if (options.fetcher == nullptr) {
    return core::Status::Internal("source " + config.id + ": a " + config.kind + " source needs the HTTP fetcher");
  }
  core::Result<std::unique_ptr<Adapter>> adapter = factory(config, cursor);
  if (!adapter) return adapter.error();
  return std::unique_ptr<Source>(
      std::make_unique<NetworkSource>(config, std::move(*adapter), std::string(cursor), options));
}

}  // namespace

bool IsNetworkKind(std::string_view kind) {
  return std::any_of(std::begin(kRegistry), std::end(kRegistry),
                     [&](const Registration& registration) { return registration.kind == kind && registration.adapter; });
}

core::Result<std::unique_ptr<Source>> MakeSource(const core::SourceConfig& config, std::string_view cursor,
                                                 const SourceOptions& options,
                                                 std::vector<std::string>& warnings) {
  for (const Registration& registration : kRegistry) {
    if (registration.kind != config.kind) continue;
    if (registration.adapter != nullptr) return MakeNetworkSource(config, cursor, options, registration.adapter);
    return registration.factory(config, cursor, options, warnings);
  }
  const std::string context = "source " + config.id + ": kind '" + config.kind + "'";
  const bool known = std::any_of(std::begin(core::kSourceKinds), std::end(core::kSourceKinds),
                                 [&](std::string_view kind) { return kind == config.kind; });
  if (known) {
    return core::Status::InvalidArgument(context + " is not built yet (the crawler issue adds it)");
  }
  std::string expected;
  for (std::string_view kind : core::kSourceKinds) {
    expected.append(expected.empty() ? "" : ", ").append(kind);
  }
  return core::Status::InvalidArgument(context + " is unknown (expected one of: " + expected + ")");
}

}  // namespace earshot::crawler
