#include "matchers/rule_loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <tuple>
#include <unordered_map>

#include "core/yaml_documents.h"
#include "matchers/internal/rule_file_reader.h"

namespace earshot::matchers {
namespace {

namespace fs = std::filesystem;

void Report(LoadOutcome& outcome, std::string file, std::string message) {
  outcome.diagnostics.push_back(
      Diagnostic{SourceLocation{std::move(file), 0, 0}, "", std::move(message)});
}

bool IsRuleFile(const fs::path& path) {
  const std::string extension = path.extension().string();
  return extension == ".yaml" || extension == ".yml";
}

// Below a folder being walked, `testdata` folders hold deliberately broken files for tests (as in
// the Go toolchain, which ignores them too) and dot-folders are tool state (.git): neither is
// rules. Naming such a folder explicitly still loads it.
bool IsSkippedDirectory(const fs::path& path) {
  const std::string name = path.filename().string();
  return name == "testdata" || (!name.empty() && name[0] == '.');
}

std::vector<fs::path> ExpandPath(const fs::path& path, LoadOutcome& outcome) {
  std::string problem;
  std::vector<fs::path> files = ListRuleFiles(path, problem);
  if (!problem.empty()) Report(outcome, path.string(), std::move(problem));
  return files;
}

}  // namespace

std::vector<fs::path> ListRuleFiles(const fs::path& path, std::string& problem) {
  problem.clear();
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (error || !fs::exists(status)) {
    const bool missing = !error || error == std::errc::no_such_file_or_directory;
    problem = missing ? "no such file or directory" : error.message();
    return {};
  }
  if (!fs::is_directory(status)) return {path};

  std::vector<fs::path> files;
  fs::recursive_directory_iterator it(path, error);
  for (; !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
    std::error_code type_error;
    if (it->is_directory(type_error)) {
      if (IsSkippedDirectory(it->path())) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(type_error) && IsRuleFile(it->path())) files.push_back(it->path());
  }
  if (error) problem = "cannot list directory: " + error.message();
  std::sort(files.begin(), files.end());
  return files;
}

namespace {

void LoadFile(const fs::path& path, LoadOutcome& outcome) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    Report(outcome, path.string(), std::string("cannot open file: ") + std::strerror(errno));
    return;
  }
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) {
    Report(outcome, path.string(), std::string("cannot read file: ") + std::strerror(errno));
    return;
  }
  LoadRulesFromText(text, path.string(), outcome);
}

std::string KnownIds(const auto& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out.append(", ");
    out.append(item.id);
  }
  return out;
}

}  // namespace

LoadOutcome LoadRules(const std::vector<std::filesystem::path>& paths) {
  LoadOutcome outcome;
  // A file named twice (directly and through its folder) would otherwise clash with itself.
  std::set<fs::path> loaded;
  for (const fs::path& path : paths) {
    for (const fs::path& file : ExpandPath(path, outcome)) {
      std::error_code error;
      fs::path canonical = fs::weakly_canonical(file, error);
      if (error) canonical = file;
      if (!loaded.insert(canonical).second) continue;
      LoadFile(file, outcome);
    }
  }
  FinishLoading(outcome);
  return outcome;
}

void LoadRulesFromText(std::string_view yaml, std::string_view file_name, LoadOutcome& outcome) {
  const std::string file(file_name);
  const size_t first_diagnostic = outcome.diagnostics.size();
  outcome.rules.files.push_back(file);
  // yaml-cpp reports everything by exception; none may leave this boundary.
  try {
    const std::string text(yaml);
    const YAML::Node root = YAML::Load(text);  // the first document; throws on a syntax error
    if (std::optional<YAML::Mark> second = core::FindSecondYamlDocument(text)) {
      outcome.diagnostics.push_back(Diagnostic{internal::LocationOf(*second, file), "",
                                               "only one YAML document per file is allowed"});
    }
    internal::RuleFileReader(file, outcome).ReadDocument(root);
  } catch (const YAML::Exception& e) {
    outcome.diagnostics.push_back(
        Diagnostic{internal::LocationOf(e.mark, file), "", "YAML syntax error: " + e.msg});
  } catch (const std::exception& e) {
    outcome.diagnostics.push_back(
        Diagnostic{SourceLocation{file, 0, 0}, "", std::string("cannot load rules: ") + e.what()});
  }
  // Diagnostics were produced in checking order (e.g. a rule's id before its other keys); list
  // them in file order, which is how a rule author reads and fixes them.
  std::stable_sort(outcome.diagnostics.begin() + static_cast<std::ptrdiff_t>(first_diagnostic),
                   outcome.diagnostics.end(), [](const Diagnostic& a, const Diagnostic& b) {
                     return std::tie(a.where.line, a.where.column) <
                            std::tie(b.where.line, b.where.column);
                   });
}

void FinishLoading(LoadOutcome& outcome) {
  const Taxonomy& taxonomy = outcome.rules.taxonomy;
  std::unordered_map<std::string_view, const Rule*> first_by_id;
  for (const Rule& rule : outcome.rules.rules) {
    auto [it, inserted] = first_by_id.emplace(rule.id, &rule);
    if (!inserted) {
      outcome.diagnostics.push_back(Diagnostic{rule.where, rule.id,
                                               "duplicate id '" + rule.id + "' (first defined at " +
                                                   it->second->where.ToString() + ")"});
    }
    if (rule.kind == RuleKind::kComplaint && !rule.category.empty() &&
        taxonomy.FindCategory(rule.category) == nullptr) {
      outcome.diagnostics.push_back(Diagnostic{rule.reference_where, rule.id,
                                               "unknown category '" + rule.category + "' (known: " +
                                                   KnownIds(taxonomy.categories) + ")"});
    }
    if (rule.kind == RuleKind::kSignal && !rule.signal.empty() &&
        taxonomy.FindSignal(rule.signal) == nullptr) {
      outcome.diagnostics.push_back(Diagnostic{
          rule.reference_where, rule.id,
          "unknown signal '" + rule.signal + "' (known: " + KnownIds(taxonomy.signals) + ")"});
    }
  }
  // The cross-file problems just found belong among each file's own: list everything by file (in
  // load order; problems with no loaded file, like a missing path, first), then line and column.
  std::unordered_map<std::string_view, int> file_rank;
  for (size_t i = 0; i < outcome.rules.files.size(); ++i) {
    file_rank.emplace(outcome.rules.files[i], static_cast<int>(i));
  }
  const auto rank = [&file_rank](const Diagnostic& diagnostic) {
    auto it = file_rank.find(diagnostic.where.file);
    return std::make_tuple(it == file_rank.end() ? -1 : it->second, diagnostic.where.line,
                           diagnostic.where.column);
  };
  std::stable_sort(outcome.diagnostics.begin(), outcome.diagnostics.end(),
                   [&rank](const Diagnostic& a, const Diagnostic& b) { return rank(a) < rank(b); });
}

}  // namespace earshot::matchers
