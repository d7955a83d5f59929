#include "store/dedupe.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tests/store/temp_dir.h"

namespace earshot::store {
namespace {

// MarkSeen in its own committed transaction.
std::optional<bool> Mark(Store& store, std::string_view source, std::string_view id) {
  std::optional<bool> fresh;
  EXPECT_TRUE(IsOk(store.Write([&](Txn& txn) -> core::Status {
    core::Result<bool> result = MarkSeen(txn, source, id);
    if (!result) return result.error();
    fresh = *result;
    return core::Status::Ok();
  })));
  return fresh;
}

core::Status Record(Store& store, std::string_view text, int64_t time_ms, uint64_t case_number) {
  return store.Write([&](Txn& txn) { return RecordText(txn, text, time_ms, case_number); });
}

std::optional<uint64_t> Find(Store& store, std::string_view text, int64_t time_ms, int64_t window_ms) {
  std::optional<uint64_t> found;
  EXPECT_TRUE(IsOk(store.Read([&](Txn& txn) -> core::Status {
    core::Result<std::optional<uint64_t>> result = FindRepost(txn, text, time_ms, window_ms);
    if (!result) return result.error();
    found = *result;
    return core::Status::Ok();
  })));
  return found;
}

TEST(Dedupe, MarkSeenIsTrueOnceThenFalse) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Mark(*store, "mastodon", "111"), true);
  EXPECT_EQ(Mark(*store, "mastodon", "111"), false);
  EXPECT_EQ(Mark(*store, "mastodon", "111"), false);
  EXPECT_EQ(Mark(*store, "mastodon", "112"), true);
}

TEST(Dedupe, MarkSeenTwiceInOneTransactionIsFalseTheSecondTime) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  std::vector<bool> results;
  ASSERT_TRUE(IsOk(store->Write([&](Txn& txn) -> core::Status {
    results.clear();
    for (int i = 0; i < 2; ++i) {
      core::Result<bool> fresh = MarkSeen(txn, "jsonl", "1");
      if (!fresh) return fresh.error();
      results.push_back(*fresh);
    }
    return core::Status::Ok();
  })));
  EXPECT_EQ(results, (std::vector<bool>{true, false}));
}

TEST(Dedupe, SameIdFromDifferentSourcesIsDistinct) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Mark(*store, "mastodon", "7"), true);
  EXPECT_EQ(Mark(*store, "bluesky", "7"), true);
  // The separator keeps equal concatenations apart.
  EXPECT_EQ(Mark(*store, "ab", "c"), true);
  EXPECT_EQ(Mark(*store, "a", "bc"), true);
  EXPECT_EQ(Mark(*store, "", "abc"), true);
  EXPECT_EQ(Mark(*store, "abc", ""), true);
  EXPECT_EQ(Mark(*store, "mastodon", "7"), false);
  EXPECT_EQ(Mark(*store, "bluesky", "7"), false);
}

TEST(Dedupe, SeenSetPersistsAcrossReopen) {
  TempDir temp;
  {
    std::unique_ptr<Store> store = OpenStore(temp.path());
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(Mark(*store, "jsonl", "42"), true);
  }
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Mark(*store, "jsonl", "42"), false);
  EXPECT_EQ(Mark(*store, "jsonl", "43"), true);
}

TEST(Dedupe, MarkOfAFailedBatchIsRolledBack) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  core::Status status = store->Write([](Txn& txn) -> core::Status {
    core::Result<bool> fresh = MarkSeen(txn, "jsonl", "1");
    if (!fresh) return fresh.error();
    EXPECT_TRUE(*fresh);
    return core::Status::Internal("batch failed after marking");
  });
  EXPECT_FALSE(status.ok());
  // The post was not committed, so a re-read must triage it.
  EXPECT_EQ(Mark(*store, "jsonl", "1"), true);
}

