// Severity: the coarse urgency class of a complaint, ordered so that a larger value is more urgent.
// Shared by rules (a category's default severity), triage results and the queue.
#ifndef EARSHOT_CORE_SEVERITY_H_
#define EARSHOT_CORE_SEVERITY_H_

#include <optional>
#include <string_view>

namespace earshot::core {

enum class Severity { kNone = 0, kLow, kMedium, kHigh, kCritical };

// "none", "low", "medium", "high", "critical": the spelling of the result contract.
constexpr std::string_view SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kNone: return "none";
    case Severity::kLow: return "low";
    case Severity::kMedium: return "medium";
    case Severity::kHigh: return "high";
    case Severity::kCritical: return "critical";
  }
  return "none";
}

constexpr std::optional<Severity> ParseSeverity(std::string_view name) {
  for (Severity s : {Severity::kNone, Severity::kLow, Severity::kMedium, Severity::kHigh,
                     Severity::kCritical}) {
    if (SeverityName(s) == name) return s;
  }
  return std::nullopt;
}

}  // namespace earshot::core

#endif  // EARSHOT_CORE_SEVERITY_H_
