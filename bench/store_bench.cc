// Benchmarks of the LMDB store (issue 7): what a durable commit of the dedupe seen-set costs per
// batch size, and what `earshot cases pull` + `ack` cost per case.
//
// Every commit here is durable: the Store is opened with its defaults, so LMDB fsyncs each commit
// (store/store.h "Durability"). There is deliberately no MDB_NOSYNC mode: the figures are what
// Earshot pays as shipped. The stores live in fresh directories under the temp directory
// (TMPDIR, else /tmp), or /var/tmp when that is a tmpfs, where fsync would cost nothing; the
// benchmark reports an error rather than measure on tmpfs.
//
// Every benchmark checks the store's answers against a simple reference before it times anything,
// and reports SkipWithError instead of a number when they disagree:
//  - CommitBatch, CommitBatchRandomIds: after committing posts in batches, IsSeen is true for every committed id and false
//    for ids never committed, and marking a committed id again returns false (already seen).
//  - QueuePullAck / QueuePull10: pulling every case one by one yields them in the order of a
//    std::sort by (urgency descending, number ascending) over the created cases; each is leased;
//    acking all of them leaves nothing to pull.
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <system_error>
#include <vector>

#include <benchmark/benchmark.h>

#include "core/severity.h"
#include "core/status.h"
#include "store/case_record.h"
#include "store/dedupe.h"
#include "store/queue.h"
#include "store/store.h"

