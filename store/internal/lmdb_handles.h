// Owners for LMDB's C handles (STYLE.md 7): the environment closes on destruction, a transaction
// aborts unless committed, a cursor closes. None converts implicitly to the raw handle; use get().
//
// Thread safety: an LmdbTxn belongs to the thread that began it (MDB_NOTLS lets read transactions
// move between threads, never write transactions).
#ifndef EARSHOT_STORE_INTERNAL_LMDB_HANDLES_H_
#define EARSHOT_STORE_INTERNAL_LMDB_HANDLES_H_

#include <lmdb.h>

#include <memory>
#include <string_view>

#include "core/status.h"

namespace earshot::store::internal {

// Maps an LMDB or errno return code to a Status whose message names the operation, e.g.
// "mdb_txn_commit: No space left on device". MDB_MAP_FULL is ResourceExhausted (the caller grows
// the map and retries); corruption codes are Corruption; ENOSPC/EDQUOT/EFBIG say the disk is full.
core::Status FromMdbError(int rc, std::string_view operation);

struct MdbEnvClose {
  void operator()(MDB_env* env) const { mdb_env_close(env); }
};
using MdbEnv = std::unique_ptr<MDB_env, MdbEnvClose>;

struct MdbCursorClose {
  void operator()(MDB_cursor* cursor) const { mdb_cursor_close(cursor); }
};
using MdbCursor = std::unique_ptr<MDB_cursor, MdbCursorClose>;

// A transaction that aborts in its destructor unless Commit() succeeded. Commit() clears the
// handle before calling mdb_txn_commit, because LMDB frees the transaction even when the commit
// fails and a second abort would be a double free (lmdbxx lmdb++.h does the same).
class LmdbTxn {
 public:
  static core::Result<LmdbTxn> Begin(MDB_env* env, unsigned flags) {
    MDB_txn* txn = nullptr;
    if (int rc = mdb_txn_begin(env, nullptr, flags, &txn); rc != 0) {
      return FromMdbError(rc, "mdb_txn_begin");
    }
    return LmdbTxn(txn);
  }
  LmdbTxn(LmdbTxn&& other) noexcept : txn_(std::exchange(other.txn_, nullptr)) {}
  LmdbTxn& operator=(LmdbTxn&& other) noexcept {
    if (this != &other) {
      Abort();
      txn_ = std::exchange(other.txn_, nullptr);
    }
    return *this;
  }
  LmdbTxn(const LmdbTxn&) = delete;
  LmdbTxn& operator=(const LmdbTxn&) = delete;
  ~LmdbTxn() { Abort(); }

  core::Status Commit() {
    MDB_txn* txn = std::exchange(txn_, nullptr);
    if (int rc = mdb_txn_commit(txn); rc != 0) return FromMdbError(rc, "mdb_txn_commit");
    return core::Status::Ok();
  }
  void Abort() {
    if (txn_ != nullptr) mdb_txn_abort(std::exchange(txn_, nullptr));
  }
  MDB_txn* get() const { return txn_; }

 private:
  explicit LmdbTxn(MDB_txn* txn) : txn_(txn) {}
  MDB_txn* txn_;
};

}  // namespace earshot::store::internal

#endif  // EARSHOT_STORE_INTERNAL_LMDB_HANDLES_H_
