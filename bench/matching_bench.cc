// Microbenchmarks of the triage hot path (STYLE.md 18): parse a Post line, scan its text with the
// shipped rules, score the matches, compile rule databases, and the whole in-process pipeline.
//
// Every benchmark checks its results against a reference before it times anything, and reports
// SkipWithError instead of a number when they disagree: a fast wrong answer is not a result.
//  - ParsePost: each line must parse back to the Post the generator wrote it from.
//  - ScanShippedRules: Hyperscan must agree with std::regex (bench/README.md says how, and which
//    rules the reference cannot express).
//  - Score: the result must be internally consistent (terms add up, severity follows urgency).
//  - CompileRules: the database must find each synthetic rule in a text made to match it.
//  - ScanSyntheticRules: Hyperscan must agree with std::regex on 200 corpus texts for 100, 1,000
//    and 10,000 generated rules (the same reference as ScanShippedRules).
//  - TriageStream: the parallel pipeline must deliver what a serial Scanner + Scorer computes, in
//    input order.
//
// The corpus is 20,000 posts of bench/corpus.h (seed 42): tweet-sized texts (~240 B), ~460 B lines.
#include <benchmark/benchmark.h>
#include <oneapi/tbb/global_control.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <regex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bench/corpus.h"
#include "core/post.h"
#include "core/post_json.h"
#include "core/utf8.h"
#include "matchers/database.h"
#include "matchers/rule_loader.h"
#include "matchers/rule_set.h"
#include "matchers/scanner.h"
#include "triage/batch_triage.h"
#include "triage/scorer.h"

namespace earshot::bench {
namespace {

constexpr size_t kCorpusPosts = 20'000;
constexpr uint64_t kCorpusSeed = 42;
// Texts compared against std::regex before timing (plus every example in the rule files). The
// reference is a backtracking matcher, orders of magnitude slower than Hyperscan, so it sees a
// sample rather than the whole corpus.
constexpr size_t kReferenceSample = 2'000;
constexpr size_t kMaxReportedDisagreements = 20;

// Texts where matching code points and matching bytes differ (the reason for CodePointFolder): a
// `.` over a 3-byte apostrophe, `.{0,40}` over gaps of fewer than 40 code points but more than 40
// bytes, \b next to a non-ASCII letter, a typographic apostrophe that `'?` does not cover, and
// currency signs and emoji that rules may spell out.
constexpr std::string_view kUtf8Probes[] = {
    "honestly it wasn’t that terrible",
    "marked as delivered 😡😡😡😡😡😡😡😡😡😡😡😡 nothing here",
    "cancelled ✈️✈️✈️✈️✈️✈️✈️✈️✈️✈️ and still charging me",
    "that was terribleé and the router is brokenß",
    "my package hasn’t arrived and the engineer didn’t show",
    "ÜBER TERRIBLE SERVICE, NO INTERNET SINCE MONDAY",
    "they tried to charge me £176 for a ticket which is £88 online 😡",
};

struct Corpus {
  std::vector<core::Post> posts;  // as generated
  std::vector<std::string> lines;  // the same posts as JSON, without newlines
  std::string jsonl;               // the lines joined, one per line, for TriageStream
  size_t line_bytes = 0;
  size_t text_bytes = 0;
};

const Corpus& SharedCorpus() {
  static const Corpus corpus = [] {
    Corpus built;
    CorpusOptions options;
    options.seed = kCorpusSeed;
    CorpusGenerator generator(options);
    for (size_t i = 0; i < kCorpusPosts; ++i) {
      const core::Post& post = generator.Next();
      built.posts.push_back(post);
      std::string line;
      CorpusGenerator::AppendJsonLine(line, post);
      built.line_bytes += line.size();
      built.text_bytes += post.text.size();
      built.jsonl += line;
      built.jsonl.push_back('\n');
      built.lines.push_back(std::move(line));
    }
    return built;
  }();
  return corpus;
}

// ---------------------------------------------------------------------------------------------
// The std::regex reference for the shipped rules.

// std::regex matches bytes; Hyperscan in HS_FLAG_UTF8 mode matches code points, so `.` in
// `.{0,40}` or `wasn.?t` spans a whole "’" or "😡" there, and `[$£€]` is a class of three code
// points. The reference therefore matches folded copies of texts and patterns in which every
// non-ASCII code point is one byte: each code point that some pattern spells out gets a byte of its
// own (0x81-0xFF), every other one the byte 0x80. In the "C" locale these bytes are not word,
// space or digit characters and have no case (as non-ASCII code points are for Hyperscan's
// ASCII-only \b, \w and case folding without HS_FLAG_UCP), and `.` matches one of them once.
class CodePointFolder {
 public:
  // Gives the non-ASCII code points of `pattern` their own bytes. False when there are more than
  // 127 distinct ones across all patterns, or one is an end of a range (`[à-ÿ]`), whose order
  // the bytes do not keep: the caller then leaves the rule out.
  bool Learn(std::string_view pattern) {
    for (size_t i = 0; i < pattern.size();) {
      const size_t length = SequenceLength(pattern, i);
      if (length > 1) {
        const bool dash_before = i > 0 && pattern[i - 1] == '-';
        const bool dash_after = i + length < pattern.size() && pattern[i + length] == '-';
        if (dash_before || dash_after) return false;
        const std::string code_point(pattern.substr(i, length));
        if (!bytes_.contains(code_point)) {
          if (bytes_.size() == 127) return false;
          bytes_.emplace(code_point, static_cast<char>(0x81 + bytes_.size()));
        }
      }
      i += length;
    }
    return true;
  }

