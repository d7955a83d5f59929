#include "store/store.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/cursors.h"
#include "store/history.h"
#include "tests/store/temp_dir.h"

namespace earshot::store {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr size_t kMiB = size_t{1} << 20;

// The value under `key`, nullopt when absent; a failed read fails the test.
std::optional<std::string> ReadValue(Store& store, Table table, std::string_view key) {
  std::optional<std::string> value;
  EXPECT_TRUE(IsOk(store.Read([&](Txn& txn) -> core::Status {
    core::Result<std::optional<std::string_view>> found = txn.Get(table, key);
    if (!found) return found.error();
    if (found->has_value()) value = std::string(**found);
    return core::Status::Ok();
  })));
  return value;
}

core::Status PutOne(Store& store, Table table, std::string_view key, std::string_view value) {
  return store.Write([&](Txn& txn) { return txn.Put(table, key, value); });
}

uint64_t CountOf(Store& store, Table table) {
  uint64_t count = 0;
  EXPECT_TRUE(IsOk(store.Read([&](Txn& txn) -> core::Status {
    core::Result<uint64_t> n = txn.Count(table);
    if (!n) return n.error();
    count = *n;
    return core::Status::Ok();
  })));
  return count;
}

// `size` bytes that differ for every seed, so values that got mixed up or cut short are noticed.
std::string Filler(size_t size, uint32_t seed) {
  std::string out(size, '\0');
  uint32_t state = seed * 2654435761u + 1;
  for (char& c : out) {
    state = state * 1664525u + 1013904223u;
    c = static_cast<char>(state >> 24);
  }
  return out;
}

std::string Key(int i) { return "key-" + std::to_string(1000 + i); }

void WriteFile(const fs::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  ASSERT_TRUE(out.good()) << path;
}

// --- Opening ---------------------------------------------------------------------------------

TEST(Store, OpenCreatesMissingDirectoryAndLmdbFiles) {
  TempDir temp;
  const fs::path dir = temp.path() / "nested" / "data";
  std::unique_ptr<Store> store = OpenStore(dir);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->dir(), dir);
  EXPECT_TRUE(fs::is_directory(dir));
  EXPECT_TRUE(fs::is_regular_file(dir / "data.mdb"));
  EXPECT_TRUE(fs::is_regular_file(dir / "lock.mdb"));
  EXPECT_GT(store->file_bytes(), 0u);
  EXPECT_EQ(store->map_bytes(), StoreOptions{}.initial_map_bytes);
}

TEST(Store, ReopenKeepsCommittedData) {
  TempDir temp;
  {
    std::unique_ptr<Store> store = OpenStore(temp.path());
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(IsOk(PutOne(*store, Table::kCursors, "k", "v")));
  }
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(ReadValue(*store, Table::kCursors, "k"), "v");
}

TEST(Store, DataDirThatIsARegularFileIsInvalidArgument) {
  TempDir temp;
  const fs::path file = temp.path() / "not-a-dir";
  WriteFile(file, "hello");
  core::Result<std::unique_ptr<Store>> store = Store::Open(file);
  ASSERT_FALSE(store.has_value());
  EXPECT_TRUE(store.error().IsInvalidArgument()) << store.error().ToString();
  EXPECT_THAT(store.error().message(), HasSubstr("not a directory"));
  EXPECT_THAT(store.error().message(), HasSubstr(file.string()));
}

TEST(Store, DataDirBelowARegularFileIsIOErrorNamingIt) {
  TempDir temp;
  WriteFile(temp.path() / "file", "hello");
  const fs::path dir = temp.path() / "file" / "sub";
  core::Result<std::unique_ptr<Store>> store = Store::Open(dir);
  ASSERT_FALSE(store.has_value());
  EXPECT_TRUE(store.error().IsIOError()) << store.error().ToString();
  EXPECT_THAT(store.error().message(), HasSubstr(dir.string()));
}

