#include "triage/scorer.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "matchers/scanner.h"
#include "tests/triage/test_rules.h"

namespace earshot::triage {
namespace {

class ScorerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = testing::BuildTestDatabase();
    ASSERT_NE(database_, nullptr);
    auto scanner = matchers::Scanner::Create(database_);
    ASSERT_TRUE(scanner.has_value()) << scanner.error().ToString();
    scanner_.emplace(std::move(*scanner));
    scorer_.emplace(database_->rules());
  }

  TriageResult Score(std::string text, std::string author = "@someone", AuthorHistory history = {}) {
    core::Post post;
    post.source = "test";
    post.id = "1";
    post.text = std::move(text);
    post.author = std::move(author);
    std::vector<uint32_t> matched;
    EXPECT_TRUE(scanner_->Scan(post.text, matched).ok());
    return scorer_->Score(post, matched, history);
  }

  std::shared_ptr<const matchers::Database> database_;
  std::optional<matchers::Scanner> scanner_;
  std::optional<Scorer> scorer_;
};

TEST_F(ScorerTest, NoComplaintScoresZeroAndNone) {
  TriageResult result = Score("acme released a new phone today");
  EXPECT_EQ(result.urgency, 0);
  EXPECT_EQ(result.severity, core::Severity::kNone);
  EXPECT_EQ(result.brands, std::vector<std::string>{"acme"});
  EXPECT_TRUE(result.categories.empty());
}

// ScoreInto reuses one result post after post: whatever the previous post left (a critical
// complaint with brands, signals and terms, or a brand account's flag) is gone.
TEST_F(ScorerTest, ScoreIntoLeavesNothingOfThePreviousPost) {
  auto post_of = [](std::string text, std::string author) {
    core::Post post;
    post.source = "test";
    post.id = "1";
    post.text = std::move(text);
    post.author = std::move(author);
    return post;
  };
  const std::vector<core::Post> posts = {post_of("MY ACME CHARGER CAUGHT FIRE after 3 hours!!!", "@ana"),
                                         post_of("acme released a new phone today", "@bo"),
                                         post_of("acme charged me twice", "@AcmeHelp"), post_of("", "@cy"),
                                         post_of("on hold with acme", "@di")};
  TriageResult reused;
  for (int round = 0; round < 2; ++round) {
    for (const core::Post& post : posts) {
      std::vector<uint32_t> matched;
      ASSERT_TRUE(scanner_->Scan(post.text, matched).ok());
      scorer_->ScoreInto(post, matched, AuthorHistory{}, reused);
      const TriageResult fresh = scorer_->Score(post, matched, AuthorHistory{});
      EXPECT_EQ(reused.urgency, fresh.urgency) << post.text;
      EXPECT_EQ(reused.severity, fresh.severity) << post.text;
      EXPECT_EQ(reused.brands, fresh.brands) << post.text;
      EXPECT_EQ(reused.categories, fresh.categories) << post.text;
      EXPECT_EQ(reused.signals, fresh.signals) << post.text;
      EXPECT_EQ(reused.rules, fresh.rules) << post.text;
      EXPECT_EQ(reused.terms.size(), fresh.terms.size()) << post.text;
      EXPECT_EQ(reused.from_brand_account, fresh.from_brand_account) << post.text;
    }
  }
}

TEST_F(ScorerTest, SeverityOfTheIssueOrdersUrgency) {
  const double fire = Score("my acme charger caught fire").urgency;
  const double billing = Score("acme charged me twice").urgency;
  const double hold = Score("on hold with acme").urgency;
  const double grumble = Score("acme sucks").urgency;
  EXPECT_GT(fire, billing);
  EXPECT_GT(billing, hold);
  EXPECT_GT(hold, grumble);
  EXPECT_GT(grumble, 0);
  EXPECT_EQ(Score("my acme charger caught fire").severity, core::Severity::kCritical);
  EXPECT_EQ(Score("acme charged me twice").severity, core::Severity::kHigh);
  EXPECT_EQ(Score("on hold with acme").severity, core::Severity::kMedium);
  EXPECT_EQ(Score("acme sucks").severity, core::Severity::kLow);
}

TEST_F(ScorerTest, CategoriesAreListedMostSevereFirst) {
  TriageResult result = Score("on hold for 40 minutes after you charged me twice, app is down");
  EXPECT_EQ(result.categories, (std::vector<std::string>{"billing", "outage", "service_failure"}));
}

TEST_F(ScorerTest, SignalsAddTheirTaxonomyWeight) {
  const double plain = Score("charged me twice").urgency;
  const double with_duration = Score("charged me twice, waited 3 days").urgency;
  const double with_both = Score("charged me twice again, waited 3 days").urgency;
  const auto& taxonomy = database_->rules().taxonomy;
  EXPECT_DOUBLE_EQ(with_duration - plain, taxonomy.FindSignal("duration")->weight);
  EXPECT_DOUBLE_EQ(with_both - with_duration, taxonomy.FindSignal("repetition")->weight);
}

