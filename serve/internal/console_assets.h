// The operator console's files (serve/console/), compiled into the binary so `earshot serve` needs
// nothing beside it at run time and serves exactly the console it was built with. The definitions
// are generated at build time by serve/embed_console.cmake into <build>/serve/console_assets.cc,
// and regenerated whenever a console file changes.
//
// Thread safety: immutable data.
#ifndef EARSHOT_SERVE_INTERNAL_CONSOLE_ASSETS_H_
#define EARSHOT_SERVE_INTERNAL_CONSOLE_ASSETS_H_

#include <span>
#include <string_view>

namespace earshot::serve::internal {

struct ConsoleAsset {
  std::string_view name;  // file name in serve/console/: "index.html", "console.js", "console.css"
  std::string_view bytes;
};

// Every console file, in the order CMake listed them.
std::span<const ConsoleAsset> ConsoleAssets();

}  // namespace earshot::serve::internal

#endif  // EARSHOT_SERVE_INTERNAL_CONSOLE_ASSETS_H_