  std::string Fold(std::string_view utf8) const {
    std::string folded;
    folded.reserve(utf8.size());
    for (size_t i = 0; i < utf8.size();) {
      const size_t length = SequenceLength(utf8, i);
      if (length == 1) {
        folded.push_back(utf8[i]);
      } else {
        const auto known = bytes_.find(std::string(utf8.substr(i, length)));
        folded.push_back(known != bytes_.end() ? known->second : '\x80');
      }
      i += length;
    }
    return folded;
  }

 private:
  // Bytes in the UTF-8 sequence starting at `i` (valid input assumed; clamped at the end).
  static size_t SequenceLength(std::string_view utf8, size_t i) {
    const auto lead = static_cast<unsigned char>(utf8[i]);
    const size_t length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    return std::min(length, utf8.size() - i);
  }

  std::map<std::string, char> bytes_;  // UTF-8 of a code point -> its byte
};

struct ReferenceRule {
  uint32_t rule_index;
  std::vector<std::regex> includes;
  std::vector<std::regex> excludes;
};

struct Reference {
  CodePointFolder folder;
  std::vector<ReferenceRule> rules;
  std::vector<std::string> skipped;  // "rule 'id': pattern '...': why", one per rule left out
};

// Compiles every rule whose patterns std::regex (ECMAScript) accepts. A rule with one pattern it
// rejects is left out entirely: comparing only some of its patterns would report false misses.
Reference BuildReference(const matchers::RuleSet& rules) {
  Reference reference;
  for (uint32_t index = 0; index < rules.rules.size(); ++index) {
    const matchers::Rule& rule = rules.rules[index];
    ReferenceRule compiled;
    compiled.rule_index = index;
    std::string failure;
    auto compile = [&](const matchers::Pattern& pattern, std::vector<std::regex>& out) {
      if (!failure.empty()) return;
      if (!reference.folder.Learn(pattern.expression)) {
        failure = "pattern '" + pattern.expression + "': non-ASCII range or too many code points";
        return;
      }
      std::regex::flag_type flags = std::regex::ECMAScript;
      if (!pattern.case_sensitive) flags |= std::regex::icase;
      try {
        out.emplace_back(reference.folder.Fold(pattern.expression), flags);
      } catch (const std::regex_error& error) {
        failure = "pattern '" + pattern.expression + "': " + error.what();
      }
    };
    for (const matchers::Pattern& pattern : rule.patterns) compile(pattern, compiled.includes);
    for (const matchers::Pattern& pattern : rule.excludes) compile(pattern, compiled.excludes);
    if (!failure.empty()) {
      reference.skipped.push_back("rule '" + rule.id + "': " + failure);
      continue;
    }
    reference.rules.push_back(std::move(compiled));
  }
  return reference;
}

// Rule indexes, ascending, that match `folded` by the Scanner's definition: some include pattern
// matches and no exclude pattern does.
std::vector<uint32_t> ReferenceMatch(const Reference& reference, const std::string& folded) {
  std::vector<uint32_t> matched;
  auto any = [&](const std::vector<std::regex>& patterns) {
    return std::any_of(patterns.begin(), patterns.end(), [&](const std::regex& pattern) {
      return std::regex_search(folded, pattern);
    });
  };
  for (const ReferenceRule& rule : reference.rules) {
    if (any(rule.includes) && !any(rule.excludes)) matched.push_back(rule.rule_index);
  }
  return matched;
}

struct ShippedRules {
  std::shared_ptr<const matchers::Database> database;
  std::string error;                            // set: benchmarks that need the rules skip
  std::vector<std::vector<uint32_t>> matched;   // Hyperscan's answer for each corpus post
  size_t reference_texts = 0;
  size_t reference_rules = 0;
  size_t reference_matches = 0;  // (text, rule) pairs both engines reported
};

std::string Join(const std::vector<matchers::Diagnostic>& diagnostics) {
  std::string joined;
  for (const matchers::Diagnostic& diagnostic : diagnostics) joined += diagnostic.ToString() + "; ";
  return joined;
}

// Compares Hyperscan with the reference on the sample; returns a description of the first
// disagreement (all of them go to stderr), or empty when they agree.
std::string CheckAgainstReference(ShippedRules& shipped, const std::vector<std::string>& texts) {
  const matchers::RuleSet& rules = shipped.database->rules();
  const Reference reference = BuildReference(rules);
  shipped.reference_rules = reference.rules.size();
  for (const std::string& skipped : reference.skipped) {
    std::fprintf(stderr, "reference: std::regex cannot express %s; not compared\n", skipped.c_str());
  }
  std::vector<bool> compared(rules.rules.size(), false);
  for (const ReferenceRule& rule : reference.rules) compared[rule.rule_index] = true;

  core::Result<matchers::Scanner> scanner = matchers::Scanner::Create(shipped.database);
  if (!scanner) return "Scanner::Create: " + scanner.error().ToString();
  std::vector<uint32_t> hyperscan;
  std::string first;
  size_t disagreements = 0;
  for (const std::string& text : texts) {
    // The fold models Hyperscan's '.' (any code point but \n); ECMAScript's '.' also stops at \r.
    if (!core::IsValidUtf8(text) || text.find('\r') != std::string::npos) continue;
    if (core::Status status = scanner->Scan(text, hyperscan); !status.ok()) {
      return "Scan: " + status.ToString();
    }
    std::erase_if(hyperscan, [&](uint32_t rule) { return !compared[rule]; });
    const std::vector<uint32_t> expected = ReferenceMatch(reference, reference.folder.Fold(text));
    ++shipped.reference_texts;
    shipped.reference_matches += expected.size();
    if (hyperscan == expected) continue;
    // Report each rule the engines disagree on, with the side that matched it.
    for (uint32_t index = 0; index < rules.rules.size(); ++index) {
      const bool by_hyperscan = std::binary_search(hyperscan.begin(), hyperscan.end(), index);
      const bool by_reference = std::binary_search(expected.begin(), expected.end(), index);
      if (by_hyperscan == by_reference) continue;
      const std::string what = "rule '" + rules.rules[index].id + "' matched only by " +
                               (by_hyperscan ? "Hyperscan" : "std::regex") + " in: " + text;
      if (first.empty()) first = what;
      if (++disagreements <= kMaxReportedDisagreements) {
        std::fprintf(stderr, "reference: %s\n", what.c_str());
      }
    }
  }
  if (disagreements > 0) {
    return std::to_string(disagreements) + " disagreement(s) with std::regex; first: " + first;
  }
  std::fprintf(stderr,
               "reference: Hyperscan agrees with std::regex on %zu texts x %zu rules "
               "(%zu matches)\n",
               shipped.reference_texts, shipped.reference_rules, shipped.reference_matches);
  return "";
}

const ShippedRules& SharedShippedRules() {
  static const ShippedRules shipped = [] {
    ShippedRules built;
    const std::filesystem::path source_dir = EARSHOT_SOURCE_DIR;
    // What `earshot triage --rules rules/ --rules examples/brands.yaml` loads (the loader skips
    // rules/testdata).
    matchers::LoadOutcome loaded =
        matchers::LoadRules({source_dir / "rules", source_dir / "examples" / "brands.yaml"});
    if (!loaded.ok()) {
      built.error = "LoadRules: " + Join(loaded.diagnostics);
      return built;
    }
    std::vector<matchers::Diagnostic> diagnostics;
    // No cache: the benchmarks must measure what the rules compile to now.
    core::Result<std::shared_ptr<const matchers::Database>> database =
        matchers::Database::Build(std::move(loaded.rules), matchers::BuildOptions{}, diagnostics);
    if (!database) {
      built.error = "Database::Build: " + database.error().ToString() + " " + Join(diagnostics);
      return built;
    }
    built.database = std::move(*database);

    const Corpus& corpus = SharedCorpus();
    std::vector<std::string> sample;
    for (size_t i = 0; i < std::min(kReferenceSample, corpus.posts.size()); ++i) {
      sample.push_back(corpus.posts[i].text);
    }
    for (std::string_view probe : kUtf8Probes) sample.emplace_back(probe);
    // The rule authors' own examples exercise each rule's edges (excludes especially).
    for (const matchers::Rule& rule : built.database->rules().rules) {
      for (const matchers::Example& example : rule.match_examples) sample.push_back(example.text);
      for (const matchers::Example& example : rule.no_match_examples) sample.push_back(example.text);
    }
    built.error = CheckAgainstReference(built, sample);
    if (!built.error.empty()) return built;

    core::Result<matchers::Scanner> scanner = matchers::Scanner::Create(built.database);
    if (!scanner) {
      built.error = "Scanner::Create: " + scanner.error().ToString();
      return built;
    }
    built.matched.resize(corpus.posts.size());
    for (size_t i = 0; i < corpus.posts.size(); ++i) {
      if (core::Status status = scanner->Scan(corpus.posts[i].text, built.matched[i]); !status.ok()) {
        built.error = "Scan: " + status.ToString();
        return built;
      }
    }
    return built;
  }();
  return shipped;
}

// ---------------------------------------------------------------------------------------------

void BM_ParsePost(benchmark::State& state) {
  const Corpus& corpus = SharedCorpus();
  core::PostParser parser;
  for (size_t i = 0; i < corpus.lines.size(); ++i) {
    core::Result<core::Post> post = parser.Parse(corpus.lines[i]);
    if (!post || *post != corpus.posts[i]) {
      const std::string why = post ? "parsed post differs from the generated one"
                                   : post.error().ToString();
      state.SkipWithError(("line " + std::to_string(i + 1) + ": " + why).c_str());
      return;
    }
  }
  for (auto _ : state) {
    for (const std::string& line : corpus.lines) {
      core::Result<core::Post> post = parser.Parse(line);
      benchmark::DoNotOptimize(post);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * corpus.lines.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * corpus.line_bytes));
}
BENCHMARK(BM_ParsePost);

void BM_ScanShippedRules(benchmark::State& state) {
  const Corpus& corpus = SharedCorpus();
  const ShippedRules& shipped = SharedShippedRules();
  if (!shipped.error.empty()) {
    state.SkipWithError(shipped.error.c_str());
    return;
  }
  core::Result<matchers::Scanner> scanner = matchers::Scanner::Create(shipped.database);
  if (!scanner) {
    state.SkipWithError(scanner.error().ToString().c_str());
    return;
  }
  std::vector<uint32_t> matched;
  for (auto _ : state) {
    for (const core::Post& post : corpus.posts) {
      if (core::Status status = scanner->Scan(post.text, matched); !status.ok()) {
        state.SkipWithError(status.ToString().c_str());
        break;
      }
      benchmark::DoNotOptimize(matched.data());
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * corpus.posts.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * corpus.text_bytes));
  state.counters["rules"] = static_cast<double>(shipped.database->rules().rules.size());
  state.counters["patterns"] = static_cast<double>(shipped.database->patterns().size());
  state.counters["db_bytes"] = static_cast<double>(shipped.database->size_bytes());
  state.counters["ref_texts"] = static_cast<double>(shipped.reference_texts);
  state.counters["ref_rules"] = static_cast<double>(shipped.reference_rules);
}
BENCHMARK(BM_ScanShippedRules);

// Checks what a TriageResult promises about itself; returns why not, or empty.
std::string CheckScore(const triage::TriageResult& result, std::span<const uint32_t> matched,
                       const matchers::RuleSet& rules) {
  if (result.rules.size() != matched.size()) return "not every matched rule is listed";
  const bool has_complaint = std::any_of(matched.begin(), matched.end(), [&](uint32_t rule) {
    return rules.rules[rule].kind == matchers::RuleKind::kComplaint;
  });
  if (has_complaint == result.categories.empty()) return "categories do not follow the complaint rules";
  if (result.urgency < 0 || result.urgency > triage::Scorer::kMaxUrgency) return "urgency out of range";
  if (result.from_brand_account || !has_complaint) {
    if (result.urgency != 0 || result.severity != core::Severity::kNone) return "non-complaint scored";
    return "";
  }
  double sum = 0;
  for (const triage::ScoreTerm& term : result.terms) sum += term.points;
  if (std::abs(std::clamp(sum, 0.0, triage::Scorer::kMaxUrgency) - result.urgency) > 1e-9) {
    return "terms do not add up to the urgency";
  }
  if (result.severity != triage::Scorer::SeverityForUrgency(result.urgency)) {
    return "severity does not follow urgency";
  }
  return "";
}

void BM_Score(benchmark::State& state) {
  const Corpus& corpus = SharedCorpus();
  const ShippedRules& shipped = SharedShippedRules();
  if (!shipped.error.empty()) {
    state.SkipWithError(shipped.error.c_str());
    return;
  }
  const triage::Scorer scorer(shipped.database->rules());
  const triage::AuthorHistory history;
  size_t complaints = 0;
  for (size_t i = 0; i < corpus.posts.size(); ++i) {
    const triage::TriageResult result = scorer.Score(corpus.posts[i], shipped.matched[i], history);
    if (std::string why = CheckScore(result, shipped.matched[i], shipped.database->rules());
        !why.empty()) {
      state.SkipWithError(("post " + std::to_string(i + 1) + ": " + why).c_str());
      return;
    }
    if (result.severity != core::Severity::kNone) ++complaints;
  }
  for (auto _ : state) {
    for (size_t i = 0; i < corpus.posts.size(); ++i) {
      triage::TriageResult result = scorer.Score(corpus.posts[i], shipped.matched[i], history);
      benchmark::DoNotOptimize(result);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * corpus.posts.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * corpus.text_bytes));
  state.counters["complaint_share"] =
      static_cast<double>(complaints) / static_cast<double>(corpus.posts.size());
}
BENCHMARK(BM_Score);

// `count` complaint rules of one literal-ish pattern each, in three shapes an operator writes:
// `\bw1 w2\b`, `\bw1 (w2|w3)\b`, `\bw1 ?w2s?\b`. `probes` gets a text each rule must match.
matchers::RuleSet SyntheticRules(size_t count, std::vector<std::string>& probes) {
  static constexpr std::string_view kSyllables[] = {"ka", "lo", "mi", "ren", "tus", "vor", "pel",
                                                    "dax", "quin", "sor", "bel", "fu", "gri",
                                                    "hod", "jem", "nax", "zu", "wim"};
  std::mt19937_64 engine(7);
  auto word = [&] {
    std::string made;
    const uint64_t syllables = 2 + engine() % 3;
    for (uint64_t i = 0; i < syllables; ++i) made += kSyllables[engine() % std::size(kSyllables)];
    return made;
  };
  matchers::RuleSet rules;
  const std::vector<matchers::Category>& categories = rules.taxonomy.categories;
  for (size_t i = 0; i < count; ++i) {
    const std::string first = word();
    const std::string second = word();
    matchers::Pattern pattern;
    switch (i % 3) {
      case 0: pattern.expression = "\\b" + first + " " + second + "\\b"; break;
      case 1: pattern.expression = "\\b" + first + " (" + second + "|" + word() + ")\\b"; break;
      default: pattern.expression = "\\b" + first + " ?" + second + "s?\\b"; break;
    }
    matchers::Rule rule;
    rule.kind = matchers::RuleKind::kComplaint;
    rule.id = "synthetic.r" + std::to_string(i);
    rule.category = categories[i % categories.size()].id;
    rule.patterns.push_back(std::move(pattern));
    rules.rules.push_back(std::move(rule));
    probes.push_back("so about the " + first + " " + second + " thing, again");
  }
  return rules;
}

void BM_CompileRules(benchmark::State& state) {
  const auto count = static_cast<size_t>(state.range(0));
  std::vector<std::string> probes;
  const matchers::RuleSet rules = SyntheticRules(count, probes);
  size_t pattern_bytes = 0;
  for (const matchers::Rule& rule : rules.rules) pattern_bytes += rule.patterns[0].expression.size();

  {
    std::vector<matchers::Diagnostic> diagnostics;
    auto database = matchers::Database::Build(rules, matchers::BuildOptions{}, diagnostics);
    if (!database) {
      state.SkipWithError(("Database::Build: " + database.error().ToString()).c_str());
      return;
    }
    core::Result<matchers::Scanner> scanner = matchers::Scanner::Create(*database);
    if (!scanner) {
      state.SkipWithError(scanner.error().ToString().c_str());
      return;
    }
    std::vector<uint32_t> matched;
    // A spread of 50 rules: scanning all 1,000 probes would add nothing but set-up time.
    for (size_t i = 0; i < count; i += std::max<size_t>(1, count / 50)) {
      if (!scanner->Scan(probes[i], matched).ok() ||
          !std::binary_search(matched.begin(), matched.end(), static_cast<uint32_t>(i))) {
        state.SkipWithError(("rule " + std::to_string(i) + " misses its probe: " + probes[i]).c_str());
        return;
      }
    }
  }

  size_t database_bytes = 0;
  for (auto _ : state) {
    // Build consumes its RuleSet; copying it is not part of compiling.
    state.PauseTiming();
    matchers::RuleSet copy = rules;
    std::vector<matchers::Diagnostic> diagnostics;
    state.ResumeTiming();
    auto database = matchers::Database::Build(std::move(copy), matchers::BuildOptions{}, diagnostics);
    if (!database) {
      state.SkipWithError(database.error().ToString().c_str());
      break;
    }
    database_bytes = (*database)->size_bytes();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * count));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * pattern_bytes));
  state.counters["db_bytes"] = static_cast<double>(database_bytes);
}
BENCHMARK(BM_CompileRules)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);

