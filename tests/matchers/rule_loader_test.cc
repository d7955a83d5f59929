#include "matchers/rule_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/matchers/test_rules.h"

namespace earshot::matchers {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::Lines;
using testing::LoadText;

namespace fs = std::filesystem;

TEST(RuleLoader, LoadsAllThreeRuleKindsWithLocations) {
  const LoadOutcome outcome = LoadText(
      "brands:\n"
      "  - id: netgear\n"
      "    name: Netgear\n"
      "    patterns: ['\\bnet\\s?gear\\b', '@netgear\\b']\n"
      "    exclude: ['fishing net\\s?gear']\n"
      "    handles: ['@NETGEAR', NetgearSupport]\n"
      "complaints:\n"
      "  - id: service_failure.no_callback\n"
      "    category: service_failure\n"
      "    patterns:\n"
      "      - '\\bno call\\s?back\\b'\n"
      "      - {pattern: 'NEVER', case_sensitive: true}\n"
      "    examples:\n"
      "      match: ['Thx for not calling back']\n"
      "      no_match: ['I will call back tomorrow']\n"
      "signals:\n"
      "  - id: duration.hours\n"
      "    signal: duration\n"
      "    case_sensitive: true\n"
      "    patterns: ['\\d+ hours']\n",
      "r.yaml");
  ASSERT_TRUE(outcome.ok()) << ::testing::PrintToString(Lines(outcome.diagnostics));
  ASSERT_EQ(outcome.rules.rules.size(), 3u);
  EXPECT_THAT(outcome.rules.files, ElementsAre("r.yaml"));

  const Rule& brand = outcome.rules.rules[0];
  EXPECT_EQ(brand.kind, RuleKind::kBrand);
  EXPECT_EQ(brand.id, "netgear");
  EXPECT_EQ(brand.name, "Netgear");
  ASSERT_EQ(brand.patterns.size(), 2u);
  EXPECT_EQ(brand.patterns[0].expression, "\\bnet\\s?gear\\b");
  EXPECT_FALSE(brand.patterns[0].case_sensitive);
  EXPECT_EQ(brand.patterns[0].where.ToString(), "r.yaml:4:16");
  EXPECT_EQ(brand.patterns[1].where.ToString(), "r.yaml:4:34");
  ASSERT_EQ(brand.excludes.size(), 1u);
  EXPECT_EQ(brand.excludes[0].where.ToString(), "r.yaml:5:15");
  EXPECT_THAT(brand.handles, ElementsAre("@NETGEAR", "NetgearSupport"));
  EXPECT_EQ(brand.where.ToString(), "r.yaml:2:5");

  const Rule& complaint = outcome.rules.rules[1];
  EXPECT_EQ(complaint.kind, RuleKind::kComplaint);
  EXPECT_EQ(complaint.category, "service_failure");
  ASSERT_EQ(complaint.patterns.size(), 2u);
  EXPECT_EQ(complaint.patterns[0].where.ToString(), "r.yaml:11:9");
  EXPECT_EQ(complaint.patterns[1].expression, "NEVER");
  EXPECT_TRUE(complaint.patterns[1].case_sensitive);
  EXPECT_EQ(complaint.patterns[1].where.ToString(), "r.yaml:12:19");
  ASSERT_EQ(complaint.match_examples.size(), 1u);
  EXPECT_EQ(complaint.match_examples[0].where.ToString(), "r.yaml:14:15");
  ASSERT_EQ(complaint.no_match_examples.size(), 1u);

  const Rule& signal = outcome.rules.rules[2];
  EXPECT_EQ(signal.kind, RuleKind::kSignal);
  EXPECT_EQ(signal.signal, "duration");
  ASSERT_EQ(signal.patterns.size(), 1u);
  // case_sensitive written before patterns or after: it applies to all of the rule's patterns.
  EXPECT_TRUE(signal.patterns[0].case_sensitive);
}

TEST(RuleLoader, BrandNameDefaultsToId) {
  const LoadOutcome outcome = LoadText("brands: [{id: acme, patterns: [acme]}]\n");
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome.rules.rules[0].name, "acme");
}

