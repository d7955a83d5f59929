#include "matchers/scanner.h"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

namespace earshot::matchers {
namespace {

using internal::FromHsError;

// What the match callback writes to. Everything is sized before the scan, so the callback neither
// allocates nor throws (an exception must never unwind through Hyperscan's C frames).
struct ScanContext {
  const PatternRef* patterns;
  uint8_t* include_hit;
  uint8_t* exclude_hit;
  uint32_t* touched;
  size_t touched_count;
};

int OnMatch(unsigned int id, unsigned long long /*from*/, unsigned long long /*to*/,
            unsigned int /*flags*/, void* context) noexcept {
  auto& scan = *static_cast<ScanContext*>(context);
  const PatternRef& ref = scan.patterns[id];
  const uint32_t rule = ref.rule_index;
  // Each rule enters `touched` once, on its first hit of either kind, so touched never holds
  // more than one entry per rule, which is its capacity.
  if (scan.include_hit[rule] == 0 && scan.exclude_hit[rule] == 0) {
    scan.touched[scan.touched_count++] = rule;
  }
  (ref.exclude ? scan.exclude_hit : scan.include_hit)[rule] = 1;
  return 0;  // keep scanning: an exclude may still come
}

// Hyperscan rejects a null data pointer even for zero bytes.
const char* DataOf(std::string_view text) { return text.data() != nullptr ? text.data() : ""; }

struct SpanContext {
  bool with_start;
  bool found = false;
  unsigned long long begin = 0;
  unsigned long long end = 0;
};

int OnSpan(unsigned int /*id*/, unsigned long long from, unsigned long long to,
           unsigned int /*flags*/, void* context) noexcept {
  auto& span = *static_cast<SpanContext*>(context);
  if (!span.found) {
    span = SpanContext{span.with_start, true, from, to};
  } else if (span.with_start) {
    // Leftmost start wins; for the same start, the longest match.
    if (from < span.begin || (from == span.begin && to > span.end)) {
      span.begin = from;
      span.end = to;
    }
  } else if (to < span.end) {
    span.end = to;
  }
  return 0;
}

// Compiles `expression` alone, with start-of-match tracking when Hyperscan can afford it.
core::Result<internal::HsDatabase> CompileForSpans(const std::string& expression,
                                                   unsigned int flags, bool& with_start) {
  const unsigned int base = flags & ~static_cast<unsigned int>(HS_FLAG_SINGLEMATCH);
  std::string last_message;
  for (bool som : {true, false}) {
    hs_database_t* raw_database = nullptr;
    hs_compile_error_t* raw_error = nullptr;
    const hs_error_t error =
        hs_compile(expression.c_str(), som ? base | HS_FLAG_SOM_LEFTMOST : base, HS_MODE_BLOCK,
                   nullptr, &raw_database, &raw_error);
    internal::HsDatabase database(raw_database);
    const internal::HsCompileError compile_error(raw_error);
    if (error == HS_SUCCESS) {
      with_start = som;
      return database;
    }
    // SOM fails on many bounded repeats ("Pattern is too large"); retry reporting ends only.
    last_message =
        compile_error ? compile_error->message : FromHsError(error, "hs_compile").message();
  }
  return core::Status::InvalidArgument("hs_compile '" + expression + "': " + last_message);
}

}  // namespace

Scanner::Scanner(std::shared_ptr<const Database> database, internal::HsScratch scratch)
    : database_(std::move(database)), scratch_(std::move(scratch)) {
  const size_t rule_count = database_->rules().rules.size();
  include_hit_.assign(rule_count, 0);
  exclude_hit_.assign(rule_count, 0);
  touched_.assign(rule_count, 0);
}

core::Result<Scanner> Scanner::Create(std::shared_ptr<const Database> database) {
  if (database == nullptr) return core::Status::InvalidArgument("Scanner::Create: null database");
  internal::HsScratch scratch;
  if (database->prototype_scratch() != nullptr) {
    hs_scratch_t* raw = nullptr;
    const hs_error_t error = hs_clone_scratch(database->prototype_scratch(), &raw);
    scratch.reset(raw);
    if (error != HS_SUCCESS) return FromHsError(error, "hs_clone_scratch");
  }
  return Scanner(std::move(database), std::move(scratch));
}

core::Status Scanner::Scan(std::string_view text, std::vector<uint32_t>& matched_rules) {
  matched_rules.clear();
  const hs_database_t* hs_database = database_->hs_database();
  if (hs_database == nullptr) return core::Status::Ok();  // no patterns: nothing can match
  if (text.size() > std::numeric_limits<unsigned int>::max()) {
    return core::Status::InvalidArgument("Scanner::Scan: text longer than 4 GiB");
  }
  ScanContext context{database_->patterns().data(), include_hit_.data(), exclude_hit_.data(),
                      touched_.data(), 0};
  const hs_error_t error =
      hs_scan(hs_database, DataOf(text), static_cast<unsigned int>(text.size()), 0, scratch_.get(),
              OnMatch, &context);
  for (size_t i = 0; i < context.touched_count; ++i) {
    const uint32_t rule = touched_[i];
    if (error == HS_SUCCESS && include_hit_[rule] != 0 && exclude_hit_[rule] == 0) {
      matched_rules.push_back(rule);
    }
    // Reset only what this scan touched: cost follows the matches, not the rule count.
    include_hit_[rule] = 0;
    exclude_hit_[rule] = 0;
  }
  if (error != HS_SUCCESS) return FromHsError(error, "hs_scan");
  std::sort(matched_rules.begin(), matched_rules.end());
  return core::Status::Ok();
}

core::Result<std::vector<MatchSpan>> FindMatchSpans(const Database& database, uint32_t rule_index,
                                                    std::string_view text) {
  if (rule_index >= database.rules().rules.size()) {
    return core::Status::InvalidArgument("FindMatchSpans: no rule " + std::to_string(rule_index));
  }
  if (text.size() > std::numeric_limits<unsigned int>::max()) {
    return core::Status::InvalidArgument("FindMatchSpans: text longer than 4 GiB");
  }
  const Rule& rule = database.rules().rules[rule_index];
  std::vector<MatchSpan> spans;
  for (const PatternRef& ref : database.patterns()) {
    if (ref.rule_index != rule_index) continue;
    const Pattern& pattern =
        ref.exclude ? rule.excludes[ref.pattern_index] : rule.patterns[ref.pattern_index];
    bool with_start = false;
    core::Result<internal::HsDatabase> single =
        CompileForSpans(pattern.expression, ref.hs_flags, with_start);
    if (!single.has_value()) return std::move(single).error();

    hs_scratch_t* raw_scratch = nullptr;
    const hs_error_t alloc_error = hs_alloc_scratch(single->get(), &raw_scratch);
    const internal::HsScratch scratch(raw_scratch);
    if (alloc_error != HS_SUCCESS) return FromHsError(alloc_error, "hs_alloc_scratch");

    SpanContext context{with_start};
    const hs_error_t scan_error =
        hs_scan(single->get(), DataOf(text), static_cast<unsigned int>(text.size()), 0,
                scratch.get(), OnSpan, &context);
    if (scan_error != HS_SUCCESS) return FromHsError(scan_error, "hs_scan");
    if (!context.found) continue;
    MatchSpan span{ref.pattern_index, ref.exclude, std::nullopt, static_cast<size_t>(context.end)};
    if (with_start) span.begin = static_cast<size_t>(context.begin);
    spans.push_back(span);
  }
  return spans;
}

}  // namespace earshot::matchers