namespace earshot::bench {
namespace {

constexpr int64_t kNow = 1752746400000;  // 2025-07-17T10:00:00Z
constexpr int64_t kLeaseMs = 60'000;
constexpr long kTmpfsMagic = 0x01021994;  // TMPFS_MAGIC of <linux/magic.h>

// Where the stores go: the temp directory unless it is a tmpfs (fsync would be free there).
std::filesystem::path BenchBase() {
  std::error_code error;
  std::filesystem::path base = std::filesystem::temp_directory_path(error);
  if (error) base = "/tmp";
  struct statfs info {};
  if (::statfs(base.c_str(), &info) == 0 && static_cast<long>(info.f_type) == kTmpfsMagic) {
    base = "/var/tmp";
  }
  return base;
}

bool OnTmpfs(const std::filesystem::path& dir) {
  struct statfs info {};
  return ::statfs(dir.c_str(), &info) == 0 && static_cast<long>(info.f_type) == kTmpfsMagic;
}

// A fresh directory, removed with its contents when the object dies (destroy the Store first).
class BenchDir {
 public:
  BenchDir() {
    static std::atomic<int> counter{0};
    path_ = BenchBase() / ("earshot_store_bench_" + std::to_string(::getpid()) + "_" +
                           std::to_string(counter++));
    std::error_code error;
    std::filesystem::remove_all(path_, error);
    std::filesystem::create_directories(path_, error);
  }
  ~BenchDir() {
    std::error_code error;
    std::filesystem::remove_all(path_, error);
  }
  BenchDir(const BenchDir&) = delete;
  BenchDir& operator=(const BenchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Opens a durable store (default options) in `dir`; null and an error in `state` otherwise.
std::unique_ptr<store::Store> OpenOrSkip(const BenchDir& dir, benchmark::State& state) {
  if (OnTmpfs(dir.path())) {
    state.SkipWithError(("refusing to measure fsync on tmpfs: " + dir.path().string()).c_str());
    return nullptr;
  }
  core::Result<std::unique_ptr<store::Store>> opened = store::Store::Open(dir.path());
  if (!opened) {
    state.SkipWithError(("Store::Open: " + opened.error().ToString()).c_str());
    return nullptr;
  }
  return std::move(opened).value();
}

// ---------------------------------------------------------------------------------------------
// Seen-set commits.

// Post ids as a crawler sees them: four sources polled in turn, each with ids that grow over time
// (Mastodon/Twitter snowflakes, Bluesky TIDs), 19 digits. With `random`, ids are uniformly random
// 64-bit numbers instead, so every key lands on a different leaf page: the expensive case of
// PERFORMANCE.md 1.4, an upper bound for sources whose ids do not grow.
class PostIds {
 public:
  struct Id {
    std::string_view source;
    std::string id;
  };
  explicit PostIds(bool random) : random_(random) {}
  Id Next() {
    static constexpr std::string_view kSources[] = {"mastodon", "bluesky", "reddit", "jsonl"};
    const uint64_t n = serial_++;
    const uint64_t id = random_ ? engine_() : uint64_t{1859000000000000000} + n * 7919;
    return {kSources[n % std::size(kSources)], std::to_string(id)};
  }

 private:
  bool random_;
  uint64_t serial_ = 0;
  std::mt19937_64 engine_{3};
};

// Marks `ids` seen in one transaction; every one must be new.
core::Status CommitBatch(store::Store& store, const std::vector<PostIds::Id>& ids) {
  return store.Write([&](store::Txn& txn) -> core::Status {
    for (const PostIds::Id& post : ids) {
      core::Result<bool> fresh = store::MarkSeen(txn, post.source, post.id);
      if (!fresh) return fresh.error();
      if (!*fresh) return core::Status::Internal("MarkSeen: fresh id " + post.id + " reported as seen");
    }
    return core::Status::Ok();
  });
}

std::vector<PostIds::Id> NextBatch(PostIds& ids, size_t count) {
  std::vector<PostIds::Id> batch;
  batch.reserve(count);
  for (size_t i = 0; i < count; ++i) batch.push_back(ids.Next());
  return batch;
}

// The reference: a set of committed ids. Empty when the store agrees with it.
std::string CheckSeenSet(size_t batch_size, bool random) {
  BenchDir dir;
  core::Result<std::unique_ptr<store::Store>> opened = store::Store::Open(dir.path());
  if (!opened) return "Store::Open: " + opened.error().ToString();
  store::Store& store = **opened;
  PostIds ids(random);
  std::vector<PostIds::Id> committed;
  const size_t batches = std::max<size_t>(3, 512 / batch_size);
  for (size_t b = 0; b < batches; ++b) {
    std::vector<PostIds::Id> batch = NextBatch(ids, batch_size);
    if (core::Status status = CommitBatch(store, batch); !status.ok()) return status.ToString();
    committed.insert(committed.end(), batch.begin(), batch.end());
  }
  // Never committed: the next ids of the same sequence, and a committed id under another source.
  std::vector<PostIds::Id> absent = NextBatch(ids, 64);
  absent.push_back({"twitter", committed.front().id});
  std::string why;
  core::Status read = store.Read([&](store::Txn& txn) -> core::Status {
    for (const PostIds::Id& post : committed) {
      core::Result<bool> seen = store::IsSeen(txn, post.source, post.id);
      if (!seen) return seen.error();
      if (!*seen) {
        why = "committed id " + std::string(post.source) + "/" + post.id + " is not seen";
        return core::Status::Ok();
      }
    }
    for (const PostIds::Id& post : absent) {
      core::Result<bool> seen = store::IsSeen(txn, post.source, post.id);
      if (!seen) return seen.error();
      if (*seen) {
        why = "never-committed id " + std::string(post.source) + "/" + post.id + " is seen";
        return core::Status::Ok();
      }
    }
    return core::Status::Ok();
  });
  if (!read.ok()) return read.ToString();
  if (!why.empty()) return why;
  core::Status remark = store.Write([&](store::Txn& txn) -> core::Status {
    why.clear();
    for (const PostIds::Id& post : committed) {
      core::Result<bool> fresh = store::MarkSeen(txn, post.source, post.id);
      if (!fresh) return fresh.error();
      if (*fresh) {
        why = "re-marking " + std::string(post.source) + "/" + post.id + " returned true (not deduped)";
        return core::Status::Ok();
      }
    }
    return core::Status::Ok();
  });
  if (!remark.ok()) return remark.ToString();
  return why;
}

void RunCommitBatch(benchmark::State& state, bool random) {
  const auto batch_size = static_cast<size_t>(state.range(0));
  if (std::string why = CheckSeenSet(batch_size, random); !why.empty()) {
    state.SkipWithError(why.c_str());
    return;
  }
  BenchDir dir;
  std::unique_ptr<store::Store> store = OpenOrSkip(dir, state);
  if (!store) return;
  PostIds ids(random);
  for (auto _ : state) {
    state.PauseTiming();
    const std::vector<PostIds::Id> batch = NextBatch(ids, batch_size);
    state.ResumeTiming();
    if (core::Status status = CommitBatch(*store, batch); !status.ok()) {
      state.SkipWithError(status.ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch_size));
  state.counters["commits/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["file_MB"] = static_cast<double>(store->file_bytes()) / 1e6;
}
void BM_CommitBatch(benchmark::State& state) { RunCommitBatch(state, false); }
void BM_CommitBatchRandomIds(benchmark::State& state) { RunCommitBatch(state, true); }
// Real time: a durable commit mostly waits for fsync, which CPU time does not see.
BENCHMARK(BM_CommitBatch)
    ->ArgName("batch")
    ->Arg(1)
    ->Arg(16)
    ->Arg(256)
    ->Arg(2048)
    ->Arg(16384)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CommitBatchRandomIds)
    ->ArgName("batch")
    ->Arg(1)
    ->Arg(256)
    ->Arg(16384)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// ---------------------------------------------------------------------------------------------
// The case queue.

// A case as triage would queue it; urgency in steps of 0.1, so many ties (the queue keys urgency
// to 0.01, store/queue.h).
store::CaseRecord NewCase(uint64_t number, double urgency) {
  store::CaseRecord record;
  record.number = number;
  record.urgency = urgency;
  record.severity = core::Severity::kMedium;
  record.brand = "acme";
  record.source = "mastodon";
  record.author = "@ann" + std::to_string(number % 97);
  record.author_key = record.author;
  record.categories = {"outage"};
  record.opened_ms = kNow;
  record.updated_ms = kNow;
  record.last_post_ms = kNow;
  store::CasePost post;
  post.id = std::to_string(uint64_t{1859000000000000000} + number);
  post.source = "mastodon";
  post.text = "@acmenet no internet since this morning, whole street is out. Still not fixed.";
  post.url = "https://example.social/@ann/" + post.id;
  post.urgency = urgency;
  post.severity = core::Severity::kMedium;
  record.AddPost(post);
  return record;
}

// Queues `count` new cases with urgencies from `engine` in one transaction; appends to `created`.
core::Status AddCases(store::Store& store, size_t count, std::mt19937_64& engine,
                      std::vector<store::CaseRecord>& created) {
  std::vector<double> urgencies;
  for (size_t i = 0; i < count; ++i) urgencies.push_back(static_cast<double>(engine() % 1001) / 10);
  std::vector<store::CaseRecord> made;
  core::Status status = store.Write([&](store::Txn& txn) -> core::Status {
    made.clear();
    for (double urgency : urgencies) {
      core::Result<uint64_t> number = store::AllocateCaseNumber(txn);
      if (!number) return number.error();
      made.push_back(NewCase(*number, urgency));
      EARSHOT_RETURN_IF_ERROR(store::SaveCase(txn, nullptr, made.back()));
    }
    return core::Status::Ok();
  });
  if (status.ok()) created.insert(created.end(), made.begin(), made.end());
  return status;
}

core::Result<std::vector<store::CaseRecord>> Pull(store::Store& store, int64_t now_ms, size_t max) {
  std::vector<store::CaseRecord> pulled;
  core::Status status = store.Write([&](store::Txn& txn) -> core::Status {
    core::Result<std::vector<store::CaseRecord>> result = store::PullCases(txn, now_ms, max, kLeaseMs);
    if (!result) return result.error();
    pulled = std::move(*result);
    return core::Status::Ok();
  });
  if (!status.ok()) return status;
  return pulled;
}

core::Status Ack(store::Store& store, const std::vector<store::CaseRecord>& cases, int64_t now_ms) {
  return store.Write([&](store::Txn& txn) -> core::Status {
    for (const store::CaseRecord& record : cases) {
      core::Result<store::CaseRecord> acked =
          store::FinishCase(txn, record.number, store::Finish::kAck, now_ms, record.lease_generation);
      if (!acked) return acked.error();
    }
    return core::Status::Ok();
  });
}

// The reference: the created cases sorted by (urgency desc, number asc). Empty when the queue
// agrees with it.
std::string CheckQueueOrder() {
  BenchDir dir;
  core::Result<std::unique_ptr<store::Store>> opened = store::Store::Open(dir.path());
  if (!opened) return "Store::Open: " + opened.error().ToString();
  store::Store& store = **opened;
  std::mt19937_64 engine(11);
  std::vector<store::CaseRecord> created;
  // Several transactions, so the numbers of equal urgencies interleave across them.
  for (int round = 0; round < 4; ++round) {
    if (core::Status status = AddCases(store, 150, engine, created); !status.ok()) return status.ToString();
  }
  std::vector<store::CaseRecord> expected = created;
  std::sort(expected.begin(), expected.end(), [](const store::CaseRecord& a, const store::CaseRecord& b) {
    if (a.urgency != b.urgency) return a.urgency > b.urgency;
    return a.number < b.number;
  });
  std::vector<store::CaseRecord> pulled;
  for (size_t i = 0; i <= expected.size(); ++i) {
    core::Result<std::vector<store::CaseRecord>> one = Pull(store, kNow, 1);
    if (!one) return one.error().ToString();
    if (one->empty()) break;
    if (one->front().state != store::CaseState::kLeased) return "pulled case is not leased";
    pulled.push_back(one->front());
  }
  if (pulled.size() != expected.size()) {
    return "pulled " + std::to_string(pulled.size()) + " of " + std::to_string(expected.size()) + " cases";
  }
  for (size_t i = 0; i < expected.size(); ++i) {
    if (pulled[i].number != expected[i].number) {
      return "pull " + std::to_string(i + 1) + " gave case " + std::to_string(pulled[i].number) +
             ", the reference order case " + std::to_string(expected[i].number);
    }
  }
  if (core::Status status = Ack(store, pulled, kNow); !status.ok()) return status.ToString();
  core::Result<std::vector<store::CaseRecord>> after = Pull(store, kNow, 10);
  if (!after) return after.error().ToString();
  if (!after->empty()) return "a case came back after every case was acked";
  return "";
}

// Each iteration: one pull transaction of `per_pull` cases, one ack transaction for them. When the
// queue runs dry, another `queued` cases are added outside the timing.
void RunPullAck(benchmark::State& state, size_t per_pull) {
  if (std::string why = CheckQueueOrder(); !why.empty()) {
    state.SkipWithError(why.c_str());
    return;
  }
  const auto queued = static_cast<size_t>(state.range(0));
  BenchDir dir;
  std::unique_ptr<store::Store> store = OpenOrSkip(dir, state);
  if (!store) return;
  std::mt19937_64 engine(5);
  std::vector<store::CaseRecord> created;
  if (core::Status status = AddCases(*store, queued, engine, created); !status.ok()) {
    state.SkipWithError(status.ToString().c_str());
    return;
  }
  size_t left = queued;
  int64_t now_ms = kNow;
  for (auto _ : state) {
    if (left < per_pull) {
      state.PauseTiming();
      created.clear();
      core::Status status = AddCases(*store, queued, engine, created);
      state.ResumeTiming();
      if (!status.ok()) {
        state.SkipWithError(status.ToString().c_str());
        break;
      }
      left += queued;
    }
    core::Result<std::vector<store::CaseRecord>> pulled = Pull(*store, ++now_ms, per_pull);
    if (!pulled || pulled->size() != per_pull) {
      state.SkipWithError(pulled ? "the queue returned fewer cases than it holds"
                                 : pulled.error().ToString().c_str());
      break;
    }
    left -= per_pull;
    if (core::Status status = Ack(*store, *pulled, now_ms); !status.ok()) {
      state.SkipWithError(status.ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * per_pull));
  state.counters["commits/s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * 2), benchmark::Counter::kIsRate);
}

void BM_QueuePullAck(benchmark::State& state) { RunPullAck(state, 1); }
void BM_QueuePull10(benchmark::State& state) { RunPullAck(state, 10); }
BENCHMARK(BM_QueuePullAck)->ArgName("queued")->Arg(10'000)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_QueuePull10)->ArgName("queued")->Arg(10'000)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace earshot::bench

BENCHMARK_MAIN();
