// ASCII text helpers for HTTP header names and values, shared by the fetcher (header parsing,
// redaction, host keys) and its politeness rules (Retry-After, rate-limit headers). Header names
// are case-insensitive ASCII, so no locale or Unicode folding is wanted here.
//
// Thread safety: pure functions.
#ifndef EARSHOT_CRAWLER_INTERNAL_HTTP_TEXT_H_
#define EARSHOT_CRAWLER_INTERNAL_HTTP_TEXT_H_

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

namespace earshot::crawler::internal {

inline std::string ToLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// `text` without leading and trailing spaces, tabs, CRs and LFs.
inline std::string_view Trim(std::string_view text) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return text;
}

inline bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                     [](char a, char b) {
                       return std::tolower(static_cast<unsigned char>(a)) ==
                              std::tolower(static_cast<unsigned char>(b));
                     }) != haystack.end();
}

}  // namespace earshot::crawler::internal

#endif  // EARSHOT_CRAWLER_INTERNAL_HTTP_TEXT_H_