TEST(Store, GarbageDataFileIsCorruptionNamingTheDirectory) {
  const std::vector<std::string> contents = {std::string(64 * 1024, 'x'), std::string(64 * 1024, '\0'),
                                             std::string(100, 'x')};
  for (const std::string& content : contents) {
    SCOPED_TRACE(testing::Message() << content.size() << " bytes of " << static_cast<int>(content[0]));
    TempDir temp;
    WriteFile(temp.path() / "data.mdb", content);
    core::Result<std::unique_ptr<Store>> store = Store::Open(temp.path());
    ASSERT_FALSE(store.has_value());
    EXPECT_TRUE(store.error().IsCorruption()) << store.error().ToString();
    EXPECT_THAT(store.error().message(), HasSubstr(temp.path().string()));
    EXPECT_THAT(store.error().message(), HasSubstr("not an Earshot data file or is corrupt"));
  }
}

TEST(Store, CreateIfMissingFalseOnEmptyDirectoryIsNotFound) {
  TempDir temp;
  StoreOptions options;
  options.create_if_missing = false;
  core::Result<std::unique_ptr<Store>> store = Store::Open(temp.path(), options);
  ASSERT_FALSE(store.has_value());
  EXPECT_TRUE(store.error().IsNotFound()) << store.error().ToString();
  EXPECT_THAT(store.error().message(), HasSubstr(temp.path().string()));
  EXPECT_FALSE(fs::exists(temp.path() / "data.mdb"));
}

TEST(Store, CreateIfMissingFalseOnMissingDirectoryIsNotFoundAndCreatesNothing) {
  TempDir temp;
  StoreOptions options;
  options.create_if_missing = false;
  const fs::path dir = temp.path() / "typo";
  core::Result<std::unique_ptr<Store>> store = Store::Open(dir, options);
  ASSERT_FALSE(store.has_value());
  EXPECT_TRUE(store.error().IsNotFound()) << store.error().ToString();
  EXPECT_FALSE(fs::exists(dir));
}

TEST(Store, CreateIfMissingFalseOpensExistingData) {
  TempDir temp;
  {
    std::unique_ptr<Store> store = OpenStore(temp.path());
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(IsOk(PutOne(*store, Table::kCursors, "k", "v")));
  }
  StoreOptions options;
  options.create_if_missing = false;
  std::unique_ptr<Store> store = OpenStore(temp.path(), options);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(ReadValue(*store, Table::kCursors, "k"), "v");
}

TEST(Store, SchemaMismatchIsCorruptionNamingBothFormats) {
  TempDir temp;
  std::string current;
  {
    std::unique_ptr<Store> store = OpenStore(temp.path());
    ASSERT_NE(store, nullptr);
    std::optional<std::string> schema = ReadValue(*store, Table::kMeta, "schema");
    ASSERT_TRUE(schema.has_value());
    current = *schema;
    ASSERT_TRUE(IsOk(PutOne(*store, Table::kMeta, "schema", "earshot-store-999")));
  }
  core::Result<std::unique_ptr<Store>> store = Store::Open(temp.path());
  ASSERT_FALSE(store.has_value());
  EXPECT_TRUE(store.error().IsCorruption()) << store.error().ToString();
  EXPECT_THAT(store.error().message(), HasSubstr("'earshot-store-999'"));
  EXPECT_THAT(store.error().message(), HasSubstr("'" + current + "'"));
  EXPECT_THAT(store.error().message(), HasSubstr(temp.path().string()));
}

// --- Transactions ----------------------------------------------------------------------------

TEST(Store, WriteCommitsAndReadSeesIt) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(ReadValue(*store, Table::kCursors, "k"), std::nullopt);
  ASSERT_TRUE(IsOk(store->Write([](Txn& txn) -> core::Status {
    EXPECT_TRUE(txn.writable());
    EARSHOT_RETURN_IF_ERROR(txn.Put(Table::kCursors, "k", "v1"));
    // A write transaction sees its own writes.
    core::Result<std::optional<std::string_view>> found = txn.Get(Table::kCursors, "k");
    EXPECT_TRUE(found.has_value() && found->has_value() && **found == "v1");
    return txn.Put(Table::kCursors, "k", "v2");  // overwrites
  })));
  EXPECT_EQ(ReadValue(*store, Table::kCursors, "k"), "v2");
}

