#include "store/outbox.h"

#include <lmdb.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/cursors.h"
#include "store/queue.h"
#include "tests/store/temp_dir.h"

namespace earshot::store {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

CaseRecord Case(uint64_t number, uint32_t version) {
  CaseRecord record;
  record.number = number;
  record.version = version;
  return record;
}

// Appends one entry per record in one transaction.
core::Status Append(Store& store, const std::vector<CaseRecord>& records) {
  return store.Write([&](Txn& txn) -> core::Status {
    for (const CaseRecord& record : records) EARSHOT_RETURN_IF_ERROR(AppendToOutbox(txn, record));
    return core::Status::Ok();
  });
}

std::vector<OutboxEntry> Peek(Store& store, size_t max) {
  std::vector<OutboxEntry> entries;
  EXPECT_TRUE(IsOk(store.Read([&](Txn& txn) -> core::Status {
    core::Result<std::vector<OutboxEntry>> peeked = PeekOutbox(txn, max);
    if (!peeked) return peeked.error();
    entries = std::move(*peeked);
    return core::Status::Ok();
  })));
  return entries;
}

core::Status Remove(Store& store, std::vector<uint64_t> sequences) {
  return store.Write([&](Txn& txn) { return RemoveFromOutbox(txn, sequences); });
}

std::vector<uint64_t> Sequences(const std::vector<OutboxEntry>& entries) {
  std::vector<uint64_t> sequences;
  for (const OutboxEntry& entry : entries) sequences.push_back(entry.sequence);
  return sequences;
}

std::string BigEndian64(uint64_t value) {
  std::string out;
  AppendBigEndian64(out, value);
  return out;
}

TEST(Outbox, EmptyOutboxHasNothingToPeekAndDepthZero) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(Peek(*store, 10).empty());
  EXPECT_EQ(OutboxDepthOf(*store), 0u);
}

TEST(Outbox, EntriesComeBackOldestFirstWithTheirCaseAndVersion) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(IsOk(Append(*store, {Case(7, 1), Case(3, 2)})));
  ASSERT_TRUE(IsOk(Append(*store, {Case(7, 4000000000u)})));

  const std::vector<OutboxEntry> entries = Peek(*store, 10);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_THAT(Sequences(entries), ElementsAre(1, 2, 3));
  EXPECT_EQ(entries[0].case_number, 7u);
  EXPECT_EQ(entries[0].version, 1u);
  EXPECT_EQ(entries[1].case_number, 3u);
  EXPECT_EQ(entries[1].version, 2u);
  EXPECT_EQ(entries[2].case_number, 7u);
  EXPECT_EQ(entries[2].version, 4000000000u);  // all 32 bits survive
  EXPECT_EQ(OutboxDepthOf(*store), 3u);
}

TEST(Outbox, StoredBytesFollowTheDocumentedLayout) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(IsOk(Append(*store, {Case(0x0102030405060708, 0x0a0b0c0d)})));
  std::optional<std::string> value;
  std::optional<std::string> next;
  ASSERT_TRUE(IsOk(store->Read([&](Txn& txn) -> core::Status {
    core::Result<std::optional<std::string_view>> found = txn.Get(Table::kOutbox, BigEndian64(1));
    if (!found) return found.error();
    if (found->has_value()) value = std::string(**found);
    core::Result<std::optional<std::string_view>> counter = txn.Get(Table::kMeta, "next_outbox");
    if (!counter) return counter.error();
    if (counter->has_value()) next = std::string(**counter);
    return core::Status::Ok();
  })));
  EXPECT_EQ(value, std::string("\x01\x02\x03\x04\x05\x06\x07\x08\x0a\x0b\x0c\x0d", 12));
  EXPECT_EQ(next, BigEndian64(2));
}

TEST(Outbox, PeekStopsAtMax) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  std::vector<CaseRecord> records;
  for (uint64_t number = 1; number <= 5; ++number) records.push_back(Case(number, 1));
  ASSERT_TRUE(IsOk(Append(*store, records)));
  EXPECT_THAT(Sequences(Peek(*store, 2)), ElementsAre(1, 2));
  EXPECT_TRUE(Peek(*store, 0).empty());
  EXPECT_EQ(Peek(*store, 100).size(), 5u);
}

TEST(Outbox, SequencesOrderNumericallyPastOneByte) {
  // Big-endian keys: entry 256 must come after entry 255, not between 1 and 2.
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  std::vector<CaseRecord> records;
  for (uint64_t number = 1; number <= 300; ++number) records.push_back(Case(number, 1));
  ASSERT_TRUE(IsOk(Append(*store, records)));
  const std::vector<OutboxEntry> entries = Peek(*store, 1000);
  ASSERT_EQ(entries.size(), 300u);
  for (size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(entries[i].sequence, i + 1);
    EXPECT_EQ(entries[i].case_number, i + 1);
  }
}

