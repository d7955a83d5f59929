// earshot_corpus_gen: writes a deterministic synthetic Post JSONL corpus to stdout (bench/corpus.h).
//
//   earshot_corpus_gen --posts N [--seed S] [--duplicate-share 0.05] > posts.jsonl
//   earshot_corpus_gen --posts N --rate R [--warmup W] | earshot run ...   (bench/latency.sh)
//
// The same arguments always give the same bytes, so figures measured on one corpus can be
// reproduced elsewhere from the command line alone. With --rate the posts are written at R per
// second (every millisecond, the posts due by then) and each one's created_at is the wall-clock
// time it was due to be written, so the reader's "age at commit" is the time from entering its input to
// being committed; only created_at differs from the unpaced corpus.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench/corpus.h"
#include "core/time.h"

namespace {

constexpr const char* kUsage =
    "usage: earshot_corpus_gen --posts N [--seed S] [--duplicate-share F] > posts.jsonl\n"
    "  --posts N            number of JSONL lines to write (required)\n"
    "  --seed S             std::mt19937_64 seed (default 1)\n"
    "  --duplicate-share F  share of exact re-polled duplicates, 0..1 (default 0.05)\n"
    "  --rate R             write R posts per second, each stamped with the time it is due\n"
    "  --warmup N           with --rate: the first N posts carry no created_at (default 0)\n";

bool ParseUnsigned(std::string_view text, uint64_t& value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
}

bool ParseShare(const std::string& text, double& value) {
  char* end = nullptr;
  value = std::strtod(text.c_str(), &end);
  return !text.empty() && *end == '\0' && value >= 0 && value <= 1;
}

bool WriteAll(const std::string& chunk) {
  if (std::fwrite(chunk.data(), 1, chunk.size(), stdout) != chunk.size() || std::fflush(stdout) != 0) {
    std::perror("earshot_corpus_gen: write");
    return false;
  }
  return true;
}

// Offered load: every millisecond, the posts due by then in one write. Each post is stamped with
// the time it was due (start + i / rate), not the time it was written: a reader that falls behind
// fills the pipe and blocks this writer, and the posts held up behind it must count that wait (a
// stamp taken after the block would hide it: "coordinated omission"). The achieved rate goes to
// stderr.
//
// The first `warmup` posts carry no created_at, so a reader that counts latency from created_at
// skips them: they keep the pipe flowing while the reader starts up (loads its rules, opens its
// store), which is start-up time, not the steady-state latency being measured.
int WritePaced(earshot::bench::CorpusGenerator& generator, uint64_t posts, uint64_t rate, uint64_t warmup) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  const int64_t start_ms = earshot::core::NowMillis();
  std::string chunk;
  uint64_t written = 0;
  // Per write, in ms: how late this writer started it (its own scheduling: not the reader's
  // fault) and how long the write blocked (a full pipe: the reader's).
  std::vector<double> late_ms;
  std::vector<double> blocked_ms;
  while (written < posts) {
    const Clock::time_point woke = Clock::now();
    late_ms.push_back(std::chrono::duration<double, std::milli>(
                          woke - (start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                                              static_cast<double>(written) / static_cast<double>(rate)))))
                          .count());
    const std::chrono::duration<double> elapsed = woke - start;
    const uint64_t due = std::min<uint64_t>(posts, static_cast<uint64_t>(elapsed.count() * static_cast<double>(rate)) + 1);
    chunk.clear();
    for (; written < due; ++written) {
      earshot::core::Post post = generator.Next();
      post.created_at = written < warmup ? std::string() : earshot::core::FormatRfc3339Millis(
          start_ms + static_cast<int64_t>(static_cast<double>(written) * 1000.0 / static_cast<double>(rate)));
      earshot::bench::CorpusGenerator::AppendJsonLine(chunk, post);
      chunk.push_back('\n');
    }
    const Clock::time_point write_start = Clock::now();
    if (!WriteAll(chunk)) return 1;
    blocked_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - write_start).count());
    std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                                              static_cast<double>(written) / static_cast<double>(rate))));
  }
  const std::chrono::duration<double> took = Clock::now() - start;
  auto p99 = [](std::vector<double>& values) {
    std::sort(values.begin(), values.end());
    return values.empty() ? 0.0 : values[std::min(values.size() - 1, values.size() * 99 / 100)];
  };
  const double late_max = late_ms.empty() ? 0.0 : *std::max_element(late_ms.begin(), late_ms.end());
  const double blocked_max = blocked_ms.empty() ? 0.0 : *std::max_element(blocked_ms.begin(), blocked_ms.end());
  std::fprintf(stderr,
               "earshot_corpus_gen: wrote %llu posts in %.3f s (%.0f/s offered at %llu/s); writer late p99 %.1f ms, "
               "max %.1f ms; blocked in write p99 %.1f ms, max %.1f ms\n",
               static_cast<unsigned long long>(posts), took.count(), static_cast<double>(posts) / took.count(),
               static_cast<unsigned long long>(rate), p99(late_ms), late_max, p99(blocked_ms), blocked_max);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  uint64_t posts = 0;
  uint64_t rate = 0;
  uint64_t warmup = 0;
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
    } else if (flag == "--warmup") {
      ok = ParseUnsigned(value, warmup);
    } else if (flag == "--rate") {
      ok = ParseUnsigned(value, rate) && rate > 0;
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
  if (rate > 0) return WritePaced(generator, posts, rate, warmup);
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
