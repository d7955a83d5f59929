#include "store/queue.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <latch>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/history.h"
#include "tests/store/temp_dir.h"

namespace earshot::store {
namespace {

using ::testing::HasSubstr;
using Numbers = std::vector<uint64_t>;

constexpr int64_t kNow = 1752746400000;  // 2025-07-17T10:00:00Z
constexpr int64_t kLeaseMs = 60000;

CaseRecord NewCase(uint64_t number, double urgency) { return SampleCase(number, urgency); }

// Allocates a number for each urgency in one transaction and queues the cases. Returns the numbers.
Numbers AddCases(Store& store, const std::vector<double>& urgencies) {
  Numbers numbers;
  EXPECT_TRUE(IsOk(store.Write([&](Txn& txn) -> core::Status {
    numbers.clear();
    for (double urgency : urgencies) {
      core::Result<uint64_t> number = AllocateCaseNumber(txn);
      if (!number) return number.error();
      EARSHOT_RETURN_IF_ERROR(SaveCase(txn, nullptr, NewCase(*number, urgency)));
      numbers.push_back(*number);
    }
    return core::Status::Ok();
  })));
  return numbers;
}

// Stores `record` as a new case in whatever state it is in.
void AddRecord(Store& store, const CaseRecord& record) {
  EXPECT_TRUE(IsOk(store.Write([&](Txn& txn) { return SaveCase(txn, nullptr, record); })));
}

std::vector<CaseRecord> Pull(Store& store, int64_t now_ms, size_t max, int64_t lease_ms = kLeaseMs) {
  std::vector<CaseRecord> pulled;
  EXPECT_TRUE(IsOk(store.Write([&](Txn& txn) -> core::Status {
    core::Result<std::vector<CaseRecord>> result = PullCases(txn, now_ms, max, lease_ms);
    if (!result) return result.error();
    pulled = std::move(*result);
    return core::Status::Ok();
  })));
  return pulled;
}

Numbers NumbersOf(const std::vector<CaseRecord>& records) {
  Numbers numbers;
  for (const CaseRecord& record : records) numbers.push_back(record.number);
  return numbers;
}

Numbers PullNumbers(Store& store, int64_t now_ms, size_t max, int64_t lease_ms = kLeaseMs) {
  return NumbersOf(Pull(store, now_ms, max, lease_ms));
}

// FinishCase in its own transaction: the finished record, or the error Write returned.
core::Result<CaseRecord> RunFinish(Store& store, uint64_t number, Finish finish, int64_t now_ms = kNow) {
  std::optional<CaseRecord> finished;
  core::Status status = store.Write([&](Txn& txn) -> core::Status {
    core::Result<CaseRecord> result = FinishCase(txn, number, finish, now_ms);
    if (!result) return result.error();
    finished = std::move(*result);
    return core::Status::Ok();
  });
  if (!status.ok()) return status;
  return std::move(*finished);
}

std::optional<CaseRecord> Load(Store& store, uint64_t number) {
  std::optional<CaseRecord> record;
  EXPECT_TRUE(IsOk(store.Read([&](Txn& txn) -> core::Status {
    core::Result<std::optional<CaseRecord>> loaded = LoadCase(txn, number);
    if (!loaded) return loaded.error();
    record = std::move(*loaded);
    return core::Status::Ok();
  })));
  return record;
}

CaseState StateOf(Store& store, uint64_t number) {
  std::optional<CaseRecord> record = Load(store, number);
  EXPECT_TRUE(record.has_value()) << number;
  return record ? record->state : CaseState::kQueued;
}

Numbers List(Store& store, StateFilter filter, int64_t now_ms, size_t limit = 0) {
  Numbers numbers;
  EXPECT_TRUE(IsOk(store.Read([&](Txn& txn) -> core::Status {
    core::Result<std::vector<CaseRecord>> cases = ListCases(txn, filter, now_ms, limit);
    if (!cases) return cases.error();
    numbers = NumbersOf(*cases);
    return core::Status::Ok();
  })));
  return numbers;
}

AuthorBrandHistory History(Store& store, const CaseRecord& record) {
  AuthorBrandHistory history;
  EXPECT_TRUE(IsOk(store.Read([&](Txn& txn) -> core::Status {
    core::Result<AuthorBrandHistory> loaded =
        LoadHistory(txn, HistoryKey(record.source, record.author_key, record.brand));
    if (!loaded) return loaded.error();
    history = *loaded;
    return core::Status::Ok();
  })));
  return history;
}

void SetHistory(Store& store, const CaseRecord& record, const AuthorBrandHistory& history) {
  EXPECT_TRUE(IsOk(store.Write([&](Txn& txn) {
    return SaveHistory(txn, HistoryKey(record.source, record.author_key, record.brand), history);
  })));
}

// The invariant behind both index tables: the ready index holds exactly the queued cases and the
// lease index exactly the leased ones.
void ExpectIndexesMatchStates(Store& store) {
  EXPECT_TRUE(IsOk(store.Read([&](Txn& txn) -> core::Status {
    uint64_t queued = 0, leased = 0;
    EARSHOT_RETURN_IF_ERROR(txn.Scan(Table::kCases, "", [&](std::string_view key, std::string_view value) {
      core::Result<CaseRecord> record = DecodeCase(ReadBigEndian64(key), value);
      EXPECT_TRUE(record.has_value());
      if (record && record->state == CaseState::kQueued) ++queued;
      if (record && record->state == CaseState::kLeased) ++leased;
      return true;
    }));
    core::Result<uint64_t> ready = txn.Count(Table::kReady);
    core::Result<uint64_t> leases = txn.Count(Table::kLeases);
    if (!ready) return ready.error();
    if (!leases) return leases.error();
    EXPECT_EQ(*ready, queued);
    EXPECT_EQ(*leases, leased);
    return core::Status::Ok();
  })));
}

// Queue order: urgency (to the hundredth) descending, then number ascending.
Numbers ReferenceOrder(const std::vector<CaseRecord>& cases) {
  std::vector<CaseRecord> sorted = cases;
  std::stable_sort(sorted.begin(), sorted.end(), [](const CaseRecord& a, const CaseRecord& b) {
    if (a.urgency != b.urgency) return a.urgency > b.urgency;
    return a.number < b.number;
  });
  return NumbersOf(sorted);
}

// --- Numbers and records -----------------------------------------------------------------------

TEST(Queue, AllocateCaseNumberCountsFromOneAndPersists) {
  TempDir temp;
  auto allocate = [](Store& store) {
    uint64_t number = 0;
    EXPECT_TRUE(IsOk(store.Write([&](Txn& txn) -> core::Status {
      core::Result<uint64_t> allocated = AllocateCaseNumber(txn);
      if (!allocated) return allocated.error();
      number = *allocated;
      return core::Status::Ok();
    })));
    return number;
  };
  {
    std::unique_ptr<Store> store = OpenStore(temp.path());
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(allocate(*store), 1u);
    EXPECT_EQ(allocate(*store), 2u);
    EXPECT_EQ(allocate(*store), 3u);
    // A number allocated in a transaction that fails is handed out again.
    core::Status failed = store->Write([](Txn& txn) -> core::Status {
      core::Result<uint64_t> allocated = AllocateCaseNumber(txn);
      if (!allocated) return allocated.error();
      EXPECT_EQ(*allocated, 4u);
      return core::Status::Internal("batch failed");
    });
    EXPECT_FALSE(failed.ok());
  }
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(allocate(*store), 4u);
}

TEST(Queue, LoadCaseIsNulloptForUnknownCase) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Load(*store, 1), std::nullopt);
}

