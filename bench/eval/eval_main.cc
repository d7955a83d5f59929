// earshot_eval: scores a hand-labelled held-out set with the current rules and reports how well
// urgency separates complaints from non-complaints, and severe complaints from mild ones.
//
//   earshot_eval --rules PATH [--rules PATH...] [--misses[=N]] LABELLED.jsonl
//
// LABELLED.jsonl is Post JSON Lines with one extra string field, "label": none | mild | severe
// (bench/eval/make_labelled.py writes it; LABELS.md defines the labels). Each post is scanned and
// scored exactly as batch triage does it (Scanner, then Scorer with an empty AuthorHistory), so
// the numbers describe what `earshot triage` would output. The report is one JSON object on
// stdout; with --misses, the worst-ranked errors go to stderr so rule authors can look them up.
//
// The report (all ratios to 4 decimals, null when undefined, e.g. a class with no posts):
//   auc_complaint_vs_not   ROC AUC of urgency, mild+severe (positive) against none
//   auc_severe_vs_mild     ROC AUC of urgency among complaints, severe against mild
//   recall/precision_complaint_at_severity_not_none   a complaint is "found" when severity != none
//   recall/precision_severe_at_high_or_critical       a severe one when severity is high or critical
//   accuracy_3way          share where none↔none, low/medium↔mild, high/critical↔severe agree
//   confusion              {label: {predicted severity: count}}
// The AUCs are threshold-free, so they show whether urgency *orders* posts well even while the
// severity bands are being re-tuned; the recalls and precisions show where the bands cut today.
//
// Exit status: 0 success; 1 runtime failure (scanning, writing the report); 2 bad usage, rules
// that do not load or compile, or an input that cannot be read or has a bad line (reported as
// file:line: reason).
#include <simdjson.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench/eval/roc_auc.h"
#include "core/json_writer.h"
#include "core/line_reader.h"
#include "core/post_json.h"
#include "core/severity.h"
#include "core/status.h"
#include "matchers/database.h"
#include "matchers/rule_loader.h"
#include "matchers/scanner.h"
#include "triage/scorer.h"

