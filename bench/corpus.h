// A deterministic generator of tweet-like Post JSON Lines for the benchmarks.
//
// The mix is chosen to look like a brand's mention stream rather than like the rules' examples:
// about 30% complaints built from phrase templates that the shipped rules in rules/ catch (fire,
// double charges, outages, lost parcels, hold times, cancellations, crashes, churn, ...), most of
// them naming one of the brands of examples/brands.yaml or an unknown brand; the rest neutral
// chatter, including near misses the rules must exclude ("hold my beer", "fire sale", "skyway
// bridge"); about 5% Spanish, German or Japanese; @handles, #hashtags, URLs and emoji (valid UTF-8)
// throughout; and a configurable share of exact re-polled duplicates (same source, id and text).
// Every phrase is hand-written here: no third-party text.
//
// Output is a pure function of (seed, duplicate share, position): it uses only std::mt19937_64,
// whose sequence the standard fixes, and its own integer and real draws (the std distributions are
// implementation-defined), so a corpus is byte-identical across machines and standard libraries.
//
// Thread safety: a CorpusGenerator is not thread-safe; use one per thread.
#ifndef EARSHOT_BENCH_CORPUS_H_
#define EARSHOT_BENCH_CORPUS_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/post.h"

namespace earshot::bench {

struct CorpusOptions {
  uint64_t seed = 1;
  double duplicate_share = 0.05;  // chance that a post repeats a recent one exactly
};

class CorpusGenerator {
 public:
  explicit CorpusGenerator(const CorpusOptions& options);

  // The next post of the stream; valid until the next call.
  const core::Post& Next();

  // Appends `post` as one JSON object without a newline, fields in the order source, id, author,
  // followers, text, created_at, url, lang (empty ones omitted). Written independently of
  // core::AppendPostJson on purpose: the parse benchmark checks PostParser against it.
  static void AppendJsonLine(std::string& out, const core::Post& post);

 private:
  uint64_t Below(uint64_t bound);  // uniform in [0, bound), bound > 0
  bool Chance(double probability);
  std::string_view Pick(std::span<const std::string_view> choices);

  std::string Expand(std::string_view phrase);  // fills {placeholders}
  std::string BrandMention();
  std::string UserName();
  std::string MakeText(std::string& lang);
  void FillMetadata(core::Post& post);

  CorpusOptions options_;
  std::mt19937_64 engine_;
  uint64_t serial_ = 0;          // posts made so far (not counting duplicates)
  int64_t clock_seconds_ = 0;    // since the corpus epoch
  std::deque<core::Post> recent_;  // what a re-poll can repeat
  core::Post current_;
};

// The first `count` lines of the corpus for `options`, without newlines.
std::vector<std::string> GenerateLines(size_t count, const CorpusOptions& options);

}  // namespace earshot::bench

#endif  // EARSHOT_BENCH_CORPUS_H_