TEST(Queue, SavedCaseLoadsBack) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  CaseRecord record = NewCase(5, 33.33);
  record.signals = {"repetition"};
  AddRecord(*store, record);
  std::optional<CaseRecord> loaded = Load(*store, 5);
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(EncodeCase(*loaded), EncodeCase(record));
  EXPECT_EQ(loaded->number, 5u);
  ExpectIndexesMatchStates(*store);
}

// --- Pull order ----------------------------------------------------------------------------------

TEST(Queue, PullOrderIsUrgencyDescendingThenOldestFirst) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  // Few distinct values, so that many cases tie and the age order is exercised.
  const std::vector<double> values = {0, 10, 25, 33.33, 45, 70, 71.5, 99.99, 100};
  std::mt19937 random(20250717);
  std::uniform_int_distribution<size_t> pick(0, values.size() - 1);
  std::vector<double> urgencies;
  for (int i = 0; i < 20; ++i) urgencies.push_back(values[pick(random)]);
  const Numbers numbers = AddCases(*store, urgencies);
  ASSERT_EQ(numbers.size(), 20u);
  std::vector<CaseRecord> cases;
  for (size_t i = 0; i < numbers.size(); ++i) cases.push_back(NewCase(numbers[i], urgencies[i]));
  const Numbers expected = ReferenceOrder(cases);

  EXPECT_EQ(List(*store, StateFilter::kOpen, kNow), expected);
  EXPECT_EQ(PullNumbers(*store, kNow, 100), expected);
  ExpectIndexesMatchStates(*store);

  // Nacked cases keep their place: pulling one at a time gives the same order again.
  for (uint64_t number : expected) ASSERT_TRUE(RunFinish(*store, number, Finish::kNack).has_value());
  Numbers one_by_one;
  for (size_t i = 0; i < expected.size(); ++i) {
    Numbers pulled = PullNumbers(*store, kNow, 1);
    ASSERT_EQ(pulled.size(), 1u) << i;
    one_by_one.push_back(pulled[0]);
  }
  EXPECT_EQ(one_by_one, expected);
  EXPECT_TRUE(PullNumbers(*store, kNow, 1).empty());
}

