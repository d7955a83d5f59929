// Test support for process-level tests: reading `earshot cases` output and comparing runs.
#ifndef EARSHOT_TESTS_CLI_CASE_VIEWS_H_
#define EARSHOT_TESTS_CLI_CASE_VIEWS_H_

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

struct CaseView {
  std::string id;
  std::string state;
  std::string brand;  // empty for null
  std::string author;
  uint64_t version = 0;
  uint64_t post_count = 0;
  std::vector<std::string> signals;
  std::vector<std::string> posts;  // "source/id" of each stored post
  bool has_lease_expiry = false;
  std::string canonical;  // the JSON line without its wall-clock fields opened_at and updated_at
};

// The line without `,"opened_at":"…","updated_at":"…"`: the only fields that depend on when a
// batch was committed rather than on what it held.
inline std::string WithoutWallClock(const std::string& line) {
  const size_t begin = line.find(",\"opened_at\":\"");
  const size_t updated = line.find(",\"updated_at\":\"", begin);
  if (begin == std::string::npos || updated == std::string::npos) return line;
  const size_t close = line.find('"', updated + 15);
  if (close == std::string::npos) return line;
  return line.substr(0, begin) + line.substr(close + 1);
}

inline std::vector<CaseView> ParseCases(const std::string& jsonl) {
  simdjson::dom::parser parser;
  std::vector<CaseView> cases;
  for (const std::string& line : Lines(jsonl)) {
    simdjson::dom::element doc;
    if (parser.parse(line).get(doc) != simdjson::SUCCESS) {
      ADD_FAILURE() << "not JSON: " << line;
      continue;
    }
    CaseView view;
    std::string_view text;
    bool ok = doc["case_id"].get(text) == simdjson::SUCCESS;
    view.id = text;
    ok = ok && doc["state"].get(text) == simdjson::SUCCESS;
    view.state = text;
    ok = ok && doc["author"].get(text) == simdjson::SUCCESS;
    view.author = text;
    if (doc["brand"].get(text) == simdjson::SUCCESS) view.brand = text;
    ok = ok && doc["version"].get(view.version) == simdjson::SUCCESS &&
         doc["post_count"].get(view.post_count) == simdjson::SUCCESS;
    simdjson::dom::array array;
    ok = ok && doc["signals"].get(array) == simdjson::SUCCESS;
    for (simdjson::dom::element signal : array) {
      if (signal.get(text) == simdjson::SUCCESS) view.signals.emplace_back(text);
    }
    ok = ok && doc["posts"].get(array) == simdjson::SUCCESS;
    for (simdjson::dom::element post : array) {
      std::string_view source, id;
      ok = ok && post["source"].get(source) == simdjson::SUCCESS && post["id"].get(id) == simdjson::SUCCESS;
      view.posts.push_back(std::string(source) + "/" + std::string(id));
    }
    view.has_lease_expiry = doc["lease_expires_at"].error() == simdjson::SUCCESS;
    view.canonical = WithoutWallClock(line);
    EXPECT_TRUE(ok) << "a case line lacks a field: " << line;
    cases.push_back(std::move(view));
  }
  return cases;
}

inline bool HasSignal(const CaseView& view, std::string_view signal) {
  return std::find(view.signals.begin(), view.signals.end(), signal) != view.signals.end();
}

inline std::set<std::string> Ids(const std::vector<CaseView>& cases) {
  std::set<std::string> ids;
  for (const CaseView& view : cases) ids.insert(view.id);
  return ids;
}

// Same cases, case by case, ignoring only opened_at/updated_at.
inline void ExpectSameCases(const std::vector<CaseView>& expected,
                            const std::vector<CaseView>& actual) {
  EXPECT_EQ(actual.size(), expected.size());
  std::map<std::string, const CaseView*> by_id;
  for (const CaseView& view : actual) {
    EXPECT_TRUE(by_id.emplace(view.id, &view).second) << "case listed twice: " << view.id;
  }
  int reported = 0;
  for (const CaseView& want : expected) {
    auto found = by_id.find(want.id);
    if (found == by_id.end()) {
      if (++reported <= 5) ADD_FAILURE() << "missing case " << want.canonical;
      continue;
    }
    if (found->second->canonical != want.canonical && ++reported <= 5) {
      ADD_FAILURE() << "case differs:\n  expected " << want.canonical << "\n  actual   "
                    << found->second->canonical;
    }
  }
  EXPECT_EQ(reported, 0) << "cases missing or different (first 5 shown)";
}

// A post is filed at most once per brand: the seen-set and the case builder never file it twice.
inline void ExpectEachPostInOneCasePerBrand(const std::vector<CaseView>& cases) {
  std::map<std::string, std::string> filed;  // brand \0 post → case
  int reported = 0;
  for (const CaseView& view : cases) {
    for (const std::string& post : view.posts) {
      auto [where, inserted] = filed.emplace(view.brand + '\0' + post, view.id);
      if (!inserted && ++reported <= 5) {
        ADD_FAILURE() << "post " << post << " (brand '" << view.brand << "') is in " << where->second
                      << " and " << view.id;
      }
    }
  }
}

// Each case of `partial` (a store stopped mid-run) is an earlier state of the same case in
// `complete`: same author and brand, no later version, and its posts are the first ones filed.
inline void ExpectEarlierStateOf(const std::vector<CaseView>& partial,
                                 const std::vector<CaseView>& complete) {
  std::map<std::string, const CaseView*> by_id;
  for (const CaseView& view : complete) by_id.emplace(view.id, &view);
  int reported = 0;
  for (const CaseView& early : partial) {
    auto found = by_id.find(early.id);
    const CaseView* late = found == by_id.end() ? nullptr : found->second;
    const bool ok = late != nullptr && late->author == early.author && late->brand == early.brand &&
                    late->version >= early.version && late->post_count >= early.post_count &&
                    (late->post_count > late->posts.size() ||
                     std::equal(early.posts.begin(), early.posts.end(), late->posts.begin()));
    if (!ok && ++reported <= 5) {
      ADD_FAILURE() << "not an earlier state of the finished case:\n  " << early.canonical << "\n  "
                    << (late != nullptr ? late->canonical : "(no such case)");
    }
  }
}

inline uint64_t TotalPostCount(const std::vector<CaseView>& cases) {
  uint64_t total = 0;
  for (const CaseView& view : cases) total += view.post_count;
  return total;
}

// "N what" from the summary line `earshot run` logs ("... 12 duplicates, 3 reposts ..."); -1 if absent.
inline int64_t SummaryCount(const std::string& err, const std::string& what) {
  std::smatch match;
  if (!std::regex_search(err, match, std::regex("run: .*?([0-9]+) " + what))) return -1;
  return std::stoll(match[1].str());
}

}  // namespace earshot::test_support

#endif  // EARSHOT_TESTS_CLI_CASE_VIEWS_H_
