// JsonlSource: the `jsonl` source kind. Passes the lines of a Post JSONL file (or of stdin) to the
// pipeline and remembers where it stopped, so `earshot run` can tail a file that another program
// keeps appending to, and resume after a restart without re-reading or skipping anything.
//
// Config (DESIGN.md §3.5): `path` is required; "-" means stdin. The path arrives already resolved
// against the config file's directory.
//
// Two modes, chosen by what the path turns out to be (fstat after open):
//  * A regular file is tailed. At its current end Next returns kIdle, and the next call reads
//    again, so appended lines are picked up. A last line without "\n" is held back (the writer
//    may be mid-line) unless SourceOptions::once is set. The cursor records the byte offset after
//    the last returned line, that line's number and the file's device/inode; resuming checks that
//    the file is still the same one and no shorter than the offset, and otherwise warns and reads
//    it from the start (log rotation by rename, or truncation). A file truncated and then regrown
//    past the offset before the restart cannot be told apart from an appended one.
//  * Anything else (stdin, a pipe, a named pipe, a terminal) is a stream. Next never blocks: it
//    polls, returns kIdle when no complete line is available yet, returns each line as soon as its
//    newline arrives, and returns kEnd once the writer has closed the stream (after a last line
//    without "\n", if any). A stream cannot be rewound, so its cursor is empty and a restart reads
//    whatever arrives next; posts that are sent again are still triaged once, because the
//    pipeline's seen-set drops ids it has already stored.
//
// Lines come back without "\n" or "\r\n"; a UTF-8 byte-order mark at offset 0 is stripped; blank
// lines are returned (the pipeline skips them) so line numbers stay those an editor shows. A line
// over SourceOptions::max_line_bytes is skipped to its newline without being buffered and
// reported as kTooLong. Memory is one 1 MiB read buffer plus the longest accepted line.
//
// Errors: open failures are the errno Status ("source ID: open PATH: No such file or directory",
// NotFound for a missing file); a malformed cursor is Corruption naming the source; read errors
// are IOError naming the source and path. A failed read consumes nothing, so calling Next again
// retries it.
//
// Thread safety: not thread-safe; one thread at a time (Source's contract).
#ifndef EARSHOT_CRAWLER_SOURCES_JSONL_SOURCE_H_
#define EARSHOT_CRAWLER_SOURCES_JSONL_SOURCE_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/status.h"
#include "crawler/internal/fd_handles.h"
#include "crawler/source.h"

namespace earshot::crawler {

class JsonlSource final : public Source {
  struct Passkey {  // lets the factories use std::make_unique while keeping construction private
    explicit Passkey() = default;
  };

 public:
  // The factory MakeSource registers for kind "jsonl"; same contract as MakeSource.
  static core::Result<std::unique_ptr<Source>> Open(const core::SourceConfig& config, std::string_view cursor,
                                                    const SourceOptions& options,
                                                    std::vector<std::string>& warnings);

  // Reads `fd` as a stream (see above), naming it `name` in messages and Describe(). Open uses it
  // for stdin (on a duplicate of fd 0, so closing the source never closes stdin); tests use it to
  // feed a pipe() they write to.
  static std::unique_ptr<Source> OpenStream(const core::SourceConfig& config, internal::UniqueFd fd,
                                            std::string name, const SourceOptions& options);

  // Where a regular file starts reading; see Open.
  struct FilePosition {
    uint64_t offset = 0;       // byte offset just after the last returned line
    uint64_t line_number = 0;  // that line's number; 0 before the first line
    dev_t device = 0;
    ino_t inode = 0;
  };

  JsonlSource(Passkey, const core::SourceConfig& config, const SourceOptions& options, internal::UniqueFd fd,
              std::string name, bool regular_file, const FilePosition& position);

  const core::SourceConfig& config() const override { return config_; }
  core::Result<Outcome> Next(std::string& line, uint64_t& line_number) override;
  // Regular file: "jsonl1 offset=<bytes> line=<n> dev=<st_dev> ino=<st_ino>", all decimal.
  // Stream: empty (a pipe cannot be resumed).
  std::string Cursor() const override;
  // Regular file: "offset 12.3 MB of 45.6 MB". Stream: "stdin, 1234 lines".
  std::string Describe() const override;
  // A stream's descriptor until it ends; -1 for a regular file (always readable, so no signal).
  int WaitableFd() const override { return regular_file_ || ended_ ? -1 : fd_.get(); }

 private:
  enum class FillResult {
    kData,     // buffer_ holds new bytes
    kNothing,  // nothing to read right now (end of a regular file, or an empty pipe)
    kClosed,   // a stream's writer closed it
  };
  core::Result<FillResult> Fill();
  // Hands the accumulated line to the caller and moves the cursor past it (and its "\n" if
  // `terminated`).
  Outcome FinishLine(bool terminated, std::string& line, uint64_t& line_number);
  core::Status ReadError(int error) const;

  const core::SourceConfig config_;
  const SourceOptions options_;
  const internal::UniqueFd fd_;
  const std::string name_;  // the path as configured, or "stdin"
  const bool regular_file_;
  const dev_t device_;
  const ino_t inode_;

  std::vector<char> buffer_;  // read buffer; unread bytes are [begin_, end_)
  size_t begin_ = 0;
  size_t end_ = 0;

  // The line being assembled across reads. Bytes are copied here from buffer_ until its newline
  // arrives, so a partial line survives a kIdle return while the caller reuses its string.
  std::string pending_;
  uint64_t pending_bytes_ = 0;  // bytes of the current line consumed so far, skipped ones included
  bool pending_too_long_ = false;

  uint64_t offset_;       // just after the last returned line (what Cursor saves)
  uint64_t line_number_;  // the last returned line's number
  bool ended_ = false;    // a stream returned kEnd; it stays ended
};

}  // namespace earshot::crawler

#endif  // EARSHOT_CRAWLER_SOURCES_JSONL_SOURCE_H_
