// earshot_regex_baseline: the naive multi-pattern line filter a user would write with a regex
// library, as a baseline for bench/e2e.sh.
//
//   earshot_regex_baseline --engine pcre2|std --patterns FILE < posts.jsonl
//
// Reads lines from stdin and prints how many of them match at least one pattern of FILE (one
// pattern per line, blank lines ignored), case-insensitively, anywhere in the raw line: what
// `rg -c -i -f FILE` counts. It does not parse JSON. For each line it tries the patterns one after
// another until one matches, which is the loop a user writes around a regex library that has no
// multi-pattern database; no alternation, no prefilter.
//
//   pcre2: each pattern compiled with PCRE2_CASELESS | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF and
//          JIT-compiled (pcre2_jit_compile); one match data block reused for every match.
//          Without PCRE2_UCP, \b, \w and \d are ASCII, as in Hyperscan.
//   std:   std::regex with ECMAScript | icase | optimize; matches bytes, so `.` is one byte of a
//          multi-byte code point (Hyperscan, PCRE2 in UTF mode and ripgrep match code points).
//
// A pattern either engine rejects is named on stderr and the program exits 2 without counting, so
// a count is always over every pattern. Exit status 0 on success (even when no line matches).
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct Pcre2CodeFree {
  void operator()(pcre2_code* code) const { pcre2_code_free(code); }
};
struct Pcre2MatchDataFree {
  void operator()(pcre2_match_data* data) const { pcre2_match_data_free(data); }
};
using Pcre2Code = std::unique_ptr<pcre2_code, Pcre2CodeFree>;
using Pcre2MatchData = std::unique_ptr<pcre2_match_data, Pcre2MatchDataFree>;

std::string Pcre2Message(int code) {
  PCRE2_UCHAR buffer[256];
  const int length = pcre2_get_error_message(code, buffer, sizeof(buffer));
  return length < 0 ? "error " + std::to_string(code) : std::string(reinterpret_cast<char*>(buffer), length);
}

// Counts the lines of `in` for which `matches(line)` is true.
template <typename Matches>
long CountLines(std::istream& in, Matches&& matches) {
  long count = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (matches(std::string_view(line))) ++count;
  }
  return count;
}

int RunPcre2(const std::vector<std::string>& patterns) {
  std::vector<Pcre2Code> codes;
  for (const std::string& pattern : patterns) {
    int error = 0;
    PCRE2_SIZE offset = 0;
    Pcre2Code code(pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                 PCRE2_CASELESS | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &error, &offset,
                                 nullptr));
    if (!code) {
      std::cerr << "earshot_regex_baseline: pcre2 rejects '" << pattern << "' at offset " << offset << ": "
                << Pcre2Message(error) << "\n";
      return 2;
    }
    if (const int jit = pcre2_jit_compile(code.get(), PCRE2_JIT_COMPLETE); jit != 0) {
      std::cerr << "earshot_regex_baseline: pcre2_jit_compile failed for '" << pattern << "': " << Pcre2Message(jit)
                << "\n";
      return 2;
    }
    codes.push_back(std::move(code));
  }
  Pcre2MatchData data(pcre2_match_data_create(1, nullptr));
  if (!data) {
    std::cerr << "earshot_regex_baseline: pcre2_match_data_create failed\n";
    return 2;
  }
  int failure = 0;
  const long count = CountLines(std::cin, [&](std::string_view line) {
    for (const Pcre2Code& code : codes) {
      const int rc =
          pcre2_match(code.get(), reinterpret_cast<PCRE2_SPTR>(line.data()), line.size(), 0, 0, data.get(), nullptr);
      if (rc >= 0) return true;
      if (rc != PCRE2_ERROR_NOMATCH && failure == 0) failure = rc;  // e.g. a match limit: reported below
    }
    return false;
  });
  if (failure != 0) {
    std::cerr << "earshot_regex_baseline: pcre2_match failed on some line: " << Pcre2Message(failure) << "\n";
    return 2;
  }
  std::cout << count << "\n";
  return 0;
}

int RunStd(const std::vector<std::string>& patterns) {
  std::vector<std::regex> regexes;
  for (const std::string& pattern : patterns) {
    try {
      regexes.emplace_back(pattern, std::regex::ECMAScript | std::regex::icase | std::regex::optimize);
    } catch (const std::regex_error& error) {
      std::cerr << "earshot_regex_baseline: std::regex rejects '" << pattern << "': " << error.what() << "\n";
      return 2;
    }
  }
  const long count = CountLines(std::cin, [&](std::string_view line) {
    for (const std::regex& regex : regexes) {
      if (std::regex_search(line.begin(), line.end(), regex)) return true;
    }
    return false;
  });
  std::cout << count << "\n";
  return 0;
}

int Usage() {
  std::cerr << "usage: earshot_regex_baseline --engine pcre2|std --patterns FILE < lines\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string engine;
  std::string patterns_path;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (flag == "--engine") {
      engine = argv[i + 1];
    } else if (flag == "--patterns") {
      patterns_path = argv[i + 1];
    } else {
      return Usage();
    }
  }
  if (argc % 2 != 1 || patterns_path.empty() || (engine != "pcre2" && engine != "std")) return Usage();

  std::ifstream file(patterns_path);
  if (!file) {
    std::cerr << "earshot_regex_baseline: cannot read " << patterns_path << "\n";
    return 2;
  }
  std::vector<std::string> patterns;
  for (std::string line; std::getline(file, line);) {
    if (!line.empty()) patterns.push_back(line);
  }
  std::ios::sync_with_stdio(false);
  return engine == "pcre2" ? RunPcre2(patterns) : RunStd(patterns);
}
