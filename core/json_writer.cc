#include "core/json_writer.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "core/utf8.h"

namespace earshot::core {
namespace {

// Bytes that can be copied verbatim inside a JSON string. Bytes >= 0x80 are safe because the text
// is known to be valid UTF-8 by the time this is consulted.
constexpr bool IsSafe(unsigned char c) { return c >= 0x20 && c != '"' && c != '\\'; }

void AppendEscaped(std::string& out, unsigned char c) {
  switch (c) {
    case '"': out.append("\\\""); return;
    case '\\': out.append("\\\\"); return;
    case '\n': out.append("\\n"); return;
    case '\r': out.append("\\r"); return;
    case '\t': out.append("\\t"); return;
    case '\b': out.append("\\b"); return;
    case '\f': out.append("\\f"); return;
    default: break;
  }
  constexpr char kHex[] = "0123456789abcdef";
  const char escape[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
  out.append(escape, sizeof(escape));
}

// `value` must be valid UTF-8.
void AppendValidJsonString(std::string& out, std::string_view value) {
  out.push_back('"');
  size_t i = 0;
  while (i < value.size()) {
    // Most text has no byte to escape: copy whole runs instead of byte by byte.
    size_t run_end = i;
    while (run_end < value.size() && IsSafe(static_cast<unsigned char>(value[run_end]))) ++run_end;
    out.append(value.substr(i, run_end - i));
    if (run_end == value.size()) break;
    AppendEscaped(out, static_cast<unsigned char>(value[run_end]));
    i = run_end + 1;
  }
  out.push_back('"');
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view value) {
  if (IsValidUtf8(value)) {
    AppendValidJsonString(out, value);
  } else {
    AppendValidJsonString(out, RepairUtf8(value));
  }
}

void AppendJsonNumber(std::string& out, double value, int decimals) {
  if (!std::isfinite(value)) value = 0;
  decimals = std::clamp(decimals, 0, 17);  // beyond 17 digits a double has nothing left to say
  // Fixed notation of the largest double is 309 integer digits; 400 bytes cover that plus the
  // sign, the point and 17 decimals.
  char buffer[400];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::fixed,
                                 decimals);
  if (ec != std::errc()) {
    out.push_back('0');
    return;
  }
  std::string_view text(buffer, static_cast<size_t>(end - buffer));
  if (text.find('.') != std::string_view::npos) {
    text.remove_suffix(text.size() - 1 - text.find_last_not_of('0'));
    if (text.back() == '.') text.remove_suffix(1);
  }
  // Rounding can leave "-0" (from -0.0 or -0.001); JSON readers would keep the sign, we do not.
  if (text == "-0") text = "0";
  out.append(text);
}

void AppendJsonStringArray(std::string& out, std::span<const std::string> values) {
  out.push_back('[');
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonString(out, values[i]);
  }
  out.push_back(']');
}

}  // namespace earshot::core
