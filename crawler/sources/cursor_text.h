// The text form of a network adapter's cursor: "<format> key=value key=value", values
// percent-encoded so an ETag with quotes or a date with spaces survives, keys in the order given.
// The format name carries a version ("mastodon1"), so a cursor written by another adapter or an
// older layout is rejected (Corruption) instead of misread.
#ifndef EARSHOT_CRAWLER_SOURCES_CURSOR_TEXT_H_
#define EARSHOT_CRAWLER_SOURCES_CURSOR_TEXT_H_

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace earshot::crawler {

std::string FormatCursor(std::string_view format, const std::vector<std::pair<std::string, std::string>>& fields);

// Empty `cursor` gives an empty map. Otherwise the first word must be `format`; a field without
// '=' or with a bad escape is Corruption "source ID: cursor ...: reason".
core::Result<std::map<std::string, std::string>> ParseCursor(std::string_view source_id, std::string_view format,
                                                             std::string_view cursor);

}  // namespace earshot::crawler

#endif  // EARSHOT_CRAWLER_SOURCES_CURSOR_TEXT_H_