TEST(Outbox, RemoveDeletesOnlyTheGivenEntriesAndIgnoresAbsentOnes) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(IsOk(Append(*store, {Case(1, 1), Case(2, 1), Case(3, 1), Case(4, 1)})));
  ASSERT_TRUE(IsOk(Remove(*store, {1, 3})));
  EXPECT_THAT(Sequences(Peek(*store, 10)), ElementsAre(2, 4));
  // Already gone (another drainer got there first) and never existed: not errors.
  ASSERT_TRUE(IsOk(Remove(*store, {1, 3, 99})));
  EXPECT_THAT(Sequences(Peek(*store, 10)), ElementsAre(2, 4));
  EXPECT_EQ(OutboxDepthOf(*store), 2u);
}

TEST(Outbox, SequencesAreNeverReusedAfterTheOutboxEmptiesOrTheStoreReopens) {
  TempDir temp;
  {
    std::unique_ptr<Store> store = OpenStore(temp.path());
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(IsOk(Append(*store, {Case(1, 1), Case(2, 1)})));
    ASSERT_TRUE(IsOk(Remove(*store, {1, 2})));
    EXPECT_EQ(OutboxDepthOf(*store), 0u);
    ASSERT_TRUE(IsOk(Append(*store, {Case(3, 1)})));
  }
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(IsOk(Append(*store, {Case(4, 1)})));
  const std::vector<OutboxEntry> entries = Peek(*store, 10);
  EXPECT_THAT(Sequences(entries), ElementsAre(3, 4));
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].case_number, 3u);
  EXPECT_EQ(entries[1].case_number, 4u);
}

TEST(Outbox, EntriesOfAFailedBatchAreNotWritten) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  core::Status status = store->Write([&](Txn& txn) -> core::Status {
    EARSHOT_RETURN_IF_ERROR(AppendToOutbox(txn, Case(1, 1)));
    return core::Status::IOError("batch failed");
  });
  EXPECT_TRUE(status.IsIOError());
  EXPECT_EQ(OutboxDepthOf(*store), 0u);
  // Nor was the counter advanced: the next entry is sequence 1.
  ASSERT_TRUE(IsOk(Append(*store, {Case(2, 1)})));
  EXPECT_THAT(Sequences(Peek(*store, 10)), ElementsAre(1));
}

TEST(Outbox, AppendsInTheSameTransactionAsTheCase) {
  // What the pipeline does: the case and its outbox entry commit together.
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(IsOk(store->Write([&](Txn& txn) -> core::Status {
    core::Result<uint64_t> number = AllocateCaseNumber(txn);
    if (!number) return number.error();
    CaseRecord record = Case(*number, 1);
    EARSHOT_RETURN_IF_ERROR(SaveCase(txn, nullptr, record));
    return AppendToOutbox(txn, record);
  })));
  const std::vector<OutboxEntry> entries = Peek(*store, 10);
  ASSERT_EQ(entries.size(), 1u);
  ASSERT_TRUE(IsOk(store->Read([&](Txn& txn) -> core::Status {
    core::Result<std::optional<CaseRecord>> loaded = LoadCase(txn, entries[0].case_number);
    if (!loaded) return loaded.error();
    EXPECT_TRUE(loaded->has_value());
    return core::Status::Ok();
  })));
}

TEST(Outbox, ValueOfTheWrongSizeIsCorruptionNamingTheEntry) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(IsOk(Append(*store, {Case(1, 1)})));
  ASSERT_TRUE(IsOk(store->Write([](Txn& txn) { return txn.Put(Table::kOutbox, BigEndian64(42), "short"); })));
  core::Status status = store->Read([](Txn& txn) -> core::Status {
    core::Result<std::vector<OutboxEntry>> entries = PeekOutbox(txn, 10);
    return entries ? core::Status::Ok() : entries.error();
  });
  EXPECT_TRUE(status.IsCorruption()) << status.ToString();
  EXPECT_THAT(status.message(), HasSubstr("outbox entry 42"));
  EXPECT_THAT(status.message(), HasSubstr("5 bytes"));
  // Entries before the bad one are still readable on their own.
  EXPECT_THAT(Sequences(Peek(*store, 1)), ElementsAre(1));
}

TEST(Outbox, KeyOfTheWrongSizeIsCorruptionShowingTheKey) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(IsOk(store->Write([](Txn& txn) {
    return txn.Put(Table::kOutbox, std::string("\x01\xff", 2), std::string(12, '\0'));
  })));
  core::Status status = store->Read([](Txn& txn) -> core::Status {
    core::Result<std::vector<OutboxEntry>> entries = PeekOutbox(txn, 10);
    return entries ? core::Status::Ok() : entries.error();
  });
  EXPECT_TRUE(status.IsCorruption()) << status.ToString();
  EXPECT_THAT(status.message(), HasSubstr("0x01ff"));
  EXPECT_THAT(status.message(), HasSubstr("2 bytes"));
}

