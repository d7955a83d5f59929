#include "core/post_json.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <vector>

#include "core/json_writer.h"
#include "core/utf8.h"

namespace earshot::core {
namespace {

enum class FieldKind {
  kRequiredString,  // source, text
  kId,              // string or integer, kept as text
  kOptionalString,  // string or null
  kFollowers,       // integer or null
};

struct FieldSpec {
  std::string_view name;
  FieldKind kind;
  std::string Post::*member;  // null for followers
};

// The contract's fields in contract order; AppendPostJson writes them in this order too.
constexpr FieldSpec kFields[] = {
    {"source", FieldKind::kRequiredString, &Post::source},
    {"id", FieldKind::kId, &Post::id},
    {"author", FieldKind::kOptionalString, &Post::author},
    {"author_id", FieldKind::kOptionalString, &Post::author_id},
    {"followers", FieldKind::kFollowers, nullptr},
    {"text", FieldKind::kRequiredString, &Post::text},
    {"created_at", FieldKind::kOptionalString, &Post::created_at},
    {"url", FieldKind::kOptionalString, &Post::url},
    {"lang", FieldKind::kOptionalString, &Post::lang},
    {"reply_to", FieldKind::kOptionalString, &Post::reply_to},
    {"thread_id", FieldKind::kOptionalString, &Post::thread_id},
};
constexpr size_t kFieldCount = std::size(kFields);
static_assert(kFieldCount <= 32, "the seen-field mask is 32 bits");

std::string_view TypeName(simdjson::dom::element_type type) {
  using simdjson::dom::element_type;
  switch (type) {
    case element_type::ARRAY: return "array";
    case element_type::OBJECT: return "object";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE: return "number";
    case element_type::STRING: return "string";
    case element_type::BOOL: return "boolean";
    case element_type::NULL_VALUE: return "null";
  }
  return "unknown";
}

Status FieldError(const FieldSpec& field, std::string_view problem) {
  std::string message = "field \"";
  message.append(field.name).append("\" ").append(problem);
  return Status::InvalidArgument(std::move(message));
}

Status ReadField(const FieldSpec& field, simdjson::dom::element value, Post& post) {
  using simdjson::dom::element_type;
  const element_type type = value.type();
  switch (field.kind) {
    case FieldKind::kRequiredString:
    case FieldKind::kOptionalString:
      if (type == element_type::STRING) {
        post.*field.member = value.get_string().value_unsafe();
        return Status::Ok();
      }
      if (type == element_type::NULL_VALUE && field.kind == FieldKind::kOptionalString) {
        return Status::Ok();
      }
      return FieldError(field, "must be a string");
    case FieldKind::kId:
      if (type == element_type::STRING) {
        post.id = value.get_string().value_unsafe();
      } else if (type == element_type::INT64) {
        post.id = std::to_string(value.get_int64().value_unsafe());
      } else if (type == element_type::UINT64) {
        post.id = std::to_string(value.get_uint64().value_unsafe());
      } else {
        return FieldError(field, "must be a string or an integer");
      }
      return Status::Ok();
    case FieldKind::kFollowers:
      // simdjson types an integer as UINT64 only when it exceeds INT64_MAX, so UINT64 never fits.
      if (type == element_type::INT64) {
        post.followers = value.get_int64().value_unsafe();
        return Status::Ok();
      }
      if (type == element_type::NULL_VALUE) return Status::Ok();
      return FieldError(field, "must be an integer");
  }
  return Status::Internal("unhandled field kind");
}

Status JsonError(simdjson::error_code error) {
  if (error == simdjson::DEPTH_ERROR) {
    return Status::InvalidArgument("nesting deeper than " + std::to_string(PostParser::kMaxDepth));
  }
  if (error == simdjson::MEMALLOC) return Status::Internal("simdjson: out of memory");
  std::string message = "not valid JSON (";
  message.append(simdjson::error_message(error)).append(")");
  return Status::InvalidArgument(std::move(message));
}

}  // namespace

struct PostParser::Impl {
  // Parses `json` into `parser`'s document. The copy into `padded` is what lets a plain
  // string_view be parsed: simdjson reads up to SIMDJSON_PADDING bytes past the end.
  simdjson::error_code ParseDocument(std::string_view json, simdjson::dom::element& root) {
    if (!allocated) {
      // Allocating up front is the only way to set max_depth; later growth keeps it.
      const size_t capacity = std::max<size_t>(json.size(), 64 * 1024);
      if (auto error = parser.allocate(capacity, kMaxDepth)) return error;
      allocated = true;
    }
    if (padded.size() < json.size() + simdjson::SIMDJSON_PADDING) {
      padded.resize(json.size() + simdjson::SIMDJSON_PADDING);
    }
    std::copy(json.begin(), json.end(), padded.begin());
    return parser.parse(padded.data(), json.size(), /*realloc_if_needed=*/false).get(root);
  }

