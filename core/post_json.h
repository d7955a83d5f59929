// Post JSON Lines (DESIGN.md §3.1): parsing one line into a Post, and writing a Post back.
//
// Parsing is strict about the contract and lenient about everything else: the line must be one
// JSON object with string `source`, `id` and `text` (a numeric `id` is accepted and kept as its
// decimal text, since several APIs use numbers); optional fields must have their documented type
// (string, or integer for `followers`; null counts as absent); unknown fields are ignored. The
// whole line is validated (it is not enough that the fields we read parse), nesting deeper than
// kMaxDepth is rejected, and invalid UTF-8 is repaired to U+FFFD rather than losing the post.
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

  // Parses one line (no trailing newline needed). On failure the Status is InvalidArgument with a
  // short reason and no line number, e.g. "not valid JSON (TAPE_ERROR: ...)", "missing required
  // field \"text\"", "field \"id\" must be a string", "nesting deeper than 64". `repaired_utf8`
  // (optional) is set true when invalid UTF-8 was replaced.
  Result<Post> Parse(std::string_view line, bool* repaired_utf8 = nullptr);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Appends `post` as one JSON object (no newline), fields in contract order, absent optionals
// omitted. Parse(Write(p)) == p.
void AppendPostJson(std::string& out, const Post& post);

}  // namespace earshot::core

#endif  // EARSHOT_CORE_POST_JSON_H_