TEST(Store, BodyErrorWritesNothingAndIsReturned) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(IsOk(PutOne(*store, Table::kCursors, "kept", "old")));
  core::Status status = store->Write([](Txn& txn) -> core::Status {
    EARSHOT_RETURN_IF_ERROR(txn.Put(Table::kCursors, "new", "x"));
    EARSHOT_RETURN_IF_ERROR(txn.Put(Table::kCursors, "kept", "changed"));
    core::Result<bool> deleted = txn.Delete(Table::kCursors, "kept");
    EXPECT_TRUE(deleted.has_value() && *deleted);
    return core::Status::InvalidArgument("body says no");
  });
  EXPECT_TRUE(status.IsInvalidArgument()) << status.ToString();
  EXPECT_THAT(status.message(), HasSubstr("body says no"));
  EXPECT_EQ(ReadValue(*store, Table::kCursors, "new"), std::nullopt);
  EXPECT_EQ(ReadValue(*store, Table::kCursors, "kept"), "old");
}

TEST(Store, ReadTransactionIsNotWritable) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(IsOk(store->Read([](Txn& txn) -> core::Status {
    EXPECT_FALSE(txn.writable());
    EXPECT_FALSE(txn.Put(Table::kCursors, "k", "v").ok());
    return core::Status::Ok();
  })));
  EXPECT_EQ(ReadValue(*store, Table::kCursors, "k"), std::nullopt);
}

TEST(Store, ReadReturnsTheBodysError) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  core::Status status = store->Read([](Txn&) { return core::Status::NotFound("nothing here"); });
  EXPECT_TRUE(status.IsNotFound());
  EXPECT_THAT(status.message(), HasSubstr("nothing here"));
}

// Write and Read retry on their own when LMDB reports that the map must grow or was grown by
// another process. An error the body itself returns is not such a report and must come back
// after one run, whatever its code.
TEST(Store, BodyErrorsAreNotMistakenForMapResizes) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  int runs = 0;
  core::Status status = store->Write([&](Txn&) {
    // Only the first run fails, so a retrying Write ends instead of spinning for ever.
    return ++runs == 1 ? core::Status::Unavailable("server down") : core::Status::Ok();
  });
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(status.code(), core::StatusCode::kUnavailable) << status.ToString();

  runs = 0;
  status = store->Read(
      [&](Txn&) { return ++runs == 1 ? core::Status::Unavailable("server down") : core::Status::Ok(); });
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(status.code(), core::StatusCode::kUnavailable) << status.ToString();
}

TEST(Store, TablesAreSeparateKeySpaces) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(IsOk(store->Write([](Txn& txn) -> core::Status {
    EARSHOT_RETURN_IF_ERROR(txn.Put(Table::kCursors, "k", "cursor"));
    return txn.Put(Table::kThreads, "k", "thread");
  })));
  EXPECT_EQ(ReadValue(*store, Table::kCursors, "k"), "cursor");
  EXPECT_EQ(ReadValue(*store, Table::kThreads, "k"), "thread");
  EXPECT_EQ(ReadValue(*store, Table::kSeen, "k"), std::nullopt);
}

TEST(Store, KeysAndValuesAreBinarySafe) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  const std::string key("a\0b", 3);
  const std::string value("\0\xff\0", 3);
  ASSERT_TRUE(IsOk(PutOne(*store, Table::kCursors, key, value)));
  EXPECT_EQ(ReadValue(*store, Table::kCursors, key), value);
  EXPECT_EQ(ReadValue(*store, Table::kCursors, "a"), std::nullopt);
  ASSERT_TRUE(IsOk(PutOne(*store, Table::kCursors, "empty", "")));
  EXPECT_EQ(ReadValue(*store, Table::kCursors, "empty"), "");
}