TEST(Outbox, IsAKeySpaceOfItsOwn) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(IsOk(store->Write([](Txn& txn) { return SaveCase(txn, nullptr, Case(1, 1)); })));
  ASSERT_TRUE(IsOk(Append(*store, {Case(1, 1)})));
  // Sequence 1 and case 1 have the same key bytes; removing the entry must leave the case.
  ASSERT_TRUE(IsOk(Remove(*store, {1})));
  bool case_still_there = false;
  ASSERT_TRUE(IsOk(store->Read([&](Txn& txn) -> core::Status {
    core::Result<std::optional<CaseRecord>> loaded = LoadCase(txn, 1);
    if (!loaded) return loaded.error();
    case_still_there = loaded->has_value();
    return core::Status::Ok();
  })));
  EXPECT_TRUE(case_still_there);
  EXPECT_EQ(OutboxDepthOf(*store), 0u);
}

TEST(Outbox, EntriesSurviveReopen) {
  TempDir temp;
  {
    std::unique_ptr<Store> store = OpenStore(temp.path());
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(IsOk(Append(*store, {Case(5, 2), Case(6, 3)})));
  }
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  const std::vector<OutboxEntry> entries = Peek(*store, 10);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[1].case_number, 6u);
  EXPECT_EQ(entries[1].version, 3u);
}

// A data directory written before the outbox table existed: the eight tables of that layout, made
// with LMDB directly (the way the previous Store::Open made them), plus some data.
void WriteEightTableLayout(const std::string& dir) {
  MDB_env* env = nullptr;
  ASSERT_EQ(mdb_env_create(&env), 0);
  std::unique_ptr<MDB_env, decltype(&mdb_env_close)> owner(env, &mdb_env_close);
  ASSERT_EQ(mdb_env_set_maxdbs(env, 8), 0);
  ASSERT_EQ(mdb_env_open(env, dir.c_str(), 0, 0644), 0);
  MDB_txn* txn = nullptr;
  ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
  MDB_dbi dbis[8];
  const char* names[8] = {"meta", "seen", "texts", "cursors", "threads", "cases", "ready", "leases"};
  for (int i = 0; i < 8; ++i) ASSERT_EQ(mdb_dbi_open(txn, names[i], MDB_CREATE, &dbis[i]), 0) << names[i];
  const auto put = [&](MDB_dbi dbi, std::string_view key, std::string_view value) {
    MDB_val k{key.size(), const_cast<char*>(key.data())};
    MDB_val v{value.size(), const_cast<char*>(value.data())};
    return mdb_put(txn, dbi, &k, &v, 0);
  };
  ASSERT_EQ(put(dbis[0], "schema", "earshot-store-1"), 0);
  ASSERT_EQ(put(dbis[3], "jsonl", "cursor-bytes"), 0);
  ASSERT_EQ(mdb_txn_commit(txn), 0);
}

// True when the environment in `dir` has a named table "outbox".
bool HasOutboxTable(const std::string& dir) {
  MDB_env* env = nullptr;
  if (mdb_env_create(&env) != 0) return false;
  std::unique_ptr<MDB_env, decltype(&mdb_env_close)> owner(env, &mdb_env_close);
  if (mdb_env_set_maxdbs(env, 16) != 0 || mdb_env_open(env, dir.c_str(), MDB_RDONLY, 0644) != 0) return false;
  MDB_txn* txn = nullptr;
  if (mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) != 0) return false;
  MDB_dbi dbi;
  const int rc = mdb_dbi_open(txn, "outbox", 0, &dbi);
  mdb_txn_abort(txn);
  return rc == 0;
}

TEST(Outbox, DataDirectoryFromBeforeTheOutboxOpensAndGainsTheTable) {
  TempDir temp;
  const std::string dir = temp.path().string();
  WriteEightTableLayout(dir);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  ASSERT_FALSE(HasOutboxTable(dir));  // really the old layout

  {
    std::unique_ptr<Store> store = OpenStore(temp.path());
    ASSERT_NE(store, nullptr);
    std::string cursor;
    ASSERT_TRUE(IsOk(store->Read([&](Txn& txn) -> core::Status {
      core::Result<std::string> loaded = LoadCursor(txn, "jsonl");
      if (!loaded) return loaded.error();
      cursor = *loaded;
      return core::Status::Ok();
    })));
    EXPECT_EQ(cursor, "cursor-bytes");
    EXPECT_EQ(OutboxDepthOf(*store), 0u);
    ASSERT_TRUE(IsOk(Append(*store, {Case(9, 1)})));
  }
  EXPECT_TRUE(HasOutboxTable(dir));
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  const std::vector<OutboxEntry> entries = Peek(*store, 10);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].case_number, 9u);
}

}  // namespace
}  // namespace earshot::store
