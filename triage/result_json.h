// Writes a TriageResult as one line of the triage result contract (DESIGN.md §3.2).
// Thread safety: pure function over the caller's buffer.
#ifndef EARSHOT_TRIAGE_RESULT_JSON_H_
#define EARSHOT_TRIAGE_RESULT_JSON_H_

#include <string>
#include <string_view>

#include "core/post.h"
#include "triage/scorer.h"

namespace earshot::triage {

// Appends {"id","source","urgency","severity","brands","categories","signals","rules"[,"case_id"]}
// without a trailing newline. `case_id` is written only when non-empty (batch triage has none).
// Nothing about the author's audience is written, so identical texts give identical bytes.
void AppendTriageResultJson(std::string& out, const core::Post& post, const TriageResult& result,
                            std::string_view case_id = {});

}  // namespace earshot::triage

#endif  // EARSHOT_TRIAGE_RESULT_JSON_H_
