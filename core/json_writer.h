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

// Appends `value` as a quoted JSON string. Escapes `"`, `\` and control characters below 0x20
// (\n \r \t \b \f, others as \u00XX); everything else, including DEL, '/' and U+2028/U+2029,
// is copied as is. Invalid UTF-8 in `value` is written as U+FFFD (maximal subparts, see utf8.h),
// so the output is always valid UTF-8.
void AppendJsonString(std::string& out, std::string_view value);

// Appends a finite double in fixed notation, rounded to `decimals` digits after the point
// (clamped to [0, 17]), trailing zeros and a bare point trimmed: "71.5", "0", "100", "33.33".
// Never writes "-0" (-0.001 with 2 decimals is "0"). Non-finite values are written as 0 (JSON has
// no NaN).
void AppendJsonNumber(std::string& out, double value, int decimals = 2);

// Appends ["a","b",...].
void AppendJsonStringArray(std::string& out, std::span<const std::string> values);

}  // namespace earshot::core

#endif  // EARSHOT_CORE_JSON_WRITER_H_