TEST(Queue, UrgencyOrdersToTheHundredth) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  const Numbers numbers = AddCases(*store, {50.01, 50.02, 50.001, 50.0});
  // 50.001 and 50.0 are the same to the hundredth: the older one (#3) goes first.
  EXPECT_EQ(List(*store, StateFilter::kOpen, kNow), (Numbers{2, 1, 3, 4}));
  EXPECT_EQ(PullNumbers(*store, kNow, 10), (Numbers{2, 1, 3, 4}));
}

TEST(Queue, PullReturnsAtMostMax) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  AddCases(*store, {10, 20, 30, 40, 50});
  EXPECT_TRUE(PullNumbers(*store, kNow, 0).empty());
  EXPECT_EQ(List(*store, StateFilter::kQueued, kNow).size(), 5u);  // max 0 leased nothing
  EXPECT_EQ(PullNumbers(*store, kNow, 2), (Numbers{5, 4}));
  EXPECT_EQ(PullNumbers(*store, kNow, 2), (Numbers{3, 2}));
  EXPECT_EQ(PullNumbers(*store, kNow, 2), (Numbers{1}));
  EXPECT_TRUE(PullNumbers(*store, kNow, 2).empty());
}

TEST(Queue, PulledCasesAreLeasedAndNotPulledAgainWhileLeased) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  AddCases(*store, {90, 80, 70});
  const std::vector<CaseRecord> pulled = Pull(*store, kNow, 2, kLeaseMs);
  ASSERT_EQ(NumbersOf(pulled), (Numbers{1, 2}));
  for (const CaseRecord& record : pulled) {
    EXPECT_EQ(record.state, CaseState::kLeased);
    EXPECT_EQ(record.lease_until_ms, kNow + kLeaseMs);
    EXPECT_EQ(record.leased_version, record.version);
    EXPECT_EQ(record.updated_ms, kNow);
    std::optional<CaseRecord> stored = Load(*store, record.number);
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(EncodeCase(*stored), EncodeCase(record));  // what the pull returned is what is stored
  }
  ExpectIndexesMatchStates(*store);
  EXPECT_EQ(PullNumbers(*store, kNow + 1, 10), (Numbers{3}));
  EXPECT_TRUE(PullNumbers(*store, kNow + kLeaseMs - 1, 10).empty());
}

TEST(Queue, ExpiredLeasesReturnToTheQueueAndCanBeLeasedAgain) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  AddCases(*store, {20, 80});
  ASSERT_EQ(PullNumbers(*store, kNow, 10, 500), (Numbers{2, 1}));
  EXPECT_TRUE(PullNumbers(*store, kNow + 499, 10).empty());  // live until kNow + 500
  EXPECT_EQ(List(*store, StateFilter::kLeased, kNow + 499), (Numbers{2, 1}));
  EXPECT_EQ(List(*store, StateFilter::kQueued, kNow + 500), (Numbers{2, 1}));  // expired: shown as queued
  // At the expiry both are back, and the higher urgency is handed out first again.
  const std::vector<CaseRecord> again = Pull(*store, kNow + 500, 1, kLeaseMs);
  ASSERT_EQ(NumbersOf(again), (Numbers{2}));
  EXPECT_EQ(again[0].lease_until_ms, kNow + 500 + kLeaseMs);
  EXPECT_EQ(StateOf(*store, 1), CaseState::kQueued);
  ExpectIndexesMatchStates(*store);
  EXPECT_EQ(PullNumbers(*store, kNow + 501, 10), (Numbers{1}));
}