namespace earshot::eval {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitBadInput = 2;

enum class Label { kNone = 0, kMild, kSevere };
constexpr std::array<Label, 3> kLabels = {Label::kNone, Label::kMild, Label::kSevere};
constexpr std::array<core::Severity, 5> kSeverities = {core::Severity::kNone, core::Severity::kLow,
                                                       core::Severity::kMedium, core::Severity::kHigh,
                                                       core::Severity::kCritical};

constexpr std::string_view LabelName(Label label) {
  switch (label) {
    case Label::kNone: return "none";
    case Label::kMild: return "mild";
    case Label::kSevere: return "severe";
  }
  return "none";
}

std::optional<Label> ParseLabel(std::string_view name) {
  for (Label label : kLabels) {
    if (LabelName(label) == name) return label;
  }
  return std::nullopt;
}

// The label scheme collapses Earshot's five severities into three: low and medium are "mild",
// high and critical are "severe" (LABELS.md).
Label LabelForSeverity(core::Severity severity) {
  switch (severity) {
    case core::Severity::kNone: return Label::kNone;
    case core::Severity::kLow:
    case core::Severity::kMedium: return Label::kMild;
    case core::Severity::kHigh:
    case core::Severity::kCritical: return Label::kSevere;
  }
  return Label::kNone;
}

struct LabelledPost {
  core::Post post;
  Label label = Label::kNone;
};

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

// Reads the "label" field. PostParser has already checked that the line is one valid JSON object,
// so the only failures left are a missing, mistyped or unknown label.
core::Result<Label> ExtractLabel(simdjson::dom::parser& parser, std::string_view line) {
  simdjson::dom::element document;
  if (auto error = parser.parse(line.data(), line.size()).get(document); error) {
    return core::Status::InvalidArgument(std::string("not valid JSON (") + simdjson::error_message(error) +
                                         ")");
  }
  std::string_view name;
  const auto error = document["label"].get_string().get(name);
  if (error == simdjson::NO_SUCH_FIELD) {
    return core::Status::InvalidArgument("missing required field \"label\"");
  }
  if (error) return core::Status::InvalidArgument("field \"label\" must be a string");
  std::optional<Label> label = ParseLabel(name);
  if (!label) {
    return core::Status::InvalidArgument("unknown label \"" + std::string(name) +
                                         "\" (expected none, mild or severe)");
  }
  return *label;
}

// Reads every labelled post of `path` ("-" is stdin). Any bad line fails the whole read: a
// silently skipped post would change the metrics without anyone noticing.
core::Result<std::vector<LabelledPost>> ReadLabelledPosts(const std::string& path) {
  FilePtr owned;
  std::FILE* file = stdin;
  if (path != "-") {
    owned.reset(std::fopen(path.c_str(), "rb"));
    if (!owned) return core::Status::FromErrno("open", path, errno);
    file = owned.get();
  }
  core::LineReader reader(file);
  core::PostParser post_parser;
  simdjson::dom::parser label_parser;
  std::vector<LabelledPost> posts;
  std::set<std::pair<std::string, std::string>> seen;  // (source, id): a repeat would count twice
  std::string line;
  uint64_t line_number = 0;
  auto bad = [&](std::string_view reason) {
    return core::Status::InvalidArgument(path + ":" + std::to_string(line_number) + ": " +
                                         std::string(reason));
  };
  while (true) {
    core::Result<core::LineReader::Outcome> outcome = reader.Next(line, line_number);
    if (!outcome) return outcome.error().WithContext(path);
    if (*outcome == core::LineReader::Outcome::kEndOfFile) break;
    if (*outcome == core::LineReader::Outcome::kTooLong) return bad("line too long");
    if (line.find_first_not_of(" \t\r\f\v") == std::string::npos) continue;

    bool repaired = false;
    core::Result<core::Post> post = post_parser.Parse(line, &repaired);
    if (!post) return bad(post.error().message());
    if (repaired) {
      std::fprintf(stderr, "%s:%llu: invalid UTF-8 replaced with U+FFFD\n", path.c_str(),
                   static_cast<unsigned long long>(line_number));
    }
    core::Result<Label> label = ExtractLabel(label_parser, line);
    if (!label) return bad(label.error().message());
    if (!seen.emplace(post->source, post->id).second) {
      return bad("post " + post->source + "/" + post->id + " appears twice");
    }
    posts.push_back(LabelledPost{std::move(*post), *label});
  }
  return posts;
}

// What triage made of one labelled post.
struct Triaged {
  const LabelledPost* labelled = nullptr;
  triage::TriageResult result;
};

core::Result<std::shared_ptr<const matchers::Database>> BuildDatabase(
    const std::vector<std::string>& rule_paths) {
  std::vector<std::filesystem::path> paths(rule_paths.begin(), rule_paths.end());
  matchers::LoadOutcome loaded = matchers::LoadRules(paths);
  for (const matchers::Diagnostic& diagnostic : loaded.diagnostics) {
    std::fprintf(stderr, "%s\n", diagnostic.ToString().c_str());
  }
  if (!loaded.ok()) {
    return core::Status::InvalidArgument(std::to_string(loaded.diagnostics.size()) +
                                         " problem(s) in the rule files");
  }
  // No cache: the evaluation must see exactly the rules on disk, and a one-off compile of the
  // rule set takes well under a second.
  std::vector<matchers::Diagnostic> diagnostics;
  core::Result<std::shared_ptr<const matchers::Database>> database =
      matchers::Database::Build(std::move(loaded.rules), matchers::BuildOptions{}, diagnostics);
  for (const matchers::Diagnostic& diagnostic : diagnostics) {
    std::fprintf(stderr, "%s\n", diagnostic.ToString().c_str());
  }
  return database;
}

core::Result<std::vector<Triaged>> TriageAll(std::shared_ptr<const matchers::Database> database,
                                             const std::vector<LabelledPost>& posts) {
  core::Result<matchers::Scanner> scanner = matchers::Scanner::Create(database);
  if (!scanner) return scanner.error();
  const triage::Scorer scorer(database->rules());
  std::vector<uint32_t> matched;
  std::vector<Triaged> outcomes;
  outcomes.reserve(posts.size());
  for (const LabelledPost& labelled : posts) {
    EARSHOT_RETURN_IF_ERROR(
        scanner->Scan(labelled.post.text, matched).WithContext("post " + labelled.post.id));
    outcomes.push_back(Triaged{&labelled, scorer.Score(labelled.post, matched, triage::AuthorHistory{})});
  }
  return outcomes;
}

// Writes a ratio, or null when the denominator is zero (JSON has no NaN).
void AppendRatio(std::string& out, std::optional<double> value) {
  if (value) {
    core::AppendJsonNumber(out, *value, 4);
  } else {
    out += "null";
  }
}

std::optional<double> Ratio(size_t numerator, size_t denominator) {
  if (denominator == 0) return std::nullopt;
  return static_cast<double>(numerator) / static_cast<double>(denominator);
}

std::string Report(const std::vector<Triaged>& outcomes, size_t rule_count) {
  // confusion[label][severity]: rows are the human label, columns Earshot's severity.
  std::array<std::array<size_t, kSeverities.size()>, kLabels.size()> confusion{};
  std::vector<ScoredExample> complaint_vs_not;
  std::vector<ScoredExample> severe_vs_mild;
  for (const Triaged& outcome : outcomes) {
    const Label label = outcome.labelled->label;
    const double urgency = outcome.result.urgency;
    ++confusion[static_cast<size_t>(label)][static_cast<size_t>(outcome.result.severity)];
    complaint_vs_not.push_back(ScoredExample{urgency, label != Label::kNone});
    if (label != Label::kNone) severe_vs_mild.push_back(ScoredExample{urgency, label == Label::kSevere});
  }

  auto count = [&](auto label_pred, auto severity_pred) {
    size_t total = 0;
    for (Label label : kLabels) {
      for (core::Severity severity : kSeverities) {
        if (label_pred(label) && severity_pred(severity)) {
          total += confusion[static_cast<size_t>(label)][static_cast<size_t>(severity)];
        }
      }
    }
    return total;
  };
  auto any = [](auto) { return true; };
  auto is_complaint = [](Label label) { return label != Label::kNone; };
  auto flagged = [](core::Severity severity) { return severity != core::Severity::kNone; };
  auto is_severe = [](Label label) { return label == Label::kSevere; };
  auto high = [](core::Severity severity) { return severity >= core::Severity::kHigh; };
  auto agrees = [&] {
    size_t total = 0;
    for (core::Severity severity : kSeverities) {
      total += confusion[static_cast<size_t>(LabelForSeverity(severity))][static_cast<size_t>(severity)];
    }
    return total;
  };

  std::string out = "{\n";
  out += "  \"posts\": " + std::to_string(outcomes.size()) + ",\n";
  out += "  \"rules\": " + std::to_string(rule_count) + ",\n";
  out += "  \"labels\": {";
  for (Label label : kLabels) {
    if (label != Label::kNone) out += ", ";
    core::AppendJsonString(out, LabelName(label));
    out += ": " + std::to_string(count([label](Label l) { return l == label; }, any));
  }
  out += "},\n  \"auc_complaint_vs_not\": ";
  AppendRatio(out, RocAuc(complaint_vs_not));
  out += ",\n  \"auc_severe_vs_mild\": ";
  AppendRatio(out, RocAuc(severe_vs_mild));
  out += ",\n  \"recall_complaint_at_severity_not_none\": ";
  AppendRatio(out, Ratio(count(is_complaint, flagged), count(is_complaint, any)));
  out += ",\n  \"precision_complaint_at_severity_not_none\": ";
  AppendRatio(out, Ratio(count(is_complaint, flagged), count(any, flagged)));
  out += ",\n  \"recall_severe_at_high_or_critical\": ";
  AppendRatio(out, Ratio(count(is_severe, high), count(is_severe, any)));
  out += ",\n  \"precision_severe_at_high_or_critical\": ";
  AppendRatio(out, Ratio(count(is_severe, high), count(any, high)));
  out += ",\n  \"accuracy_3way\": ";
  AppendRatio(out, Ratio(agrees(), outcomes.size()));
  out += ",\n  \"confusion\": {";
  for (Label label : kLabels) {
    out += label == Label::kNone ? "\n    " : ",\n    ";
    core::AppendJsonString(out, LabelName(label));
    out += ": {";
    for (core::Severity severity : kSeverities) {
      if (severity != core::Severity::kNone) out += ", ";
      core::AppendJsonString(out, core::SeverityName(severity));
      out += ": " + std::to_string(confusion[static_cast<size_t>(label)][static_cast<size_t>(severity)]);
    }
    out += "}";
  }
  out += "\n  }\n}\n";
  return out;
}

void PrintMiss(std::string_view kind, const Triaged& outcome) {
  std::string rules;
  for (const std::string& rule : outcome.result.rules) {
    if (!rules.empty()) rules += ',';
    rules += rule;
  }
  std::fprintf(stderr, "%.*s\t%s\t%.0f\t%.*s\t%s\n", static_cast<int>(kind.size()), kind.data(),
               outcome.labelled->post.id.c_str(), outcome.result.urgency,
               static_cast<int>(core::SeverityName(outcome.result.severity).size()),
               core::SeverityName(outcome.result.severity).data(), rules.empty() ? "-" : rules.c_str());
}

// The errors that hurt the AUCs most: `none` posts Earshot flagged, most urgent first, and `severe`
// posts it rated below high, least urgent first. Ties keep input order so the list is stable.
void PrintMisses(const std::vector<Triaged>& outcomes, size_t limit) {
  std::vector<const Triaged*> false_alarms;
  std::vector<const Triaged*> missed_severe;
  for (const Triaged& outcome : outcomes) {
    const Label label = outcome.labelled->label;
    if (label == Label::kNone && outcome.result.severity != core::Severity::kNone) {
      false_alarms.push_back(&outcome);
    }
    if (label == Label::kSevere && outcome.result.severity < core::Severity::kHigh) {
      missed_severe.push_back(&outcome);
    }
  }
  std::stable_sort(false_alarms.begin(), false_alarms.end(),
                   [](const Triaged* a, const Triaged* b) { return a->result.urgency > b->result.urgency; });
  std::stable_sort(missed_severe.begin(), missed_severe.end(),
                   [](const Triaged* a, const Triaged* b) { return a->result.urgency < b->result.urgency; });
  std::fprintf(stderr, "# kind\tid\turgency\tseverity\trules\n");
  std::fprintf(stderr, "# %zu false alarm(s): labelled none, flagged by Earshot (most urgent first)\n",
               false_alarms.size());
  for (size_t i = 0; i < false_alarms.size() && i < limit; ++i) PrintMiss("false_alarm", *false_alarms[i]);
  std::fprintf(stderr, "# %zu missed severe: labelled severe, rated below high (least urgent first)\n",
               missed_severe.size());
  for (size_t i = 0; i < missed_severe.size() && i < limit; ++i)
    PrintMiss("missed_severe", *missed_severe[i]);
}

int Main(int argc, char** argv) {
  CLI::App app{"Evaluates Earshot's rules against a hand-labelled held-out set (bench/eval/README.md)."};
  std::vector<std::string> rule_paths;
  std::string labelled_path;
  size_t misses = 0;
  app.add_option("--rules", rule_paths, "Rule file or folder; repeatable")
      ->required()
      ->allow_extra_args(false);
  app.add_flag("--misses{20}", misses,
               "Also list the worst-ranked errors on stderr: N of each kind (default 20)");
  app.add_option("labelled", labelled_path, "Labelled Post JSON Lines (make_labelled.py), or - for stdin")
      ->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // CLI11 reports usage errors by exception; this is the boundary where they become exit codes.
    return app.exit(error) == 0 ? kExitOk : kExitBadInput;
  }

