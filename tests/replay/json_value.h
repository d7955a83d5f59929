// JsonValue: a small mutable JSON tree for the replay server's recorded items.
//
// The server clones recorded API items with fresh ids and timestamps, so it needs to edit JSON,
// which simdjson (read-only) does not do. Objects keep their members in document order and numbers
// keep their source text ("1456821458.0" stays "1456821458.0"), so an item that is parsed and
// written back differs from the recording only in string escaping (re-escaped by
// core::AppendJsonString).
//
// Thread safety: const methods may be called concurrently; mutation needs external synchronisation.
#ifndef EARSHOT_TESTS_REPLAY_JSON_VALUE_H_
#define EARSHOT_TESTS_REPLAY_JSON_VALUE_H_

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace earshot::replay {

class JsonValue {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  JsonValue() = default;  // null

  // Parses one JSON document (simdjson On Demand). InvalidArgument with simdjson's message if it
  // is not valid JSON.
  static core::Result<JsonValue> Parse(std::string_view text);

  static JsonValue Bool(bool value);
  static JsonValue String(std::string value);
  // `raw` must be a valid JSON number text; it is written back verbatim.
  static JsonValue RawNumber(std::string raw);
  static JsonValue Int(int64_t value);
  static JsonValue Array();
  static JsonValue Object();

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }

  // The string value, the number's source text, or "true"/"false"; empty for null/array/object.
  const std::string& text() const { return text_; }
  std::optional<int64_t> AsInt() const;     // integral numbers only (also "12.0")
  std::optional<double> AsDouble() const;   // any number
  bool AsBool() const { return type_ == Type::kBool && text_ == "true"; }

  // Arrays: the elements. Objects: the member values (keys() holds the names, same order).
  const std::vector<JsonValue>& elements() const { return elements_; }
  std::vector<JsonValue>& elements() { return elements_; }
  const std::vector<std::string>& keys() const { return keys_; }
  void Append(JsonValue value) { elements_.push_back(std::move(value)); }

  // Objects: the member named `key`, or null if absent (or not an object).
  const JsonValue* Find(std::string_view key) const;
  JsonValue* Find(std::string_view key);
  // Follows a path of member names ({"record", "text"}).
  const JsonValue* FindPath(std::initializer_list<std::string_view> path) const;
  JsonValue* FindPath(std::initializer_list<std::string_view> path);
  // The string member `key`, or "" when absent or not a string.
  std::string_view StringOr(std::string_view key, std::string_view fallback = {}) const;
  // Replaces the member's value, or appends the member if absent. Turns null into an object.
  void Set(std::string_view key, JsonValue value);

  void AppendTo(std::string& out) const;
  std::string Serialize() const;

 private:
  Type type_ = Type::kNull;
  std::string text_;
  std::vector<std::string> keys_;
  std::vector<JsonValue> elements_;
};

}  // namespace earshot::replay

#endif  // EARSHOT_TESTS_REPLAY_JSON_VALUE_H_
