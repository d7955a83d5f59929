// The compiled-database cache: a hit must behave exactly like a fresh compile, and a bad or
// missing cache must only ever cost a recompile, never a failed Build.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "matchers/database.h"
#include "tests/matchers/test_rules.h"

namespace earshot::matchers {
namespace {

namespace fs = std::filesystem;
using testing::BuildText;
using ::testing::HasSubstr;
using testing::MakeScanner;
using testing::MatchIds;

constexpr char kRules[] =
    "brands:\n"
    "  - id: netgear\n"
    "    patterns: ['\\bnet\\s?gear\\b']\n"
    "    exclude: ['fishing net\\s?gear']\n"
    "complaints:\n"
    "  - id: outage.down\n"
    "    category: outage\n"
    "    patterns: ['\\b(is|are) down\\b', 'no internet']\n";

const std::vector<std::string> kTexts = {"Netgear is down again", "fishing net gear is down",
                                         "no internet since monday", "all fine", ""};

class DatabaseCache : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("earshot_cache_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    options_.cache_dir = dir_ / "nested" / "cache";  // created on first write
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<std::vector<std::string>> MatchAll(std::shared_ptr<const Database> database) {
    Scanner scanner = MakeScanner(std::move(database));
    std::vector<std::vector<std::string>> results;
    for (const std::string& text : kTexts) results.push_back(MatchIds(scanner, text));
    return results;
  }

  std::vector<fs::path> CacheFiles() const {
    std::vector<fs::path> files;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(options_.cache_dir, error)) {
      files.push_back(entry.path());
    }
    return files;
  }

  fs::path dir_;
  BuildOptions options_;
};

TEST_F(DatabaseCache, SecondBuildLoadsFromCacheAndMatchesTheSame) {
  std::shared_ptr<const Database> first = BuildText(kRules, options_);
  ASSERT_NE(first, nullptr);
  EXPECT_FALSE(first->loaded_from_cache());
  EXPECT_EQ(first->cache_note(), "");
  EXPECT_EQ(first->cache_key().size(), 32u);
  ASSERT_EQ(CacheFiles().size(), 1u);  // the temporary file was renamed, not left behind
  EXPECT_EQ(CacheFiles()[0].filename().string(), first->cache_key() + ".hsdb");

  std::shared_ptr<const Database> second = BuildText(kRules, options_);
  ASSERT_NE(second, nullptr);
  EXPECT_TRUE(second->loaded_from_cache());
  EXPECT_EQ(second->cache_note(), "");
  EXPECT_EQ(second->cache_key(), first->cache_key());
  const auto expected = MatchAll(first);
  EXPECT_EQ(expected[0], std::vector<std::string>({"netgear", "outage.down"}));
  EXPECT_EQ(expected[1], std::vector<std::string>({"outage.down"}));
  EXPECT_EQ(MatchAll(second), expected);
}

TEST_F(DatabaseCache, ChangedRulesMiss) {
  std::shared_ptr<const Database> first = BuildText(kRules, options_);
  ASSERT_NE(first, nullptr);
  std::string changed = kRules;
  changed += "    case_sensitive: true\n";  // same expressions, different flags
  std::shared_ptr<const Database> second = BuildText(changed, options_);
  ASSERT_NE(second, nullptr);
  EXPECT_FALSE(second->loaded_from_cache());
  EXPECT_NE(second->cache_key(), first->cache_key());
  std::string more = kRules;
  more += "    exclude: ['hold my beer']\n";
  std::shared_ptr<const Database> third = BuildText(more, options_);
  ASSERT_NE(third, nullptr);
  EXPECT_FALSE(third->loaded_from_cache());
  EXPECT_EQ(CacheFiles().size(), 3u);
}

TEST_F(DatabaseCache, CorruptFileIsRecompiledWithANoteAndRewritten) {
  std::shared_ptr<const Database> first = BuildText(kRules, options_);
  ASSERT_NE(first, nullptr);
  const fs::path file = CacheFiles().at(0);
  {
    std::fstream stream(file, std::ios::in | std::ios::out | std::ios::binary);
    stream.seekp(static_cast<std::streamoff>(fs::file_size(file) / 2));
    stream.put('\x5a').put('\xa5').put('\x00');
  }
  std::shared_ptr<const Database> second = BuildText(kRules, options_);
  ASSERT_NE(second, nullptr);
  EXPECT_FALSE(second->loaded_from_cache());
  EXPECT_THAT(second->cache_note(), HasSubstr("checksum"));
  EXPECT_THAT(second->cache_note(), HasSubstr("recompiled"));
  EXPECT_EQ(MatchAll(second), MatchAll(first));

  std::shared_ptr<const Database> third = BuildText(kRules, options_);
  ASSERT_NE(third, nullptr);
  EXPECT_TRUE(third->loaded_from_cache()) << third->cache_note();
}

TEST_F(DatabaseCache, TruncatedAndForeignFilesAreNotUsed) {
  std::shared_ptr<const Database> first = BuildText(kRules, options_);
  ASSERT_NE(first, nullptr);
  const fs::path file = CacheFiles().at(0);
  fs::resize_file(file, fs::file_size(file) - 10);
  std::shared_ptr<const Database> truncated = BuildText(kRules, options_);
  ASSERT_NE(truncated, nullptr);
  EXPECT_FALSE(truncated->loaded_from_cache());
  EXPECT_THAT(truncated->cache_note(), HasSubstr("truncated"));

  std::ofstream(file, std::ios::trunc) << "not a database";
  std::shared_ptr<const Database> garbage = BuildText(kRules, options_);
  ASSERT_NE(garbage, nullptr);
  EXPECT_FALSE(garbage->loaded_from_cache());
  EXPECT_THAT(garbage->cache_note(), HasSubstr("header"));

  // A valid cache file of another rule set, renamed over this one's name.
  std::shared_ptr<const Database> other = BuildText("brands: [{id: x, patterns: [x]}]\n", options_);
  ASSERT_NE(other, nullptr);
  fs::copy_file(options_.cache_dir / (other->cache_key() + ".hsdb"), file,
                fs::copy_options::overwrite_existing);
  std::shared_ptr<const Database> foreign = BuildText(kRules, options_);
  ASSERT_NE(foreign, nullptr);
  EXPECT_FALSE(foreign->loaded_from_cache());
  EXPECT_THAT(foreign->cache_note(), HasSubstr("another rule set"));
  EXPECT_EQ(MatchAll(foreign), MatchAll(first));
}

TEST_F(DatabaseCache, NoCacheDirNeverLoadsOrWrites) {
  for (int i = 0; i < 2; ++i) {
    std::shared_ptr<const Database> database = BuildText(kRules);
    ASSERT_NE(database, nullptr);
    EXPECT_FALSE(database->loaded_from_cache());
    EXPECT_TRUE(database->cache_key().empty());
    EXPECT_EQ(database->cache_note(), "");
  }
  EXPECT_FALSE(fs::exists(options_.cache_dir));
}

TEST_F(DatabaseCache, UnwritableCacheDirIsOnlyANote) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "blocker") << "a file where the cache directory should be";
  BuildOptions options;
  options.cache_dir = dir_ / "blocker" / "cache";
  std::shared_ptr<const Database> database = BuildText(kRules, options);
  ASSERT_NE(database, nullptr);
  EXPECT_FALSE(database->loaded_from_cache());
  EXPECT_THAT(database->cache_note(), HasSubstr("cache directory"));
  EXPECT_EQ(MatchAll(database)[0], std::vector<std::string>({"netgear", "outage.down"}));
}

}  // namespace
}  // namespace earshot::matchers
