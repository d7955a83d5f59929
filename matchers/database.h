// Database: every pattern of a RuleSet compiled into one Hyperscan block-mode database.
//
// Immutable after Build and shared read-only by all scanning threads (the one sanctioned
// shared_ptr<const Database>, hot-swapped on rule reload so scans in flight finish on the old
// rules). Each thread scans through its own Scanner (scanner.h), whose scratch is cloned from the
// prototype held here.
//
// Hyperscan ids are dense indexes into patterns() — never rule ids — and each PatternRef maps one
// back to its rule and to the pattern's place in the rule file. Flags per pattern: HS_FLAG_UTF8
// (a '.' is a code point; the input must be valid UTF-8, which core guarantees),
// HS_FLAG_CASELESS unless the pattern is case-sensitive, and HS_FLAG_SINGLEMATCH (triage needs to
// know whether a pattern matched, not how often). HS_FLAG_UCP is not used because Hyperscan rejects
// `\b` under it, and `\b` is what rule authors reach for first; so case folding is ASCII-only.
//
// Compiling 10k patterns takes seconds, so with a cache directory the serialized database is
// stored under a key hashed from everything that affects compilation (Hyperscan version, target
// platform, every expression, its flags and order); a later Build with the same rules loads it
// instead of compiling. A cache file that fails to load is ignored and rewritten.
#ifndef EARSHOT_MATCHERS_DATABASE_H_
#define EARSHOT_MATCHERS_DATABASE_H_

#include <hs/hs.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "matchers/internal/hs_handles.h"
#include "matchers/rule_set.h"

namespace earshot::matchers {

struct PatternRef {
  uint32_t rule_index;     // into RuleSet::rules
  uint32_t pattern_index;  // into the rule's patterns or excludes
  bool exclude;            // true: from `exclude`, so a match vetoes the rule
  unsigned int hs_flags;   // the flags it was compiled with
};

struct BuildOptions {
  // Where compiled databases are cached; empty disables the cache.
  std::filesystem::path cache_dir;
};

class Database {
 public:
  // Compiles `rules`. On a pattern Hyperscan rejects, every rejected pattern is reported in
  // `diagnostics` (Hyperscan's own message at the pattern's file:line:column, with the rule id)
  // and the Result is InvalidArgument. Cache read/write problems are not errors: they are
  // reported in `diagnostics`-free form through cache_note().
  static core::Result<std::shared_ptr<const Database>> Build(RuleSet rules,
                                                             const BuildOptions& options,
                                                             std::vector<Diagnostic>& diagnostics);

  const RuleSet& rules() const { return rules_; }
  const std::vector<PatternRef>& patterns() const { return patterns_; }
  const hs_database_t* hs_database() const { return database_.get(); }
  const hs_scratch_t* prototype_scratch() const { return scratch_.get(); }

  // True when this database was deserialized from the cache rather than compiled.
  bool loaded_from_cache() const { return loaded_from_cache_; }
  // Hex key of this rule set in the cache (also the cache file's stem).
  const std::string& cache_key() const { return cache_key_; }
  // Empty, or why the cache could not be used or written (for a log line; never fatal).
  const std::string& cache_note() const { return cache_note_; }
  // Size of the compiled database in bytes (hs_database_size).
  size_t size_bytes() const;

  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

 private:
  // Passkey: only Build can construct, yet std::make_shared can call the public constructor.
  struct PrivateTag {
    explicit PrivateTag() = default;
  };

 public:
  explicit Database(PrivateTag) {}

 private:

  RuleSet rules_;
  std::vector<PatternRef> patterns_;
  internal::HsDatabase database_;
  internal::HsScratch scratch_;  // prototype; Scanners clone it
  bool loaded_from_cache_ = false;
  std::string cache_key_;
  std::string cache_note_;
};

}  // namespace earshot::matchers

#endif  // EARSHOT_MATCHERS_DATABASE_H_
