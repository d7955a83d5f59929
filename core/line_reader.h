// LineReader: streams a JSON Lines input one line at a time in bounded memory.
//
// Handles what real files contain: a UTF-8 byte-order mark at the start, CRLF line endings, a last
// line without a newline. Lines are numbered from 1 as an editor shows them, so errors can say
// "line N". Memory is one read buffer plus the longest line seen (a line longer than
// `max_line_bytes` is reported, not buffered without bound). The limit counts the line without its
// "\n" or "\r\n". Reads go through std::fread on a 1 MiB buffer, so on a pipe a line is returned
// only once 1 MiB more has arrived or the writer has closed it: fine for batch input, not for
// tailing a live stream. End of file is sticky: once seen, Next keeps returning kEndOfFile.
//
// Thread safety: not thread-safe; one reader per input.
#ifndef EARSHOT_CORE_LINE_READER_H_
#define EARSHOT_CORE_LINE_READER_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "core/status.h"

namespace earshot::core {

class LineReader {
 public:
  static constexpr size_t kDefaultMaxLineBytes = 16 * 1024 * 1024;

  // Does not take ownership of `file`; it must stay open for the reader's lifetime.
  explicit LineReader(std::FILE* file, size_t max_line_bytes = kDefaultMaxLineBytes);

  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  enum class Outcome {
    kLine,       // `line` holds the next line (without \n or \r\n, BOM stripped on line 1)
    kTooLong,    // the line exceeded max_line_bytes; it was skipped and `line` is empty
    kEndOfFile,  // no more input
  };

  // Reads the next line into `line` (its capacity is reused) and sets `line_number`.
  // Blank lines are returned too; callers decide to skip them. A read error is a non-OK Result
  // (IOError "read <input>: <strerror>"; the caller adds the real name with WithContext), and
  // every later call returns it again. At kEndOfFile, `line_number` is the last line's number.
  Result<Outcome> Next(std::string& line, uint64_t& line_number);

 private:
  bool Fill();  // refills buffer_; false at EOF or on error (error_ set)

  std::FILE* file_;
  size_t max_line_bytes_;
  std::vector<char> buffer_;
  size_t begin_ = 0;  // unread bytes are buffer_[begin_, end_)
  size_t end_ = 0;
  uint64_t line_number_ = 0;
  bool eof_ = false;
  int error_ = 0;  // errno of a failed read
};

}  // namespace earshot::core

#endif  // EARSHOT_CORE_LINE_READER_H_