  simdjson::dom::parser parser;
  bool allocated = false;
  std::vector<char> padded;  // reused across lines; only grows
};

PostParser::PostParser() : impl_(std::make_unique<Impl>()) {}
PostParser::~PostParser() = default;
PostParser::PostParser(PostParser&&) noexcept = default;
PostParser& PostParser::operator=(PostParser&&) noexcept = default;

Result<Post> PostParser::Parse(std::string_view line, bool* repaired_utf8) {
  Post post;
  EARSHOT_RETURN_IF_ERROR(ParseInto(line, post, repaired_utf8));
  return post;
}

Status PostParser::ParseInto(std::string_view line, Post& post, bool* repaired_utf8) {
  if (!impl_) impl_ = std::make_unique<Impl>();  // a moved-from parser stays usable
  if (repaired_utf8 != nullptr) *repaired_utf8 = false;

  // Valid UTF-8 is the common case and simdjson validates it anyway, so parse first and repair
  // only when simdjson reports UTF8_ERROR. Repair rewrites only bytes >= 0x80, never JSON syntax,
  // so it cannot turn a line with another error into a valid one, or the reverse.
  simdjson::dom::element root;
  simdjson::error_code error = impl_->ParseDocument(line, root);
  if (error == simdjson::UTF8_ERROR) {
    error = impl_->ParseDocument(RepairUtf8(line), root);
    if (repaired_utf8 != nullptr) *repaired_utf8 = true;
  }
  if (error) return JsonError(error);

  simdjson::dom::object object;
  if (root.get_object().get(object)) {
    return Status::InvalidArgument("expected a JSON object, got " +
                                   std::string(TypeName(root.type())));
  }

  // Cleared, not replaced: the strings keep their capacity, so a reused Post costs no allocation.
  for (const FieldSpec& field : kFields) {
    if (field.member != nullptr) (post.*field.member).clear();
  }
  post.followers.reset();
  uint32_t seen = 0;  // bit i: kFields[i] was read. The first occurrence of a duplicate key wins.
  for (const simdjson::dom::key_value_pair field : object) {
    for (size_t i = 0; i < kFieldCount; ++i) {
      if (kFields[i].name != field.key) continue;
      if ((seen & (1u << i)) == 0) {
        seen |= 1u << i;
        EARSHOT_RETURN_IF_ERROR(ReadField(kFields[i], field.value, post));
      }
      break;
    }
  }

  for (size_t i = 0; i < kFieldCount; ++i) {
    const FieldSpec& field = kFields[i];
    if (field.kind != FieldKind::kRequiredString && field.kind != FieldKind::kId) continue;
    if ((seen & (1u << i)) == 0) {
      return Status::InvalidArgument("missing required field \"" + std::string(field.name) +
                                     "\"");
    }
    // An empty text is a post (an image with no caption); an empty source or id identifies nothing.
    if (field.name != "text" && (post.*field.member).empty()) {
      return FieldError(field, "must not be empty");
    }
  }
  return Status::Ok();
}

void AppendPostJson(std::string& out, const Post& post) {
  out.push_back('{');
  bool first = true;
  for (const FieldSpec& field : kFields) {
    const bool required = field.kind == FieldKind::kRequiredString || field.kind == FieldKind::kId;
    if (field.kind == FieldKind::kFollowers) {
      if (!post.followers) continue;
    } else if (!required && (post.*field.member).empty()) {
      continue;
    }
    if (!first) out.push_back(',');
    first = false;
    out.push_back('"');
    out.append(field.name);
    out.append("\":");
    if (field.kind == FieldKind::kFollowers) {
      char buffer[24];  // INT64_MIN has 20 characters
      auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), *post.followers);
      out.append(buffer, static_cast<size_t>(end - buffer));
    } else {
      AppendJsonString(out, post.*field.member);
    }
  }
  out.push_back('}');
}

}  // namespace earshot::core