// The stale-consumer problem: A's lease expires, B pulls the case, then A acks. With the lease id
// from its pull, A's ack is refused and B's goes through.
TEST(Queue, AckWithALeaseIdOnlyWorksWhileThatLeaseIsHeld) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  AddCases(*store, {50});
  const std::vector<CaseRecord> first = Pull(*store, kNow, 1, 500);
  ASSERT_EQ(first.size(), 1u);
  const std::vector<CaseRecord> second = Pull(*store, kNow + 600, 1, kLeaseMs);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].lease_generation, first[0].lease_generation + 1);
  auto finish = [&](uint32_t generation) -> core::Result<CaseRecord> {
    std::optional<CaseRecord> finished;
    core::Status status = store->Write([&](Txn& txn) -> core::Status {
      core::Result<CaseRecord> result = FinishCase(txn, 1, Finish::kAck, kNow + 700, generation);
      if (!result) return result.error();
      finished = std::move(*result);
      return core::Status::Ok();
    });
    if (!status.ok()) return status;
    return std::move(*finished);
  };
  core::Result<CaseRecord> stale = finish(first[0].lease_generation);
  ASSERT_FALSE(stale);
  EXPECT_TRUE(stale.error().IsInvalidArgument());
  EXPECT_NE(stale.error().message().find("lease " + LeaseId(1, first[0].lease_generation) + " is no longer held"),
            std::string::npos)
      << stale.error().message();
  EXPECT_EQ(StateOf(*store, 1), CaseState::kLeased);
  core::Result<CaseRecord> current = finish(second[0].lease_generation);
  ASSERT_TRUE(current) << current.error().ToString();
  EXPECT_EQ(current->state, CaseState::kAcked);
  // Once finished, the lease id is no longer held either.
  EXPECT_FALSE(finish(second[0].lease_generation));
}

TEST(Queue, NonPositiveLeaseStillLeasesForOneMillisecond) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  AddCases(*store, {50});
  const std::vector<CaseRecord> pulled = Pull(*store, kNow, 1, 0);
  ASSERT_EQ(pulled.size(), 1u);
  EXPECT_EQ(pulled[0].lease_until_ms, kNow + 1);
  EXPECT_TRUE(PullNumbers(*store, kNow, 1).empty());
  EXPECT_EQ(PullNumbers(*store, kNow + 1, 1), (Numbers{1}));
}

// --- Ack, nack, resolve --------------------------------------------------------------------------

TEST(Queue, AckMovesALeasedCaseToAcked) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  AddCases(*store, {50});
  ASSERT_EQ(PullNumbers(*store, kNow, 1), (Numbers{1}));
  core::Result<CaseRecord> acked = RunFinish(*store, 1, Finish::kAck, kNow + 10);
  ASSERT_TRUE(acked.has_value()) << acked.error().ToString();
  EXPECT_EQ(acked->state, CaseState::kAcked);
  EXPECT_EQ(acked->lease_until_ms, 0);
  EXPECT_EQ(acked->updated_ms, kNow + 10);
  EXPECT_EQ(StateOf(*store, 1), CaseState::kAcked);
  ExpectIndexesMatchStates(*store);
  // Gone from the queue for good: not even a lease expiry brings it back.
  EXPECT_TRUE(PullNumbers(*store, kNow + 10 * kLeaseMs, 10).empty());
  EXPECT_EQ(List(*store, StateFilter::kAcked, kNow), (Numbers{1}));
}

