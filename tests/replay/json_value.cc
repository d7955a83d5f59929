#include "tests/replay/json_value.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>

#include "core/json_writer.h"

namespace earshot::replay {
namespace {

namespace od = simdjson::ondemand;

// Recursion depth is bounded by simdjson's own depth limit (1024 by default).
simdjson::error_code Build(od::value value, JsonValue& out) {
  od::json_type type;
  if (auto error = value.type().get(type)) return error;
  switch (type) {
    case od::json_type::array: {
      od::array array;
      if (auto error = value.get_array().get(array)) return error;
      out = JsonValue::Array();
      for (auto element : array) {
        od::value child_value;
        if (auto error = element.get(child_value)) return error;
        JsonValue child;
        if (auto error = Build(child_value, child)) return error;
        out.Append(std::move(child));
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::object: {
      od::object object;
      if (auto error = value.get_object().get(object)) return error;
      out = JsonValue::Object();
      for (auto field : object) {
        std::string_view key;
        if (auto error = field.unescaped_key().get(key)) return error;
        const std::string key_copy(key);  // the view dies with the next parse step
        od::value child_value;
        if (auto error = field.value().get(child_value)) return error;
        JsonValue child;
        if (auto error = Build(child_value, child)) return error;
        out.Set(key_copy, std::move(child));
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::number: {
      // Keep the source text, then validate it.
      std::string_view raw = value.raw_json_token();
      double unused;
      if (auto error = value.get_double().get(unused)) return error;
      while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' ||
                              raw.back() == '\t')) {
        raw.remove_suffix(1);
      }
      out = JsonValue::RawNumber(std::string(raw));
      return simdjson::SUCCESS;
    }
    case od::json_type::string: {
      std::string_view text;
      if (auto error = value.get_string().get(text)) return error;
      out = JsonValue::String(std::string(text));
      return simdjson::SUCCESS;
    }
    case od::json_type::boolean: {
      bool flag;
      if (auto error = value.get_bool().get(flag)) return error;
      out = JsonValue::Bool(flag);
      return simdjson::SUCCESS;
    }
    case od::json_type::null: {
      bool is_null = false;
      if (auto error = value.is_null().get(is_null)) return error;
      if (!is_null) return simdjson::N_ATOM_ERROR;
      out = JsonValue();
      return simdjson::SUCCESS;
    }
  }
  return simdjson::INCORRECT_TYPE;
}

}  // namespace

core::Result<JsonValue> JsonValue::Parse(std::string_view text) {
  od::parser parser;
  const simdjson::padded_string padded(text);
  od::document document;
  if (auto error = parser.iterate(padded).get(document)) {
    return core::Status::InvalidArgument(simdjson::error_message(error));
  }
  // The recorded responses are all arrays or objects at the top level.
  od::json_type type;
  if (auto error = document.type().get(type)) return core::Status::InvalidArgument(simdjson::error_message(error));
  if (type != od::json_type::array && type != od::json_type::object) {
    return core::Status::InvalidArgument("top-level JSON value is not an array or object");
  }
  od::value root;
  if (auto error = document.get_value().get(root)) {
    return core::Status::InvalidArgument(simdjson::error_message(error));
  }
  JsonValue out;
  if (auto error = Build(root, out)) return core::Status::InvalidArgument(simdjson::error_message(error));
  return out;
}

JsonValue JsonValue::Bool(bool value) {
  JsonValue out;
  out.type_ = Type::kBool;
  out.text_ = value ? "true" : "false";
  return out;
}

JsonValue JsonValue::String(std::string value) {
  JsonValue out;
  out.type_ = Type::kString;
  out.text_ = std::move(value);
  return out;
}

JsonValue JsonValue::RawNumber(std::string raw) {
  JsonValue out;
  out.type_ = Type::kNumber;
  out.text_ = std::move(raw);
  return out;
}

JsonValue JsonValue::Int(int64_t value) { return RawNumber(std::to_string(value)); }

JsonValue JsonValue::Array() {
  JsonValue out;
  out.type_ = Type::kArray;
  return out;
}

JsonValue JsonValue::Object() {
  JsonValue out;
  out.type_ = Type::kObject;
  return out;
}

std::optional<int64_t> JsonValue::AsInt() const {
  if (type_ != Type::kNumber) return std::nullopt;
  int64_t value = 0;
  const char* begin = text_.data();
  const char* end = begin + text_.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec == std::errc() && ptr == end) return value;
  const std::optional<double> d = AsDouble();
  if (!d || std::trunc(*d) != *d || std::fabs(*d) > 9.0e15) return std::nullopt;
  return static_cast<int64_t>(*d);
}

std::optional<double> JsonValue::AsDouble() const {
  if (type_ != Type::kNumber) return std::nullopt;
  double value = 0;
  const char* begin = text_.data();
  const char* end = begin + text_.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

const JsonValue* JsonValue::Find(std::string_view key) const {
  if (type_ != Type::kObject) return nullptr;
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i] == key) return &elements_[i];
  }
  return nullptr;
}

JsonValue* JsonValue::Find(std::string_view key) {
  return const_cast<JsonValue*>(static_cast<const JsonValue*>(this)->Find(key));
}

const JsonValue* JsonValue::FindPath(std::initializer_list<std::string_view> path) const {
  const JsonValue* at = this;
  for (std::string_view key : path) {
    at = at->Find(key);
    if (at == nullptr) return nullptr;
  }
  return at;
}

JsonValue* JsonValue::FindPath(std::initializer_list<std::string_view> path) {
  return const_cast<JsonValue*>(static_cast<const JsonValue*>(this)->FindPath(path));
}

std::string_view JsonValue::StringOr(std::string_view key, std::string_view fallback) const {
  const JsonValue* member = Find(key);
  return member != nullptr && member->is_string() ? std::string_view(member->text_) : fallback;
}

void JsonValue::Set(std::string_view key, JsonValue value) {
  if (type_ == Type::kNull) type_ = Type::kObject;
  if (JsonValue* existing = Find(key)) {
    *existing = std::move(value);
    return;
  }
  keys_.emplace_back(key);
  elements_.push_back(std::move(value));
}

void JsonValue::AppendTo(std::string& out) const {
  switch (type_) {
    case Type::kNull:
      out += "null";
      return;
    case Type::kBool:
    case Type::kNumber:
      out += text_;
      return;
    case Type::kString:
      core::AppendJsonString(out, text_);
      return;
    case Type::kArray:
      out += '[';
      for (size_t i = 0; i < elements_.size(); ++i) {
        if (i > 0) out += ',';
        elements_[i].AppendTo(out);
      }
      out += ']';
      return;
    case Type::kObject:
      out += '{';
      for (size_t i = 0; i < elements_.size(); ++i) {
        if (i > 0) out += ',';
        core::AppendJsonString(out, keys_[i]);
        out += ':';
        elements_[i].AppendTo(out);
      }
      out += '}';
      return;
  }
}

std::string JsonValue::Serialize() const {
  std::string out;
  AppendTo(out);
  return out;
}

}  // namespace earshot::replay
