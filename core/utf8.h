// UTF-8 validation and repair.
//
// Hyperscan in HS_FLAG_UTF8 mode has undefined behaviour on invalid UTF-8, and the result contract
// promises valid UTF-8 output, so every text that enters Earshot goes through here first.
// Thread safety: pure functions.
#ifndef EARSHOT_CORE_UTF8_H_
#define EARSHOT_CORE_UTF8_H_

#include <string>
#include <string_view>

namespace earshot::core {

// True if `text` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view text);

// Returns `text` with every maximal ill-formed subsequence replaced by U+FFFD (the W3C/Unicode
// "substitution of maximal subparts" practice). Valid input comes back unchanged.
std::string RepairUtf8(std::string_view text);

}  // namespace earshot::core

#endif  // EARSHOT_CORE_UTF8_H_
