#include "store/store.h"

#include <lmdb.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "store/internal/lmdb_handles.h"

namespace earshot::store {
namespace {

using internal::FromMdbError;
using internal::LmdbTxn;

constexpr const char* kTableNames[kTableCount] = {"meta",  "seen",  "texts",  "cursors", "threads",
                                                  "cases", "ready", "leases", "outbox"};
// Bumped whenever a record format changes; an older binary refuses a newer directory rather than
// misreading it.
constexpr std::string_view kSchemaVersion = "earshot-store-1";

MDB_val ToVal(std::string_view bytes) {
  return MDB_val{bytes.size(), const_cast<char*>(bytes.data())};
}
std::string_view FromVal(const MDB_val& val) {
  return {static_cast<const char*>(val.mv_data), val.mv_size};
}

}  // namespace

namespace internal {

core::Status FromMdbError(int rc, std::string_view operation) {
  std::string message = std::string(operation) + ": " + mdb_strerror(rc);
  switch (rc) {
    case MDB_MAP_FULL:
      return core::Status::ResourceExhausted(std::move(message));
    case MDB_MAP_RESIZED:  // another process grew the map: adopt its size and retry
      return core::Status::Unavailable(std::move(message));
    case MDB_CORRUPTED:
    case MDB_INVALID:
    case MDB_PAGE_NOTFOUND:
    case MDB_VERSION_MISMATCH:
    case MDB_PANIC:
      return core::Status::Corruption(std::move(message));
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
      return core::Status::IOError(message + " (the disk is full: free space and run again; every "
                                             "batch committed before this one is intact)");
    default:
      return rc > 0 ? core::Status::IOError(std::move(message)) : core::Status::Internal(std::move(message));
  }
}

}  // namespace internal

void Store::EnvCloser::operator()(MDB_env* env) const { mdb_env_close(env); }

core::Result<std::unique_ptr<Store>> Store::Open(const std::filesystem::path& dir, const StoreOptions& options) {
  const std::string where = "data_dir " + dir.string();
  std::error_code error;
  if (std::filesystem::exists(dir, error) && !std::filesystem::is_directory(dir, error)) {
    return core::Status::InvalidArgument(where + ": exists and is not a directory");
  }
  if (!options.create_if_missing && !std::filesystem::exists(dir / "data.mdb", error)) {
    return core::Status::NotFound(where + ": holds no Earshot data yet (run `earshot run` first, or check the path)");
  }
  std::filesystem::create_directories(dir, error);
  if (error) return core::Status::IOError(where + ": cannot create: " + error.message());

  auto store = std::make_unique<Store>(PrivateTag{});
  store->dir_ = dir;
  MDB_env* raw_env = nullptr;
  if (int rc = mdb_env_create(&raw_env); rc != 0) return FromMdbError(rc, "mdb_env_create").WithContext(where);
  store->env_.reset(raw_env);
  MDB_env* env = store->env_.get();
  if (int rc = mdb_env_set_maxdbs(env, kTableCount); rc != 0) {
    return FromMdbError(rc, "mdb_env_set_maxdbs").WithContext(where);
  }
  // The map size only reserves address space; the file grows as pages are written. On an existing
  // environment LMDB takes this size, raised to what the data already occupies (not the larger
  // size recorded in the file), so the first write after a reopen may grow the map again.
  if (int rc = mdb_env_set_mapsize(env, options.initial_map_bytes); rc != 0) {
    return FromMdbError(rc, "mdb_env_set_mapsize").WithContext(where);
  }
  // Fully synchronous commits (data pages, then the meta page): a committed batch survives a
  // machine crash, which the queue's delivery guarantee relies on.
  const unsigned flags = MDB_NOTLS;
  if (int rc = mdb_env_open(env, dir.c_str(), flags, 0644); rc != 0) {
    core::Status status = FromMdbError(rc, "mdb_env_open");
    if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH) {
      return core::Status::Corruption(where + ": data.mdb is not an Earshot data file or is corrupt (" +
                                      mdb_strerror(rc) + "); move it aside to start afresh");
    }
    return status.WithContext(where);
  }
  // A process killed while reading leaves its reader slot behind; clear such slots now so they do
  // not pin old pages (which would make the file grow without bound).
  int dead_readers = 0;
  mdb_reader_check(env, &dead_readers);