// LMDB keys are 1 to 511 bytes. Storing any other key is an error of that call (which fails the
// whole Write), not a crash; looking one up finds nothing or fails.
TEST(Store, EmptyAndOversizedKeysCannotBeStored) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  const std::string longest(511, 'k');
  ASSERT_TRUE(IsOk(PutOne(*store, Table::kCursors, longest, "v")));
  EXPECT_EQ(ReadValue(*store, Table::kCursors, longest), "v");
  for (const std::string& key : {std::string(), std::string(512, 'k')}) {
    SCOPED_TRACE(key.size());
    EXPECT_FALSE(PutOne(*store, Table::kCursors, key, "v").ok());
    core::Status status = store->Read([&](Txn& txn) -> core::Status {
      core::Result<std::optional<std::string_view>> found = txn.Get(Table::kCursors, key);
      if (found) {
        EXPECT_FALSE(found->has_value());
      }
      return core::Status::Ok();
    });
    EXPECT_TRUE(IsOk(status));
  }
  EXPECT_EQ(CountOf(*store, Table::kCursors), 1u);
}

TEST(Store, DeleteReportsWhetherTheKeyWasThere) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(IsOk(PutOne(*store, Table::kCursors, "k", "v")));
  std::vector<bool> results;
  ASSERT_TRUE(IsOk(store->Write([&](Txn& txn) -> core::Status {
    results.clear();
    for (std::string_view key : {"missing", "k", "k"}) {
      core::Result<bool> deleted = txn.Delete(Table::kCursors, key);
      if (!deleted) return deleted.error();
      results.push_back(*deleted);
    }
    return core::Status::Ok();
  })));
  EXPECT_EQ(results, (std::vector<bool>{false, true, false}));
  EXPECT_EQ(ReadValue(*store, Table::kCursors, "k"), std::nullopt);
}

TEST(Store, ScanVisitsKeysInByteOrderFromTheStartKey) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(IsOk(store->Write([](Txn& txn) -> core::Status {
    for (std::string_view key : {"d", "b", "a", "c", "bb", "\xff"}) {
      EARSHOT_RETURN_IF_ERROR(txn.Put(Table::kCursors, key, std::string(key) + "!"));
    }
    return core::Status::Ok();
  })));
  auto scan = [&](std::string_view from, size_t stop_after) {
    std::vector<std::string> keys;
    EXPECT_TRUE(IsOk(store->Read([&](Txn& txn) {
      return txn.Scan(Table::kCursors, from, [&](std::string_view key, std::string_view value) {
        EXPECT_EQ(value, std::string(key) + "!");
        keys.emplace_back(key);
        return keys.size() < stop_after;
      });
    })));
    return keys;
  };
  using Keys = std::vector<std::string>;
  EXPECT_EQ(scan("", 100), (Keys{"a", "b", "bb", "c", "d", "\xff"}));
  EXPECT_EQ(scan("b", 100), (Keys{"b", "bb", "c", "d", "\xff"}));
  EXPECT_EQ(scan("ba", 100), (Keys{"bb", "c", "d", "\xff"}));
  EXPECT_EQ(scan("e", 100), (Keys{"\xff"}));
  EXPECT_EQ(scan("\xff\xff", 100), Keys{});
  // Returning false stops the scan at once.
  EXPECT_EQ(scan("", 2), (Keys{"a", "b"}));
  EXPECT_EQ(scan("c", 1), (Keys{"c"}));
}

TEST(Store, ScanOfEmptyTableVisitsNothing) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  int visits = 0;
  EXPECT_TRUE(IsOk(store->Read([&](Txn& txn) {
    return txn.Scan(Table::kCursors, "", [&](std::string_view, std::string_view) { return ++visits > 0; });
  })));
  EXPECT_EQ(visits, 0);
}

TEST(Store, CountCountsTheEntriesOfOneTable) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(CountOf(*store, Table::kCursors), 0u);
  ASSERT_TRUE(IsOk(store->Write([](Txn& txn) -> core::Status {
    for (int i = 0; i < 25; ++i) EARSHOT_RETURN_IF_ERROR(txn.Put(Table::kCursors, Key(i), "v"));
    EARSHOT_RETURN_IF_ERROR(txn.Put(Table::kCursors, Key(0), "again"));  // overwrite, not a new entry
    return txn.Put(Table::kSeen, "other", "");
  })));
  EXPECT_EQ(CountOf(*store, Table::kCursors), 25u);
  EXPECT_EQ(CountOf(*store, Table::kSeen), 1u);
  EXPECT_EQ(CountOf(*store, Table::kCases), 0u);
}

