// RuleFileReader: turns one parsed YAML document into Rules and taxonomy entries.
//
// Everything that can be checked by looking at one file is checked here (unknown keys at every
// level, node types, required keys, id syntax, empty patterns, example encoding); what needs all
// files (duplicate ids, references to taxonomy ids) is left to FinishLoading. Problems are appended
// to the outcome's diagnostics and reading carries on, so one pass reports everything.
//
// Thread safety: one reader per file, used by one thread; it writes into the caller's outcome.
#ifndef EARSHOT_MATCHERS_INTERNAL_RULE_FILE_READER_H_
#define EARSHOT_MATCHERS_INTERNAL_RULE_FILE_READER_H_

#include <yaml-cpp/yaml.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "matchers/rule_loader.h"
#include "matchers/rule_set.h"

namespace earshot::matchers::internal {

// "a, b, c", for "expected one of" messages.
std::string JoinKeys(std::span<const std::string_view> keys);
// The text in single quotes, as messages name keys and ids.
std::string Quoted(std::string_view text);

// True if `id` is non-empty and made only of [a-z0-9_.-].
bool IsValidId(std::string_view id);

// The 1-based location of a yaml-cpp mark (whose line and column are 0-based) in `file`.
SourceLocation LocationOf(const YAML::Mark& mark, const std::string& file);

class RuleFileReader {
 public:
  RuleFileReader(std::string file, LoadOutcome& outcome)
      : file_(std::move(file)), outcome_(outcome) {}

  // Reads one document: a mapping with any of brands, complaints, signals, taxonomy (or empty).
  void ReadDocument(const YAML::Node& root);

 private:
  // A mapping entry whose key was recognised.
  struct Field {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
  };
  // The recognised entries of one mapping, looked up by key.
  struct Fields {
    std::vector<Field> entries;
    const Field* Find(std::string_view key) const;
  };

  SourceLocation Where(const YAML::Node& node) const;
  // Where a value is, or its key when the value is an implicit null ("key:" with nothing after
  // it), because yaml-cpp marks such a null at the next token, often on another line.
  SourceLocation WhereValue(const Field& field) const;
  void Report(SourceLocation where, std::string_view rule_id, std::string message);

  // Returns the entries of mapping `map` whose keys are in `allowed`, each once; reports the rest
  // (unknown, repeated or non-string keys) at the key, naming `rule_id` if not empty.
  Fields CheckKeys(const YAML::Node& map, std::span<const std::string_view> allowed,
                   std::string_view rule_id);

  void ReadRuleList(const Field& field, RuleKind kind);
  void ReadRule(const YAML::Node& node, RuleKind kind, std::string_view list_name);
  // A scalar string value; reports "'key' must be a string" otherwise.
  std::optional<std::string> ReadString(const Field& field, std::string_view rule_id);
  std::optional<bool> ReadBool(const Field& field, std::string_view rule_id);
  void ReadPatterns(const Field& field, std::string_view rule_id, bool case_sensitive,
                    std::vector<Pattern>& out);
  void ReadStringList(const Field& field, std::string_view rule_id, std::vector<Example>& out);
  void ReadExamples(const Field& field, Rule& rule);
  // In taxonomy_reader.cc.
  void ReadTaxonomy(const Field& field);
  void ReadCategories(const Field& field);
  void ReadSignalKinds(const Field& field);

  std::string file_;
  LoadOutcome& outcome_;
};

}  // namespace earshot::matchers::internal

#endif  // EARSHOT_MATCHERS_INTERNAL_RULE_FILE_READER_H_
