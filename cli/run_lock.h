// RunLock: an exclusive flock on data_dir/run.lock, held by `earshot run` and `earshot crawl` for
// their whole life, and briefly by `earshot sources reset`. Two runs on one data directory would be
// safe (LMDB serialises commits and the seen-set drops what the other committed) but would read
// every source twice for nothing; and a cursor reset under a running crawler would be overwritten
// by its next commit. The kernel releases the lock when the process dies, so a SIGKILLed run never
// blocks the next one.
#ifndef EARSHOT_CLI_RUN_LOCK_H_
#define EARSHOT_CLI_RUN_LOCK_H_

#include <filesystem>
#include <memory>

namespace earshot::cli {

class RunLock {
 public:
  // Null (after logging why) when the lock file cannot be opened or another process holds it.
  static std::unique_ptr<RunLock> Acquire(const std::filesystem::path& data_dir);
  explicit RunLock(int fd) : fd_(fd) {}
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int fd_;
};

}  // namespace earshot::cli

#endif  // EARSHOT_CLI_RUN_LOCK_H_
