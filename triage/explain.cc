#include "triage/explain.h"

#include <cstdio>
#include <string>
#include <vector>

#include "core/post.h"
#include "core/utf8.h"
#include "matchers/scanner.h"
#include "triage/result_json.h"
#include "triage/scorer.h"

namespace earshot::triage {
namespace {

std::string_view KindName(matchers::RuleKind kind) {
  switch (kind) {
    case matchers::RuleKind::kBrand: return "brand";
    case matchers::RuleKind::kComplaint: return "complaint";
    case matchers::RuleKind::kSignal: return "signal";
  }
  return "rule";
}

std::string FormatPoints(double points) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%+6.1f", points);
  return buffer;
}

std::string Join(const std::vector<std::string>& values) {
  if (values.empty()) return "(none)";
  std::string out;
  for (const std::string& value : values) {
    if (!out.empty()) out += ", ";
    out += value;
  }
  return out;
}

}  // namespace

core::Result<std::string> ExplainText(std::shared_ptr<const matchers::Database> database,
                                      std::string_view raw_text, std::string_view author) {
  core::Post post;
  post.source = "explain";
  post.id = "explain";
  post.text = core::RepairUtf8(raw_text);
  post.author = std::string(author);

  core::Result<matchers::Scanner> scanner = matchers::Scanner::Create(database);
  if (!scanner) return scanner.error();
  std::vector<uint32_t> matched;
  EARSHOT_RETURN_IF_ERROR(scanner->Scan(post.text, matched));
  const Scorer scorer(database->rules());
  const TriageResult result = scorer.Score(post, matched, AuthorHistory{});

  std::string out;
  out += "text: " + post.text + "\n";
  if (!author.empty()) out += "author: " + post.author + "\n";
  out += "\nmatched rules:\n";
  if (matched.empty()) out += "  (none)\n";
  for (uint32_t index : matched) {
    const matchers::Rule& rule = database->rules().rules[index];
    out += "  " + rule.id + "  [" + std::string(KindName(rule.kind));
    if (rule.kind == matchers::RuleKind::kComplaint) out += " → " + rule.category;
    if (rule.kind == matchers::RuleKind::kSignal) out += " → " + rule.signal;
    out += "]  " + rule.where.ToString() + "\n";
    core::Result<std::vector<matchers::MatchSpan>> spans =
        matchers::FindMatchSpans(*database, index, post.text);
    if (!spans) {
      out += "      (spans unavailable: " + spans.error().message() + ")\n";
      continue;
    }
    for (const matchers::MatchSpan& span : *spans) {
      if (span.exclude) continue;  // a matched rule had no exclude hit
      const matchers::Pattern& pattern = rule.patterns[span.pattern_index];
      out += "      /" + pattern.expression + "/ (" + pattern.where.ToString() + ") matched ";
      if (span.begin) {
        out += "\"" + core::RepairUtf8(post.text.substr(*span.begin, span.end - *span.begin)) +
               "\" at bytes " + std::to_string(*span.begin) + "-" + std::to_string(span.end);
      } else {
        out += "ending at byte " + std::to_string(span.end);
      }
      out += "\n";
    }
  }
  out += "\nbrands:     " + Join(result.brands) + "\n";
  out += "categories: " + Join(result.categories) + "\n";
  out += "signals:    " + Join(result.signals) + "\n";
  out += "\nurgency:\n";
  for (const ScoreTerm& term : result.terms) {
    out += "  " + FormatPoints(term.points) + "  " + term.label + "\n";
  }
  char total[96];
  std::snprintf(total, sizeof total, "  = %.1f → severity %s\n",
                result.urgency, std::string(core::SeverityName(result.severity)).c_str());
  out += total;
  out += "\nresult: ";
  AppendTriageResultJson(out, post, result);
  out += "\n";
  return out;
}

}  // namespace earshot::triage