TEST(RuleLoader, EmptyFileIsNoRules) {
  EXPECT_TRUE(LoadText("").ok());
  EXPECT_TRUE(LoadText("# just a comment\n").ok());
  EXPECT_TRUE(LoadText("brands:\n").ok());
}

TEST(RuleLoader, YamlSyntaxErrorHasOneBasedPosition) {
  // yaml-cpp reports line 1 column 1 (0-based): the misindented key.
  const LoadOutcome outcome = LoadText("brands: []\n complaints: []\n", "s.yaml");
  EXPECT_THAT(Lines(outcome.diagnostics),
              ElementsAre("s.yaml:2:2: YAML syntax error: end of map not found"));
}

TEST(RuleLoader, UnclosedFlowSequenceIsASyntaxError) {
  const LoadOutcome outcome = LoadText("brands:\n  - id: [oops\n", "s.yaml");
  ASSERT_EQ(outcome.diagnostics.size(), 1u);
  EXPECT_EQ(outcome.diagnostics[0].where.ToString(), "s.yaml:3:1");
  EXPECT_THAT(outcome.diagnostics[0].message, HasSubstr("end of sequence flow not found"));
}

TEST(RuleLoader, UnknownTopLevelKey) {
  const LoadOutcome outcome = LoadText("brands: []\nbrandz: []\n", "k.yaml");
  EXPECT_THAT(Lines(outcome.diagnostics),
              ElementsAre("k.yaml:2:1: unknown key 'brandz' (expected one of: brands, "
                          "complaints, signals, taxonomy)"));
}

TEST(RuleLoader, UnknownKeyInRuleNamesTheRule) {
  const LoadOutcome outcome = LoadText(
      "brands:\n"
      "  - id: netgear\n"
      "    patterns: [netgear]\n"
      "    exclud: ['fishing net gear']\n",
      "k.yaml");
  EXPECT_THAT(Lines(outcome.diagnostics),
              ElementsAre("k.yaml:4:5: rule 'netgear': unknown key 'exclud' (expected one of: id, "
                          "name, patterns, exclude, handles, examples, case_sensitive)"));
}

TEST(RuleLoader, UnknownKeyInExamples) {
  const LoadOutcome outcome = LoadText(
      "complaints:\n"
      "  - id: billing.twice\n"
      "    category: billing\n"
      "    patterns: ['charged twice']\n"
      "    examples:\n"
      "      match: ['I was charged twice']\n"
      "      nomatch: ['charged once']\n",
      "e.yaml");
  EXPECT_THAT(Lines(outcome.diagnostics),
              ElementsAre("e.yaml:7:7: rule 'billing.twice': unknown key 'nomatch' (expected one "
                          "of: match, no_match)"));
}

TEST(RuleLoader, CategoryKeyIsNotAllowedOnBrands) {
  const LoadOutcome outcome =
      LoadText("brands:\n  - {id: acme, category: billing, patterns: [acme]}\n", "b.yaml");
  ASSERT_EQ(outcome.diagnostics.size(), 1u);
  EXPECT_EQ(outcome.diagnostics[0].where.ToString(), "b.yaml:2:16");
  EXPECT_THAT(outcome.diagnostics[0].message, HasSubstr("unknown key 'category'"));
}

TEST(RuleLoader, DuplicateKeyInOneMapping) {
  const LoadOutcome outcome =
      LoadText("brands:\n  - id: acme\n    patterns: [a]\n    patterns: [b]\n", "d.yaml");
  EXPECT_THAT(Lines(outcome.diagnostics),
              ElementsAre("d.yaml:4:5: rule 'acme': duplicate key 'patterns'"));
}

