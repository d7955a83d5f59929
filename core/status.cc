#include "core/status.h"

#include <cstring>

namespace earshot::core {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kInvalidArgument: return "Invalid argument";
    case StatusCode::kNotFound: return "Not found";
    case StatusCode::kCorruption: return "Corruption";
    case StatusCode::kIOError: return "IO error";
    case StatusCode::kUnavailable: return "Unavailable";
    case StatusCode::kInternal: return "Internal error";
    case StatusCode::kResourceExhausted: return "Resource exhausted";
    case StatusCode::kCancelled: return "Cancelled";
  }
  return "Unknown";
}

Status Status::FromErrno(std::string_view operation, std::string_view path, int errno_value) {
  std::string message;
  message.append(operation).append(" ").append(path).append(": ").append(std::strerror(errno_value));
  if (errno_value == ENOENT) return NotFound(std::move(message));
  return IOError(std::move(message));
}

const std::string& Status::message() const {
  static const std::string kEmpty;  // immutable, so not shared mutable state
  return state_ ? state_->message : kEmpty;
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out(StatusCodeName(state_->code));
  out.append(": ").append(state_->message);
  return out;
}

Status Status::WithContext(std::string_view prefix) const {
  if (ok()) return *this;
  std::string message(prefix);
  message.append(": ").append(state_->message);
  return Status(state_->code, std::move(message));
}

}  // namespace earshot::core
