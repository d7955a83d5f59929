#include "crawler/sources/jsonl_source.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <limits>
#include <optional>
#include <utility>

namespace earshot::crawler {
namespace {

using core::Result;
using core::Status;

// Large enough that a bulk replay costs one read() per megabyte; a pipe's read() returns what has
// arrived, so the size adds no latency there.
constexpr size_t kBufferBytes = 1 << 20;
constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
constexpr std::string_view kCursorVersion = "jsonl1";

std::string Context(const core::SourceConfig& config) { return "source " + config.id; }

// Parses what Cursor() writes: "jsonl1 offset=N line=N dev=N ino=N", exactly, nothing around it.
// The version tag lets a later format be told apart instead of misread.
std::optional<JsonlSource::FilePosition> ParseCursor(std::string_view cursor) {
  constexpr std::string_view kFields[] = {" offset=", " line=", " dev=", " ino="};
  if (!cursor.starts_with(kCursorVersion)) return std::nullopt;
  cursor.remove_prefix(kCursorVersion.size());
  uint64_t values[std::size(kFields)] = {};
  for (size_t i = 0; i < std::size(kFields); ++i) {
    if (!cursor.starts_with(kFields[i])) return std::nullopt;
    cursor.remove_prefix(kFields[i].size());
    const char* end = cursor.data() + cursor.size();
    auto [next, error] = std::from_chars(cursor.data(), end, values[i]);
    if (error != std::errc() || next == cursor.data()) return std::nullopt;
    cursor.remove_prefix(static_cast<size_t>(next - cursor.data()));
  }
  if (!cursor.empty()) return std::nullopt;
  const JsonlSource::FilePosition position = {
      .offset = values[0],
      .line_number = values[1],
      .device = static_cast<dev_t>(values[2]),
      .inode = static_cast<ino_t>(values[3]),
  };
  // Every returned line consumed at least one byte, and offset 0 means nothing was returned yet.
  if (position.line_number > position.offset || (position.offset == 0) != (position.line_number == 0)) {
    return std::nullopt;
  }
  return position;
}

Status MalformedCursor(const core::SourceConfig& config, std::string_view cursor) {
  constexpr size_t kShown = 80;  // a corrupt value may be long binary junk; enough to recognise it
  std::string message = Context(config) + ": malformed saved cursor '";
  message.append(cursor.substr(0, kShown)).append(cursor.size() > kShown ? "...'" : "'");
  message.append(" (expected 'jsonl1 offset=N line=N dev=N ino=N')");
  return Status::Corruption(std::move(message));
}

// "12.3 MB": decimal units, as people read file sizes in progress lines.
std::string FormatBytes(uint64_t bytes) {
  if (bytes < 1000) return std::to_string(bytes) + " B";
  constexpr const char* kUnits[] = {"kB", "MB", "GB", "TB", "PB", "EB"};
  double value = static_cast<double>(bytes) / 1000.0;
  size_t unit = 0;
  while (value >= 999.95 && unit + 1 < std::size(kUnits)) {  // 999.95 would print as "1000.0"
    value /= 1000.0;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f %s", value, kUnits[unit]);
  return text;
}

}  // namespace

Result<std::unique_ptr<Source>> JsonlSource::Open(const core::SourceConfig& config, std::string_view cursor,
                                                  const SourceOptions& options,
                                                  std::vector<std::string>& warnings) {
  const auto path_param = config.params.find("path");
  if (path_param == config.params.end() || path_param->second.empty()) {
    return Status::InvalidArgument(Context(config) +
                                   ": kind 'jsonl' needs a 'path' (a file, or - for stdin)");
  }
  const std::string& path = path_param->second;

  // A stream cannot seek, so a saved cursor (the config used to name a file) cannot be honoured;
  // a malformed one is still reported, as it is for files, because it means a damaged store.
  const auto check_stream_cursor = [&](std::string_view name) -> Status {
    if (cursor.empty()) return Status::Ok();
    if (!ParseCursor(cursor)) return MalformedCursor(config, cursor);
    warnings.push_back(Context(config) + ": " + std::string(name) +
                       " is a stream and cannot resume from the saved offset: reading what arrives next");
    return Status::Ok();
  };

  if (path == "-") {
    // Read a duplicate so that destroying the source closes only our descriptor, never fd 0.
    internal::UniqueFd fd(::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0));
    if (!fd.valid()) return Status::FromErrno("dup", "stdin", errno).WithContext(Context(config));
    EARSHOT_RETURN_IF_ERROR(check_stream_cursor("stdin"));
    return OpenStream(config, std::move(fd), "stdin", options);
  }