TEST(Queue, AckOrNackOfACaseThatIsNotLeasedIsInvalidArgumentNamingCaseAndState) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  AddCases(*store, {50, 40, 30});  // 1 stays queued, 2 gets acked, 3 resolved
  ASSERT_EQ(PullNumbers(*store, kNow, 1), (Numbers{1}));
  ASSERT_TRUE(RunFinish(*store, 1, Finish::kNack).has_value());
  ASSERT_EQ(PullNumbers(*store, kNow, 2), (Numbers{1, 2}));
  ASSERT_TRUE(RunFinish(*store, 1, Finish::kNack).has_value());
  ASSERT_TRUE(RunFinish(*store, 2, Finish::kAck).has_value());
  ASSERT_TRUE(RunFinish(*store, 3, Finish::kResolve).has_value());
  struct Expectation {
    uint64_t number;
    const char* id;
    const char* state;
  };
  for (const Expectation& e : {Expectation{1, "c-00000001", "queued"}, Expectation{2, "c-00000002", "acked"},
                               Expectation{3, "c-00000003", "resolved"}}) {
    for (Finish finish : {Finish::kAck, Finish::kNack}) {
      SCOPED_TRACE(std::string(e.id) + (finish == Finish::kAck ? " ack" : " nack"));
      core::Result<CaseRecord> result = RunFinish(*store, e.number, finish);
      ASSERT_FALSE(result.has_value());
      EXPECT_TRUE(result.error().IsInvalidArgument()) << result.error().ToString();
      EXPECT_THAT(result.error().message(), HasSubstr(e.id));
      EXPECT_THAT(result.error().message(), HasSubstr(std::string("is ") + e.state));
    }
  }
  // Nothing changed.
  EXPECT_EQ(StateOf(*store, 1), CaseState::kQueued);
  EXPECT_EQ(StateOf(*store, 2), CaseState::kAcked);
  EXPECT_EQ(StateOf(*store, 3), CaseState::kResolved);
  ExpectIndexesMatchStates(*store);
}

TEST(Queue, NackReturnsTheCaseToTheQueueWithItsPriority) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  AddCases(*store, {10, 90, 50});
  ASSERT_EQ(PullNumbers(*store, kNow, 1), (Numbers{2}));
  core::Result<CaseRecord> nacked = RunFinish(*store, 2, Finish::kNack, kNow + 5);
  ASSERT_TRUE(nacked.has_value()) << nacked.error().ToString();
  EXPECT_EQ(nacked->state, CaseState::kQueued);
  EXPECT_EQ(nacked->lease_until_ms, 0);
  EXPECT_EQ(nacked->urgency, 90);
  ExpectIndexesMatchStates(*store);
  EXPECT_EQ(PullNumbers(*store, kNow + 5, 10), (Numbers{2, 3, 1}));
}

TEST(Queue, ResolveFromEveryUnresolvedStateUpdatesTheAuthorHistory) {
  for (CaseState from : {CaseState::kQueued, CaseState::kLeased, CaseState::kAcked}) {
    SCOPED_TRACE(CaseStateName(from));
    TempDir temp;
    std::unique_ptr<Store> store = OpenStore(temp.path());
    ASSERT_NE(store, nullptr);
    const Numbers numbers = AddCases(*store, {60});
    const CaseRecord record = NewCase(numbers[0], 60);
    SetHistory(*store, record, AuthorBrandHistory{numbers[0], kNow, 2, 5});
    if (from != CaseState::kQueued) {
      ASSERT_EQ(PullNumbers(*store, kNow, 1), numbers);
    }
    if (from == CaseState::kAcked) {
      ASSERT_TRUE(RunFinish(*store, numbers[0], Finish::kAck).has_value());
    }
    ASSERT_EQ(StateOf(*store, numbers[0]), from);

    core::Result<CaseRecord> resolved = RunFinish(*store, numbers[0], Finish::kResolve, kNow + 7);
    ASSERT_TRUE(resolved.has_value()) << resolved.error().ToString();
    EXPECT_EQ(resolved->state, CaseState::kResolved);
    EXPECT_EQ(resolved->lease_until_ms, 0);
    EXPECT_EQ(resolved->updated_ms, kNow + 7);
    EXPECT_EQ(StateOf(*store, numbers[0]), CaseState::kResolved);
    const AuthorBrandHistory history = History(*store, record);
    EXPECT_EQ(history.unresolved, 1u);
    EXPECT_EQ(history.resolved, 6u);
    EXPECT_EQ(history.current_case, 0u);  // new posts open a new case
    EXPECT_EQ(history.last_post_ms, kNow);
    ExpectIndexesMatchStates(*store);
    EXPECT_TRUE(PullNumbers(*store, kNow + 10 * kLeaseMs, 10).empty());
    EXPECT_TRUE(List(*store, StateFilter::kOpen, kNow).empty());
    EXPECT_EQ(List(*store, StateFilter::kResolved, kNow), numbers);
  }
}

