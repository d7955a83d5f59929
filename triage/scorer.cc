#include "triage/scorer.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

namespace earshot::triage {
namespace {

constexpr double kPointsPerExtraCategory = 5;
constexpr double kMaxExtraCategoryPoints = 10;
constexpr std::string_view kIntensitySignal = "intensity";
constexpr std::string_view kRepetitionSignal = "repetition";
constexpr std::string_view kQuestionSignal = "question";

std::string NormalizeHandle(std::string_view handle) {
  while (!handle.empty() && handle.front() == '@') handle.remove_prefix(1);
  std::string out(handle);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

bool HasIntensity(std::string_view text) {
  if (text.find("!!!") != std::string_view::npos) return true;
  // ASCII letters only, as std::isalpha/isupper in the C locale, but without a libc call per byte:
  // this loop runs over every post and the compiler vectorises it (it was a third of triage's
  // cycles with a small rule set).
  size_t letters = 0;
  size_t capitals = 0;
  for (const unsigned char c : text) {
    const bool letter = static_cast<unsigned char>((c | 0x20) - 'a') < 26;
    letters += letter;
    capitals += letter & ((c & 0x20) == 0);
  }
  return letters >= 12 && capitals * 10 >= letters * 7;
}

Scorer::Scorer(const matchers::RuleSet& rules) : rules_(rules) {
  for (const matchers::Rule& rule : rules.rules) {
    if (rule.kind != matchers::RuleKind::kBrand) continue;
    for (const std::string& handle : rule.handles) brand_handles_.insert(NormalizeHandle(handle));
  }
}

double Scorer::BasePoints(core::Severity severity) {
  switch (severity) {
    case core::Severity::kCritical: return 70;
    case core::Severity::kHigh: return 45;
    case core::Severity::kMedium: return 25;
    case core::Severity::kLow: return 10;
    case core::Severity::kNone: return 0;
  }
  return 0;
}

double Scorer::BandCeiling(core::Severity severity) {
  switch (severity) {
    case core::Severity::kCritical: return kMaxUrgency;
    case core::Severity::kHigh: return BasePoints(core::Severity::kCritical) - 1;
    case core::Severity::kMedium: return BasePoints(core::Severity::kHigh) - 1;
    case core::Severity::kLow: return BasePoints(core::Severity::kMedium) - 1;
    case core::Severity::kNone: return 0;
  }
  return 0;
}

core::Severity Scorer::SeverityForUrgency(double urgency) {
  if (urgency >= BasePoints(core::Severity::kCritical)) return core::Severity::kCritical;
  if (urgency >= BasePoints(core::Severity::kHigh)) return core::Severity::kHigh;
  if (urgency >= BasePoints(core::Severity::kMedium)) return core::Severity::kMedium;
  if (urgency > 0) return core::Severity::kLow;
  return core::Severity::kNone;
}

bool Scorer::IsBrandAccount(std::string_view author) const {
  if (brand_handles_.empty() || author.empty()) return false;
  std::string handle = NormalizeHandle(author);
  if (brand_handles_.contains(handle)) return true;
  // Fediverse handles carry the instance ("@acme@mastodon.social"); a brand may list either form.
  size_t at = handle.find('@');
  return at != std::string::npos && brand_handles_.contains(handle.substr(0, at));
}

TriageResult Scorer::Score(const core::Post& post, std::span<const uint32_t> matched_rules,
                           const AuthorHistory& history) const {
  TriageResult result;
  ScoreInto(post, matched_rules, history, result);
  return result;
}

void Scorer::ScoreInto(const core::Post& post, std::span<const uint32_t> matched_rules, const AuthorHistory& history,
                       TriageResult& result) const {
  result.urgency = 0;
  result.severity = core::Severity::kNone;
  result.brands.clear();
  result.categories.clear();
  result.signals.clear();
  result.rules.clear();
  result.terms.clear();
  result.from_brand_account = false;
  const matchers::Taxonomy& taxonomy = rules_.taxonomy;

  // Distinct categories and signals, each with its taxonomy entry. Signal kinds are few (six by
  // default), so their flags live on the stack unless a rule set defines more than 64.
  std::vector<const matchers::Category*> categories;
  constexpr size_t kInlineSignals = 64;
  std::array<uint8_t, kInlineSignals> inline_present{};
  std::vector<uint8_t> heap_present;
  uint8_t* signal_present = inline_present.data();
  if (taxonomy.signals.size() > kInlineSignals) {
    heap_present.assign(taxonomy.signals.size(), 0);
    signal_present = heap_present.data();
  }
  auto mark_signal = [&](std::string_view id) {
    for (size_t i = 0; i < taxonomy.signals.size(); ++i) {
      if (taxonomy.signals[i].id == id) signal_present[i] = 1;
    }
  };

  for (uint32_t index : matched_rules) {
    const matchers::Rule& rule = rules_.rules[index];
    result.rules.push_back(rule.id);
    switch (rule.kind) {
      case matchers::RuleKind::kBrand:
        result.brands.push_back(rule.id);
        break;
      case matchers::RuleKind::kComplaint:
        if (const matchers::Category* category = taxonomy.FindCategory(rule.category);
            category && std::find(categories.begin(), categories.end(), category) == categories.end()) {
          categories.push_back(category);
        }
        break;
      case matchers::RuleKind::kSignal:
        mark_signal(rule.signal);
        break;
    }
  }
  const bool text_intensity = HasIntensity(post.text);
  if (text_intensity) mark_signal(kIntensitySignal);
  if (history.unresolved_prior_cases > 0) mark_signal(kRepetitionSignal);

  std::sort(categories.begin(), categories.end(), [](const auto* a, const auto* b) {
    return a->severity != b->severity ? a->severity > b->severity : a->id < b->id;
  });
  for (const matchers::Category* category : categories) result.categories.push_back(category->id);
  for (size_t i = 0; i < taxonomy.signals.size(); ++i) {
    if (signal_present[i]) result.signals.push_back(taxonomy.signals[i].id);
  }

  if (IsBrandAccount(post.author)) {
    result.from_brand_account = true;
    result.terms.push_back({"author is a brand's own account: not a complaint", 0});
    return;
  }
  if (categories.empty()) {
    result.terms.push_back({"no complaint category matched", 0});
    return;
  }

  double urgency = 0;
  auto add = [&](std::string label, double points) {
    result.terms.push_back({std::move(label), points});
    urgency += points;
  };
  const matchers::Category& top = *categories.front();
  add("category " + top.id + " (" + std::string(core::SeverityName(top.severity)) + ")",
      BasePoints(top.severity));
  double extra = 0;
  for (size_t i = 1; i < categories.size(); ++i) {
    if (categories[i]->severity < core::Severity::kMedium) break;  // sorted: the rest are low too
    double points = std::min(kPointsPerExtraCategory, kMaxExtraCategoryPoints - extra);
    if (points <= 0) break;
    add("further category " + categories[i]->id, points);
    extra += points;
  }
  for (size_t i = 0; i < taxonomy.signals.size(); ++i) {
    if (!signal_present[i]) continue;
    if (taxonomy.signals[i].id == kQuestionSignal && top.severity > core::Severity::kLow) {
      result.terms.push_back({"signal question (ignored: the post reports a failure)", 0});
      continue;
    }
    std::string label = "signal " + taxonomy.signals[i].id;
    if (taxonomy.signals[i].id == kRepetitionSignal && history.unresolved_prior_cases > 0) {
      label += " (prior unresolved case)";
    }
    if (taxonomy.signals[i].id == kIntensitySignal && text_intensity) label += " (capitals or !!!)";
    add(std::move(label), taxonomy.signals[i].weight);
  }

  const double ceiling = BandCeiling(top.severity);
  if (urgency > ceiling) {
    result.terms.push_back({"capped at the top of the " + std::string(core::SeverityName(top.severity)) +
                                " band (" + std::to_string(static_cast<int>(ceiling)) + ")",
                            ceiling - urgency});
  }
  result.urgency = std::clamp(urgency, 0.0, ceiling);
  result.severity = SeverityForUrgency(result.urgency);
}

}  // namespace earshot::triage
