// RuleSet: the in-memory form of the rule files (DESIGN.md §3.3) and the taxonomy they refer to.
//
// Three kinds of rule share one shape: a brand rule says a post is about a brand, a complaint rule
// says it reports a problem of some category, and a signal rule says it carries an urgency modifier
// (duration, repetition, ...). Each has include `patterns`, optional `exclude` patterns (a post
// matching any exclude is not matched by the rule, e.g. "hold my beer" for a hold-time rule), and
// `examples` that `earshot rules test` checks against the compiled database.
//
// The taxonomy (categories with a default severity, signal kinds with an urgency weight) starts
// from the built-in defaults of DESIGN.md §2 and may be extended or re-weighted by a `taxonomy:`
// section in any rule file.
//
// Every element remembers where it was written (file:line:column, 1-based) so that every error,
// from YAML syntax to a Hyperscan compile failure, can point at it.
//
// Thread safety: a RuleSet is a plain value; share it read-only (Database does).
#ifndef EARSHOT_MATCHERS_RULE_SET_H_
#define EARSHOT_MATCHERS_RULE_SET_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/severity.h"

namespace earshot::matchers {

struct SourceLocation {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown
  // "file:line:column" (or just "file" when line is 0).
  std::string ToString() const;
};

// One problem found while loading or compiling rules. Loading collects all of them rather than
// stopping at the first, so a rule author fixes a file in one pass.
struct Diagnostic {
  SourceLocation where;
  std::string rule_id;  // empty when the problem is not inside a rule
  std::string message;
  // "file:line:column: rule 'id': message" (the rule part only when rule_id is set).
  std::string ToString() const;
};

struct Pattern {
  std::string expression;      // Hyperscan syntax, without delimiters or flags
  bool case_sensitive = false; // default: caseless
  SourceLocation where;        // of the pattern's own YAML scalar
};

struct Example {
  std::string text;
  SourceLocation where;
};

enum class RuleKind { kBrand, kComplaint, kSignal };

struct Rule {
  RuleKind kind = RuleKind::kComplaint;
  std::string id;        // [a-z0-9_.-]+, unique across all loaded files
  std::string name;      // brands: display name (defaults to id)
  std::string category;  // complaints: a taxonomy category id
  std::string signal;    // signals: a taxonomy signal id
  std::vector<Pattern> patterns;
  std::vector<Pattern> excludes;
  // brands: the brand's own accounts (e.g. "@AppleSupport"); posts they author are replies from
  // the company, not complaints. Compared case-insensitively, leading '@' optional.
  std::vector<std::string> handles;
  std::vector<Example> match_examples;
  std::vector<Example> no_match_examples;
  SourceLocation where;  // of the rule's mapping
  // Of the `category:` (complaints) or `signal:` (signals) value, so that an unknown one, which
  // can only be detected after every file's taxonomy is read, is reported where it is written.
  SourceLocation reference_where;
};

struct Category {
  std::string id;
  core::Severity severity = core::Severity::kMedium;
  SourceLocation where;  // empty file for built-in defaults
};

// A signal kind. `weight` is added to urgency when a post carries the signal (negative lowers it).
struct SignalKind {
  std::string id;
  double weight = 0;
  SourceLocation where;
};

struct Taxonomy {
  std::vector<Category> categories;
  std::vector<SignalKind> signals;

  // The defaults of DESIGN.md §2: eleven categories and the signal kinds duration, repetition,
  // impact, intensity, resolution, question.
  static Taxonomy Defaults();
  const Category* FindCategory(std::string_view id) const;
  const SignalKind* FindSignal(std::string_view id) const;
};

struct RuleSet {
  Taxonomy taxonomy = Taxonomy::Defaults();
  std::vector<Rule> rules;  // in load order: files sorted by path, rules in file order
  // The files the set was loaded from, in load order.
  std::vector<std::string> files;
};

}  // namespace earshot::matchers

#endif  // EARSHOT_MATCHERS_RULE_SET_H_