TEST(Store, BigEndian64RoundTripsAndSortsNumerically) {
  const std::vector<uint64_t> values = {0, 1, 255, 256, 65535, 1ull << 32, (1ull << 56) + 7, UINT64_MAX};
  std::string previous;
  for (uint64_t value : values) {
    std::string bytes;
    AppendBigEndian64(bytes, value);
    ASSERT_EQ(bytes.size(), 8u);
    EXPECT_EQ(ReadBigEndian64(bytes), value);
    EXPECT_LT(previous, bytes) << value;  // byte order is numeric order
    previous = bytes;
  }
  std::string two("ab");
  AppendBigEndian64(two, 0x0102030405060708ull);
  EXPECT_EQ(two, std::string("ab\x01\x02\x03\x04\x05\x06\x07\x08", 10));
}

// --- Map growth --------------------------------------------------------------------------------

TEST(Store, MapGrowsAcrossManyWritesAndDataSurvivesReopen) {
  TempDir temp;
  StoreOptions options;
  options.initial_map_bytes = kMiB;
  constexpr int kValues = 20;  // 20 × 1 MiB in 20 transactions
  {
    std::unique_ptr<Store> store = OpenStore(temp.path(), options);
    ASSERT_NE(store, nullptr);
    const uint64_t initial = store->map_bytes();
    EXPECT_EQ(initial, kMiB);
    for (int i = 0; i < kValues; ++i) {
      ASSERT_TRUE(IsOk(PutOne(*store, Table::kCursors, Key(i), Filler(kMiB, static_cast<uint32_t>(i))))) << i;
    }
    EXPECT_GE(store->map_bytes(), kValues * kMiB);
    EXPECT_GE(store->map_bytes(), store->file_bytes());
  }
  std::unique_ptr<Store> store = OpenStore(temp.path(), options);
  ASSERT_NE(store, nullptr);
  EXPECT_GE(store->map_bytes(), store->file_bytes());
  EXPECT_EQ(CountOf(*store, Table::kCursors), static_cast<uint64_t>(kValues));
  for (int i = 0; i < kValues; ++i) {
    EXPECT_TRUE(ReadValue(*store, Table::kCursors, Key(i)) == Filler(kMiB, static_cast<uint32_t>(i))) << i;
  }
  // And it keeps growing after the reopen.
  ASSERT_TRUE(IsOk(PutOne(*store, Table::kCursors, Key(kValues), Filler(4 * kMiB, 99))));
  EXPECT_TRUE(ReadValue(*store, Table::kCursors, Key(kValues)) == Filler(4 * kMiB, 99));
}

// Growth re-runs the body in a fresh transaction: the property is that each run starts from the
// committed state (nothing of an aborted run is visible) and that the result equals one run.
TEST(Store, MapGrowsWithinOneWriteAndTheBodyRerunsOnACleanTransaction) {
  TempDir temp;
  StoreOptions options;
  options.initial_map_bytes = kMiB;
  constexpr int kValues = 5;  // 5 × 4 MiB in one transaction
  constexpr size_t kValueBytes = 4 * kMiB;
  int runs = 0;
  int dirty_runs = 0;
  {
    std::unique_ptr<Store> store = OpenStore(temp.path(), options);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(IsOk(PutOne(*store, Table::kMeta, "runs", "0")));
    ASSERT_TRUE(IsOk(store->Write([&](Txn& txn) -> core::Status {
      ++runs;
      core::Result<uint64_t> count = txn.Count(Table::kCursors);
      if (!count) return count.error();
      core::Result<std::optional<std::string_view>> counter = txn.Get(Table::kMeta, "runs");
      if (!counter) return counter.error();
      if (*count != 0 || !counter->has_value() || **counter != "0") ++dirty_runs;
      const std::string next = std::to_string(std::stoi(std::string(counter->value_or("0"))) + 1);
      EARSHOT_RETURN_IF_ERROR(txn.Put(Table::kMeta, "runs", next));
      for (int i = 0; i < kValues; ++i) {
        EARSHOT_RETURN_IF_ERROR(
            txn.Put(Table::kCursors, Key(i), Filler(kValueBytes, static_cast<uint32_t>(i))));
      }
      return core::Status::Ok();
    })));
    EXPECT_GE(runs, 2) << "a 1 MiB map cannot hold 20 MiB without growing";
    EXPECT_EQ(dirty_runs, 0);
    EXPECT_GE(store->map_bytes(), kValues * kValueBytes);
    EXPECT_EQ(ReadValue(*store, Table::kMeta, "runs"), "1");
  }
  std::unique_ptr<Store> store = OpenStore(temp.path(), options);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(ReadValue(*store, Table::kMeta, "runs"), "1");
  EXPECT_EQ(CountOf(*store, Table::kCursors), static_cast<uint64_t>(kValues));
  for (int i = 0; i < kValues; ++i) {
    EXPECT_TRUE(ReadValue(*store, Table::kCursors, Key(i)) == Filler(kValueBytes, static_cast<uint32_t>(i)))
        << i;
  }
}

