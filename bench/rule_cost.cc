// earshot_rule_cost: which patterns make the scan slow.
//
//   earshot_rule_cost --rules PATH [--rules PATH...] --in posts.jsonl [--posts N] [--top K]
//
// Scans the texts of the first N posts (default 20,000) once with the whole compiled database
// (as triage does), then with each pattern compiled alone through the same Database::Build, and
// prints one JSON object: the whole database's ns per post, and the K costliest patterns (default
// 25) with their rule, file:line:column and ns per post alone. Hyperscan shares work between
// patterns, so the singles do not add up to the whole; a pattern that is expensive alone is still
// what to rewrite first (bench/README.md "Rule cost").
//
// It also times the whole set compiled with HS_FLAG_PREFILTER added to every pattern (Hyperscan
// may then loosen bounded repeats and other costly constructs, reporting a superset of the
// matches), with the number of prefilter matches per post: what a two-stage matcher (prefilter,
// then each hit confirmed by its exact pattern) would pay; and without HS_FLAG_UTF8 (not the rules'
// meaning: only what UTF-8 mode costs).
#include <hs/hs.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/post_json.h"
#include "matchers/database.h"
#include "matchers/rule_loader.h"
#include "matchers/scanner.h"

namespace {

using earshot::matchers::Database;
using earshot::matchers::RuleSet;

struct Options {
  std::vector<std::filesystem::path> rule_paths;
  std::string input;
  size_t posts = 20000;
  size_t top = 25;
};

struct PatternCost {
  const earshot::matchers::Rule* rule;
  const earshot::matchers::Pattern* pattern;
  bool exclude;
  double ns_per_post;
};

int Usage(const char* why) {
  std::fprintf(stderr,
               "earshot_rule_cost: %s\nusage: earshot_rule_cost --rules PATH [--rules PATH...] "
               "--in posts.jsonl [--posts N] [--top K]\n",
               why);
  return 2;
}

// Best of three passes of `scan` over every text, in ns per text: one pass is a few ms, so the
// minimum filters out the moments another process took the core. -1 if a scan fails.
template <typename ScanText>
double BestOfThree(const std::vector<std::string>& texts, ScanText scan) {
  double best = 1e300;
  for (int pass = 0; pass < 3; ++pass) {
    const auto start = std::chrono::steady_clock::now();
    for (const std::string& text : texts) {
      if (!scan(text)) return -1;
    }
    const std::chrono::duration<double, std::nano> took = std::chrono::steady_clock::now() - start;
    best = std::min(best, took.count() / static_cast<double>(texts.size()));
  }
  return best;
}

// Through a Scanner, as triage scans.
double TimeScans(const std::shared_ptr<const Database>& database, const std::vector<std::string>& texts) {
  auto scanner = earshot::matchers::Scanner::Create(database);
  if (!scanner) return -1;
  std::vector<uint32_t> matched;
  return BestOfThree(texts, [&](const std::string& text) { return scanner->Scan(text, matched).ok(); });
}

struct VariantTiming {
  double ns_per_post = -1;
  double matches_per_post = 0;
};

int CountMatch(unsigned int, unsigned long long, unsigned long long, unsigned int, void* context) noexcept {
  ++*static_cast<uint64_t*>(context);
  return 0;
}

// The whole database's patterns, each with its own flags changed by `set` and `unset`, compiled
// into one database and scanned directly (every match counted).
VariantTiming TimeVariant(const Database& database, const std::vector<std::string>& texts, unsigned int set,
                          unsigned int unset) {
  std::vector<const char*> expressions;
  std::vector<unsigned int> flags;
  std::vector<unsigned int> ids;
  for (const auto& ref : database.patterns()) {
    const auto& rule = database.rules().rules[ref.rule_index];
    const auto& pattern = (ref.exclude ? rule.excludes : rule.patterns)[ref.pattern_index];
    expressions.push_back(pattern.expression.c_str());
    flags.push_back((ref.hs_flags | set) & ~unset);
    ids.push_back(static_cast<unsigned int>(ids.size()));
  }
  hs_database_t* raw_database = nullptr;
  hs_compile_error_t* error = nullptr;
  if (hs_compile_multi(expressions.data(), flags.data(), ids.data(), static_cast<unsigned int>(ids.size()),
                       HS_MODE_BLOCK, nullptr, &raw_database, &error) != HS_SUCCESS) {
    std::fprintf(stderr, "earshot_rule_cost: variant compile: %s\n", error != nullptr ? error->message : "?");
    hs_free_compile_error(error);
    return {};
  }
  const earshot::matchers::internal::HsDatabase variant(raw_database);
  hs_scratch_t* raw_scratch = nullptr;
  if (hs_alloc_scratch(variant.get(), &raw_scratch) != HS_SUCCESS) return {};
  const earshot::matchers::internal::HsScratch scratch(raw_scratch);
  uint64_t matches = 0;
  VariantTiming timing;
  timing.ns_per_post = BestOfThree(texts, [&](const std::string& text) {
    return hs_scan(variant.get(), text.data(), static_cast<unsigned int>(text.size()), 0, scratch.get(), CountMatch,
                   &matches) == HS_SUCCESS;
  });
  // Three passes counted every match three times.
  timing.matches_per_post = static_cast<double>(matches) / 3.0 / static_cast<double>(texts.size());
  return timing;
}

std::shared_ptr<const Database> BuildOrReport(RuleSet rules, std::string_view what) {
  std::vector<earshot::matchers::Diagnostic> diagnostics;
  auto database = Database::Build(std::move(rules), {}, diagnostics);
  if (!database) {
    std::fprintf(stderr, "earshot_rule_cost: %.*s: %s\n", static_cast<int>(what.size()),
                 what.data(), database.error().message().c_str());
    for (const auto& d : diagnostics) std::fprintf(stderr, "  %s\n", d.ToString().c_str());
    return nullptr;
  }
  return *database;
}

void PrintJsonString(std::string_view text) {
  std::putchar('"');
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      std::putchar('\\');
      std::putchar(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      std::printf("\\u%04x", c);
    } else {
      std::putchar(c);
    }
  }
  std::putchar('"');
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) return Usage("every option takes a value");
    const char* value = argv[++i];
    if (arg == "--rules") {
      options.rule_paths.emplace_back(value);
    } else if (arg == "--in") {
      options.input = value;
    } else if (arg == "--posts") {
      options.posts = std::stoul(value);
    } else if (arg == "--top") {
      options.top = std::stoul(value);
    } else {
      return Usage("unknown option");
    }
  }
  if (options.rule_paths.empty() || options.input.empty()) return Usage("--rules and --in are required");

  auto loaded = earshot::matchers::LoadRules(options.rule_paths);
  if (!loaded.ok()) {
    for (const auto& d : loaded.diagnostics) std::fprintf(stderr, "%s\n", d.ToString().c_str());
    return 2;
  }

  std::ifstream in(options.input);
  if (!in) return Usage("cannot open --in");
  earshot::core::PostParser parser;
  std::vector<std::string> texts;
  std::string line;
  for (size_t number = 1; texts.size() < options.posts && std::getline(in, line); ++number) {
    auto post = parser.Parse(line);
    if (!post) {
      std::fprintf(stderr, "earshot_rule_cost: %s:%zu: %s\n", options.input.c_str(), number,
                   post.error().message().c_str());
      return 1;
    }
    texts.push_back(std::move(post->text));
  }
  if (texts.empty()) return Usage("no posts in --in");

  const auto whole = BuildOrReport(loaded.rules, "the whole rule set");
  if (whole == nullptr) return 1;
  const double whole_ns = TimeScans(whole, texts);
  const VariantTiming prefilter = TimeVariant(*whole, texts, HS_FLAG_PREFILTER, 0);
  // Not a valid mode for the rules (`.` and negated classes would match single bytes of a
  // multi-byte character): only what HS_FLAG_UTF8 costs, to know whether avoiding it is worth it.
  const VariantTiming bytes = TimeVariant(*whole, texts, 0, HS_FLAG_UTF8);

  // Each pattern alone, as an include of a copy of its rule with nothing else: the same flags and
  // compile path as the whole database.
  std::vector<PatternCost> costs;
  size_t pattern_count = 0;
  for (const auto& rule : loaded.rules.rules) {
    for (const bool exclude : {false, true}) {
      for (const auto& pattern : exclude ? rule.excludes : rule.patterns) {
        ++pattern_count;
        RuleSet single;
        single.taxonomy = loaded.rules.taxonomy;
        auto& copy = single.rules.emplace_back(rule);
        copy.patterns = {pattern};
        copy.excludes.clear();
        const auto database = BuildOrReport(std::move(single), pattern.where.ToString());
        if (database == nullptr) return 1;
        costs.push_back({&rule, &pattern, exclude, TimeScans(database, texts)});
      }
    }
  }
  std::sort(costs.begin(), costs.end(),
            [](const PatternCost& a, const PatternCost& b) { return a.ns_per_post > b.ns_per_post; });
  double singles_ns = 0;
  for (const auto& cost : costs) singles_ns += cost.ns_per_post;

  std::printf("{\"posts\":%zu,\"rules\":%zu,\"patterns\":%zu,\"whole_ns_per_post\":%.0f,"
              "\"sum_of_singles_ns_per_post\":%.0f,\"prefilter_ns_per_post\":%.0f,"
              "\"prefilter_matches_per_post\":%.2f,\"without_utf8_ns_per_post\":%.0f,\"costliest\":[",
              texts.size(), loaded.rules.rules.size(), pattern_count, whole_ns, singles_ns, prefilter.ns_per_post,
              prefilter.matches_per_post, bytes.ns_per_post);
  for (size_t i = 0; i < std::min(options.top, costs.size()); ++i) {
    const auto& cost = costs[i];
    std::printf("%s\n{\"ns_per_post\":%.0f,\"rule\":", i == 0 ? "" : ",", cost.ns_per_post);
    PrintJsonString(cost.rule->id);
    std::printf(",\"exclude\":%s,\"where\":", cost.exclude ? "true" : "false");
    PrintJsonString(cost.pattern->where.ToString());
    std::printf(",\"pattern\":");
    PrintJsonString(cost.pattern->expression);
    std::putchar('}');
  }
  std::printf("]}\n");
  return 0;
}