TEST(Queue, ResolveLeavesAnotherCurrentCaseAndNeverUnderflows) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  const Numbers numbers = AddCases(*store, {60, 70});
  const CaseRecord record = NewCase(numbers[0], 60);
  SetHistory(*store, record, AuthorBrandHistory{numbers[1], kNow, 0, 0});
  ASSERT_TRUE(RunFinish(*store, numbers[0], Finish::kResolve).has_value());
  const AuthorBrandHistory history = History(*store, record);
  EXPECT_EQ(history.current_case, numbers[1]);
  EXPECT_EQ(history.unresolved, 0u);
  EXPECT_EQ(history.resolved, 1u);
}

TEST(Queue, ResolvingTwiceIsInvalidArgument) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  AddCases(*store, {60});
  ASSERT_TRUE(RunFinish(*store, 1, Finish::kResolve).has_value());
  const AuthorBrandHistory before = History(*store, NewCase(1, 60));
  core::Result<CaseRecord> again = RunFinish(*store, 1, Finish::kResolve);
  ASSERT_FALSE(again.has_value());
  EXPECT_TRUE(again.error().IsInvalidArgument()) << again.error().ToString();
  EXPECT_THAT(again.error().message(), HasSubstr("c-00000001"));
  EXPECT_THAT(again.error().message(), HasSubstr("resolved"));
  EXPECT_EQ(History(*store, NewCase(1, 60)).resolved, before.resolved);  // counted once
}

TEST(Queue, FinishingAnUnknownCaseIsNotFound) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  AddCases(*store, {60});
  for (Finish finish : {Finish::kAck, Finish::kNack, Finish::kResolve}) {
    core::Result<CaseRecord> result = RunFinish(*store, 99, finish);
    ASSERT_FALSE(result.has_value());
    EXPECT_TRUE(result.error().IsNotFound()) << result.error().ToString();
    EXPECT_THAT(result.error().message(), HasSubstr("c-00000099"));
  }
}

TEST(Queue, AckOfAnOlderVersionRequeuesTheCase) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  AddCases(*store, {40});
  const std::vector<CaseRecord> pulled = Pull(*store, kNow, 1);
  ASSERT_EQ(pulled.size(), 1u);
  ASSERT_EQ(pulled[0].leased_version, 1u);
  // A post joins while the case is leased: the case builder updates it in place (version + 1).
  ASSERT_TRUE(IsOk(store->Write([&](Txn& txn) -> core::Status {
    core::Result<std::optional<CaseRecord>> loaded = LoadCase(txn, 1);
    if (!loaded) return loaded.error();
    const CaseRecord previous = **loaded;
    CaseRecord current = previous;
    ++current.version;
    CasePost post;
    post.id = "late";
    current.AddPost(post);
    return SaveCase(txn, &previous, current);
  })));
  EXPECT_EQ(StateOf(*store, 1), CaseState::kLeased);
  EXPECT_TRUE(PullNumbers(*store, kNow + 1, 10).empty());  // still leased

  core::Result<CaseRecord> acked = RunFinish(*store, 1, Finish::kAck);
  ASSERT_TRUE(acked.has_value()) << acked.error().ToString();
  EXPECT_EQ(acked->state, CaseState::kQueued);
  ExpectIndexesMatchStates(*store);
  // The next pull hands out version 2, and acking that one sticks.
  const std::vector<CaseRecord> again = Pull(*store, kNow + 2, 10);
  ASSERT_EQ(NumbersOf(again), (Numbers{1}));
  EXPECT_EQ(again[0].version, 2u);
  EXPECT_EQ(again[0].leased_version, 2u);
  EXPECT_EQ(again[0].post_count, 2u);
  acked = RunFinish(*store, 1, Finish::kAck);
  ASSERT_TRUE(acked.has_value());
  EXPECT_EQ(acked->state, CaseState::kAcked);
}

