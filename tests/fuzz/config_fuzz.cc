// libFuzzer target: arbitrary bytes as a configuration file. LoadConfig must return a Config or a
// Status for every input (no crash, hang, leak or exception), and an error must never echo a
// secret's value.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/config.h"

namespace {

constexpr const char* kSecret = "s3cr3t-fuzz-value";

std::optional<std::string> FuzzGetEnv(const char* name) {
  if (std::string(name).find("UNSET") != std::string::npos) return std::nullopt;
  return std::string(kSecret);
}

// One scratch file per fuzzing process, removed when the process exits.
struct ScratchFile {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("earshot-config-fuzz-" + std::to_string(getpid()) + ".yaml");
  ~ScratchFile() {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  }
};

const std::filesystem::path& ConfigPath() {
  static const ScratchFile file;
  return file.path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::FILE* file = std::fopen(ConfigPath().c_str(), "wb");
  if (file == nullptr) return 0;
  std::fwrite(data, 1, size, file);
  std::fclose(file);
  earshot::core::Result<earshot::core::Config> config = earshot::core::LoadConfig(ConfigPath(), FuzzGetEnv);
  // The file itself may contain the secret's text (the fuzzer learns it from comparisons); only an
  // error that shows the value when the file does not is a leak.
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (!config && input.find(kSecret) == std::string_view::npos &&
      config.error().message().find(kSecret) != std::string::npos) {
    std::abort();
  }
  return 0;
}
