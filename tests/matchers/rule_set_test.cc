#include "matchers/rule_set.h"

#include <gtest/gtest.h>

namespace earshot::matchers {
namespace {

using core::Severity;

TEST(SourceLocation, FormatsFileLineColumn) {
  EXPECT_EQ((SourceLocation{"rules/a.yaml", 3, 7}).ToString(), "rules/a.yaml:3:7");
  EXPECT_EQ((SourceLocation{"rules/a.yaml", 0, 0}).ToString(), "rules/a.yaml");
}

TEST(Diagnostic, FormatsLocationRuleAndMessage) {
  Diagnostic with_rule{{"b.yaml", 2, 5}, "brand.x", "empty pattern"};
  EXPECT_EQ(with_rule.ToString(), "b.yaml:2:5: rule 'brand.x': empty pattern");
  Diagnostic without_rule{{"b.yaml", 1, 1}, "", "unknown key 'brandz'"};
  EXPECT_EQ(without_rule.ToString(), "b.yaml:1:1: unknown key 'brandz'");
  Diagnostic nowhere{{}, "", "too large"};
  EXPECT_EQ(nowhere.ToString(), "too large");
}

TEST(Taxonomy, DefaultsMatchTheDesignTable) {
  const Taxonomy taxonomy = Taxonomy::Defaults();
  ASSERT_EQ(taxonomy.categories.size(), 11u);
  const std::pair<const char*, Severity> expected[] = {
      {"safety", Severity::kCritical},
      {"security_privacy", Severity::kCritical},
      {"outage", Severity::kHigh},
      {"billing", Severity::kHigh},
      {"lost_or_damaged", Severity::kHigh},
      {"legal_regulatory", Severity::kHigh},
      {"delay_cancellation", Severity::kMedium},
      {"service_failure", Severity::kMedium},
      {"churn", Severity::kMedium},
      {"product_defect", Severity::kMedium},
      {"general_negative", Severity::kLow},
  };
  for (const auto& [id, severity] : expected) {
    const Category* category = taxonomy.FindCategory(id);
    ASSERT_NE(category, nullptr) << id;
    EXPECT_EQ(category->severity, severity) << id;
    EXPECT_TRUE(category->where.file.empty());
  }
  const std::pair<const char*, double> weights[] = {{"duration", 8},     {"repetition", 10},
                                                    {"impact", 12},      {"intensity", 5},
                                                    {"resolution", -30}, {"question", -15}};
  ASSERT_EQ(taxonomy.signals.size(), 6u);
  for (const auto& [id, weight] : weights) {
    const SignalKind* signal = taxonomy.FindSignal(id);
    ASSERT_NE(signal, nullptr) << id;
    EXPECT_EQ(signal->weight, weight) << id;
  }
  EXPECT_EQ(taxonomy.FindCategory("nope"), nullptr);
  EXPECT_EQ(taxonomy.FindSignal("safety"), nullptr);
}

}  // namespace
}  // namespace earshot::matchers
