#include "matchers/database.h"

#include <algorithm>
#include <string>
#include <utility>

#include "core/utf8.h"
#include "matchers/internal/database_cache.h"

namespace earshot::matchers {
namespace {

using internal::FromHsError;

// Hyperscan's multi-compile reports one bad expression per attempt; every further attempt costs a
// whole compile, so stop somewhere sensible on a file full of errors.
constexpr int kMaxCompileAttempts = 100;

const Pattern& PatternOf(const RuleSet& rules, const PatternRef& ref) {
  const Rule& rule = rules.rules[ref.rule_index];
  return ref.exclude ? rule.excludes[ref.pattern_index] : rule.patterns[ref.pattern_index];
}

unsigned int FlagsFor(const Pattern& pattern) {
  return HS_FLAG_UTF8 | HS_FLAG_SINGLEMATCH | (pattern.case_sensitive ? 0u : HS_FLAG_CASELESS);
}

// What Hyperscan cannot be asked to check: a NUL would silently cut the C string short, and
// examples are scanned in UTF-8 mode where invalid input is undefined behaviour. The loader checks
// these too, but a RuleSet may also be built in code.
void CheckBeforeCompiling(const RuleSet& rules, std::vector<Diagnostic>& diagnostics) {
  for (const Rule& rule : rules.rules) {
    for (const auto* patterns : {&rule.patterns, &rule.excludes}) {
      for (const Pattern& pattern : *patterns) {
        if (pattern.expression.find('\0') != std::string::npos) {
          diagnostics.push_back(Diagnostic{pattern.where, rule.id,
                                           "pattern contains a NUL byte (write \\x00 instead)"});
        }
      }
    }
    for (const auto* examples : {&rule.match_examples, &rule.no_match_examples}) {
      for (const Example& example : *examples) {
        if (!core::IsValidUtf8(example.text)) {
          diagnostics.push_back(Diagnostic{example.where, rule.id, "example is not valid UTF-8"});
        }
      }
    }
  }
}

struct Rejection {
  size_t pattern;  // index into patterns
  std::string message;
};

// Compiles every pattern into one block-mode database whose ids are indexes into `patterns`.
// Rejected patterns are all reported (at their own location, with Hyperscan's message) rather than
// only the first, which is all a single hs_compile_multi call reveals.
core::Result<internal::HsDatabase> CompileAll(const RuleSet& rules,
                                              const std::vector<PatternRef>& patterns,
                                              std::vector<Diagnostic>& diagnostics) {
  std::vector<Rejection> rejections;
  std::vector<bool> rejected(patterns.size(), false);

  // Pass 1: hs_expression_info parses without building anything, so it finds every syntax error
  // in one cheap sweep. It cannot find the rest (e.g. "matches empty buffer"): pass 2 does.
  for (size_t i = 0; i < patterns.size(); ++i) {
    hs_expr_info_t* raw_info = nullptr;
    hs_compile_error_t* raw_error = nullptr;
    const hs_error_t error = hs_expression_info(PatternOf(rules, patterns[i]).expression.c_str(),
                                                patterns[i].hs_flags, &raw_info, &raw_error);
    const internal::HsExprInfo info(raw_info);
    const internal::HsCompileError compile_error(raw_error);
    if (error == HS_SUCCESS) continue;
    rejections.push_back(Rejection{i, compile_error
                                          ? compile_error->message
                                          : FromHsError(error, "hs_expression_info").message()});
    rejected[i] = true;
  }

  // Pass 2: compile what is left; drop each pattern the compiler rejects and try again.
  internal::HsDatabase database;
  std::string whole_set_error;  // a failure no single pattern is to blame for
  bool gave_up = true;
  for (int attempt = 0; attempt < kMaxCompileAttempts; ++attempt) {
    std::vector<const char*> expressions;
    std::vector<unsigned int> flags;
    std::vector<unsigned int> ids;
    for (size_t i = 0; i < patterns.size(); ++i) {
      if (rejected[i]) continue;
      expressions.push_back(PatternOf(rules, patterns[i]).expression.c_str());
      flags.push_back(patterns[i].hs_flags);
      ids.push_back(static_cast<unsigned int>(i));
    }
    if (expressions.empty()) {
      gave_up = false;
      break;
    }

    hs_database_t* raw_database = nullptr;
    hs_compile_error_t* raw_error = nullptr;
    const hs_error_t error = hs_compile_multi(expressions.data(), flags.data(), ids.data(),
                                              static_cast<unsigned int>(expressions.size()),
                                              HS_MODE_BLOCK, nullptr, &raw_database, &raw_error);
    internal::HsDatabase candidate(raw_database);
    const internal::HsCompileError compile_error(raw_error);
    if (error == HS_SUCCESS) {
      database = std::move(candidate);
      gave_up = false;
      break;
    }
    if (!compile_error) return FromHsError(error, "hs_compile_multi");
    if (compile_error->expression < 0 ||
        static_cast<size_t>(compile_error->expression) >= ids.size()) {
      // Not one pattern's fault (e.g. the whole set is too large): nothing to point at.
      whole_set_error = compile_error->message;
      gave_up = false;
      break;
    }
    const size_t bad = ids[static_cast<size_t>(compile_error->expression)];
    rejections.push_back(Rejection{bad, compile_error->message});
    rejected[bad] = true;
  }

  if (!rejections.empty() || !whole_set_error.empty() || gave_up) {
    std::sort(rejections.begin(), rejections.end(),
              [](const Rejection& a, const Rejection& b) { return a.pattern < b.pattern; });
    for (const Rejection& rejection : rejections) {
      const PatternRef& ref = patterns[rejection.pattern];
      const Pattern& pattern = PatternOf(rules, ref);
      diagnostics.push_back(Diagnostic{
          pattern.where, rules.rules[ref.rule_index].id,
          "pattern '" + pattern.expression + "' rejected by Hyperscan: " + rejection.message});
    }
    if (gave_up) {
      Diagnostic diagnostic;  // no location: it is about the whole set
      diagnostic.message = "stopped after " + std::to_string(kMaxCompileAttempts) +
                           " compile attempts; fix these and check again";
      diagnostics.push_back(std::move(diagnostic));
    }
    if (!whole_set_error.empty()) {
      Diagnostic diagnostic;
      diagnostic.message = "Hyperscan cannot compile the rule set: " + whole_set_error;
      diagnostics.push_back(std::move(diagnostic));
      return core::Status::InvalidArgument("hs_compile_multi: " + whole_set_error);
    }
    return core::Status::InvalidArgument(std::to_string(rejections.size()) +
                                         " pattern(s) rejected by Hyperscan");
  }
  return database;
}

}  // namespace

core::Result<std::shared_ptr<const Database>> Database::Build(
    RuleSet rules, const BuildOptions& options, std::vector<Diagnostic>& diagnostics) {
  // Without SSSE3 every Hyperscan call fails; say so once, clearly, instead of per pattern.
  if (const hs_error_t error = hs_valid_platform(); error != HS_SUCCESS) {
    return FromHsError(error, "hs_valid_platform");
  }
  auto database = std::make_shared<Database>(PrivateTag{});
  database->rules_ = std::move(rules);
  const RuleSet& set = database->rules_;

  const size_t diagnostics_before = diagnostics.size();
  CheckBeforeCompiling(set, diagnostics);
  if (diagnostics.size() > diagnostics_before) {
    return core::Status::InvalidArgument(std::to_string(diagnostics.size() - diagnostics_before) +
                                         " problem(s) in the rule set");
  }

  // Hyperscan ids are dense indexes into patterns_ (rule by rule, includes then excludes), so a
  // match maps to its rule with one array lookup.
  for (uint32_t r = 0; r < set.rules.size(); ++r) {
    const Rule& rule = set.rules[r];
    for (uint32_t p = 0; p < rule.patterns.size(); ++p) {
      database->patterns_.push_back(PatternRef{r, p, false, FlagsFor(rule.patterns[p])});
    }
    for (uint32_t p = 0; p < rule.excludes.size(); ++p) {
      database->patterns_.push_back(PatternRef{r, p, true, FlagsFor(rule.excludes[p])});
    }
  }
  // Hyperscan cannot compile zero patterns; an empty database simply matches nothing.
  if (database->patterns_.empty()) return std::shared_ptr<const Database>(std::move(database));

  std::filesystem::path cache_path;
  if (!options.cache_dir.empty()) {
    std::vector<internal::CacheInput> inputs;
    inputs.reserve(database->patterns_.size());
    for (const PatternRef& ref : database->patterns_) {
      inputs.push_back(internal::CacheInput{PatternOf(set, ref).expression, ref.hs_flags});
    }
    database->cache_key_ = internal::ComputeCacheKey(inputs);
    cache_path = internal::CachePath(options.cache_dir, database->cache_key_);
    core::Result<internal::HsDatabase> cached =
        internal::LoadCachedDatabase(cache_path, database->cache_key_);
    if (cached.has_value()) {
      database->database_ = std::move(*cached);
      database->loaded_from_cache_ = true;
    } else if (!cached.error().IsNotFound()) {
      database->cache_note_ = cached.error().message() + "; recompiled";
    }
  }

  if (!database->database_) {
    core::Result<internal::HsDatabase> compiled = CompileAll(set, database->patterns_, diagnostics);
    if (!compiled.has_value()) return std::move(compiled).error();
    database->database_ = std::move(*compiled);
  }

  hs_scratch_t* raw_scratch = nullptr;
  const hs_error_t error = hs_alloc_scratch(database->database_.get(), &raw_scratch);
  database->scratch_.reset(raw_scratch);
  if (error != HS_SUCCESS) return FromHsError(error, "hs_alloc_scratch");

  if (!cache_path.empty() && !database->loaded_from_cache_) {
    core::Status stored =
        internal::StoreCachedDatabase(*database->database_, cache_path, database->cache_key_);
    if (!stored.ok()) {
      if (!database->cache_note_.empty()) database->cache_note_.append("; ");
      database->cache_note_.append(stored.message());
    }
  }
  return std::shared_ptr<const Database>(std::move(database));
}

size_t Database::size_bytes() const {
  size_t size = 0;
  if (database_ && hs_database_size(database_.get(), &size) != HS_SUCCESS) return 0;
  return size;
}

}  // namespace earshot::matchers