// Growing remaps the file; the property is that readers running at the same time never see an
// error or a torn value, that what they count only goes up (each commit adds one value), and that
// a steady stream of overlapping reads does not keep a growing write waiting (the readers give up
// at a deadline, so a writer starved until then fails the test instead of hanging it).
TEST(Store, ReadersRunSafelyWhileTheMapGrows) {
  TempDir temp;
  StoreOptions options;
  options.initial_map_bytes = kMiB;
  std::unique_ptr<Store> store = OpenStore(temp.path(), options);
  ASSERT_NE(store, nullptr);
  constexpr int kValues = 24;
  constexpr size_t kValueBytes = 256 * 1024;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::atomic<bool> done{false};
  std::atomic<int> read_failures{0};
  std::atomic<int> reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      uint64_t last_count = 0;
      while (!done.load() && std::chrono::steady_clock::now() < deadline) {
        core::Status status = store->Read([&](Txn& txn) -> core::Status {
          core::Result<uint64_t> count = txn.Count(Table::kCursors);
          if (!count) return count.error();
          if (*count < last_count) ++read_failures;
          last_count = *count;
          if (*count == 0) return core::Status::Ok();
          const int newest = static_cast<int>(*count) - 1;
          core::Result<std::optional<std::string_view>> value = txn.Get(Table::kCursors, Key(newest));
          if (!value) return value.error();
          if (!value->has_value() || **value != Filler(kValueBytes, static_cast<uint32_t>(newest)))
            ++read_failures;
          return core::Status::Ok();
        });
        if (!status.ok()) {
          ADD_FAILURE() << status.ToString();
          ++read_failures;
        }
        ++reads;
      }
    });
  }
  for (int i = 0; i < kValues; ++i) {
    EXPECT_TRUE(IsOk(PutOne(*store, Table::kCursors, Key(i), Filler(kValueBytes, static_cast<uint32_t>(i)))));
  }
  EXPECT_LT(std::chrono::steady_clock::now(), deadline) << "the writes waited for the readers to stop";
  done = true;
  for (std::thread& reader : readers) reader.join();
  EXPECT_EQ(read_failures.load(), 0);
  EXPECT_GT(reads.load(), 0);
  EXPECT_GT(store->map_bytes(), kMiB);
  EXPECT_EQ(CountOf(*store, Table::kCursors), static_cast<uint64_t>(kValues));
}

// --- Cursors -----------------------------------------------------------------------------------

TEST(Cursors, AbsentCursorIsEmpty) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(IsOk(store->Read([](Txn& txn) -> core::Status {
    core::Result<std::string> cursor = LoadCursor(txn, "mastodon-main");
    if (!cursor) return cursor.error();
    EXPECT_EQ(*cursor, "");
    return core::Status::Ok();
  })));
}