TEST(Dedupe, NormalizeForRepostStripsRetweetPrefixCaseAndWhitespace) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"RT @bob: Hello  World", "hello world"},
      {"rt @bob: Hello World", "hello world"},
      {"Hello World", "hello world"},
      {"  Hello\t\n World \r\n", "hello world"},
      {"\tRT @bob_99: \t Hello World  ", "hello world"},
      {"HELLO\f\vWORLD", "hello world"},
      // No colon after the handle: not a retweet prefix, kept as text.
      {"RT @bob Hello World", "rt @bob hello world"},
      {"RT @bob", "rt @bob"},
      // The colon must belong to the handle, not come later in the text.
      {"RT @bob says: hi", "rt @bob says: hi"},
      {"RT @bob:", ""},
      {"RT bob: x", "rt bob: x"},
      // A retweet of a retweet is the same text too.
      {"RT @a: RT @b: text", "text"},
      {"RT @a: RT b: text", "rt b: text"},
      {"", ""},
      {"   ", ""},
      // Only ASCII letters change case; other bytes are kept as they are.
      {"Caf\xC3\x89 \xC3\x9C", "caf\xC3\x89 \xC3\x9C"},
      {"Don't  PANIC!", "don't panic!"},
  };
  for (const auto& [text, expected] : cases) {
    EXPECT_EQ(NormalizeForRepost(text), expected) << '"' << text << '"';
  }
  EXPECT_EQ(NormalizeForRepost("RT @bob: Hello  World"), NormalizeForRepost("hello world"));
}

TEST(Dedupe, IsRetweetNeedsTheMarkerAtTheStart) {
  EXPECT_TRUE(IsRetweet("RT @bob: hello"));
  EXPECT_TRUE(IsRetweet("  rt @bob:hello"));
  EXPECT_FALSE(IsRetweet("RT bob: hello"));
  EXPECT_FALSE(IsRetweet("hello RT @bob: hello"));
  EXPECT_FALSE(IsRetweet("RT @bob hello: world"));
  EXPECT_FALSE(IsRetweet("RT @"));
}

TEST(Dedupe, CountWordsCountsNormalisedWords) {
  EXPECT_EQ(CountWords(""), 0u);
  EXPECT_EQ(CountWords("one"), 1u);
  EXPECT_EQ(CountWords(NormalizeForRepost("  My ACME   router\tcaught fire ")), 5u);
}

TEST(Dedupe, FindRepostIsNulloptForUnrecordedText) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Find(*store, "my router is down", 1000, 60000), std::nullopt);
  ASSERT_TRUE(IsOk(Record(*store, "my router is down", 1000, 5)));
  EXPECT_EQ(Find(*store, "my router is down again", 1000, 60000), std::nullopt);
  EXPECT_EQ(Find(*store, "", 1000, 60000), std::nullopt);
}

TEST(Dedupe, FindRepostFindsTextsWithinTheWindowInBothDirections) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  constexpr int64_t kT = 1752746400000;
  constexpr int64_t kWindow = 3600000;
  const std::string text = NormalizeForRepost("My router is DOWN");
  ASSERT_TRUE(IsOk(Record(*store, text, kT, 17)));
  EXPECT_EQ(Find(*store, text, kT, kWindow), 17u);
  EXPECT_EQ(Find(*store, text, kT + kWindow, kWindow), 17u);  // the window's ends are inside
  EXPECT_EQ(Find(*store, text, kT - kWindow, kWindow), 17u);  // a repost can arrive before its original
  EXPECT_EQ(Find(*store, text, kT + kWindow + 1, kWindow), std::nullopt);
  EXPECT_EQ(Find(*store, text, kT - kWindow - 1, kWindow), std::nullopt);
  EXPECT_EQ(Find(*store, text, kT + 1, 0), std::nullopt);
  EXPECT_EQ(Find(*store, text, kT, 0), 17u);
  // A retweet of it normalises to the same text.
  EXPECT_EQ(Find(*store, NormalizeForRepost("RT @ann:   my router is down "), kT + 5000, kWindow), 17u);
}

TEST(Dedupe, RecordTextOverwritesTheEarlierRecord) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  constexpr int64_t kWindow = 1000;
  ASSERT_TRUE(IsOk(Record(*store, "outage", 0, 1)));
  ASSERT_TRUE(IsOk(Record(*store, "outage", 1000000, 2)));
  EXPECT_EQ(Find(*store, "outage", 1000000, kWindow), 2u);
  EXPECT_EQ(Find(*store, "outage", 0, kWindow), std::nullopt);  // the old time is gone
  EXPECT_EQ(Find(*store, "different", 0, kWindow), std::nullopt);
}

TEST(Dedupe, RecordedTextPersistsAcrossReopen) {
  TempDir temp;
  {
    std::unique_ptr<Store> store = OpenStore(temp.path());
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(IsOk(Record(*store, "outage", 5000, UINT64_MAX)));
  }
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Find(*store, "outage", 5000, 10), UINT64_MAX);
}

}  // namespace
}  // namespace earshot::store
