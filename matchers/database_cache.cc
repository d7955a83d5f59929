#include "matchers/internal/database_cache.h"

#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <system_error>

namespace earshot::matchers::internal {
namespace {

namespace fs = std::filesystem;

// Bump when anything about how Earshot compiles or stores databases changes without showing up
// in the hashed inputs (e.g. a new default flag), so old cache files stop matching.
constexpr std::string_view kCacheFormat = "earshot-hsdb-1";
constexpr std::string_view kMagic = "ESHSDB01";
constexpr size_t kKeySize = 32;  // hex of 128 bits
constexpr size_t kHeaderSize = kMagic.size() + kKeySize + 2 * sizeof(uint64_t);

void AppendU64(std::string& out, uint64_t value) {
  char bytes[sizeof(value)];
  std::memcpy(bytes, &value, sizeof(value));
  out.append(bytes, sizeof(bytes));
}

// Length-prefixed, so that ("ab", "c") and ("a", "bc") hash differently.
void AppendField(std::string& out, std::string_view field) {
  AppendU64(out, field.size());
  out.append(field);
}

uint64_t ReadU64(const char* bytes) {
  uint64_t value = 0;
  std::memcpy(&value, bytes, sizeof(value));
  return value;
}

std::string Hex(const unsigned char* bytes, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * size);
  for (size_t i = 0; i < size; ++i) {
    out.push_back(kDigits[bytes[i] >> 4]);
    out.push_back(kDigits[bytes[i] & 0xf]);
  }
  return out;
}

}  // namespace

std::string ComputeCacheKey(std::span<const CacheInput> patterns) {
  std::string material;
  AppendField(material, kCacheFormat);
  AppendField(material, hs_version());
  // Databases are compiled for the host (platform = nullptr), so the host's features shape them.
  hs_platform_info_t platform{};
  if (hs_populate_platform(&platform) != HS_SUCCESS) platform = hs_platform_info_t{};
  AppendU64(material, platform.tune);
  AppendU64(material, platform.cpu_features);
  AppendU64(material, HS_MODE_BLOCK);
  AppendU64(material, patterns.size());
  for (size_t i = 0; i < patterns.size(); ++i) {
    AppendU64(material, i);
    AppendU64(material, patterns[i].flags);
    AppendField(material, patterns[i].expression);
  }
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, XXH3_128bits(material.data(), material.size()));
  return Hex(canonical.digest, sizeof(canonical.digest));
}

fs::path CachePath(const fs::path& dir, std::string_view key) {
  return dir / (std::string(key) + ".hsdb");
}

core::Result<HsDatabase> LoadCachedDatabase(const fs::path& path, std::string_view key) {
  const std::string name = path.string();
  std::error_code exists_error;
  if (!fs::exists(path, exists_error) && !exists_error) {
    return core::Status::NotFound("no cache file " + name);  // the usual first-build miss
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::Status::FromErrno("open cache file", name, errno);
  const std::string file{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) return core::Status::IOError("read cache file " + name);

  const auto corrupt = [&name](std::string_view why) {
    return core::Status::Corruption("cache file " + name + " " + std::string(why));
  };
  if (file.size() < kHeaderSize || std::string_view(file).substr(0, kMagic.size()) != kMagic) {
    return corrupt("has no valid header");
  }
  if (std::string_view(file).substr(kMagic.size(), kKeySize) != key) {
    return corrupt("belongs to another rule set");
  }
  const char* sizes = file.data() + kMagic.size() + kKeySize;
  const uint64_t payload_size = ReadU64(sizes);
  const uint64_t checksum = ReadU64(sizes + sizeof(uint64_t));
  const char* payload = file.data() + kHeaderSize;
  if (payload_size != file.size() - kHeaderSize) return corrupt("is truncated");
  if (XXH3_64bits(payload, payload_size) != checksum) return corrupt("fails its checksum");

  hs_database_t* raw = nullptr;
  // Checks the Hyperscan version and that this CPU has the features the bytecode uses.
  const hs_error_t error = hs_deserialize_database(payload, payload_size, &raw);
  HsDatabase database(raw);
  if (error != HS_SUCCESS) {
    return FromHsError(error, "hs_deserialize_database").WithContext("cache file " + name);
  }
  return database;
}

core::Status StoreCachedDatabase(const hs_database_t& database, const fs::path& path,
                                 std::string_view key) {
  char* raw = nullptr;
  size_t size = 0;
  const hs_error_t error = hs_serialize_database(&database, &raw, &size);
  HsMiscBytes bytes(raw);
  if (error != HS_SUCCESS) return FromHsError(error, "hs_serialize_database");

  std::error_code fs_error;
  fs::create_directories(path.parent_path(), fs_error);
  if (fs_error) {
    return core::Status::IOError("create cache directory " + path.parent_path().string() + ": " +
                                 fs_error.message());
  }
  // A unique temporary name per writer: two processes building the same rules at once must not
  // interleave their bytes; whichever rename lands last wins with a complete file.
  std::random_device random;
  fs::path temp = path;
  temp += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(random());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) return core::Status::FromErrno("create cache file", temp.string(), errno);
    std::string header(kMagic);
    header.append(key);
    AppendU64(header, size);
    AppendU64(header, XXH3_64bits(bytes.get(), size));
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    out.write(bytes.get(), static_cast<std::streamsize>(size));
    out.close();
    // No fsync: a file torn by a crash fails its checksum on load and is simply recompiled.
    if (!out) {
      fs::remove(temp, fs_error);
      return core::Status::IOError("write cache file " + temp.string());
    }
  }
  fs::rename(temp, path, fs_error);
  if (fs_error) {
    std::error_code ignored;
    fs::remove(temp, ignored);
    return core::Status::IOError("rename cache file to " + path.string() + ": " +
                                 fs_error.message());
  }
  return core::Status::Ok();
}

}  // namespace earshot::matchers::internal