// `count` complaint rules as an operator with a large rule file writes them, from a fixed
// vocabulary of complaint words (all of which occur in the corpus): even rules are a literal
// phrase `\bw1 w2\b`, odd rules a small alternation `\b(w1|w2) (w3|w4)\b`. Deterministic: the
// draws are std::mt19937_64 with a plain modulo. Some phrases repeat at 10,000 rules (the
// vocabulary has 24 x 24 pairs); the rules stay distinct by id, as duplicates in real files would.
matchers::RuleSet ScanRules(size_t count) {
  static constexpr std::string_view kFirst[] = {
      "charged", "billed",  "app",     "wifi",    "internet", "parcel", "package", "flight",
      "train",   "phone",   "battery", "refund",  "service",  "order",  "luggage", "engineer",
      "account", "card",    "box",     "tracking", "router",  "update", "hold",    "customer"};
  static constexpr std::string_view kSecond[] = {
      "twice",    "down",  "crashing", "never",   "still",  "was",     "delayed", "arrived",
      "late",     "lost",  "damaged",  "waiting", "stopped", "drains", "keeps",   "is",
      "says",     "for",   "service",  "again",   "out",    "caught",  "me",      "the"};
  std::mt19937_64 engine(2026);
  auto first = [&] { return std::string(kFirst[engine() % std::size(kFirst)]); };
  auto second = [&] { return std::string(kSecond[engine() % std::size(kSecond)]); };
  matchers::RuleSet rules;
  const std::vector<matchers::Category>& categories = rules.taxonomy.categories;
  for (size_t i = 0; i < count; ++i) {
    matchers::Pattern pattern;
    if (i % 2 == 0) {
      pattern.expression = "\\b" + first() + " " + second() + "\\b";
    } else {
      const std::string a = first(), b = first(), c = second(), d = second();
      pattern.expression = "\\b(" + a + "|" + b + ") (" + c + "|" + d + ")\\b";
    }
    matchers::Rule rule;
    rule.kind = matchers::RuleKind::kComplaint;
    rule.id = "synthetic.scan" + std::to_string(i);
    rule.category = categories[i % categories.size()].id;
    rule.patterns.push_back(std::move(pattern));
    rules.rules.push_back(std::move(rule));
  }
  return rules;
}

