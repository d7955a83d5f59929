// Explain: why a text scored what it scored, for rule authors (`earshot explain`).
//
// Lists each matched rule with where it is defined and the span of text each of its patterns
// matched, the categories and signals that follow, and every addend of the urgency sum. Uses the
// same Scanner and Scorer as triage, so the explanation cannot drift from the real scoring.
//
// Thread safety: pure function of its arguments.
#ifndef EARSHOT_TRIAGE_EXPLAIN_H_
#define EARSHOT_TRIAGE_EXPLAIN_H_

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "matchers/database.h"

namespace earshot::triage {

// `author` is optional; give a brand handle to see the "brand's own account" rule apply.
core::Result<std::string> ExplainText(std::shared_ptr<const matchers::Database> database,
                                      std::string_view text, std::string_view author = {});

}  // namespace earshot::triage

#endif  // EARSHOT_TRIAGE_EXPLAIN_H_
