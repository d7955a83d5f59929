// Scanner: matches one text against a Database using this thread's own Hyperscan scratch.
//
// Thread safety: a Scanner is NOT thread-safe (its scratch is single-use at a time); keep one per
// thread, e.g. in tbb::enumerable_thread_specific. Many Scanners may share one Database. The
// Database must outlive its Scanners (they hold a shared_ptr to it).
#ifndef EARSHOT_MATCHERS_SCANNER_H_
#define EARSHOT_MATCHERS_SCANNER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "matchers/database.h"
#include "matchers/internal/hs_handles.h"

namespace earshot::matchers {

class Scanner {
 public:
  // Clones the database's prototype scratch. Fails only on allocation failure.
  static core::Result<Scanner> Create(std::shared_ptr<const Database> database);

  // Scans `text` (must be valid UTF-8) and replaces `matched_rules` with the indexes, ascending,
  // of the rules that matched: at least one include pattern matched and no exclude pattern did.
  // Reuses `matched_rules`' capacity and internal buffers: no allocation in steady state.
  core::Status Scan(std::string_view text, std::vector<uint32_t>& matched_rules);

  const Database& database() const { return *database_; }

  Scanner(Scanner&&) noexcept = default;
  Scanner& operator=(Scanner&&) noexcept = default;

 private:
  Scanner(std::shared_ptr<const Database> database, internal::HsScratch scratch);

  std::shared_ptr<const Database> database_;
  internal::HsScratch scratch_;
  std::vector<uint8_t> include_hit_;  // per rule, reset after each scan
  std::vector<uint8_t> exclude_hit_;
  std::vector<uint32_t> touched_;     // rules hit in this scan, to reset only those
};

// Where one pattern of a rule matched, for `earshot explain`.
struct MatchSpan {
  uint32_t pattern_index;
  bool exclude;
  std::optional<size_t> begin;  // byte offset; empty when Hyperscan cannot track the start
  size_t end;                   // byte offset one past the match
};

// Finds the leftmost-longest-ish span of every pattern of rule `rule_index` that matches `text`,
// by compiling each pattern alone with HS_FLAG_SOM_LEFTMOST (falling back to end offsets where
// Hyperscan cannot track the start). Slow by design: for explaining, not for the scan path.
core::Result<std::vector<MatchSpan>> FindMatchSpans(const Database& database, uint32_t rule_index,
                                                    std::string_view text);

}  // namespace earshot::matchers

#endif  // EARSHOT_MATCHERS_SCANNER_H_