// Corpus texts compared with std::regex before timing BM_ScanSyntheticRules.
constexpr size_t kSyntheticReferenceSample = 200;

struct SyntheticScan {
  ShippedRules checked;  // the same checked-database record the shipped rules use
  double compile_ms = 0;
};

// Builds and checks the database for `count` rules once per process: Google Benchmark calls a
// benchmark function more than once (to size the iterations), and 10,000 rules take seconds to
// compile and far longer to check with std::regex.
const SyntheticScan& SharedSyntheticScan(size_t count) {
  static std::map<size_t, SyntheticScan> built;
  if (auto found = built.find(count); found != built.end()) return found->second;
  SyntheticScan& synthetic = built[count];
  std::vector<matchers::Diagnostic> diagnostics;
  const auto started = std::chrono::steady_clock::now();
  auto database = matchers::Database::Build(ScanRules(count), matchers::BuildOptions{}, diagnostics);
  synthetic.compile_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  if (!database) {
    synthetic.checked.error = "Database::Build: " + database.error().ToString() + " " + Join(diagnostics);
    return synthetic;
  }
  synthetic.checked.database = std::move(*database);
  const Corpus& corpus = SharedCorpus();
  std::vector<std::string> sample;
  for (size_t i = 0; i < std::min(kSyntheticReferenceSample, corpus.posts.size()); ++i) {
    sample.push_back(corpus.posts[i].text);
  }
  synthetic.checked.error = CheckAgainstReference(synthetic.checked, sample);
  return synthetic;
}

