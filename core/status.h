// Status and Result<T>: errors as values at every module boundary.
//
// A Status is either OK (cheap: no allocation) or carries a code and a message that names the
// operation and the place that failed ("rules/x.yaml:3:5: ...", "line 7: ...", "hs_compile_multi:
// ..."). Result<T> holds a T or a non-OK Status. Its API is a subset of C++23 std::expected
// (has_value, value, error, operator*, operator->) so it can be swapped for it when GCC has it.
//
// Thread safety: const methods may be called concurrently; mutation needs external synchronisation.
#ifndef EARSHOT_CORE_STATUS_H_
#define EARSHOT_CORE_STATUS_H_

#include <cassert>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace earshot::core {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // bad input from a user: a rule file, a post line, a flag
  kNotFound,         // a file or key that is not there (often not a failure: see callers)
  kCorruption,       // stored data that does not decode (a cache file, a database)
  kIOError,          // the operating system said no (open, read, write, rename, disk full)
  kUnavailable,      // a dependency refused for now (platform lacks CPU features, a server is down)
  kInternal,         // a library failed in a way the caller cannot fix (e.g. HS_NOMEM)
  kResourceExhausted,  // a bounded resource filled up and may be grown (an LMDB map: MDB_MAP_FULL)
  kCancelled,        // the work was abandoned because its owner is shutting down
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string message) {
    return Status(StatusCode::kInvalidArgument, std::move(message));
  }
  static Status NotFound(std::string message) {
    return Status(StatusCode::kNotFound, std::move(message));
  }
  static Status Corruption(std::string message) {
    return Status(StatusCode::kCorruption, std::move(message));
  }
  static Status IOError(std::string message) {
    return Status(StatusCode::kIOError, std::move(message));
  }
  static Status Unavailable(std::string message) {
    return Status(StatusCode::kUnavailable, std::move(message));
  }
  static Status Internal(std::string message) {
    return Status(StatusCode::kInternal, std::move(message));
  }
  static Status ResourceExhausted(std::string message) {
    return Status(StatusCode::kResourceExhausted, std::move(message));
  }
  static Status Cancelled(std::string message) {
    return Status(StatusCode::kCancelled, std::move(message));
  }
  // Builds an IOError from errno, naming the operation and the path ("open foo.yaml: No such file").
  static Status FromErrno(std::string_view operation, std::string_view path, int errno_value);

  bool ok() const { return state_ == nullptr; }
  StatusCode code() const { return state_ ? state_->code : StatusCode::kOk; }
  // The message without the code name; empty for OK.
  const std::string& message() const;
  bool IsInvalidArgument() const { return code() == StatusCode::kInvalidArgument; }
  bool IsNotFound() const { return code() == StatusCode::kNotFound; }
  bool IsCorruption() const { return code() == StatusCode::kCorruption; }
  bool IsIOError() const { return code() == StatusCode::kIOError; }
  bool IsResourceExhausted() const { return code() == StatusCode::kResourceExhausted; }
  bool IsCancelled() const { return code() == StatusCode::kCancelled; }
  // "OK" or "<code name>: <message>".
  std::string ToString() const;

  // Returns a copy whose message is "<prefix>: <old message>", same code.
  Status WithContext(std::string_view prefix) const;

  Status(const Status& other)
      : state_(other.state_ ? std::make_unique<State>(*other.state_) : nullptr) {}
  Status& operator=(const Status& other) {
    if (this != &other) state_ = other.state_ ? std::make_unique<State>(*other.state_) : nullptr;
    return *this;
  }
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

 private:
  struct State {
    StatusCode code;
    std::string message;
  };
  Status(StatusCode code, std::string message)
      : state_(std::make_unique<State>(State{code, std::move(message)})) {}

  std::unique_ptr<State> state_;  // null means OK
};

// A value or the Status that explains why there is none. Constructing from an OK Status is a
// programming error.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Status status) : data_(std::in_place_index<1>, std::move(status)) {  // NOLINT
    assert(!std::get<1>(data_).ok() && "Result constructed from an OK Status");
  }

  bool has_value() const { return data_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(data_); }
  const T& value() const& { return std::get<0>(data_); }
  T&& value() && { return std::get<0>(std::move(data_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // The error; only valid when !has_value().
  const Status& error() const& { return std::get<1>(data_); }
  Status&& error() && { return std::get<1>(std::move(data_)); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace earshot::core

// Returns early from the enclosing function if `expr` (a Status) is not OK.
#define EARSHOT_RETURN_IF_ERROR(expr)                        \
  do {                                                       \
    ::earshot::core::Status earshot_status_ = (expr);        \
    if (!earshot_status_.ok()) return earshot_status_;       \
  } while (false)

#endif  // EARSHOT_CORE_STATUS_H_
