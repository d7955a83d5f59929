// Loading rule files: YAML in, a validated RuleSet out, or every problem with its file:line:column.
//
// Accepts files and folders (folders are walked recursively for *.yaml and *.yml, sorted by path so
// the load order, and thus the compiled database, is deterministic). While walking, subfolders
// named `testdata` (golden files of deliberately broken rules, e.g. rules/testdata/bad/) and
// dot-folders are skipped; a path given explicitly is always read. A file reached twice is loaded
// once. A file may hold any of the top-level keys `brands`, `complaints`, `signals`, `taxonomy`.
// Checked here, before Hyperscan sees anything: YAML syntax, unknown keys (at every level, so a
// typo like `exclud:` is caught), wrong types, missing id/patterns, ids that do not match
// [a-z0-9_.-]+, duplicate ids across all files, unknown categories and signals, empty patterns.
// Pattern syntax is checked when compiling (Database::Build), which maps Hyperscan's errors back
// to these locations.
//
// Thread safety: pure function of the file contents.
#ifndef EARSHOT_MATCHERS_RULE_LOADER_H_
#define EARSHOT_MATCHERS_RULE_LOADER_H_

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "matchers/rule_set.h"

namespace earshot::matchers {

struct LoadOutcome {
  RuleSet rules;                        // whatever loaded; only trust it if diagnostics is empty
  std::vector<Diagnostic> diagnostics;  // empty means success
  bool ok() const { return diagnostics.empty(); }
};

// Loads every rule file under `paths`. A path that does not exist is a diagnostic.
LoadOutcome LoadRules(const std::vector<std::filesystem::path>& paths);

// The rule files one path stands for, as LoadRules reads them: the path itself when it is not a
// folder, else every *.yaml/*.yml below it (skipping `testdata` and dot-folders), sorted by path so
// the load order — and so the compiled database and its cache key — does not depend on directory
// order. `problem` is set ("no such file or directory", "cannot list directory: …") when the path
// cannot be read whole; the files listed before the failure are still returned.
std::vector<std::filesystem::path> ListRuleFiles(const std::filesystem::path& path, std::string& problem);

// Loads rules from YAML text as if it were the file `file_name` (for tests, fuzzing and stdin).
// Appends to `outcome`, so several texts can be combined; call FinishLoading after the last one
// to run the cross-file checks (duplicate ids, unknown categories after all taxonomies are read).
// Never throws: YAML errors become diagnostics. A file with a YAML syntax error contributes no
// rules.
void LoadRulesFromText(std::string_view yaml, std::string_view file_name, LoadOutcome& outcome);
// Call once, after the last LoadRulesFromText. Also orders all diagnostics by file (load order),
// line and column, so they read like a compiler's.
void FinishLoading(LoadOutcome& outcome);

// Diagnostic texts (Diagnostic::ToString), for tools and tests that match on them:
//   rules/a.yaml:3:15: rule 'x.y': unknown category 'biling' (known: safety, ...)
//   rules/a.yaml:4:5: rule 'netgear': unknown key 'exclud' (expected one of: id, name, ...)
//   rules/a.yaml:2:5: rule 'acme': duplicate id 'acme' (first defined at rules/b.yaml:2:5)
//   rules/a.yaml:5:5: YAML syntax error: end of sequence flow not found
//   rules/missing.yaml: no such file or directory

}  // namespace earshot::matchers

#endif  // EARSHOT_MATCHERS_RULE_LOADER_H_