void BM_ScanSyntheticRules(benchmark::State& state) {
  const Corpus& corpus = SharedCorpus();
  const SyntheticScan& shared = SharedSyntheticScan(static_cast<size_t>(state.range(0)));
  const ShippedRules& synthetic = shared.checked;
  const double compile_ms = shared.compile_ms;
  if (!synthetic.error.empty()) {
    state.SkipWithError(synthetic.error.c_str());
    return;
  }
  core::Result<matchers::Scanner> scanner = matchers::Scanner::Create(synthetic.database);
  if (!scanner) {
    state.SkipWithError(scanner.error().ToString().c_str());
    return;
  }
  std::vector<uint32_t> matched;
  size_t matches = 0;
  for (auto _ : state) {
    matches = 0;
    for (const core::Post& post : corpus.posts) {
      if (core::Status status = scanner->Scan(post.text, matched); !status.ok()) {
        state.SkipWithError(status.ToString().c_str());
        break;
      }
      matches += matched.size();
      benchmark::DoNotOptimize(matched.data());
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * corpus.posts.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * corpus.text_bytes));
  state.counters["compile_ms"] = compile_ms;
  state.counters["db_bytes"] = static_cast<double>(synthetic.database->size_bytes());
  state.counters["matches_per_post"] =
      static_cast<double>(matches) / static_cast<double>(corpus.posts.size());
  state.counters["ref_texts"] = static_cast<double>(synthetic.reference_texts);
  state.counters["ref_matches"] = static_cast<double>(synthetic.reference_matches);
}
BENCHMARK(BM_ScanSyntheticRules)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

