// Minimal, fast JSON output helpers for the JSON Lines Earshot writes (results, posts, cases).
//
// Appends into a caller-owned std::string so a batch of output lines reuses one buffer and costs
// no per-field allocation. Thread safety: pure functions over the caller's buffer.
#ifndef EARSHOT_CORE_JSON_WRITER_H_
#define EARSHOT_CORE_JSON_WRITER_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace earshot::core {

// Appends `value` as a quoted JSON string. Escapes `"`, `\` and control characters (as \n, \t,
// \uXXXX...). Invalid UTF-8 in `value` is written as U+FFFD, so the output is always valid UTF-8.
void AppendJsonString(std::string& out, std::string_view value);

// Appends a finite double with up to `decimals` digits after the point, trailing zeros trimmed
// ("71.5", "0", "100"). Non-finite values are written as 0 (JSON has no NaN).
void AppendJsonNumber(std::string& out, double value, int decimals = 2);

// Appends ["a","b",...].
void AppendJsonStringArray(std::string& out, std::span<const std::string> values);

}  // namespace earshot::core

#endif  // EARSHOT_CORE_JSON_WRITER_H_
