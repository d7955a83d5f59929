// Helpers shared by the API adapters under crawler/sources/ (mastodon, reddit, hackernews, bluesky,
// wordpress, rss): param checking with the factories' common message formats, cursor errors,
// error-body text, and simdjson field access. Internal to the crawler library: not a public header.
#ifndef EARSHOT_CRAWLER_SOURCES_ADAPTER_SUPPORT_H_
#define EARSHOT_CRAWLER_SOURCES_ADAPTER_SUPPORT_H_

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>

#include "core/config.h"
#include "core/status.h"
#include "crawler/http/fetcher.h"

namespace earshot::crawler {

// InvalidArgument "source ID: `key` problem": how every factory rejects a param or secret, so the
// operator sees which source and which key to fix.
core::Status BadParam(const core::SourceConfig& config, std::string_view key, std::string_view problem);

// The param's value, or empty when it is absent (for adapters that treat an empty value as absent).
std::string Param(const core::SourceConfig& config, const std::string& key);

// All of `text` as a decimal int from min to max; nullopt for anything else (empty, trailing
// bytes, overflow, out of range).
std::optional<int> ParseIntInRange(std::string_view text, int min, int max);

// The int param `key` from min to max, or `fallback` when absent. A present but bad value (even an
// empty one) is InvalidArgument "source ID: `key` must be an integer from MIN to MAX, got 'TEXT'".
core::Result<int> IntParam(const core::SourceConfig& config, std::string_view key, int fallback, int min, int max);

// Corruption "source ID: cursor '<first 80 bytes>': reason", for a cursor of the adapter's own
// format whose fields do not make sense.
core::Status BadCursor(const core::SourceConfig& config, std::string_view cursor, std::string_view reason);

// Drops every trailing '/' of a base URL, so paths are appended with their leading '/'.
void TrimTrailingSlashes(std::string& url);

// True for an http:// or https:// URL (the only schemes the fetcher is asked to use).
bool IsHttpUrl(std::string_view url);

// The first bytes of an error body, cut at a UTF-8 boundary so the message stays valid text.
std::string BodyPrefix(std::string_view body);

// Unavailable "HTTP <code>: <start of body>", for a non-2xx answer from an API whose error bodies
// have no shape worth decoding.
core::Status HttpError(const HttpResponse& response);

// A string value, or empty when it is missing, null or not a string.
std::string_view StringField(simdjson::simdjson_result<simdjson::dom::element> value);
std::string_view StringField(simdjson::dom::object object, std::string_view key);

// The parsed body, or InvalidArgument "malformed JSON: <simdjson's reason>". `parser` is the
// adapter's own, kept to reuse its buffers across pages; the element lives until its next parse.
core::Result<simdjson::dom::element> ParseJsonBody(simdjson::dom::parser& parser, const std::string& body);

// Parses an API body. Invalid UTF-8 (which simdjson rejects) is repaired and parsed again rather
// than losing the whole page to one bad byte.
simdjson::error_code ParseJsonRepairingUtf8(simdjson::dom::parser& parser, const std::string& body,
                                            simdjson::dom::element& root);

}  // namespace earshot::crawler

#endif  // EARSHOT_CRAWLER_SOURCES_ADAPTER_SUPPORT_H_