// Discards results: the benchmark measures the pipeline, not an output format or a disk.
class NullSink : public triage::TriageSink {
 public:
  void OnResult(const core::Post&, const triage::TriageResult& result, std::string_view json) override {
    benchmark::DoNotOptimize(result.urgency);
    benchmark::DoNotOptimize(json.data());
  }
  void OnBadLine(uint64_t, std::string_view, bool) override { ++bad_lines_; }
  uint64_t bad_lines() const { return bad_lines_; }

 private:
  uint64_t bad_lines_ = 0;
};

// Compares each result, in delivery order, with the serial computation for the same input line.
class CheckingSink : public triage::TriageSink {
 public:
  CheckingSink(const Corpus& corpus, const ShippedRules& shipped)
      : corpus_(corpus), shipped_(shipped), scorer_(shipped.database->rules()) {}

  void OnResult(const core::Post& post, const triage::TriageResult& result, std::string_view json) override {
    if (!mismatch_.empty()) return;
    const size_t index = next_++;
    if (index >= corpus_.posts.size() || post != corpus_.posts[index]) {
      mismatch_ = "result " + std::to_string(index + 1) + " is not for input line " +
                  std::to_string(index + 1);
      return;
    }
    const triage::TriageResult expected =
        scorer_.Score(corpus_.posts[index], shipped_.matched[index], triage::AuthorHistory{});
    if (result.rules != expected.rules || result.urgency != expected.urgency ||
        result.severity != expected.severity || json.empty()) {
      mismatch_ = "line " + std::to_string(index + 1) + ": pipeline result differs from serial";
    }
  }
  void OnBadLine(uint64_t line_number, std::string_view reason, bool) override {
    if (mismatch_.empty()) mismatch_ = "line " + std::to_string(line_number) + ": " + std::string(reason);
  }
  // Empty when every line arrived, in order, with the serial result.
  std::string Verdict() const {
    if (!mismatch_.empty()) return mismatch_;
    if (next_ != corpus_.posts.size()) return std::to_string(next_) + " results for " +
                                              std::to_string(corpus_.posts.size()) + " lines";
    return "";
  }