  // Create the tables and check the format version in one transaction.
  core::Status status = [&]() -> core::Status {
    core::Result<LmdbTxn> txn = LmdbTxn::Begin(env, 0);
    if (!txn) return txn.error();
    for (int i = 0; i < kTableCount; ++i) {
      if (int rc = mdb_dbi_open(txn->get(), kTableNames[i], MDB_CREATE, &store->dbis_[i]); rc != 0) {
        return FromMdbError(rc, std::string("mdb_dbi_open ") + kTableNames[i]);
      }
    }
    MDB_val key = ToVal("schema");
    MDB_val value;
    const MDB_dbi meta = store->dbis_[static_cast<int>(Table::kMeta)];
    int rc = mdb_get(txn->get(), meta, &key, &value);
    if (rc == MDB_NOTFOUND) {
      MDB_val version = ToVal(kSchemaVersion);
      if (rc = mdb_put(txn->get(), meta, &key, &version, 0); rc != 0) return FromMdbError(rc, "mdb_put schema");
    } else if (rc != 0) {
      return FromMdbError(rc, "mdb_get schema");
    } else if (FromVal(value) != kSchemaVersion) {
      return core::Status::Corruption("holds format '" + std::string(FromVal(value)) + "', this earshot reads '" +
                                      std::string(kSchemaVersion) + "'");
    }
    return txn->Commit();
  }();
  if (!status.ok()) return status.WithContext(where);
  return store;
}

Store::~Store() = default;

core::Status Store::Write(const std::function<core::Status(Txn&)>& body) {
  std::scoped_lock writer(write_mutex_);
  for (;;) {
    // Only mdb_txn_begin reports MDB_MAP_RESIZED; an Unavailable from `body` is the body's own
    // error and must be returned, not retried for ever.
    bool map_resized = false;
    core::Status status = [&]() -> core::Status {
      std::shared_lock gate = EnterResizeGate();
      core::Result<LmdbTxn> txn = LmdbTxn::Begin(env_.get(), 0);
      if (!txn) {
        map_resized = txn.error().code() == core::StatusCode::kUnavailable;
        return txn.error();
      }
      Txn handle(txn->get(), dbis_, /*writable=*/true);
      EARSHOT_RETURN_IF_ERROR(body(handle));
      return txn->Commit();
    }();
    if (status.IsResourceExhausted()) {
      EARSHOT_RETURN_IF_ERROR(Grow());
      continue;
    }
    if (map_resized) {
      EARSHOT_RETURN_IF_ERROR(AdoptResize());
      continue;
    }
    if (status.ok()) return status;
    return ExplainWriteFailure(status).WithContext("data_dir " + dir_.string());
  }
}

core::Status Store::ExplainWriteFailure(const core::Status& status) const {
  // LMDB 0.9 turns a short write into EIO, so a full disk often arrives as "Input/output error"
  // rather than ENOSPC. Tell the operator what the likely cause is instead of a bare EIO.
  if (!status.IsIOError() || status.message().find("disk is full") != std::string::npos) return status;
  constexpr const char* kIntact = "free space and run again; every batch committed before this one is intact";
  struct statvfs fs;
  if (statvfs(dir_.c_str(), &fs) == 0) {
    const uint64_t free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
    if (free_bytes < (uint64_t{64} << 20)) {
      return core::Status::IOError(status.message() + " (the disk is full: " + std::to_string(free_bytes >> 10) +
                                   " KiB free on the filesystem of data_dir; " + kIntact + ")");
    }
  }
  rlimit limit;
  if (getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
      file_bytes() + (uint64_t{64} << 20) >= static_cast<uint64_t>(limit.rlim_cur)) {
    return core::Status::IOError(status.message() + " (the disk is full as far as this process may write: data.mdb " +
                                 "reached the file-size limit, ulimit -f, of " + std::to_string(limit.rlim_cur) +
                                 " bytes; raise it and run again; every batch committed before this one is intact)");
  }
  return status;
}

core::Status Store::Read(const std::function<core::Status(Txn&)>& body) {
  for (;;) {
    bool map_resized = false;  // as in Write()
    core::Status status = [&]() -> core::Status {
      std::shared_lock gate = EnterResizeGate();
      core::Result<LmdbTxn> txn = LmdbTxn::Begin(env_.get(), MDB_RDONLY);
      if (!txn) {
        map_resized = txn.error().code() == core::StatusCode::kUnavailable;
        return txn.error();
      }
      Txn handle(txn->get(), dbis_, /*writable=*/false);
      return body(handle);  // the read transaction aborts on scope exit: nothing to commit
    }();
    if (map_resized) {
      EARSHOT_RETURN_IF_ERROR(AdoptResize());
      continue;
    }
    return status.ok() ? status : status.WithContext("data_dir " + dir_.string());
  }
}

