// RuleFileReader, part two: the `taxonomy:` section of a rule file, whose categories and signal
// kinds extend or re-weight the built-in defaults (DESIGN.md §2).
#include <array>
#include <cmath>
#include <utility>

#include "core/severity.h"
#include "matchers/internal/rule_file_reader.h"

namespace earshot::matchers::internal {
namespace {

using namespace std::string_view_literals;

constexpr std::array kTaxonomyKeys = {"categories"sv, "signals"sv};
constexpr std::array kCategoryKeys = {"id"sv, "severity"sv};
constexpr std::array kSignalKindKeys = {"id"sv, "weight"sv};

}  // namespace

void RuleFileReader::ReadTaxonomy(const Field& field) {
  if (field.value.IsNull()) return;
  if (!field.value.IsMap()) {
    Report(WhereValue(field), "",
           "'taxonomy' must be a mapping with keys: " + JoinKeys(kTaxonomyKeys));
    return;
  }
  const Fields fields = CheckKeys(field.value, kTaxonomyKeys, "");
  if (const Field* categories = fields.Find("categories")) ReadCategories(*categories);
  if (const Field* signals = fields.Find("signals")) ReadSignalKinds(*signals);
}

void RuleFileReader::ReadCategories(const Field& field) {
  if (field.value.IsNull()) return;
  if (!field.value.IsSequence()) {
    Report(WhereValue(field), "", "'categories' must be a list of {id, severity} mappings");
    return;
  }
  Taxonomy& taxonomy = outcome_.rules.taxonomy;
  for (const YAML::Node& item : field.value) {
    if (!item.IsMap()) {
      Report(Where(item), "",
             "each entry of 'categories' must be a mapping with keys: " + JoinKeys(kCategoryKeys));
      continue;
    }
    const Fields fields = CheckKeys(item, kCategoryKeys, "");
    Category category;
    category.where = Where(item);
    const Field* id = fields.Find("id");
    const Field* severity = fields.Find("severity");
    if (id == nullptr) Report(category.where, "", "missing 'id'");
    if (severity == nullptr) Report(category.where, "", "missing 'severity'");
    if (id == nullptr || severity == nullptr) continue;
    std::optional<std::string> id_text = ReadString(*id, "");
    std::optional<std::string> severity_text = ReadString(*severity, "");
    if (!id_text || !severity_text) continue;
    if (!IsValidId(*id_text)) {
      Report(WhereValue(*id), "",
             "invalid category id " + Quoted(*id_text) + ": ids must match [a-z0-9_.-]+");
      continue;
    }
    std::optional<core::Severity> parsed = core::ParseSeverity(*severity_text);
    // "none" is what a post without a complaint gets; a category is a complaint by definition.
    if (!parsed || *parsed == core::Severity::kNone) {
      Report(WhereValue(*severity), "",
             "unknown severity " + Quoted(*severity_text) +
                 " (expected one of: critical, high, medium, low)");
      continue;
    }
    category.id = std::move(*id_text);
    category.severity = *parsed;
    Category* existing = nullptr;
    for (Category& candidate : taxonomy.categories) {
      if (candidate.id == category.id) existing = &candidate;
    }
    if (existing == nullptr) {
      taxonomy.categories.push_back(std::move(category));
    } else if (existing->where.file.empty()) {
      *existing = std::move(category);  // re-weighting a built-in default
    } else {
      // Two files disagreeing would make the result depend on file order: refuse instead.
      Report(category.where, "",
             "duplicate category " + Quoted(category.id) + " (first defined at " +
                 existing->where.ToString() + ")");
    }
  }
}

void RuleFileReader::ReadSignalKinds(const Field& field) {
  if (field.value.IsNull()) return;
  if (!field.value.IsSequence()) {
    Report(WhereValue(field), "", "'signals' must be a list of {id, weight} mappings");
    return;
  }
  Taxonomy& taxonomy = outcome_.rules.taxonomy;
  for (const YAML::Node& item : field.value) {
    if (!item.IsMap()) {
      Report(Where(item), "",
             "each entry of 'signals' must be a mapping with keys: " + JoinKeys(kSignalKindKeys));
      continue;
    }
    const Fields fields = CheckKeys(item, kSignalKindKeys, "");
    SignalKind signal;
    signal.where = Where(item);
    const Field* id = fields.Find("id");
    const Field* weight = fields.Find("weight");
    if (id == nullptr) Report(signal.where, "", "missing 'id'");
    if (weight == nullptr) Report(signal.where, "", "missing 'weight'");
    if (id == nullptr || weight == nullptr) continue;
    std::optional<std::string> id_text = ReadString(*id, "");
    if (!id_text) continue;
    if (!IsValidId(*id_text)) {
      Report(WhereValue(*id), "",
             "invalid signal id " + Quoted(*id_text) + ": ids must match [a-z0-9_.-]+");
      continue;
    }
    double value = 0;
    // yaml-cpp also decodes .nan and .inf, which would poison every urgency they touch.
    if (!weight->value.IsScalar() || !YAML::convert<double>::decode(weight->value, value) ||
        !std::isfinite(value)) {
      Report(WhereValue(*weight), "", "'weight' must be a finite number");
      continue;
    }
    signal.id = std::move(*id_text);
    signal.weight = value;
    SignalKind* existing = nullptr;
    for (SignalKind& candidate : taxonomy.signals) {
      if (candidate.id == signal.id) existing = &candidate;
    }
    if (existing == nullptr) {
      taxonomy.signals.push_back(std::move(signal));
    } else if (existing->where.file.empty()) {
      *existing = std::move(signal);
    } else {
      Report(signal.where, "",
             "duplicate signal " + Quoted(signal.id) + " (first defined at " +
                 existing->where.ToString() + ")");
    }
  }
}

}  // namespace earshot::matchers::internal
