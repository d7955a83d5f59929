#include "crawler/sources/cursor_text.h"

#include "crawler/text/html_text.h"

namespace earshot::crawler {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool PercentDecode(std::string_view text, std::string& out) {
  out.clear();
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return false;
    const int high = HexValue(text[i + 1]);
    const int low = HexValue(text[i + 2]);
    if (high < 0 || low < 0) return false;
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return true;
}

}  // namespace

std::string FormatCursor(std::string_view format, const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out(format);
  for (const auto& [key, value] : fields) {
    out.append(" ").append(key).append("=").append(UrlEncode(value));
  }
  return out;
}

core::Result<std::map<std::string, std::string>> ParseCursor(std::string_view source_id, std::string_view format,
                                                             std::string_view cursor) {
  std::map<std::string, std::string> fields;
  if (cursor.empty()) return fields;
  auto corrupt = [&](std::string_view reason) {
    return core::Status::Corruption("source " + std::string(source_id) + ": cursor '" + std::string(cursor.substr(0, 80)) +
                                    "': " + std::string(reason));
  };
  const size_t space = cursor.find(' ');
  const std::string_view name = cursor.substr(0, space);
  if (name != format) return corrupt("expected a '" + std::string(format) + "' cursor (was the source's kind changed?)");
  std::string_view rest = space == std::string_view::npos ? std::string_view() : cursor.substr(space + 1);
  while (!rest.empty()) {
    const size_t end = rest.find(' ');
    const std::string_view field = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    if (field.empty()) continue;
    const size_t equals = field.find('=');
    if (equals == std::string_view::npos || equals == 0) return corrupt("field '" + std::string(field) + "' is not key=value");
    std::string value;
    if (!PercentDecode(field.substr(equals + 1), value)) return corrupt("bad %-escape in '" + std::string(field) + "'");
    fields[std::string(field.substr(0, equals))] = std::move(value);
  }
  return fields;
}

}  // namespace earshot::crawler