std::shared_lock<std::shared_mutex> Store::EnterResizeGate() const {
  // Wait behind a resize that is waiting for the gate (see resize_turnstile_ in store.h).
  { std::scoped_lock turnstile(resize_turnstile_); }
  return std::shared_lock(resize_gate_);
}

core::Status Store::Grow() {
  std::scoped_lock turnstile(resize_turnstile_);
  std::unique_lock gate(resize_gate_);
  MDB_envinfo info;
  mdb_env_info(env_.get(), &info);
  const size_t doubled = info.me_mapsize * 2;
  if (int rc = mdb_env_set_mapsize(env_.get(), doubled); rc != 0) {
    return FromMdbError(rc, "mdb_env_set_mapsize (growing the map)");
  }
  return core::Status::Ok();
}

core::Status Store::AdoptResize() {
  std::scoped_lock turnstile(resize_turnstile_);
  std::unique_lock gate(resize_gate_);
  if (int rc = mdb_env_set_mapsize(env_.get(), 0); rc != 0) return FromMdbError(rc, "mdb_env_set_mapsize");
  return core::Status::Ok();
}

uint64_t Store::map_bytes() const {
  std::shared_lock gate = EnterResizeGate();
  MDB_envinfo info;
  mdb_env_info(env_.get(), &info);
  return info.me_mapsize;
}

uint64_t Store::file_bytes() const {
  std::error_code error;
  const auto size = std::filesystem::file_size(dir_ / "data.mdb", error);
  return error ? 0 : size;
}

core::Result<std::optional<std::string_view>> Txn::Get(Table table, std::string_view key) {
  MDB_val k = ToVal(key);
  MDB_val v;
  int rc = mdb_get(txn_, dbis_[static_cast<int>(table)], &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<std::string_view>();
  if (rc != 0) return FromMdbError(rc, std::string("mdb_get ") + kTableNames[static_cast<int>(table)]);
  return std::optional<std::string_view>(FromVal(v));
}

core::Status Txn::Put(Table table, std::string_view key, std::string_view value) {
  MDB_val k = ToVal(key);
  MDB_val v = ToVal(value);
  if (int rc = mdb_put(txn_, dbis_[static_cast<int>(table)], &k, &v, 0); rc != 0) {
    return FromMdbError(rc, std::string("mdb_put ") + kTableNames[static_cast<int>(table)]);
  }
  return core::Status::Ok();
}

core::Result<bool> Txn::Delete(Table table, std::string_view key) {
  MDB_val k = ToVal(key);
  int rc = mdb_del(txn_, dbis_[static_cast<int>(table)], &k, nullptr);
  if (rc == MDB_NOTFOUND) return false;
  if (rc != 0) return FromMdbError(rc, std::string("mdb_del ") + kTableNames[static_cast<int>(table)]);
  return true;
}

core::Status Txn::Scan(Table table, std::string_view from,
                       const std::function<bool(std::string_view, std::string_view)>& visit) {
  MDB_cursor* raw = nullptr;
  const char* name = kTableNames[static_cast<int>(table)];
  if (int rc = mdb_cursor_open(txn_, dbis_[static_cast<int>(table)], &raw); rc != 0) {
    return FromMdbError(rc, std::string("mdb_cursor_open ") + name);
  }
  internal::MdbCursor cursor(raw);
  MDB_val k = ToVal(from);
  MDB_val v;
  int rc = from.empty() ? mdb_cursor_get(raw, &k, &v, MDB_FIRST) : mdb_cursor_get(raw, &k, &v, MDB_SET_RANGE);
  while (rc == 0) {
    if (!visit(FromVal(k), FromVal(v))) return core::Status::Ok();
    rc = mdb_cursor_get(raw, &k, &v, MDB_NEXT);
  }
  if (rc != MDB_NOTFOUND) return FromMdbError(rc, std::string("mdb_cursor_get ") + name);
  return core::Status::Ok();
}

core::Result<uint64_t> Txn::Count(Table table) {
  MDB_stat stat;
  if (int rc = mdb_stat(txn_, dbis_[static_cast<int>(table)], &stat); rc != 0) {
    return FromMdbError(rc, "mdb_stat");
  }
  return static_cast<uint64_t>(stat.ms_entries);
}

void AppendBigEndian64(std::string& out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((value >> shift) & 0xff));
}

uint64_t ReadBigEndian64(std::string_view bytes) {
  uint64_t value = 0;
  for (size_t i = 0; i < 8 && i < bytes.size(); ++i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

}  // namespace earshot::store
