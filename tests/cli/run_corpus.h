// Test support for process-level tests: a small rule set and deterministic Post JSONL inputs.
#ifndef EARSHOT_TESTS_CLI_RUN_CORPUS_H_
#define EARSHOT_TESTS_CLI_RUN_CORPUS_H_

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>


#include "tests/cli/child_process.h"

namespace earshot::test_support {

// A small rule set: five complaint rules over four categories and two brands, one of which has
// an account of its own (its posts are never complaints).
inline constexpr char kComplaintRules[] = R"(complaints:
  - id: outage.down
    category: outage
    patterns: ['\b(is|went) down\b', '\bno (internet|signal)\b']
  - id: billing.twice
    category: billing
    patterns: ['\bcharged (me )?twice\b']
  - id: service_failure.no_callback
    category: service_failure
    patterns: ['\bno call\s?back\b', '\bon hold\b']
  - id: lost_or_damaged.parcel
    category: lost_or_damaged
    patterns: ['\blost my (parcel|bag)\b']
  - id: general_negative.awful
    category: general_negative
    patterns: ['\bawful\b']
signals:
  - id: signal.duration
    signal: duration
    patterns: ['\b\d+ (minutes|hours|days)\b']
)";

inline constexpr char kBrandRules[] = R"(brands:
  - id: acmenet
    patterns: ['\bacme ?net\b', '@acmenet\b']
    handles: ['@AcmeNetHelp']
  - id: skyway
    patterns: ['\bsky ?way\b', '@skywayair\b']
)";

// Each is a complaint under kComplaintRules.
inline constexpr const char* kComplaints[] = {
    "my internet is down again",        "no internet since monday, 3 days now",
    "they charged me twice this month", "been on hold for 45 minutes",
    "still no callback as promised",    "they lost my parcel",
    "awful service, never again",       "THE APP IS DOWN!!!",
};
// None is.
inline constexpr const char* kChatter[] = {
    "lovely weather today", "new phone, who dis",       "watching the game tonight",
    "coffee first",         "the sun came out at last",
};

inline constexpr int64_t kEpoch2025 = 1735689600;  // 2025-01-01T00:00:00Z

inline std::string Rfc3339(int64_t seconds) {
  const time_t time = static_cast<time_t>(seconds);
  tm parts;
  gmtime_r(&time, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

struct PostLine {
  std::string source = "tw";
  std::string id;
  std::string author;
  std::string author_id;  // omitted when empty
  std::string text;       // JSON-safe: no quotes, backslashes or control characters
  int64_t created_at = kEpoch2025;
};

inline std::string ToJson(const PostLine& post) {
  std::string line =
      "{\"source\":\"" + post.source + "\",\"id\":\"" + post.id + "\",\"author\":\"" + post.author + "\"";
  if (!post.author_id.empty()) line += ",\"author_id\":\"" + post.author_id + "\"";
  line += ",\"text\":\"" + post.text + "\",\"created_at\":\"" + Rfc3339(post.created_at) + "\"}\n";
  return line;
}

// One "tw" post by AUTHOR (no author_id) as a JSON line.
std::string Post(const std::string& id, const std::string& author, const std::string& text,
                 int64_t created_at) {
  return ToJson(
      {.source = "tw", .id = id, .author = author, .author_id = "", .text = text, .created_at = created_at});
}

struct CorpusSpec {
  int posts = 20000;
  int authors = 300;
  uint64_t seed = 1;
};

// A deterministic firehose: ~40% complaints (about a third naming @acmenet, some skyway, some
// both), authors who come back within and after the case window, replies from the brand's own
// account, re-polled duplicates (the same line again, a few lines later) and reposts ("RT @x:
// <text>" by someone else). created_at moves forward 0-119 s per post; a duplicate repeats the
// created_at of the line it copies.
inline std::string MakeCorpus(const CorpusSpec& spec) {
  std::mt19937_64 rng(spec.seed);
  auto pick = [&rng](uint64_t n) { return rng() % n; };
  std::vector<std::string> lines;
  lines.reserve(static_cast<size_t>(spec.posts));
  struct Filed {
    std::string author;
    std::string text;
  };
  std::vector<Filed> recent;  // the last complaints, for reposts
  int64_t now = kEpoch2025;
  for (int i = 0; i < spec.posts; ++i) {
    now += static_cast<int64_t>(pick(120));
    const uint64_t roll = pick(100);
    if (roll < 3 && !lines.empty()) {
      lines.push_back(lines[lines.size() - 1 - pick(std::min<size_t>(lines.size(), 50))]);
      continue;
    }
    const int author = static_cast<int>(pick(static_cast<uint64_t>(spec.authors)));
    PostLine post;
    post.source = author % 5 == 0 ? "masto" : "tw";
    post.id = post.source + "-" + std::to_string(i);
    post.author = "@u" + std::to_string(author) + (author % 5 == 0 ? "@example.social" : "");
    if (author % 2 == 0 && author % 5 != 0) post.author_id = "id" + std::to_string(author);
    post.created_at = now;
    if (roll < 7 && !recent.empty()) {
      const Filed& original = recent[recent.size() - 1 - pick(std::min<size_t>(recent.size(), 100))];
      post.text = "RT " + original.author + ": " + original.text;
    } else if (roll < 9) {
      post.author = "@AcmeNetHelp";
      post.author_id.clear();
      post.text = "so sorry your internet is down, please DM us @acmenet (" + std::to_string(i) + ")";
    } else if (roll < 49) {
      post.text = std::string(kComplaints[pick(std::size(kComplaints))]) + " (ref " + std::to_string(i) + ")";
      const uint64_t brand = pick(100);
      if (brand < 30) {
        post.text = "@acmenet " + post.text;
      } else if (brand < 40) {
        post.text += " skyway";
      } else if (brand < 45) {
        post.text = "@acmenet and skyway: " + post.text;
      }
      recent.push_back({post.author, post.text});
    } else {
      post.text = std::string(kChatter[pick(std::size(kChatter))]) + " " + std::to_string(i);
    }
    lines.push_back(ToJson(post));
  }
  std::string text;
  for (const std::string& line : lines) text += line;
  return text;
}

}  // namespace earshot::test_support

#endif  // EARSHOT_TESTS_CLI_RUN_CORPUS_H_
