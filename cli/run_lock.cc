#include "cli/run_lock.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace earshot::cli {

std::unique_ptr<RunLock> RunLock::Acquire(const std::filesystem::path& data_dir) {
  const std::filesystem::path path = data_dir / "run.lock";
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    spdlog::error("{}: {}", path.string(), std::strerror(errno));
    return nullptr;
  }
  auto lock = std::make_unique<RunLock>(fd);
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    spdlog::error("another `earshot run` or `crawl` is using data_dir {} (it holds {}); stop it first",
                  data_dir.string(), path.string());
    return nullptr;
  }
  return lock;
}

RunLock::~RunLock() { close(fd_); }

}  // namespace earshot::cli