TEST_F(ScorerTest, ResolutionLowersUrgency) {
  EXPECT_LT(Score("app is down, fixed now").urgency, Score("app is down").urgency);
}

TEST_F(ScorerTest, QuestionLowersOnlyAPostWhoseWorstCategoryIsLow) {
  EXPECT_LT(Score("how do i make this stop, it sucks").urgency, Score("it sucks").urgency);
  EXPECT_EQ(Score("how do i get a refund, you charged me twice").urgency,
            Score("you charged me twice").urgency);
}

TEST_F(ScorerTest, LowSeverityCategoriesEarnNoExtraCategoryBonus) {
  EXPECT_EQ(Score("you charged me twice, this sucks").urgency, Score("you charged me twice").urgency);
  EXPECT_GT(Score("you charged me twice, app is down").urgency, Score("you charged me twice").urgency);
}

TEST_F(ScorerTest, ExtraCategoriesAddAtMostTen) {
  TriageResult result =
      Score("caught fire, charged me twice, on hold, app is down, cancelling my account");
  EXPECT_DOUBLE_EQ(result.urgency, Scorer::BasePoints(core::Severity::kCritical) + 10);
}

// Signals move a post within its category's band, never above a more severe category.
TEST_F(ScorerTest, SignalsNeverLiftAPostIntoTheNextBand) {
  TriageResult loud = Score("APP IS DOWN AGAIN FOR 3 DAYS AND CHARGED ME TWICE!!!");
  EXPECT_EQ(loud.severity, core::Severity::kHigh);
  EXPECT_DOUBLE_EQ(loud.urgency, Scorer::BandCeiling(core::Severity::kHigh));
  EXPECT_LT(loud.urgency, Score("acme caught fire").urgency);
}

TEST_F(ScorerTest, UrgencyIsClampedToHundred) {
  TriageResult result = Score(
      "CAUGHT FIRE AGAIN AND CHARGED ME TWICE, ON HOLD 40 MINUTES, APP IS DOWN!!! cancelling my account");
  EXPECT_LE(result.urgency, 100);
  EXPECT_EQ(result.severity, core::Severity::kCritical);
}

TEST_F(ScorerTest, BrandsOwnAccountIsNotAComplaint) {
  for (const char* author : {"@AcmeHelp", "acmehelp", "@acmehelp@social.example"}) {
    TriageResult result = Score("sorry you were charged twice, please DM us", author);
    EXPECT_TRUE(result.from_brand_account) << author;
    EXPECT_EQ(result.severity, core::Severity::kNone) << author;
    EXPECT_EQ(result.urgency, 0) << author;
  }
}

TEST_F(ScorerTest, PriorUnresolvedCaseCountsAsRepetition) {
  const double first = Score("charged me twice").urgency;
  TriageResult repeat = Score("charged me twice", "@someone", AuthorHistory{.unresolved_prior_cases = 1});
  EXPECT_GT(repeat.urgency, first);
  EXPECT_EQ(repeat.signals, std::vector<std::string>{"repetition"});
}

TEST_F(ScorerTest, ExcludeVetoesTheRule) {
  EXPECT_EQ(Score("hold my beer, flying acme").severity, core::Severity::kNone);
}

TEST(HasIntensity, CapitalsAndExclamations) {
  EXPECT_TRUE(HasIntensity("WHY IS MY INTERNET DOWN AGAIN"));
  EXPECT_TRUE(HasIntensity("fix it now!!!"));
  EXPECT_FALSE(HasIntensity("why is my internet down again"));
  EXPECT_FALSE(HasIntensity("OK NASA"));  // too few letters to call it shouting
}

// The hand-written letter test agrees with <cctype> in the C locale for every byte: only ASCII
// letters count, so UTF-8 bytes (accented capitals, emoji) never make a post shout.
TEST(HasIntensity, CountsExactlyTheCLocaleLettersAndCapitals) {
  for (int byte = 1; byte < 256; ++byte) {
    if (byte == '!') continue;
    const unsigned char c = static_cast<unsigned char>(byte);
    // 14 of this byte after 6 lowercase letters: shouting iff the byte is a capital letter
    // (14 of 20 letters); a non-letter leaves 6 letters, too few.
    const std::string text = "abcdef" + std::string(14, static_cast<char>(c));
    EXPECT_EQ(HasIntensity(text), std::isupper(c) != 0) << "byte " << byte;
    // Six capitals after 14 of the byte: a lowercase letter dilutes them to 30%, a non-letter
    // leaves too few letters.
    const std::string diluted = std::string(14, static_cast<char>(c)) + "ABCDEF";
    EXPECT_EQ(HasIntensity(diluted), std::isupper(c) != 0) << "byte " << byte;
  }
  EXPECT_FALSE(HasIntensity("ÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉ"));
}

}  // namespace
}  // namespace earshot::triage