TEST(Queue, SaveCaseMovesTheIndexEntries) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  AddCases(*store, {10, 50});
  auto update = [&](uint64_t number, auto change) {
    ASSERT_TRUE(IsOk(store->Write([&](Txn& txn) -> core::Status {
      core::Result<std::optional<CaseRecord>> loaded = LoadCase(txn, number);
      if (!loaded) return loaded.error();
      const CaseRecord previous = **loaded;
      CaseRecord current = previous;
      change(current);
      return SaveCase(txn, &previous, current);
    })));
  };
  // Urgency rises: the case moves up, and the old ready entry is gone.
  update(1, [](CaseRecord& r) { r.urgency = 80; });
  EXPECT_EQ(List(*store, StateFilter::kOpen, kNow), (Numbers{1, 2}));
  ExpectIndexesMatchStates(*store);
  // An acked case that gets news goes back to the queue (what the case builder does).
  ASSERT_EQ(PullNumbers(*store, kNow, 1), (Numbers{1}));
  ASSERT_TRUE(RunFinish(*store, 1, Finish::kAck).has_value());
  update(1, [](CaseRecord& r) { r.state = CaseState::kQueued; });
  ExpectIndexesMatchStates(*store);
  EXPECT_EQ(PullNumbers(*store, kNow, 10), (Numbers{1, 2}));
}

// --- Listing ---------------------------------------------------------------------------------------

TEST(Queue, ListCasesFiltersByStateInQueueOrder) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  auto with_state = [](uint64_t number, double urgency, CaseState state, int64_t lease_until_ms = 0) {
    CaseRecord record = NewCase(number, urgency);
    record.state = state;
    record.lease_until_ms = lease_until_ms;
    return record;
  };
  AddRecord(*store, with_state(1, 10, CaseState::kQueued));
  AddRecord(*store, with_state(2, 90, CaseState::kLeased, kNow + 1000));  // live lease
  AddRecord(*store, with_state(3, 50, CaseState::kLeased, kNow));         // expired at kNow
  AddRecord(*store, with_state(4, 95, CaseState::kAcked));
  AddRecord(*store, with_state(5, 99, CaseState::kResolved));
  AddRecord(*store, with_state(6, 50, CaseState::kQueued));
  ExpectIndexesMatchStates(*store);

  EXPECT_EQ(List(*store, StateFilter::kOpen, kNow), (Numbers{2, 3, 6, 1}));
  EXPECT_EQ(List(*store, StateFilter::kQueued, kNow), (Numbers{3, 6, 1}));
  EXPECT_EQ(List(*store, StateFilter::kLeased, kNow), (Numbers{2}));
  EXPECT_EQ(List(*store, StateFilter::kAcked, kNow), (Numbers{4}));
  EXPECT_EQ(List(*store, StateFilter::kResolved, kNow), (Numbers{5}));
  EXPECT_EQ(List(*store, StateFilter::kAll, kNow), (Numbers{5, 4, 2, 3, 6, 1}));
  // A moment earlier, case 3's lease was still live.
  EXPECT_EQ(List(*store, StateFilter::kLeased, kNow - 1), (Numbers{2, 3}));
  EXPECT_EQ(List(*store, StateFilter::kQueued, kNow - 1), (Numbers{6, 1}));
  // Limits cut the ordered list.
  EXPECT_EQ(List(*store, StateFilter::kOpen, kNow, 2), (Numbers{2, 3}));
  EXPECT_EQ(List(*store, StateFilter::kAll, kNow, 1), (Numbers{5}));
  EXPECT_EQ(List(*store, StateFilter::kAll, kNow, 100).size(), 6u);
  // Listing changes nothing: the expired lease is still stored as a lease until a pull.
  EXPECT_EQ(StateOf(*store, 3), CaseState::kLeased);
  ExpectIndexesMatchStates(*store);
}

TEST(Queue, ListCasesOfAnEmptyStoreIsEmpty) {
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  for (StateFilter filter : {StateFilter::kOpen, StateFilter::kAll, StateFilter::kQueued,
                             StateFilter::kLeased, StateFilter::kAcked, StateFilter::kResolved}) {
    EXPECT_TRUE(List(*store, filter, kNow).empty());
  }
}

