// earshot_corpus_gen: writes a deterministic synthetic Post JSONL corpus to stdout (bench/corpus.h).
//
//   earshot_corpus_gen --posts N [--seed S] [--duplicate-share 0.05] > posts.jsonl
//
// The same arguments always give the same bytes, so figures measured on one corpus can be
// reproduced elsewhere from the command line alone.
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "bench/corpus.h"

namespace {

constexpr const char* kUsage =
    "usage: earshot_corpus_gen --posts N [--seed S] [--duplicate-share F] > posts.jsonl\n"
    "  --posts N            number of JSONL lines to write (required)\n"
    "  --seed S             std::mt19937_64 seed (default 1)\n"
    "  --duplicate-share F  share of exact re-polled duplicates, 0..1 (default 0.05)\n";

bool ParseUnsigned(std::string_view text, uint64_t& value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
}

bool ParseShare(const std::string& text, double& value) {
  char* end = nullptr;
  value = std::strtod(text.c_str(), &end);
  return !text.empty() && *end == '\0' && value >= 0 && value <= 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  uint64_t posts = 0;
  bool have_posts = false;
  earshot::bench::CorpusOptions options;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& flag = args[i];
    if (flag == "-h" || flag == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (i + 1 >= args.size()) {
      std::fprintf(stderr, "earshot_corpus_gen: %s needs a value\n%s", flag.c_str(), kUsage);
      return 2;
    }
    const std::string& value = args[++i];
    bool ok = false;
    if (flag == "--posts") {
      ok = have_posts = ParseUnsigned(value, posts);
    } else if (flag == "--seed") {
      ok = ParseUnsigned(value, options.seed);
    } else if (flag == "--duplicate-share") {
      ok = ParseShare(value, options.duplicate_share);
    } else {
      std::fprintf(stderr, "earshot_corpus_gen: unknown option %s\n%s", flag.c_str(), kUsage);
      return 2;
    }
    if (!ok) {
      std::fprintf(stderr, "earshot_corpus_gen: bad value '%s' for %s\n%s", value.c_str(),
                   flag.c_str(), kUsage);
      return 2;
    }
  }
  if (!have_posts) {
    std::fputs(kUsage, stderr);
    return 2;
  }

  earshot::bench::CorpusGenerator generator(options);
  std::string chunk;
  for (uint64_t i = 0; i < posts; ++i) {
    earshot::bench::CorpusGenerator::AppendJsonLine(chunk, generator.Next());
    chunk.push_back('\n');
    // Write in ~1 MiB pieces: one fwrite per line would dominate the run time.
    if (chunk.size() >= (1u << 20) || i + 1 == posts) {
      if (std::fwrite(chunk.data(), 1, chunk.size(), stdout) != chunk.size()) {
        std::perror("earshot_corpus_gen: write");
        return 1;
      }
      chunk.clear();
    }
  }
  if (std::fflush(stdout) != 0) {
    std::perror("earshot_corpus_gen: write");
    return 1;
  }
  return 0;
}
