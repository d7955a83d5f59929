// Post JSON Lines (DESIGN.md §3.1): parsing one line into a Post, and writing a Post back.
//
// Parsing is strict about the contract and lenient about everything else: the line must be one
// JSON object with string `source`, `id` and `text` (a numeric `id` is accepted and kept as its
// decimal text, since several APIs use numbers); optional fields must have their documented type
// (string, or integer for `followers`; null counts as absent); unknown fields are ignored. The
// whole line is validated (it is not enough that the fields we read parse), nesting deeper than
// kMaxDepth is rejected, and invalid UTF-8 is repaired to U+FFFD rather than losing the post.
//
// Details of the contract:
//  - Duplicate keys: the first occurrence wins; later ones are ignored, not even type-checked.
//  - `source` and `id` must not be empty; `text` may be (a post can be an image with no caption).
//    A required field that is null is a type error, not a missing field.
//  - `followers` must fit in int64; 1.5, "120" and integers above INT64_MAX are type errors.
//  - Escapes: \u escapes are decoded; simdjson rejects a lone or mismatched surrogate escape
//    ("\ud800") as "not valid JSON (Problem while parsing a string)", so no escape can produce
//    ill-formed UTF-8. "\u0000" is accepted and yields a NUL byte in the string.
//  - Depth: the object itself is level 1, so an unknown field may nest 63 more levels.
//
// Thread safety: a PostParser holds simdjson buffers and is not thread-safe; use one per thread.
#ifndef EARSHOT_CORE_POST_JSON_H_
#define EARSHOT_CORE_POST_JSON_H_

#include <memory>
#include <string>
#include <string_view>

#include "core/post.h"
#include "core/status.h"

namespace earshot::core {

class PostParser {
 public:
  static constexpr size_t kMaxDepth = 64;

  PostParser();
  ~PostParser();
  PostParser(PostParser&&) noexcept;
  PostParser& operator=(PostParser&&) noexcept;

  // Parses one line (no trailing newline needed; a trailing \r is JSON whitespace). On failure the
  // Status is InvalidArgument with a short reason and no line number (the caller prefixes
  // "line N: "): "not valid JSON (<simdjson's message>)", "expected a JSON object, got array",
  // "missing required field \"text\"", "field \"id\" must not be empty", "field \"text\" must be
  // a string", "field \"id\" must be a string or an integer", "field \"followers\" must be an
  // integer", "nesting deeper than 64". (Internal only if simdjson cannot allocate.)
  // `repaired_utf8` (optional) is set to whether invalid UTF-8 was replaced, on every call.
  Result<Post> Parse(std::string_view line, bool* repaired_utf8 = nullptr);
  // The same into an existing Post, every field overwritten (absent ones cleared), reusing its
  // strings' capacity: the hot path parses millions of lines into the same few Posts without
  // allocating. On error `post` holds an unspecified mix of fields; discard it.
  Status ParseInto(std::string_view line, Post& post, bool* repaired_utf8 = nullptr);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Appends `post` as one JSON object (no newline), fields in contract order (source, id, author,
// author_id, followers, text, created_at, url, lang, reply_to, thread_id), empty optionals omitted.
// The output is valid UTF-8 even if `post` is not. For every Post that Parse returned,
// Parse(AppendPostJson(p)) == p.
void AppendPostJson(std::string& out, const Post& post);

}  // namespace earshot::core

#endif  // EARSHOT_CORE_POST_JSON_H_
