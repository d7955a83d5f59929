#include "triage/result_json.h"

#include "core/json_writer.h"

namespace earshot::triage {

void AppendTriageResultJson(std::string& out, const core::Post& post, const TriageResult& result,
                            std::string_view case_id) {
  out += "{\"id\":";
  core::AppendJsonString(out, post.id);
  out += ",\"source\":";
  core::AppendJsonString(out, post.source);
  out += ",\"urgency\":";
  // One decimal is all the model resolves; fixed rounding keeps output byte-stable.
  core::AppendJsonNumber(out, result.urgency, 1);
  out += ",\"severity\":\"";
  out += core::SeverityName(result.severity);
  out += "\",\"brands\":";
  core::AppendJsonStringArray(out, result.brands);
  out += ",\"categories\":";
  core::AppendJsonStringArray(out, result.categories);
  out += ",\"signals\":";
  core::AppendJsonStringArray(out, result.signals);
  out += ",\"rules\":";
  core::AppendJsonStringArray(out, result.rules);
  if (!case_id.empty()) {
    out += ",\"case_id\":";
    core::AppendJsonString(out, case_id);
  }
  out += '}';
}

}  // namespace earshot::triage
