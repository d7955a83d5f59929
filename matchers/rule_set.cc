#include "matchers/rule_set.h"

#include <string_view>

namespace earshot::matchers {

std::string SourceLocation::ToString() const {
  if (line <= 0) return file;
  std::string out = file;
  out.append(":").append(std::to_string(line));
  if (column > 0) out.append(":").append(std::to_string(column));
  return out;
}

std::string Diagnostic::ToString() const {
  std::string out = where.ToString();
  // A whole-database problem (e.g. a Hyperscan resource limit) has no place in any file.
  if (!out.empty()) out.append(": ");
  if (!rule_id.empty()) out.append("rule '").append(rule_id).append("': ");
  out.append(message);
  return out;
}

Taxonomy Taxonomy::Defaults() {
  using core::Severity;
  Taxonomy taxonomy;
  // DESIGN.md §2, in the table's order (most severe first) so listings read naturally.
  taxonomy.categories = {
      {"safety", Severity::kCritical, {}},
      {"security_privacy", Severity::kCritical, {}},
      {"outage", Severity::kHigh, {}},
      {"billing", Severity::kHigh, {}},
      {"lost_or_damaged", Severity::kHigh, {}},
      {"legal_regulatory", Severity::kHigh, {}},
      {"delay_cancellation", Severity::kMedium, {}},
      {"service_failure", Severity::kMedium, {}},
      {"churn", Severity::kMedium, {}},
      {"product_defect", Severity::kMedium, {}},
      {"general_negative", Severity::kLow, {}},
  };
  taxonomy.signals = {
      {"duration", 8, {}},  {"repetition", 10, {}},  {"impact", 12, {}},
      {"intensity", 5, {}}, {"resolution", -30, {}}, {"question", -15, {}},
  };
  return taxonomy;
}

const Category* Taxonomy::FindCategory(std::string_view id) const {
  for (const Category& category : categories) {
    if (category.id == id) return &category;
  }
  return nullptr;
}

const SignalKind* Taxonomy::FindSignal(std::string_view id) const {
  for (const SignalKind& signal : signals) {
    if (signal.id == id) return &signal;
  }
  return nullptr;
}

}  // namespace earshot::matchers
