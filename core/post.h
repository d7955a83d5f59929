// Post: one item of user-generated text from any source, the unit Earshot triages.
//
// This is the in-memory form of the Post JSON Lines contract (DESIGN.md §3.1). `source`, `id` and
// `text` are always present; every other field is optional and empty when absent. All strings are
// valid UTF-8 (the parser repairs invalid input with U+FFFD before a Post exists).
//
// `followers` is carried as data for operators to see; the triage principle (DESIGN.md §2) forbids
// it from influencing urgency or queue order, so nothing in triage/ reads it.
#ifndef EARSHOT_CORE_POST_H_
#define EARSHOT_CORE_POST_H_

#include <cstdint>
#include <optional>
#include <string>

namespace earshot::core {

struct Post {
  std::string source;      // "mastodon", "reddit", "jsonl", ...: which adapter produced it
  std::string id;          // unique within `source`
  std::string text;        // plain text: HTML stripped, entities decoded
  std::string author;      // handle as the source shows it, e.g. "@ana@mastodon.social"
  std::string author_id;   // the source's stable author id
  std::string created_at;  // RFC 3339 as given by the source
  std::string url;         // permalink
  std::string lang;        // BCP 47 tag if the source gives one
  std::string reply_to;    // id of the post this replies to
  std::string thread_id;   // id of the thread root
  std::optional<int64_t> followers;  // data only: never an input to urgency

  bool operator==(const Post&) const = default;
};

}  // namespace earshot::core

#endif  // EARSHOT_CORE_POST_H_
