// JsonFields: writes one JSON object's members into a caller's buffer, keys and strings escaped by
// core/json_writer.h, so no response is ever concatenated from unescaped text.
//
//   std::string out;
//   JsonFields(out).String("error", message).Close();          {"error":"…"}
//
// Nested values: Key("rules") then write the value (another JsonFields on the same buffer, an
// array) directly. Thread safety: a plain value over the caller's buffer.
#ifndef EARSHOT_SERVE_INTERNAL_JSON_FIELDS_H_
#define EARSHOT_SERVE_INTERNAL_JSON_FIELDS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "core/json_writer.h"

namespace earshot::serve::internal {

class JsonFields {
 public:
  explicit JsonFields(std::string& out) : out_(out) { out_.push_back('{'); }

  // Writes `"name":` (after a comma when needed); the caller writes the value next.
  JsonFields& Key(std::string_view name) {
    if (!first_) out_.push_back(',');
    first_ = false;
    core::AppendJsonString(out_, name);
    out_.push_back(':');
    return *this;
  }
  JsonFields& String(std::string_view name, std::string_view value) {
    Key(name);
    core::AppendJsonString(out_, value);
    return *this;
  }
  JsonFields& Integer(std::string_view name, uint64_t value) {
    Key(name);
    out_ += std::to_string(value);
    return *this;
  }
  JsonFields& SignedInteger(std::string_view name, int64_t value) {
    Key(name);
    out_ += std::to_string(value);
    return *this;
  }
  JsonFields& Number(std::string_view name, double value, int decimals = 3) {
    Key(name);
    core::AppendJsonNumber(out_, value, decimals);
    return *this;
  }
  JsonFields& Bool(std::string_view name, bool value) {
    Key(name);
    out_ += value ? "true" : "false";
    return *this;
  }
  JsonFields& Null(std::string_view name) {
    Key(name);
    out_ += "null";
    return *this;
  }
  void Close() { out_.push_back('}'); }

 private:
  std::string& out_;
  bool first_ = true;
};

}  // namespace earshot::serve::internal

#endif  // EARSHOT_SERVE_INTERNAL_JSON_FIELDS_H_
