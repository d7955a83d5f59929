#include "core/line_reader.h"

#include <cerrno>
#include <cstring>
#include <string_view>

namespace earshot::core {
namespace {

constexpr size_t kBufferBytes = 1 << 20;  // 1 MiB: large enough that fread cost is per megabyte
constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

}  // namespace

LineReader::LineReader(std::FILE* file, size_t max_line_bytes)
    : file_(file), max_line_bytes_(max_line_bytes), buffer_(kBufferBytes) {}

bool LineReader::Fill() {
  if (eof_ || error_ != 0) return false;
  begin_ = 0;
  errno = 0;
  end_ = std::fread(buffer_.data(), 1, buffer_.size(), file_);
  if (end_ > 0) return true;
  if (std::ferror(file_)) {
    error_ = errno != 0 ? errno : EIO;  // fread need not set errno; never report "Success"
  } else {
    eof_ = true;
  }
  return false;
}

Result<LineReader::Outcome> LineReader::Next(std::string& line, uint64_t& line_number) {
  line.clear();
  bool consumed_any = false;  // distinguishes a last line without '\n' from the end of input
  bool too_long = false;
  // One byte of slack over the limit so a line of exactly max_line_bytes followed by "\r\n" fits.
  const size_t limit = max_line_bytes_ + 1;
  bool found_newline = false;
  while (!found_newline) {
    if (begin_ == end_ && !Fill()) {
      if (error_ != 0) return Status::FromErrno("read", "<input>", error_);
      if (!consumed_any) {
        line_number = line_number_;
        return Outcome::kEndOfFile;
      }
      break;  // the last line has no newline
    }
    consumed_any = true;
    const char* start = buffer_.data() + begin_;
    const size_t available = end_ - begin_;
    const auto* newline = static_cast<const char*>(std::memchr(start, '\n', available));
    const size_t chunk = newline ? static_cast<size_t>(newline - start) : available;
    begin_ += newline ? chunk + 1 : chunk;
    found_newline = newline != nullptr;
    // Once a line is too long, keep scanning for its end without storing it: memory stays bounded
    // by the limit, not by the input.
    if (too_long) continue;
    if (line.size() + chunk > limit) {
      too_long = true;
      line.clear();
      continue;
    }
    line.append(start, chunk);
  }

  line_number = ++line_number_;
  if (!too_long && !line.empty() && line.back() == '\r') line.pop_back();
  if (!too_long && line.size() > max_line_bytes_) too_long = true;
  if (too_long) {
    line.clear();
    return Outcome::kTooLong;
  }
  if (line_number_ == 1 && std::string_view(line).starts_with(kByteOrderMark)) {
    line.erase(0, kByteOrderMark.size());
  }
  return Outcome::kLine;
}

}  // namespace earshot::core
