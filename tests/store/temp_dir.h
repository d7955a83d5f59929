// Helpers shared by the store tests: a per-test temporary directory, opening a Store in it, and
// the outbox's depth.
//
// Every test gets its own directory (pid + test name + a counter), so tests running in parallel
// (ctest -j starts one process per test) never share one, and no LMDB environment is opened twice
// at the same time (lmdb.h: never open the same environment twice in one process).
#ifndef EARSHOT_TESTS_STORE_TEMP_DIR_H_
#define EARSHOT_TESTS_STORE_TEMP_DIR_H_

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include <gtest/gtest.h>

#include "core/status.h"
#include "store/case_record.h"
#include "store/outbox.h"
#include "store/store.h"

namespace earshot::store {

// A fresh, empty directory that is removed, with everything in it, when the object dies. Close
// any Store opened in it first (declare the TempDir before the Store).
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    std::string name = "earshot_store_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
    if (const auto* info = ::testing::UnitTest::GetInstance()->current_test_info(); info != nullptr) {
      name += std::string("_") + info->test_suite_name() + "_" + info->name();
    }
    for (char& c : name) {
      if (c == '/') c = '_';  // parameterised test names
    }
    path_ = std::filesystem::temp_directory_path() / name;
    std::error_code error;
    std::filesystem::remove_all(path_, error);
    std::filesystem::create_directories(path_, error);
    EXPECT_FALSE(error) << "create " << path_ << ": " << error.message();
  }
  ~TempDir() {
    std::error_code error;
    std::filesystem::remove_all(path_, error);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// For EXPECT_TRUE(IsOk(status)): prints the status when it is not OK.
inline ::testing::AssertionResult IsOk(const core::Status& status) {
  if (status.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << status.ToString();
}

// Opens a store that must open; null (and a test failure) otherwise.
inline std::unique_ptr<Store> OpenStore(const std::filesystem::path& dir, const StoreOptions& options = {}) {
  core::Result<std::unique_ptr<Store>> store = Store::Open(dir, options);
  EXPECT_TRUE(store.has_value()) << store.error().ToString();
  if (!store) return nullptr;
  return std::move(store).value();
}

// A queued case by "@ann" about brand "acme" with one post, opened at 2025-07-17T10:00:00Z: the
// record the queue, outbox and publisher tests start from (each adjusts what it is about).
inline CaseRecord SampleCase(uint64_t number, double urgency, core::Severity severity = core::Severity::kMedium) {
  constexpr int64_t kOpened = 1752746400000;
  CaseRecord record;
  record.number = number;
  record.urgency = urgency;
  record.severity = severity;
  record.brand = "acme";
  record.source = "jsonl";
  record.author = "@ann";
  record.author_key = "ann";
  record.categories = {"outage"};
  record.opened_ms = kOpened;
  record.updated_ms = kOpened;
  record.last_post_ms = kOpened;
  CasePost post;
  post.id = "post-" + std::to_string(number);
  post.source = "jsonl";
  post.text = "router down";
  post.urgency = urgency;
  record.AddPost(post);
  return record;
}

// How many entries wait in the store's outbox (store/outbox.h); a failed read fails the test.
inline uint64_t OutboxDepthOf(Store& store) {
  uint64_t depth = 0;
  EXPECT_TRUE(IsOk(store.Read([&](Txn& txn) -> core::Status {
    core::Result<uint64_t> count = OutboxDepth(txn);
    if (!count) return count.error();
    depth = *count;
    return core::Status::Ok();
  })));
  return depth;
}

}  // namespace earshot::store

#endif  // EARSHOT_TESTS_STORE_TEMP_DIR_H_