  // O_NONBLOCK only matters for a named pipe: without it open() would wait for a writer and stall
  // the pipeline's input stage. Regular files ignore it.
  internal::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd.valid()) return Status::FromErrno("open", path, errno).WithContext(Context(config));
  struct stat info;
  if (::fstat(fd.get(), &info) != 0) {
    return Status::FromErrno("fstat", path, errno).WithContext(Context(config));
  }
  if (S_ISDIR(info.st_mode)) return Status::FromErrno("open", path, EISDIR).WithContext(Context(config));
  if (!S_ISREG(info.st_mode)) {
    EARSHOT_RETURN_IF_ERROR(check_stream_cursor(path));
    return OpenStream(config, std::move(fd), path, options);
  }

  FilePosition position = {.offset = 0, .line_number = 0, .device = info.st_dev, .inode = info.st_ino};
  if (!cursor.empty()) {
    const std::optional<FilePosition> saved = ParseCursor(cursor);
    if (!saved) return MalformedCursor(config, cursor);
    // Rotation renames the old file away and creates a new one under the name; copytruncate
    // empties it in place. Either way the saved offset points into different bytes, and reading
    // from the start loses nothing: the seen-set drops posts already stored.
    if (saved->device != info.st_dev || saved->inode != info.st_ino) {
      warnings.push_back(Context(config) + ": " + path +
                         " was replaced since the saved offset (another file has its name now): "
                         "reading it from the start");
    } else if (static_cast<uint64_t>(info.st_size) < saved->offset) {
      warnings.push_back(Context(config) + ": " + path +
                         " is shorter than the saved offset (truncated): reading it from the start");
    } else {
      // saved->offset <= st_size, so it fits in off_t.
      if (::lseek(fd.get(), static_cast<off_t>(saved->offset), SEEK_SET) < 0) {
        return Status::FromErrno("lseek", path, errno).WithContext(Context(config));
      }
      position.offset = saved->offset;
      position.line_number = saved->line_number;
    }
  }
  std::unique_ptr<Source> source =
      std::make_unique<JsonlSource>(Passkey(), config, options, std::move(fd), path,
                                    /*regular_file=*/true, position);
  return source;
}

std::unique_ptr<Source> JsonlSource::OpenStream(const core::SourceConfig& config, internal::UniqueFd fd,
                                                std::string name, const SourceOptions& options) {
  const FilePosition start = {.offset = 0, .line_number = 0, .device = 0, .inode = 0};
  return std::make_unique<JsonlSource>(Passkey(), config, options, std::move(fd), std::move(name),
                                       /*regular_file=*/false, start);
}

JsonlSource::JsonlSource(Passkey, const core::SourceConfig& config, const SourceOptions& options,
                         internal::UniqueFd fd, std::string name, bool regular_file,
                         const FilePosition& position)
    : config_(config),
      options_(options),
      fd_(std::move(fd)),
      name_(std::move(name)),
      regular_file_(regular_file),
      device_(position.device),
      inode_(position.inode),
      buffer_(kBufferBytes),
      offset_(position.offset),
      line_number_(position.line_number) {}