TEST(RuleLoader, UnknownCategoryListsKnownOnes) {
  const LoadOutcome outcome = LoadText(
      "complaints:\n"
      "  - id: x.y\n"
      "    category: biling\n"
      "    patterns: [foo]\n",
      "c.yaml");
  ASSERT_EQ(outcome.diagnostics.size(), 1u);
  EXPECT_EQ(outcome.diagnostics[0].ToString(),
            "c.yaml:3:15: rule 'x.y': unknown category 'biling' (known: safety, security_privacy, "
            "outage, billing, lost_or_damaged, legal_regulatory, delay_cancellation, "
            "service_failure, churn, product_defect, general_negative)");
}

TEST(RuleLoader, UnknownSignal) {
  const LoadOutcome outcome =
      LoadText("signals:\n  - id: s\n    signal: durations\n    patterns: [foo]\n", "s.yaml");
  ASSERT_EQ(outcome.diagnostics.size(), 1u);
  EXPECT_EQ(outcome.diagnostics[0].where.ToString(), "s.yaml:3:13");
  EXPECT_THAT(outcome.diagnostics[0].message, HasSubstr("unknown signal 'durations' (known: "
                                                        "duration, repetition"));
}

TEST(RuleLoader, TaxonomyInALaterFileDefinesCategoriesUsedEarlier) {
  LoadOutcome outcome;
  LoadRulesFromText("complaints:\n  - {id: pets.lost, category: pets, patterns: [lost dog]}\n",
                    "a.yaml", outcome);
  LoadRulesFromText(
      "taxonomy:\n  categories:\n    - {id: pets, severity: high}\n"
      "    - {id: billing, severity: critical}\n"
      "  signals:\n    - {id: vip, weight: 2.5}\n    - {id: question, weight: -5}\n",
      "b.yaml", outcome);
  FinishLoading(outcome);
  ASSERT_TRUE(outcome.ok()) << ::testing::PrintToString(Lines(outcome.diagnostics));
  const Taxonomy& taxonomy = outcome.rules.taxonomy;
  ASSERT_NE(taxonomy.FindCategory("pets"), nullptr);
  EXPECT_EQ(taxonomy.FindCategory("pets")->severity, core::Severity::kHigh);
  EXPECT_EQ(taxonomy.FindCategory("pets")->where.ToString(), "b.yaml:3:7");
  // Overriding a default keeps one entry and records where it was changed.
  EXPECT_EQ(taxonomy.categories.size(), 12u);
  EXPECT_EQ(taxonomy.FindCategory("billing")->severity, core::Severity::kCritical);
  EXPECT_EQ(taxonomy.FindCategory("billing")->where.ToString(), "b.yaml:4:7");
  EXPECT_EQ(taxonomy.FindSignal("vip")->weight, 2.5);
  EXPECT_EQ(taxonomy.FindSignal("question")->weight, -5);
  EXPECT_EQ(taxonomy.signals.size(), 7u);
}

TEST(RuleLoader, TaxonomyErrors) {
  LoadOutcome outcome;
  LoadRulesFromText(
      "taxonomy:\n"
      "  categories:\n"
      "    - {id: pets, severity: urgent}\n"
      "    - {id: Pets, severity: low}\n"
      "    - {id: ok, severity: low, colour: red}\n"
      "  signals:\n"
      "    - {id: vip, weight: lots}\n"
      "    - {id: nan, weight: .nan}\n"
      "    - {id: w}\n",
      "t.yaml", outcome);
  LoadRulesFromText("taxonomy:\n  categories: [{id: ok, severity: high}]\n", "u.yaml", outcome);
  FinishLoading(outcome);
  EXPECT_THAT(
      Lines(outcome.diagnostics),
      ElementsAre("t.yaml:3:28: unknown severity 'urgent' (expected one of: critical, high, "
                  "medium, low)",
                  "t.yaml:4:12: invalid category id 'Pets': ids must match [a-z0-9_.-]+",
                  "t.yaml:5:31: unknown key 'colour' (expected one of: id, severity)",
                  "t.yaml:7:25: 'weight' must be a finite number",
                  "t.yaml:8:25: 'weight' must be a finite number", "t.yaml:9:7: missing 'weight'",
                  "u.yaml:2:16: duplicate category 'ok' (first defined at t.yaml:5:7)"));
}