  core::Result<std::shared_ptr<const matchers::Database>> database = BuildDatabase(rule_paths);
  if (!database) {
    std::fprintf(stderr, "earshot_eval: %s\n", database.error().message().c_str());
    return database.error().IsInvalidArgument() ? kExitBadInput : kExitFailure;
  }
  core::Result<std::vector<LabelledPost>> posts = ReadLabelledPosts(labelled_path);
  if (!posts) {
    // A missing or unreadable input file is a usage problem too, like a malformed line.
    std::fprintf(stderr, "earshot_eval: %s\n", posts.error().message().c_str());
    return kExitBadInput;
  }
  core::Result<std::vector<Triaged>> outcomes = TriageAll(*database, *posts);
  if (!outcomes) {
    std::fprintf(stderr, "earshot_eval: %s\n", outcomes.error().ToString().c_str());
    return kExitFailure;
  }

  const std::string report = Report(*outcomes, (*database)->rules().rules.size());
  if (std::fwrite(report.data(), 1, report.size(), stdout) != report.size() || std::fflush(stdout) != 0) {
    std::fprintf(stderr, "earshot_eval: writing the report to stdout failed\n");
    return kExitFailure;
  }
  if (misses > 0) PrintMisses(*outcomes, misses);
  return kExitOk;
}

}  // namespace
}  // namespace earshot::eval

int main(int argc, char** argv) { return earshot::eval::Main(argc, argv); }