TEST(Cursors, SavedCursorLoadsBackPerSourceAndAfterReopen) {
  TempDir temp;
  const std::string binary("off\0set\xff", 8);
  {
    std::unique_ptr<Store> store = OpenStore(temp.path());
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(IsOk(store->Write([&](Txn& txn) -> core::Status {
      EARSHOT_RETURN_IF_ERROR(SaveCursor(txn, "a", "cursor-a-1"));
      EARSHOT_RETURN_IF_ERROR(SaveCursor(txn, "b", binary));
      return SaveCursor(txn, "a", "cursor-a-2");  // the newest save wins
    })));
  }
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(IsOk(store->Read([&](Txn& txn) -> core::Status {
    for (auto [source, expected] :
         {std::pair<std::string_view, std::string_view>{"a", "cursor-a-2"}, {"b", binary}, {"c", ""}}) {
      core::Result<std::string> cursor = LoadCursor(txn, source);
      if (!cursor) return cursor.error();
      EXPECT_EQ(*cursor, expected) << source;
    }
    return core::Status::Ok();
  })));
}

TEST(Cursors, CursorOfAFailedBatchIsNotSaved) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(IsOk(store->Write([](Txn& txn) { return SaveCursor(txn, "a", "1"); })));
  core::Status status = store->Write([](Txn& txn) -> core::Status {
    EARSHOT_RETURN_IF_ERROR(SaveCursor(txn, "a", "2"));
    return core::Status::Internal("batch failed");
  });
  EXPECT_FALSE(status.ok());
  ASSERT_TRUE(IsOk(store->Read([](Txn& txn) -> core::Status {
    core::Result<std::string> cursor = LoadCursor(txn, "a");
    if (!cursor) return cursor.error();
    EXPECT_EQ(*cursor, "1");
    return core::Status::Ok();
  })));
}

// --- History -----------------------------------------------------------------------------------

TEST(History, AbsentHistoryIsEmpty) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(IsOk(store->Read([](Txn& txn) -> core::Status {
    core::Result<AuthorBrandHistory> history = LoadHistory(txn, HistoryKey("jsonl", "@ann", "acme"));
    if (!history) return history.error();
    EXPECT_EQ(history->current_case, 0u);
    EXPECT_EQ(history->last_post_ms, 0);
    EXPECT_EQ(history->unresolved, 0u);
    EXPECT_EQ(history->resolved, 0u);
    return core::Status::Ok();
  })));
}

TEST(History, SavedHistoryLoadsBackAfterReopen) {
  TempDir temp;
  const std::vector<AuthorBrandHistory> histories = {
      {42, 1752746400123, 3, 7},
      {UINT64_MAX, INT64_MAX, UINT32_MAX, UINT32_MAX},
      {1, -5, 0, UINT32_MAX},  // a timestamp before the epoch survives too
  };
  {
    std::unique_ptr<Store> store = OpenStore(temp.path());
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(IsOk(store->Write([&](Txn& txn) -> core::Status {
      for (size_t i = 0; i < histories.size(); ++i) {
        EARSHOT_RETURN_IF_ERROR(
            SaveHistory(txn, HistoryKey("jsonl", "@ann" + std::to_string(i), "acme"), histories[i]));
      }
      return core::Status::Ok();
    })));
  }
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(IsOk(store->Read([&](Txn& txn) -> core::Status {
    for (size_t i = 0; i < histories.size(); ++i) {
      core::Result<AuthorBrandHistory> history =
          LoadHistory(txn, HistoryKey("jsonl", "@ann" + std::to_string(i), "acme"));
      if (!history) return history.error();
      EXPECT_EQ(history->current_case, histories[i].current_case) << i;
      EXPECT_EQ(history->last_post_ms, histories[i].last_post_ms) << i;
      EXPECT_EQ(history->unresolved, histories[i].unresolved) << i;
      EXPECT_EQ(history->resolved, histories[i].resolved) << i;
    }
    // Another brand, source or author has its own (empty) history.
    for (const std::string& key :
         {HistoryKey("jsonl", "@ann0", "other"), HistoryKey("mastodon", "@ann0", "acme"),
          HistoryKey("jsonl", "@bob", "acme")}) {
      core::Result<AuthorBrandHistory> history = LoadHistory(txn, key);
      if (!history) return history.error();
      EXPECT_EQ(history->current_case, 0u);
      EXPECT_EQ(history->unresolved, 0u);
    }
    return core::Status::Ok();
  })));
}

