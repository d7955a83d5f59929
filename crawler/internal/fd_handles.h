// UniqueFd: the one owner of a POSIX file descriptor (STYLE.md 7: one move-only owner per handle).
//
// Sources read with open()/read()/poll() rather than stdio because stdio's buffering hides what a
// tailing reader needs to see: bytes appended to a file after end-of-file, and a pipe's line the
// moment it arrives. The descriptor is closed exactly once, by whichever UniqueFd owns it last.
//
// Thread safety: none; a UniqueFd belongs to one object used by one thread at a time.
#ifndef EARSHOT_CRAWLER_INTERNAL_FD_HANDLES_H_
#define EARSHOT_CRAWLER_INTERNAL_FD_HANDLES_H_

#include <unistd.h>

#include <utility>

namespace earshot::crawler::internal {

class UniqueFd {
 public:
  UniqueFd() = default;
  // Takes ownership of `fd` (-1 means none).
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { Reset(); }

  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  // The raw descriptor for system calls; still owned by this object. No implicit conversion
  // (STYLE.md 8), so a descriptor cannot leave its owner by accident.
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

  // Gives up ownership without closing and returns the descriptor.
  int Release() { return std::exchange(fd_, -1); }

  // Closes the descriptor, if any. close() errors are ignored: after close() the descriptor is
  // gone whatever it returns (retrying could close someone else's), and for the read-only
  // descriptors used here no written data can be lost.
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

}  // namespace earshot::crawler::internal

#endif  // EARSHOT_CRAWLER_INTERNAL_FD_HANDLES_H_
