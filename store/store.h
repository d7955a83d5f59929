// Store: the LMDB environment in `data_dir` that makes Earshot durable (DESIGN.md §1).
//
// One environment, several named tables (see Table). Everything a batch changes — seen-set marks,
// the source cursor, author history, cases and their queue positions — is written in one write
// transaction, so after a crash (kill -9, power loss) either all of a batch is visible or none is.
//
// Layout of `data_dir` (also in the README):
//   data.mdb   the LMDB data file (B+trees of every table)
//   lock.mdb   LMDB's reader table and writer mutex, shared by every process using the directory
// Several processes may open the same directory at once (`earshot run` writing, `earshot cases
// pull` leasing): LMDB serialises writers across processes, which is what makes two concurrent
// pulls unable to lease the same case.
//
// Durability: every commit is fsynced (LMDB's default: data pages, then the meta page), so a
// committed batch survives a crash of the process or the machine.
//
// Growth: the memory map starts at StoreOptions::initial_map_bytes and doubles whenever a write
// transaction hits MDB_MAP_FULL; the transaction is then run again from scratch, which is why
// Write() takes a function rather than handing out a transaction. A disk that is really full
// fails the commit with an IOError saying so; nothing committed before is affected.
//
// Thread safety: Store is thread-safe. Write() calls are serialised; Read() may run concurrently
// with each other and with a Write(). A Txn must stay on the thread that got it.
#ifndef EARSHOT_STORE_STORE_H_
#define EARSHOT_STORE_STORE_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "core/status.h"

typedef struct MDB_env MDB_env;
typedef struct MDB_txn MDB_txn;
typedef unsigned int MDB_dbi;

namespace earshot::store {

// The named tables of the environment. Keys and values are described where each is used.
enum class Table {
  kMeta,     // "schema" → format version; "next_case", "next_outbox" → 8-byte big-endian counters
  kSeen,     // post source \0 id length, id → empty: the dedupe seen-set (dedupe.h)
  kTexts,    // 16-byte hash of normalised complaint text → first-seen time + case (dedupe.h)
  kCursors,  // source id → opaque cursor bytes (cursors.h)
  kThreads,  // post source \0 author \0 brand → author history for that brand (history.h)
  kCases,    // 8-byte big-endian case number → case record (case_record.h)
  kReady,    // queue order key → empty: cases waiting to be pulled (queue.h)
  kLeases,   // lease expiry key → empty: cases leased out (queue.h)
  // Appended last: a directory written before it existed still opens, because Open() creates any
  // table that is missing (MDB_CREATE) in the same transaction that checks the format version.
  kOutbox,   // 8-byte big-endian sequence → case changes waiting for Redis (outbox.h)
};
inline constexpr int kTableCount = 9;

struct StoreOptions {
  size_t initial_map_bytes = size_t{64} << 20;  // grows by doubling on demand
  // Consumers (`earshot cases ...`) should not conjure an empty queue out of a typo in data_dir.
  bool create_if_missing = true;
};

class Store;

// A read or write transaction over the tables. Values returned as string_view point into the
// memory map and are valid until the transaction ends or, in a write transaction, until the next
// write to the same table.
class Txn {
 public:
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;

  // Nullopt when the key is absent.
  core::Result<std::optional<std::string_view>> Get(Table table, std::string_view key);
  core::Status Put(Table table, std::string_view key, std::string_view value);
  // Returns false when the key was not there.
  core::Result<bool> Delete(Table table, std::string_view key);
  // Visits entries with key ≥ `from` in key order until `visit` returns false.
  core::Status Scan(Table table, std::string_view from,
                    const std::function<bool(std::string_view key, std::string_view value)>& visit);
  core::Result<uint64_t> Count(Table table);

  bool writable() const { return writable_; }

 private:
  friend class Store;
  Txn(MDB_txn* txn, const MDB_dbi* dbis, bool writable) : txn_(txn), dbis_(dbis), writable_(writable) {}
  MDB_txn* txn_;
  const MDB_dbi* dbis_;
  bool writable_;
};

class Store {
  struct PrivateTag {
    explicit PrivateTag() = default;
  };

 public:
  explicit Store(PrivateTag) {}  // use Open()
  // Opens (creating if needed) the environment in `dir`. Errors name the directory and say what
  // is wrong: not a directory, permission denied, not an LMDB file or corrupt (Corruption), written
  // by an incompatible Earshot version (Corruption).
  static core::Result<std::unique_ptr<Store>> Open(const std::filesystem::path& dir,
                                                   const StoreOptions& options = {});
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Runs `body` in a write transaction and commits it. If `body` returns an error, nothing is
  // written and that error is returned. On MDB_MAP_FULL the map doubles and `body` runs again, so
  // `body` must derive everything from the transaction and reset any outside state it fills.
  core::Status Write(const std::function<core::Status(Txn&)>& body);
  // Runs `body` in a read-only snapshot.
  // For both: `body` must not call Read(), Write() or map_bytes() of the same Store (the nested call
  // could wait for a resize that waits for the outer transaction).
  core::Status Read(const std::function<core::Status(Txn&)>& body);

  const std::filesystem::path& dir() const { return dir_; }
  uint64_t map_bytes() const;
  // Bytes the data file occupies, for progress and the README's figures.
  uint64_t file_bytes() const;

 private:
  core::Status Grow();
  core::Status ExplainWriteFailure(const core::Status& status) const;
  core::Status AdoptResize();
  // Takes resize_gate_ shared, after passing resize_turnstile_.
  std::shared_lock<std::shared_mutex> EnterResizeGate() const;

  std::filesystem::path dir_;
  struct EnvCloser {
    void operator()(MDB_env* env) const;
  };
  std::unique_ptr<MDB_env, EnvCloser> env_;
  MDB_dbi dbis_[kTableCount] = {};
  // mdb_env_set_mapsize needs no transaction active in this process: transactions hold it shared,
  // growing holds it exclusively.
  mutable std::shared_mutex resize_gate_;
  // A resize holds this while it waits for resize_gate_, and every transaction passes through it
  // before taking the gate shared. glibc's rwlock prefers readers, so without it a steady stream of
  // overlapping Read()s would keep the gate shared and a growing Write() waiting for ever.
  mutable std::mutex resize_turnstile_;
  std::mutex write_mutex_;  // one writer per process (LMDB serialises processes)
};

// Big-endian encodings, so that LMDB's byte order is numeric order.
void AppendBigEndian64(std::string& out, uint64_t value);
uint64_t ReadBigEndian64(std::string_view bytes);

}  // namespace earshot::store

#endif  // EARSHOT_STORE_STORE_H_