Result<Source::Outcome> JsonlSource::Next(std::string& line, uint64_t& line_number) {
  line.clear();
  line_number = line_number_;
  if (ended_) return Outcome::kEnd;
  // One byte of slack so a line of exactly max_line_bytes followed by "\r\n" is accepted.
  const size_t limit = options_.max_line_bytes == std::numeric_limits<size_t>::max()
                           ? options_.max_line_bytes
                           : options_.max_line_bytes + 1;
  while (true) {
    if (begin_ == end_) {
      Result<FillResult> filled = Fill();
      if (!filled) return std::move(filled).error();
      if (*filled == FillResult::kNothing) {
        // At the end of a regular file the writer may be mid-line; only --once, which will not
        // come back for the rest, takes the partial line as it is.
        if (regular_file_ && options_.once && pending_bytes_ > 0) return FinishLine(false, line, line_number);
        return Outcome::kIdle;
      }
      if (*filled == FillResult::kClosed) {
        ended_ = true;
        if (pending_bytes_ > 0) return FinishLine(false, line, line_number);
        return Outcome::kEnd;
      }
    }
    const char* start = buffer_.data() + begin_;
    const size_t available = end_ - begin_;
    const auto* newline = static_cast<const char*>(std::memchr(start, '\n', available));
    const size_t chunk = newline != nullptr ? static_cast<size_t>(newline - start) : available;
    begin_ += newline != nullptr ? chunk + 1 : chunk;
    pending_bytes_ += chunk;
    // Once a line is over the limit, keep counting its bytes (the cursor must move past them)
    // but stop storing them: memory stays bounded by the limit, not by the input.
    if (!pending_too_long_) {
      if (pending_.size() + chunk > limit) {
        pending_too_long_ = true;
        pending_.clear();
      } else {
        pending_.append(start, chunk);
      }
    }
    if (newline != nullptr) return FinishLine(true, line, line_number);
  }
}

Result<JsonlSource::FillResult> JsonlSource::Fill() {
  begin_ = 0;
  end_ = 0;
  if (!regular_file_) {
    // poll() first so that Next never blocks on an empty pipe or terminal; stdin's own flags are
    // left alone (setting O_NONBLOCK on it would change it for every process sharing it).
    pollfd request = {.fd = fd_.get(), .events = POLLIN, .revents = 0};
    int ready;
    do {
      ready = ::poll(&request, 1, /*timeout=*/0);
    } while (ready < 0 && errno == EINTR);
    if (ready < 0) return ReadError(errno);
    if (ready == 0) return FillResult::kNothing;
    // POLLIN, POLLHUP or POLLERR: read() now returns data, end of stream or the error.
  }
  ssize_t count;
  do {
    count = ::read(fd_.get(), buffer_.data(), buffer_.size());
  } while (count < 0 && errno == EINTR);
  if (count < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return FillResult::kNothing;  // a non-blocking fd
    return ReadError(errno);
  }
  // End of a regular file is only "for now": the next call reads again and sees appended bytes.
  if (count == 0) return regular_file_ ? FillResult::kNothing : FillResult::kClosed;
  end_ = static_cast<size_t>(count);
  return FillResult::kData;
}

Source::Outcome JsonlSource::FinishLine(bool terminated, std::string& line, uint64_t& line_number) {
  const uint64_t line_start = offset_;
  offset_ += pending_bytes_ + (terminated ? 1 : 0);
  line_number = ++line_number_;
  bool too_long = pending_too_long_;
  pending_bytes_ = 0;
  pending_too_long_ = false;
  if (!too_long && !pending_.empty() && pending_.back() == '\r') pending_.pop_back();
  if (pending_.size() > options_.max_line_bytes) too_long = true;
  if (too_long) {
    pending_.clear();
    return Outcome::kTooLong;
  }
  // Swap rather than copy: the caller's cleared string becomes the next line's buffer.
  line.swap(pending_);
  pending_.clear();
  if (line_start == 0 && std::string_view(line).starts_with(kByteOrderMark)) {
    line.erase(0, kByteOrderMark.size());
  }
  return Outcome::kLine;
}

Status JsonlSource::ReadError(int error) const {
  // Always IOError (FromErrno would turn ENOENT into NotFound, which read() never means).
  return Status::IOError(Context(config_) + ": read " + name_ + ": " + std::strerror(error));
}

std::string JsonlSource::Cursor() const {
  if (!regular_file_) return {};
  std::string cursor(kCursorVersion);
  cursor.append(" offset=").append(std::to_string(offset_));
  cursor.append(" line=").append(std::to_string(line_number_));
  cursor.append(" dev=").append(std::to_string(static_cast<uint64_t>(device_)));
  cursor.append(" ino=").append(std::to_string(static_cast<uint64_t>(inode_)));
  return cursor;
}

std::string JsonlSource::Describe() const {
  if (!regular_file_) {
    return name_ + ", " + std::to_string(line_number_) + (line_number_ == 1 ? " line" : " lines");
  }
  struct stat info;
  const std::string size =
      ::fstat(fd_.get(), &info) == 0 ? FormatBytes(static_cast<uint64_t>(info.st_size)) : "?";
  return "offset " + FormatBytes(offset_) + " of " + size;
}

}  // namespace earshot::crawler