TEST(RuleLoader, DuplicateIdAcrossTwoFiles) {
  LoadOutcome outcome;
  LoadRulesFromText("brands:\n  - id: acme\n    patterns: [acme]\n", "one.yaml", outcome);
  LoadRulesFromText(
      "# another file\ncomplaints:\n  - id: acme\n    category: churn\n"
      "    patterns: [never again]\n",
      "two.yaml", outcome);
  FinishLoading(outcome);
  EXPECT_THAT(Lines(outcome.diagnostics),
              ElementsAre("two.yaml:3:5: rule 'acme': duplicate id 'acme' (first defined at "
                          "one.yaml:2:5)"));
}

TEST(RuleLoader, BadIds) {
  const LoadOutcome outcome = LoadText(
      "brands:\n"
      "  - id: Net Gear\n"
      "    patterns: [netgear]\n"
      "  - id: ''\n"
      "    patterns: [x]\n"
      "  - id: [a, b]\n"
      "    patterns: [y]\n",
      "i.yaml");
  EXPECT_THAT(Lines(outcome.diagnostics),
              ElementsAre("i.yaml:2:9: rule 'Net Gear': invalid id 'Net Gear': ids must match "
                          "[a-z0-9_.-]+",
                          "i.yaml:4:9: invalid id '': ids must match [a-z0-9_.-]+",
                          "i.yaml:6:9: 'id' must be a string"));
}

TEST(RuleLoader, MissingRequiredKeys) {
  const LoadOutcome outcome = LoadText(
      "brands:\n"
      "  - id: acme\n"
      "    name: ACME\n"
      "complaints:\n"
      "  - patterns: [x]\n"
      "    category: churn\n"
      "  - id: no.category\n"
      "    patterns: [y]\n"
      "signals:\n"
      "  - id: no.signal\n"
      "    patterns: [z]\n",
      "m.yaml");
  EXPECT_THAT(Lines(outcome.diagnostics),
              ElementsAre("m.yaml:2:5: rule 'acme': missing 'patterns'", "m.yaml:5:5: missing 'id'",
                          "m.yaml:7:5: rule 'no.category': missing 'category'",
                          "m.yaml:10:5: rule 'no.signal': missing 'signal'"));
}

TEST(RuleLoader, WrongNodeTypes) {
  const LoadOutcome outcome = LoadText(
      "brands:\n"
      "  - id: a\n"
      "    patterns: 'just a string'\n"
      "  - id: b\n"
      "    patterns: [ok, [nested]]\n"
      "    exclude:\n"
      "    case_sensitive: maybe\n"
      "  - id: c\n"
      "    patterns: []\n"
      "    examples: [x]\n"
      "complaints: {id: x}\n"
      "signals:\n"
      "  - just a string\n",
      "w.yaml");
  EXPECT_THAT(Lines(outcome.diagnostics),
              ElementsAre("w.yaml:3:15: rule 'a': 'patterns' must be a list of strings",
                          "w.yaml:5:20: rule 'b': 'patterns' must be a list of strings",
                          // An empty `exclude:` is reported at its key, not at the next line.
                          "w.yaml:6:5: rule 'b': 'exclude' must be a list of strings",
                          "w.yaml:7:21: rule 'b': 'case_sensitive' must be true or false",
                          "w.yaml:9:15: rule 'c': 'patterns' must not be empty",
                          "w.yaml:10:15: rule 'c': 'examples' must be a mapping with keys: match, "
                          "no_match",
                          "w.yaml:11:13: 'complaints' must be a list of rules",
                          "w.yaml:13:5: each entry of 'signals' must be a mapping (a rule)"));
}