 private:
  const Corpus& corpus_;
  const ShippedRules& shipped_;
  const triage::Scorer scorer_;
  size_t next_ = 0;
  std::string mismatch_;
};

void BM_TriageStream(benchmark::State& state) {
  // Caps the arena TriageStream runs in (it uses the caller's), for this benchmark only.
  const tbb::global_control threads(tbb::global_control::max_allowed_parallelism,
                                    static_cast<size_t>(state.range(0)));
  const Corpus& corpus = SharedCorpus();
  const ShippedRules& shipped = SharedShippedRules();
  if (!shipped.error.empty()) {
    state.SkipWithError(shipped.error.c_str());
    return;
  }
  // An in-memory FILE: the pipeline reads through stdio as from a file, without a disk in the way.
  std::string input = corpus.jsonl;
  File file(fmemopen(input.data(), input.size(), "r"));
  if (!file) {
    state.SkipWithError("fmemopen failed");
    return;
  }
  {
    CheckingSink checking(corpus, shipped);
    core::Result<triage::BatchStats> stats =
        triage::TriageStream(file.get(), shipped.database, triage::BatchOptions{}, checking);
    std::string verdict = stats ? checking.Verdict() : stats.error().ToString();
    if (!verdict.empty()) {
      state.SkipWithError(verdict.c_str());
      return;
    }
  }
  for (auto _ : state) {
    std::rewind(file.get());
    NullSink sink;
    core::Result<triage::BatchStats> stats =
        triage::TriageStream(file.get(), shipped.database, triage::BatchOptions{}, sink);
    if (!stats || stats->posts != corpus.posts.size()) {
      state.SkipWithError(stats ? "not every post was triaged" : stats.error().ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * corpus.posts.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * input.size()));
}
// Real time: the work runs on TBB threads, so the main thread's CPU time would flatter it.
BENCHMARK(BM_TriageStream)->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace earshot::bench

BENCHMARK_MAIN();
