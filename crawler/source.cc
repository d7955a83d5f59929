#include "crawler/source.h"

#include <algorithm>
#include <iterator>

#include "crawler/sources/jsonl_source.h"

namespace earshot::crawler {
namespace {

using Factory = core::Result<std::unique_ptr<Source>> (*)(const core::SourceConfig& config,
                                                          std::string_view cursor,
                                                          const SourceOptions& options,
                                                          std::vector<std::string>& warnings);

struct Registration {
  std::string_view kind;
  Factory factory;
};

// The one place where source kinds are registered (STYLE.md 3). Each network adapter adds its line
// here when it is built; a kind listed in core::kSourceKinds but not here is reported as not built
// yet rather than as unknown, so a valid config gets an honest message.
constexpr Registration kRegistry[] = {
    {"jsonl", &JsonlSource::Open},
};

}  // namespace

core::Result<std::unique_ptr<Source>> MakeSource(const core::SourceConfig& config, std::string_view cursor,
                                                 const SourceOptions& options,
                                                 std::vector<std::string>& warnings) {
  for (const Registration& registration : kRegistry) {
    if (registration.kind == config.kind) return registration.factory(config, cursor, options, warnings);
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