TEST(RuleLoader, TopLevelMustBeAMapping) {
  const LoadOutcome outcome = LoadText("- a\n- b\n", "l.yaml");
  EXPECT_THAT(Lines(outcome.diagnostics),
              ElementsAre("l.yaml:1:1: a rule file must be a mapping with keys: brands, "
                          "complaints, signals, taxonomy"));
}

TEST(RuleLoader, EmptyAndNulPatterns) {
  const LoadOutcome outcome =
      LoadText("brands:\n  - id: a\n    patterns: ['', \"x\\0y\", ok]\n", "p.yaml");
  EXPECT_THAT(Lines(outcome.diagnostics),
              ElementsAre("p.yaml:3:16: rule 'a': empty pattern",
                          "p.yaml:3:20: rule 'a': pattern contains a NUL byte (write \\x00 "
                          "instead)"));
  ASSERT_EQ(outcome.rules.rules.size(), 1u);
  EXPECT_EQ(outcome.rules.rules[0].patterns.size(), 1u);  // only the good one
}

TEST(RuleLoader, PatternMappingNeedsPattern) {
  const LoadOutcome outcome =
      LoadText("brands:\n  - id: a\n    patterns:\n      - {case_sensitive: true}\n", "p.yaml");
  EXPECT_THAT(Lines(outcome.diagnostics), ElementsAre("p.yaml:4:9: rule 'a': missing 'pattern'"));
}

TEST(RuleLoader, ExamplesMustBeValidUtf8) {
  const std::string yaml =
      "complaints:\n  - id: a\n    category: churn\n    patterns: [x]\n"
      "    examples:\n      match: [\"ok\", \"bad \xC3\x28 byte\"]\n";
  const LoadOutcome outcome = LoadText(yaml, "u.yaml");
  EXPECT_THAT(Lines(outcome.diagnostics),
              ElementsAre("u.yaml:6:21: rule 'a': example is not valid UTF-8"));
}

TEST(RuleLoader, MoreThanOneDocumentIsAnError) {
  const LoadOutcome outcome = LoadText("brands: []\n---\nbrands: []\n", "m.yaml");
  EXPECT_THAT(Lines(outcome.diagnostics),
              ElementsAre("m.yaml:2:1: only one YAML document per file is allowed"));
}

// Regression (found by tests/fuzz/rule_loader_fuzz): yaml-cpp 0.7's LoadAll never returns on
// this input, allocating until the process dies (jbeder/yaml-cpp#1319). It must load promptly.
TEST(RuleLoader, StrayCommaDocumentDoesNotHang) {
  const LoadOutcome outcome = LoadText("\n,\n    ", "c.yaml");
  EXPECT_LE(outcome.diagnostics.size(), 1u);
  const LoadOutcome fuzzed = LoadText(
      "&omplaints:\n  - 2id: \\bnot calling back\\b']\n  , '\\bnot calling back\\b']\n", "f.yaml");
  EXPECT_FALSE(fuzzed.ok());
}

TEST(RuleLoader, CollectsEveryProblemInFileOrder) {
  const LoadOutcome outcome = LoadText(
      "brandz: []\n"
      "brands:\n"
      "  - id: A\n"
      "    patterns: ['']\n"
      "    bogus: 1\n",
      "all.yaml");
  EXPECT_EQ(outcome.diagnostics.size(), 4u);
  for (size_t i = 1; i < outcome.diagnostics.size(); ++i) {
    EXPECT_LE(outcome.diagnostics[i - 1].where.line, outcome.diagnostics[i].where.line);
  }
}

class RuleLoaderFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("earshot_loader_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "sub");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const fs::path& relative, const std::string& text) {
    std::ofstream(dir_ / relative) << text;
  }
  fs::path dir_;
};

