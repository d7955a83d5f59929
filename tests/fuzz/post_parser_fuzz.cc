// libFuzzer target for PostParser and AppendPostJson.
//
// The input is split at '\n' like a JSON Lines file. For every line that parses, the properties
// the Post contract promises must hold: the written JSON is valid UTF-8 and parses back to the same
// Post. A violation traps so libFuzzer records the input.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>

#include "core/post_json.h"
#include "core/utf8.h"

namespace {

auto Fields(const earshot::core::Post& p) {
  return std::tie(p.source, p.id, p.text, p.author, p.author_id, p.created_at, p.url, p.lang,
                  p.reply_to, p.thread_id, p.followers);
}

void CheckLine(earshot::core::PostParser& parser, std::string_view line) {
  bool repaired = false;
  earshot::core::Result<earshot::core::Post> post = parser.Parse(line, &repaired);
  if (!post) {
    if (post.error().message().empty()) __builtin_trap();  // every rejection has a reason
    return;
  }
  if (repaired == earshot::core::IsValidUtf8(line)) __builtin_trap();
  if (post->source.empty() || post->id.empty()) __builtin_trap();
  std::string json;
  earshot::core::AppendPostJson(json, *post);
  if (!earshot::core::IsValidUtf8(json)) __builtin_trap();
  earshot::core::Result<earshot::core::Post> again = parser.Parse(json);
  if (!again || Fields(*again) != Fields(*post)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  earshot::core::PostParser parser;  // one per input, like one per thread in real use
  std::string_view input(reinterpret_cast<const char*>(data), size);
  while (!input.empty()) {
    const size_t newline = input.find('\n');
    CheckLine(parser, input.substr(0, newline));
    if (newline == std::string_view::npos) break;
    input.remove_prefix(newline + 1);
  }
  return 0;
}
