// The triage principle (DESIGN.md §2), as a property: for any posts, changing who the authors are
// online — followers, reach, likes, verification, account age — changes nothing about urgency,
// severity, categories, signals, the result bytes, or the order in which cases would be served.
//
// Runs the shipped rules over randomly assembled texts, so the property is checked against the
// real rule pack rather than a toy one, at several thread counts.
#include <gtest/gtest.h>
#include <oneapi/tbb/global_control.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/json_writer.h"
#include "matchers/rule_loader.h"
#include "triage/batch_triage.h"

namespace earshot::triage {
namespace {

struct Scored {
  std::string id;
  double urgency;
  std::string json;
};

struct Sink : TriageSink {
  std::vector<Scored> results;
  void OnResult(const core::Post& post, const TriageResult& result, std::string_view json) override {
    results.push_back({post.id, result.urgency, std::string(json)});
  }
  void OnBadLine(uint64_t, std::string_view reason, bool) override { ADD_FAILURE() << reason; }
};

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

std::shared_ptr<const matchers::Database> ShippedRules() {
  matchers::LoadOutcome loaded = matchers::LoadRules({EARSHOT_SOURCE_DIR "/rules"});
  for (const auto& diagnostic : loaded.diagnostics) ADD_FAILURE() << diagnostic.ToString();
  std::vector<matchers::Diagnostic> diagnostics;
  matchers::BuildOptions options;
  options.cache_dir = EARSHOT_TEST_CACHE_DIR;
  auto database = matchers::Database::Build(std::move(loaded.rules), options, diagnostics);
  if (!database) return nullptr;
  return std::move(*database);
}

// Texts that hit a spread of categories and signals in the shipped pack, and some that hit none.
std::string RandomText(std::mt19937& random) {
  static const char* const kPieces[] = {
      "my router caught fire", "someone hacked my account", "no internet since monday",
      "you charged me twice", "parcel never arrived", "I will take this to small claims",
      "flight cancelled again", "on hold for 45 minutes", "nobody ever called me back",
      "cancelling my subscription", "the app keeps crashing", "this is terrible",
      "fixed now, thanks", "how do I change my plan?", "lovely weather today", "3rd time this week",
      "I work from home and cannot work", "WHY IS THIS HAPPENING", "!!!", "hold my beer"};
  std::string text;
  const int pieces = 1 + static_cast<int>(random() % 3);
  for (int i = 0; i < pieces; ++i) {
    if (!text.empty()) text += ' ';
    text += kPieces[random() % std::size(kPieces)];
  }
  return text;
}

// One post per text; `audience` decides the author's online standing for post i.
template <typename Audience>
std::vector<Scored> TriageWith(const std::shared_ptr<const matchers::Database>& database,
                               const std::vector<std::string>& texts, Audience audience) {
  std::string input;
  for (size_t i = 0; i < texts.size(); ++i) {
    input += R"({"source":"prop","id":")" + std::to_string(i) + R"(","author":"@a)" +
             std::to_string(i % 7) + R"(","text":)";
    core::AppendJsonString(input, texts[i]);
    input += audience(i) + "}\n";
  }
  std::unique_ptr<std::FILE, FileCloser> file(std::tmpfile());
  std::fwrite(input.data(), 1, input.size(), file.get());
  std::rewind(file.get());
  Sink sink;
  auto stats = TriageStream(file.get(), database, BatchOptions{}, sink);
  EXPECT_TRUE(stats.has_value()) << stats.error().ToString();
  return sink.results;
}

// The order a queue serves cases in: highest urgency first, ties by arrival.
std::vector<std::string> ServingOrder(std::vector<Scored> results) {
  std::stable_sort(results.begin(), results.end(),
                   [](const Scored& a, const Scored& b) { return a.urgency > b.urgency; });
  std::vector<std::string> ids;
  for (const Scored& scored : results) ids.push_back(scored.id);
  return ids;
}

TEST(TriagePrinciple, AudienceNeverChangesScoresOrServingOrder) {
  std::shared_ptr<const matchers::Database> database = ShippedRules();
  ASSERT_NE(database, nullptr);
  std::mt19937 random(20261123);
  std::vector<std::string> texts;
  for (int i = 0; i < 400; ++i) texts.push_back(RandomText(random));

  const std::vector<Scored> baseline = TriageWith(database, texts, [](size_t) { return std::string(); });
  ASSERT_EQ(baseline.size(), texts.size());
  size_t complaints = 0;
  for (const Scored& scored : baseline) complaints += scored.urgency > 0;
  ASSERT_GT(complaints, texts.size() / 4) << "the texts must exercise the scorer";

  for (int threads : {1, 2}) {
    tbb::global_control cap(tbb::global_control::max_allowed_parallelism, threads);
    for (int trial = 0; trial < 5; ++trial) {
      std::mt19937_64 audience_random(trial * 7919 + threads);
      std::vector<std::string> audience(texts.size());
      for (std::string& fields : audience) {
        const uint64_t followers = audience_random() % 4 == 0 ? 0 : audience_random() % 50'000'000;
        fields = ",\"followers\":" + std::to_string(followers) +
                 ",\"verified\":" + (audience_random() % 2 ? "true" : "false") +
                 ",\"reach\":" + std::to_string(audience_random() % 1'000'000'000) +
                 ",\"likes\":" + std::to_string(audience_random() % 100'000) +
                 ",\"account_created_at\":\"20" + std::to_string(10 + audience_random() % 16) + "-01-01\"";
      }
      const std::vector<Scored> changed =
          TriageWith(database, texts, [&](size_t i) { return audience[i]; });
      ASSERT_EQ(changed.size(), baseline.size());
      for (size_t i = 0; i < baseline.size(); ++i) {
        ASSERT_EQ(changed[i].json, baseline[i].json) << "post " << i << ": " << texts[i];
      }
      EXPECT_EQ(ServingOrder(changed), ServingOrder(baseline));
    }
  }
}

}  // namespace
}  // namespace earshot::triage