TEST(Queue, ParseStateFilterKnowsEveryName) {
  EXPECT_EQ(ParseStateFilter("open"), StateFilter::kOpen);
  EXPECT_EQ(ParseStateFilter("all"), StateFilter::kAll);
  EXPECT_EQ(ParseStateFilter("queued"), StateFilter::kQueued);
  EXPECT_EQ(ParseStateFilter("leased"), StateFilter::kLeased);
  EXPECT_EQ(ParseStateFilter("acked"), StateFilter::kAcked);
  EXPECT_EQ(ParseStateFilter("resolved"), StateFilter::kResolved);
  for (std::string_view bad : {"", "Open", "OPEN", "opened", "lease", "ack", " all", "all "}) {
    EXPECT_EQ(ParseStateFilter(bad), std::nullopt) << '"' << bad << '"';
  }
}

// --- Concurrency ---------------------------------------------------------------------------------

// Property: with one Store shared by N threads that each pull (max 3, a lease far longer than the
// test) in their own Write until the queue is empty, every case is leased exactly once overall:
// no case is handed to two threads, none is left behind. Meanwhile every read snapshot sees all
// cases either queued or leased (a pull moves a case between the index tables atomically).
class QueueConcurrency : public ::testing::TestWithParam<int> {};

TEST_P(QueueConcurrency, EveryCaseIsLeasedExactlyOnce) {
  constexpr int kCases = 200;
  const int threads = GetParam();
  TempDir temp;
  std::unique_ptr<Store> store = OpenStore(temp.path());
  ASSERT_NE(store, nullptr);
  std::vector<double> urgencies;
  std::mt19937 random(7);
  for (int i = 0; i < kCases; ++i) urgencies.push_back(static_cast<double>(random() % 10001) / 100);
  ASSERT_EQ(AddCases(*store, urgencies).size(), static_cast<size_t>(kCases));

  std::vector<Numbers> leased(static_cast<size_t>(threads));
  std::atomic<int> failures{0};
  std::atomic<bool> done{false};
  std::latch start(threads + 1);
  std::thread reader([&] {
    start.arrive_and_wait();
    while (!done.load()) {
      core::Status status = store->Read([&](Txn& txn) -> core::Status {
        core::Result<uint64_t> ready = txn.Count(Table::kReady);
        core::Result<uint64_t> leases = txn.Count(Table::kLeases);
        if (!ready) return ready.error();
        if (!leases) return leases.error();
        if (*ready + *leases != kCases) ++failures;
        return core::Status::Ok();
      });
      if (!status.ok()) ++failures;
    }
  });
  std::vector<std::thread> pullers;
  for (int t = 0; t < threads; ++t) {
    pullers.emplace_back([&, t] {
      start.arrive_and_wait();
      for (;;) {
        std::vector<CaseRecord> pulled;
        core::Status status = store->Write([&](Txn& txn) -> core::Status {
          core::Result<std::vector<CaseRecord>> result = PullCases(txn, kNow, 3, 3600000);
          if (!result) return result.error();
          pulled = std::move(*result);  // assigned, not appended: the body may run twice
          return core::Status::Ok();
        });
        if (!status.ok()) {
          ++failures;
          return;
        }
        if (pulled.empty()) return;
        for (const CaseRecord& record : pulled) leased[static_cast<size_t>(t)].push_back(record.number);
      }
    });
  }
  for (std::thread& puller : pullers) puller.join();
  done = true;
  reader.join();

  EXPECT_EQ(failures.load(), 0);
  Numbers all;
  for (const Numbers& numbers : leased) all.insert(all.end(), numbers.begin(), numbers.end());
  std::sort(all.begin(), all.end());
  Numbers expected(kCases);
  for (int i = 0; i < kCases; ++i) expected[static_cast<size_t>(i)] = static_cast<uint64_t>(i + 1);
  EXPECT_EQ(all, expected);
  EXPECT_TRUE(List(*store, StateFilter::kQueued, kNow).empty());
  EXPECT_EQ(List(*store, StateFilter::kLeased, kNow).size(), static_cast<size_t>(kCases));
  ExpectIndexesMatchStates(*store);
}

INSTANTIATE_TEST_SUITE_P(Threads, QueueConcurrency, ::testing::Values(1, 2, 4, 8),
                         [](const ::testing::TestParamInfo<int>& param) {
                           return std::to_string(param.param) + "Threads";
                         });

}  // namespace
}  // namespace earshot::store
