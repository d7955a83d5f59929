#include "crawler/sources/adapter_support.h"

#include <charconv>
#include <string>

#include "core/utf8.h"

namespace earshot::crawler {

core::Status BadParam(const core::SourceConfig& config, std::string_view key, std::string_view problem) {
  return core::Status::InvalidArgument("source " + config.id + ": `" + std::string(key) + "` " + std::string(problem));
}

std::string Param(const core::SourceConfig& config, const std::string& key) {
  const auto found = config.params.find(key);
  return found == config.params.end() ? std::string() : found->second;
}

std::optional<int> ParseIntInRange(std::string_view text, int min, int max) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < min || value > max) return std::nullopt;
  return value;
}

core::Result<int> IntParam(const core::SourceConfig& config, std::string_view key, int fallback, int min, int max) {
  const auto found = config.params.find(std::string(key));
  if (found == config.params.end()) return fallback;
  const std::string& text = found->second;
  const std::optional<int> value = ParseIntInRange(text, min, max);
  if (!value) {
    return BadParam(
        config, key,
        "must be an integer from " + std::to_string(min) + " to " + std::to_string(max) + ", got '" + text + "'");
  }
  return *value;
}

core::Status BadCursor(const core::SourceConfig& config, std::string_view cursor, std::string_view reason) {
  return core::Status::Corruption("source " + config.id + ": cursor '" + std::string(cursor.substr(0, 80)) + "': " +
                                  std::string(reason));
}

void TrimTrailingSlashes(std::string& url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
}

bool IsHttpUrl(std::string_view url) { return url.starts_with("http://") || url.starts_with("https://"); }

std::string BodyPrefix(std::string_view body) {
  constexpr size_t kMax = 200;
  if (body.size() <= kMax) return std::string(body);
  size_t end = kMax;
  while (end > 0 && (static_cast<unsigned char>(body[end]) & 0xC0) == 0x80) --end;
  return std::string(body.substr(0, end)) + "…";
}

core::Status HttpError(const HttpResponse& response) {
  return core::Status::Unavailable("HTTP " + std::to_string(response.code) + ": " + BodyPrefix(response.body));
}

std::string_view StringField(simdjson::simdjson_result<simdjson::dom::element> value) {
  std::string_view text;
  if (value.get_string().get(text) != simdjson::SUCCESS) return {};
  return text;
}

std::string_view StringField(simdjson::dom::object object, std::string_view key) { return StringField(object[key]); }

core::Result<simdjson::dom::element> ParseJsonBody(simdjson::dom::parser& parser, const std::string& body) {
  simdjson::dom::element document;
  if (const auto error = parser.parse(body).get(document); error != simdjson::SUCCESS) {
    return core::Status::InvalidArgument(std::string("malformed JSON: ") + simdjson::error_message(error));
  }
  return document;
}

simdjson::error_code ParseJsonRepairingUtf8(simdjson::dom::parser& parser, const std::string& body,
                                            simdjson::dom::element& root) {
  simdjson::error_code error = parser.parse(body).get(root);
  if (error == simdjson::UTF8_ERROR) error = parser.parse(core::RepairUtf8(body)).get(root);
  return error;
}

}  // namespace earshot::crawler
