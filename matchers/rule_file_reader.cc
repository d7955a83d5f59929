#include "matchers/internal/rule_file_reader.h"

#include <array>
#include <utility>

#include "core/utf8.h"

namespace earshot::matchers::internal {
namespace {

using namespace std::string_view_literals;

constexpr std::array kTopLevelKeys = {"brands"sv, "complaints"sv, "signals"sv, "taxonomy"sv};
constexpr std::array kBrandKeys = {"id"sv,      "name"sv,     "patterns"sv,      "exclude"sv,
                                   "handles"sv, "examples"sv, "case_sensitive"sv};
constexpr std::array kComplaintKeys = {"id"sv,      "category"sv, "patterns"sv,
                                       "exclude"sv, "examples"sv, "case_sensitive"sv};
constexpr std::array kSignalKeys = {"id"sv,      "signal"sv,   "patterns"sv,
                                    "exclude"sv, "examples"sv, "case_sensitive"sv};
constexpr std::array kPatternKeys = {"pattern"sv, "case_sensitive"sv};
constexpr std::array kExampleKeys = {"match"sv, "no_match"sv};

// The raw `id` scalar of a mapping, if any, read before the mapping is validated so that every
// diagnostic about the mapping can already name its rule.
std::string PeekId(const YAML::Node& map) {
  for (const auto& entry : map) {
    if (entry.first.IsScalar() && entry.first.Scalar() == "id" && entry.second.IsScalar()) {
      return entry.second.Scalar();
    }
  }
  return {};
}

}  // namespace

std::string JoinKeys(std::span<const std::string_view> keys) {
  std::string out;
  for (std::string_view key : keys) {
    if (!out.empty()) out.append(", ");
    out.append(key);
  }
  return out;
}

std::string Quoted(std::string_view text) {
  // Built by append: g++ 12 at -O3 raises a false -Wrestrict on "'" + std::string&&.
  std::string out;
  out.reserve(text.size() + 2);
  out.append(1, '\'').append(text).append(1, '\'');
  return out;
}

bool IsValidId(std::string_view id) {
  if (id.empty()) return false;
  for (char c : id) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

SourceLocation LocationOf(const YAML::Mark& mark, const std::string& file) {
  if (mark.is_null() || mark.line < 0) return SourceLocation{file, 0, 0};
  return SourceLocation{file, mark.line + 1, mark.column + 1};
}

const RuleFileReader::Field* RuleFileReader::Fields::Find(std::string_view key) const {
  for (const Field& field : entries) {
    if (field.key == key) return &field;
  }
  return nullptr;
}

SourceLocation RuleFileReader::Where(const YAML::Node& node) const {
  return LocationOf(node.Mark(), file_);
}

SourceLocation RuleFileReader::WhereValue(const Field& field) const {
  return field.value.IsNull() ? Where(field.key_node) : Where(field.value);
}

void RuleFileReader::Report(SourceLocation where, std::string_view rule_id, std::string message) {
  outcome_.diagnostics.push_back(
      Diagnostic{std::move(where), std::string(rule_id), std::move(message)});
}

RuleFileReader::Fields RuleFileReader::CheckKeys(const YAML::Node& map,
                                                 std::span<const std::string_view> allowed,
                                                 std::string_view rule_id) {
  Fields fields;
  for (const auto& entry : map) {
    const YAML::Node& key_node = entry.first;
    if (!key_node.IsScalar()) {
      Report(Where(key_node), rule_id, "keys must be plain strings");
      continue;
    }
    const std::string& key = key_node.Scalar();
    bool known = false;
    for (std::string_view candidate : allowed) known = known || candidate == key;
    if (!known) {
      Report(Where(key_node), rule_id,
             "unknown key " + Quoted(key) + " (expected one of: " + JoinKeys(allowed) + ")");
    } else if (fields.Find(key) != nullptr) {
      // yaml-cpp keeps both entries of a repeated key; silently using one would hide a mistake.
      Report(Where(key_node), rule_id, "duplicate key " + Quoted(key));
    } else {
      fields.entries.push_back(Field{key, key_node, entry.second});
    }
  }
  return fields;
}

void RuleFileReader::ReadDocument(const YAML::Node& root) {
  if (root.IsNull()) return;  // an empty file holds no rules, which is fine
  if (!root.IsMap()) {
    Report(Where(root), "", "a rule file must be a mapping with keys: " + JoinKeys(kTopLevelKeys));
    return;
  }
  const Fields fields = CheckKeys(root, kTopLevelKeys, "");
  for (const Field& field : fields.entries) {
    if (field.key == "brands") ReadRuleList(field, RuleKind::kBrand);
    if (field.key == "complaints") ReadRuleList(field, RuleKind::kComplaint);
    if (field.key == "signals") ReadRuleList(field, RuleKind::kSignal);
    if (field.key == "taxonomy") ReadTaxonomy(field);
  }
}

void RuleFileReader::ReadRuleList(const Field& field, RuleKind kind) {
  if (field.value.IsNull()) return;
  if (!field.value.IsSequence()) {
    Report(WhereValue(field), "", Quoted(field.key) + " must be a list of rules");
    return;
  }
  for (const YAML::Node& item : field.value) ReadRule(item, kind, field.key);
}

void RuleFileReader::ReadRule(const YAML::Node& node, RuleKind kind, std::string_view list_name) {
  if (!node.IsMap()) {
    Report(Where(node), "", "each entry of " + Quoted(list_name) + " must be a mapping (a rule)");
    return;
  }
  std::span<const std::string_view> allowed = kComplaintKeys;
  if (kind == RuleKind::kBrand) allowed = kBrandKeys;
  if (kind == RuleKind::kSignal) allowed = kSignalKeys;

  const std::string peeked_id = PeekId(node);
  const Fields fields = CheckKeys(node, allowed, peeked_id);
  Rule rule;
  rule.kind = kind;
  rule.where = Where(node);

  if (const Field* field = fields.Find("id")) {
    if (std::optional<std::string> id = ReadString(*field, "")) {
      if (!IsValidId(*id)) {
        Report(WhereValue(*field), *id,
               "invalid id " + Quoted(*id) + ": ids must match [a-z0-9_.-]+");
      }
      rule.id = std::move(*id);
    }
  } else {
    Report(rule.where, "", "missing 'id'");
  }

  // Read before the patterns: a rule-wide case_sensitive applies to every pattern, wherever the
  // key is written in the mapping.
  bool case_sensitive = false;
  if (const Field* field = fields.Find("case_sensitive")) {
    case_sensitive = ReadBool(*field, rule.id).value_or(false);
  }
  if (const Field* field = fields.Find("name"))
    rule.name = ReadString(*field, rule.id).value_or("");
  if (kind == RuleKind::kBrand && rule.name.empty()) rule.name = rule.id;

  // Complaints name a category and signals a signal kind; whether it exists is only known once
  // every file's taxonomy has been read (FinishLoading).
  if (kind != RuleKind::kBrand) {
    const std::string_view reference_key = kind == RuleKind::kComplaint ? "category" : "signal";
    std::string& reference = kind == RuleKind::kComplaint ? rule.category : rule.signal;
    if (const Field* field = fields.Find(reference_key)) {
      reference = ReadString(*field, rule.id).value_or("");
      rule.reference_where = WhereValue(*field);
      if (field->value.IsScalar() && reference.empty()) {
        Report(rule.reference_where, rule.id, Quoted(reference_key) + " must not be empty");
      }
    } else {
      Report(rule.where, rule.id, "missing " + Quoted(reference_key));
    }
  }

  if (const Field* field = fields.Find("patterns")) {
    ReadPatterns(*field, rule.id, case_sensitive, rule.patterns);
    if (field->value.IsSequence() && field->value.size() == 0) {
      Report(WhereValue(*field), rule.id, "'patterns' must not be empty");
    }
  } else {
    Report(rule.where, rule.id, "missing 'patterns'");
  }
  if (const Field* field = fields.Find("exclude")) {
    ReadPatterns(*field, rule.id, case_sensitive, rule.excludes);
  }
  if (const Field* field = fields.Find("handles")) {
    std::vector<Example> handles;
    ReadStringList(*field, rule.id, handles);
    for (Example& handle : handles) {
      if (handle.text.empty() || handle.text == "@") {
        Report(handle.where, rule.id, "empty handle");
        continue;
      }
      rule.handles.push_back(std::move(handle.text));
    }
  }
  if (const Field* field = fields.Find("examples")) ReadExamples(*field, rule);

  // A rule without an id cannot be referred to or checked further; its problems are reported.
  if (!rule.id.empty()) outcome_.rules.rules.push_back(std::move(rule));
}

std::optional<std::string> RuleFileReader::ReadString(const Field& field,
                                                      std::string_view rule_id) {
  if (field.value.IsScalar()) return field.value.Scalar();
  Report(WhereValue(field), rule_id, Quoted(field.key) + " must be a string");
  return std::nullopt;
}

std::optional<bool> RuleFileReader::ReadBool(const Field& field, std::string_view rule_id) {
  bool value = false;
  if (field.value.IsScalar() && YAML::convert<bool>::decode(field.value, value)) return value;
  Report(WhereValue(field), rule_id, Quoted(field.key) + " must be true or false");
  return std::nullopt;
}

void RuleFileReader::ReadPatterns(const Field& field, std::string_view rule_id, bool case_sensitive,
                                  std::vector<Pattern>& out) {
  const std::string type_error = Quoted(field.key) + " must be a list of strings";
  if (!field.value.IsSequence()) {
    Report(WhereValue(field), rule_id, type_error);
    return;
  }
  for (const YAML::Node& item : field.value) {
    Pattern pattern{"", case_sensitive, Where(item)};
    if (item.IsScalar()) {
      pattern.expression = item.Scalar();
    } else if (item.IsMap()) {
      // The long form {pattern: '...', case_sensitive: true} overrides the rule's setting.
      const Fields fields = CheckKeys(item, kPatternKeys, rule_id);
      const Field* expression = fields.Find("pattern");
      if (expression == nullptr) {
        Report(Where(item), rule_id, "missing 'pattern'");
        continue;
      }
      std::optional<std::string> text = ReadString(*expression, rule_id);
      if (!text) continue;
      pattern.expression = std::move(*text);
      pattern.where = WhereValue(*expression);
      if (const Field* flag = fields.Find("case_sensitive")) {
        pattern.case_sensitive = ReadBool(*flag, rule_id).value_or(case_sensitive);
      }
    } else {
      Report(Where(item), rule_id, type_error);
      continue;
    }
    if (pattern.expression.empty()) {
      Report(pattern.where, rule_id, "empty pattern");
    } else if (pattern.expression.find('\0') != std::string::npos) {
      // Hyperscan takes C strings: the pattern would silently end at the NUL.
      Report(pattern.where, rule_id, "pattern contains a NUL byte (write \\x00 instead)");
    } else {
      out.push_back(std::move(pattern));
    }
  }
}

void RuleFileReader::ReadStringList(const Field& field, std::string_view rule_id,
                                    std::vector<Example>& out) {
  const std::string type_error = Quoted(field.key) + " must be a list of strings";
  if (!field.value.IsSequence()) {
    Report(WhereValue(field), rule_id, type_error);
    return;
  }
  for (const YAML::Node& item : field.value) {
    if (!item.IsScalar()) {
      Report(Where(item), rule_id, type_error);
      continue;
    }
    out.push_back(Example{item.Scalar(), Where(item)});
  }
}

void RuleFileReader::ReadExamples(const Field& field, Rule& rule) {
  if (!field.value.IsMap()) {
    Report(WhereValue(field), rule.id,
           "'examples' must be a mapping with keys: " + JoinKeys(kExampleKeys));
    return;
  }
  const Fields fields = CheckKeys(field.value, kExampleKeys, rule.id);
  if (const Field* match = fields.Find("match"))
    ReadStringList(*match, rule.id, rule.match_examples);
  if (const Field* no_match = fields.Find("no_match")) {
    ReadStringList(*no_match, rule.id, rule.no_match_examples);
  }
  // Examples are scanned in HS_FLAG_UTF8 mode, where invalid UTF-8 is undefined behaviour.
  for (const auto* examples : {&rule.match_examples, &rule.no_match_examples}) {
    for (const Example& example : *examples) {
      if (!core::IsValidUtf8(example.text)) {
        Report(example.where, rule.id, "example is not valid UTF-8");
      }
    }
  }
}

}  // namespace earshot::matchers::internal