TEST_F(RuleLoaderFiles, WalksFoldersRecursivelyInSortedOrder) {
  Write("b.yaml", "brands: [{id: b, patterns: [b]}]\n");
  Write("sub/a.yml", "brands: [{id: a, patterns: [a]}]\n");
  Write("a.yaml", "brands: [{id: c, patterns: [c]}]\n");
  Write("notes.txt", "not yaml: [\n");
  const LoadOutcome outcome = LoadRules({dir_});
  ASSERT_TRUE(outcome.ok()) << ::testing::PrintToString(Lines(outcome.diagnostics));
  ASSERT_EQ(outcome.rules.files.size(), 3u);
  EXPECT_EQ(outcome.rules.files[0], (dir_ / "a.yaml").string());
  EXPECT_EQ(outcome.rules.files[1], (dir_ / "b.yaml").string());
  EXPECT_EQ(outcome.rules.files[2], (dir_ / "sub/a.yml").string());
  ASSERT_EQ(outcome.rules.rules.size(), 3u);
  EXPECT_EQ(outcome.rules.rules[0].id, "c");
}

TEST_F(RuleLoaderFiles, SkipsTestdataAndDotFoldersUnlessNamed) {
  fs::create_directories(dir_ / "testdata" / "bad");
  fs::create_directories(dir_ / ".git");
  Write("rules.yaml", "brands: [{id: good, patterns: [good]}]\n");
  Write("testdata/bad/broken.yaml", "brands: [{id: Bad Id}]\n");
  Write(".git/config.yaml", "not: rules\n");
  const LoadOutcome outcome = LoadRules({dir_});
  EXPECT_TRUE(outcome.ok()) << ::testing::PrintToString(Lines(outcome.diagnostics));
  EXPECT_EQ(outcome.rules.files.size(), 1u);
  const LoadOutcome named = LoadRules({dir_ / "testdata" / "bad"});
  EXPECT_EQ(named.rules.files.size(), 1u);
  EXPECT_FALSE(named.ok());
}

TEST_F(RuleLoaderFiles, ReportsMissingPathAndDuplicateAcrossRealFiles) {
  Write("one.yaml", "brands: [{id: x, patterns: [x]}]\n");
  Write("two.yaml", "\nbrands: [{id: x, patterns: [y]}]\n");
  const fs::path missing = dir_ / "missing.yaml";
  const LoadOutcome outcome = LoadRules({dir_ / "one.yaml", missing, dir_ / "two.yaml"});
  EXPECT_THAT(Lines(outcome.diagnostics),
              ElementsAre(missing.string() + ": no such file or directory",
                          (dir_ / "two.yaml").string() + ":2:10: rule 'x': duplicate id 'x' " +
                              "(first defined at " + (dir_ / "one.yaml").string() + ":1:10)"));
}

TEST_F(RuleLoaderFiles, AFileNamedTwiceIsLoadedOnce) {
  Write("one.yaml", "brands: [{id: x, patterns: [x]}]\n");
  const LoadOutcome outcome = LoadRules({dir_ / "one.yaml", dir_});
  EXPECT_TRUE(outcome.ok()) << ::testing::PrintToString(Lines(outcome.diagnostics));
  EXPECT_EQ(outcome.rules.rules.size(), 1u);
}

TEST_F(RuleLoaderFiles, UnreadableFileIsADiagnostic) {
  // A directory named like a rule file cannot be read as one.
  fs::create_directories(dir_ / "dir.yaml");
  Write("dir.yaml/inner.yaml", "brands: []\n");
  const LoadOutcome outcome = LoadRules({dir_ / "dir.yaml" / "inner.yaml", dir_ / "sub"});
  EXPECT_TRUE(outcome.ok());
  LoadOutcome unreadable;
  fs::path file = dir_ / "locked.yaml";
  Write("locked.yaml", "brands: []\n");
  fs::permissions(file, fs::perms::none);
  if (std::ifstream(file).good()) GTEST_SKIP() << "running as root: permissions not enforced";
  unreadable = LoadRules({file});
  ASSERT_EQ(unreadable.diagnostics.size(), 1u);
  EXPECT_THAT(unreadable.diagnostics[0].ToString(),
              HasSubstr("locked.yaml: cannot open file: Permission denied"));
}

}  // namespace
}  // namespace earshot::matchers
