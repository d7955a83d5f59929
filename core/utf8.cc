#include "core/utf8.h"

#include <simdjson.h>

#include <cstdint>

namespace earshot::core {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

bool IsContinuation(uint8_t byte) { return (byte & 0xC0) == 0x80; }

// Returns the length of the well-formed sequence starting at text[i] (1 to 4), or, if it is
// ill-formed, the negated length of its maximal subpart (-1 to -3): the longest prefix that could
// still have begun a well-formed sequence. The ranges are Unicode Table 3-7; the second byte
// carries the restrictions that exclude overlongs (E0, F0), surrogates (ED) and > U+10FFFF (F4).
int SequenceLength(std::string_view text, size_t i) {
  const auto lead = static_cast<uint8_t>(text[i]);
  if (lead < 0x80) return 1;
  int length;
  uint8_t second_low = 0x80;
  uint8_t second_high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_low = 0xA0;
    if (lead == 0xED) second_high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_low = 0x90;
    if (lead == 0xF4) second_high = 0x8F;
  } else {
    return -1;  // 80..C1 and F5..FF never start a sequence
  }
  if (i + 1 >= text.size()) return -1;
  const auto second = static_cast<uint8_t>(text[i + 1]);
  if (second < second_low || second > second_high) return -1;
  for (int k = 2; k < length; ++k) {
    if (i + k >= text.size() || !IsContinuation(static_cast<uint8_t>(text[i + k]))) return -k;
  }
  return length;
}

}  // namespace

bool IsValidUtf8(std::string_view text) { return simdjson::validate_utf8(text.data(), text.size()); }

std::string RepairUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  size_t i = 0;
  while (i < text.size()) {
    // Copy the run of well-formed sequences in one append; stop at the first ill-formed byte.
    size_t run_end = i;
    int length = 0;
    while (run_end < text.size() && (length = SequenceLength(text, run_end)) > 0) {
      run_end += static_cast<size_t>(length);
    }
    out.append(text.substr(i, run_end - i));
    if (run_end == text.size()) break;
    out.append(kReplacement);
    i = run_end + static_cast<size_t>(-length);
  }
  return out;
}

}  // namespace earshot::core