TEST(History, WrongSizedRecordIsCorruption) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  const std::string key = HistoryKey("jsonl", "@ann", "acme");
  ASSERT_TRUE(IsOk(PutOne(*store, Table::kThreads, key, "short")));
  ASSERT_TRUE(IsOk(store->Read([&](Txn& txn) -> core::Status {
    core::Result<AuthorBrandHistory> history = LoadHistory(txn, key);
    EXPECT_FALSE(history.has_value());
    if (!history) {
      EXPECT_TRUE(history.error().IsCorruption()) << history.error().ToString();
    }
    return core::Status::Ok();
  })));
}

// The author key comes from the posts and can be longer than LMDB allows for a key: the history
// must still load and save (a failure here would fail the whole batch), and stay per author.
TEST(History, LongAuthorKeysFitAndStayDistinct) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  const std::vector<std::string> keys = {
      HistoryKey("jsonl", std::string(600, 'a'), "acme"),
      HistoryKey("jsonl", std::string(600, 'a') + "b", "acme"),
      HistoryKey("jsonl", std::string(600, 'a'), "acme2"),
      HistoryKey("jsonl", std::string(100000, 'a'), "acme"),
      HistoryKey("jsonl", std::string(511, 'a'), ""),
  };
  for (size_t i = 0; i < keys.size(); ++i) {
    EXPECT_LE(keys[i].size(), 511u) << i;
    for (size_t j = i + 1; j < keys.size(); ++j) EXPECT_NE(keys[i], keys[j]) << i << " vs " << j;
  }
  EXPECT_EQ(HistoryKey("jsonl", std::string(600, 'a'), "acme"), keys[0]);  // deterministic
  ASSERT_TRUE(IsOk(store->Write([&](Txn& txn) -> core::Status {
    for (size_t i = 0; i < keys.size(); ++i) {
      core::Result<AuthorBrandHistory> history = LoadHistory(txn, keys[i]);
      if (!history) return history.error();
      history->unresolved = static_cast<uint32_t>(i + 1);
      EARSHOT_RETURN_IF_ERROR(SaveHistory(txn, keys[i], *history));
    }
    return core::Status::Ok();
  })));
  ASSERT_TRUE(IsOk(store->Read([&](Txn& txn) -> core::Status {
    for (size_t i = 0; i < keys.size(); ++i) {
      core::Result<AuthorBrandHistory> history = LoadHistory(txn, keys[i]);
      if (!history) return history.error();
      EXPECT_EQ(history->unresolved, i + 1) << i;
    }
    return core::Status::Ok();
  })));
  // Keys that fit are left exactly as they were.
  const std::string fits = HistoryKey("jsonl", std::string(499, 'a'), "acme");
  EXPECT_EQ(fits, "jsonl" + std::string(1, '\0') + std::string(499, 'a') + std::string(1, '\0') + "acme");
  EXPECT_EQ(fits.size(), 510u);
}

TEST(History, KeysOfDifferentTriplesDiffer) {
  // The separator keeps apart triples whose concatenations are equal. (Fields that themselves
  // contain '\0' are not kept apart: handles, sources and brand ids never contain one.)
  const std::vector<std::string> keys = {
      HistoryKey("ab", "c", "d"), HistoryKey("a", "bc", "d"), HistoryKey("a", "b", "cd"),
      HistoryKey("a", "", "bcd"), HistoryKey("", "abc", "d"), HistoryKey("abcd", "", ""),
      HistoryKey("a", "b", "c"),  HistoryKey("a", "b", ""),   HistoryKey("a", "", "b"),
      HistoryKey("", "a", "b"),   HistoryKey("", "", ""),     HistoryKey("a", "b", std::string("c\0", 2)),
  };
  for (size_t i = 0; i < keys.size(); ++i) {
    for (size_t j = i + 1; j < keys.size(); ++j) EXPECT_NE(keys[i], keys[j]) << i << " vs " << j;
  }
  EXPECT_EQ(HistoryKey("jsonl", "@ann", "acme"), std::string("jsonl\0@ann\0acme", 15));
}

}  // namespace
}  // namespace earshot::store
