// The on-disk cache of compiled Hyperscan databases (the idea of Suricata's sgh-mpm cache).
//
// A cache file is <dir>/<key>.hsdb where key is the hex XXH3-128 of everything that changes the
// compiled bytes: a format version, hs_version(), the host platform (hs_populate_platform), the
// mode, and each pattern's index, flags and expression in order. The file is
//   magic "ESHSDB01" | key (32 hex chars) | payload size (u64) | XXH3-64 of payload (u64) | payload
// where the payload is hs_serialize_database's output. The checksum exists because Hyperscan does
// not verify the bytecode it deserializes, and a torn or bit-flipped file must never be scanned
// with; the key is repeated inside so a renamed file is not mistaken for another rule set.
//
// Thread safety: pure functions over the file system; concurrent writers of the same key are safe
// because each writes its own temporary file and rename() replaces atomically.
#ifndef EARSHOT_MATCHERS_INTERNAL_DATABASE_CACHE_H_
#define EARSHOT_MATCHERS_INTERNAL_DATABASE_CACHE_H_

#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"
#include "matchers/internal/hs_handles.h"

namespace earshot::matchers::internal {

struct CacheInput {
  std::string_view expression;
  unsigned int flags;
};

// The hex cache key of a database compiled from `patterns` (Hyperscan id = position) on this host.
std::string ComputeCacheKey(std::span<const CacheInput> patterns);

std::filesystem::path CachePath(const std::filesystem::path& dir, std::string_view key);

// Loads and verifies the cache file at `path` for `key`. NotFound when there is no file (a normal
// miss); Corruption or IOError (message names the file) when it exists but cannot be used.
core::Result<HsDatabase> LoadCachedDatabase(const std::filesystem::path& path,
                                            std::string_view key);

// Serializes `database` to `path` through a temporary file in the same directory and an atomic
// rename, creating the directory if needed. Readers never see a partial file.
core::Status StoreCachedDatabase(const hs_database_t& database, const std::filesystem::path& path,
                                 std::string_view key);

}  // namespace earshot::matchers::internal

#endif  // EARSHOT_MATCHERS_INTERNAL_DATABASE_CACHE_H_
