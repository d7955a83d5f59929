#include "store/queue.h"

#include <algorithm>
#include <cmath>

#include "store/history.h"

namespace earshot::store {
namespace {

std::string NumberKey(uint64_t number) {
  std::string key;
  AppendBigEndian64(key, number);
  return key;
}

std::string ReadyKey(const CaseRecord& record) {
  const double clamped = std::clamp(record.urgency, 0.0, 100.0);
  const auto inverted = static_cast<uint16_t>(10000 - std::lround(clamped * 100));
  std::string key;
  key.push_back(static_cast<char>(inverted >> 8));
  key.push_back(static_cast<char>(inverted & 0xff));
  AppendBigEndian64(key, record.number);
  return key;
}

std::string LeaseKey(const CaseRecord& record) {
  std::string key;
  AppendBigEndian64(key, static_cast<uint64_t>(std::max<int64_t>(record.lease_until_ms, 0)));
  AppendBigEndian64(key, record.number);
  return key;
}

// Collects the case numbers stored in the last 8 bytes of index keys, in index order.
core::Result<std::vector<uint64_t>> IndexNumbers(Txn& txn, Table table, size_t limit,
                                                 const std::function<bool(std::string_view)>& keep_going) {
  std::vector<uint64_t> numbers;
  core::Status status = txn.Scan(table, {}, [&](std::string_view key, std::string_view) {
    if (!keep_going(key) || (limit != 0 && numbers.size() >= limit)) return false;
    if (key.size() >= 8) numbers.push_back(ReadBigEndian64(key.substr(key.size() - 8)));
    return true;
  });
  if (!status.ok()) return status;
  return numbers;
}

core::Result<CaseRecord> MustLoad(Txn& txn, uint64_t number) {
  core::Result<std::optional<CaseRecord>> record = LoadCase(txn, number);
  if (!record) return record.error();
  if (!record->has_value()) {
    return core::Status::Corruption("queue index names case " + CaseId(number) + ", which is not stored");
  }
  return std::move(**record);
}

// Puts every lease that expired at or before `now_ms` back in the queue.
core::Status ReturnExpiredLeases(Txn& txn, int64_t now_ms) {
  core::Result<std::vector<uint64_t>> expired =
      IndexNumbers(txn, Table::kLeases, 0, [now_ms](std::string_view key) {
        return static_cast<int64_t>(ReadBigEndian64(key.substr(0, 8))) <= now_ms;
      });
  if (!expired) return expired.error();
  for (uint64_t number : *expired) {
    core::Result<CaseRecord> previous = MustLoad(txn, number);
    if (!previous) return previous.error();
    CaseRecord current = *previous;
    current.state = CaseState::kQueued;
    current.lease_until_ms = 0;
    EARSHOT_RETURN_IF_ERROR(SaveCase(txn, &*previous, current));
  }
  return core::Status::Ok();
}

// Queue order: urgency descending, then case number ascending (oldest first).
bool QueueOrder(const CaseRecord& a, const CaseRecord& b) {
  const std::string ka = ReadyKey(a), kb = ReadyKey(b);  // exactly the order pull uses
  return ka < kb;
}

}  // namespace

core::Result<uint64_t> AllocateCaseNumber(Txn& txn) {
  core::Result<std::optional<std::string_view>> found = txn.Get(Table::kMeta, "next_case");
  if (!found) return found.error();
  const uint64_t number = found->has_value() ? ReadBigEndian64(**found) : 1;
  EARSHOT_RETURN_IF_ERROR(txn.Put(Table::kMeta, "next_case", NumberKey(number + 1)));
  return number;
}

core::Result<std::optional<CaseRecord>> LoadCase(Txn& txn, uint64_t number) {
  core::Result<std::optional<std::string_view>> found = txn.Get(Table::kCases, NumberKey(number));
  if (!found) return found.error();
  if (!found->has_value()) return std::optional<CaseRecord>();
  core::Result<CaseRecord> record = DecodeCase(number, **found);
  if (!record) return record.error();
  return std::optional<CaseRecord>(std::move(*record));
}

core::Status SaveCase(Txn& txn, const CaseRecord* previous, const CaseRecord& current) {
  if (previous != nullptr) {
    if (previous->state == CaseState::kQueued) {
      core::Result<bool> removed = txn.Delete(Table::kReady, ReadyKey(*previous));
      if (!removed) return removed.error();
    } else if (previous->state == CaseState::kLeased) {
      core::Result<bool> removed = txn.Delete(Table::kLeases, LeaseKey(*previous));
      if (!removed) return removed.error();
    }
  }
  if (current.state == CaseState::kQueued) {
    EARSHOT_RETURN_IF_ERROR(txn.Put(Table::kReady, ReadyKey(current), {}));
  } else if (current.state == CaseState::kLeased) {
    EARSHOT_RETURN_IF_ERROR(txn.Put(Table::kLeases, LeaseKey(current), {}));
  }
  return txn.Put(Table::kCases, NumberKey(current.number), EncodeCase(current));
}

core::Result<std::vector<CaseRecord>> PullCases(Txn& txn, int64_t now_ms, size_t max, int64_t lease_ms) {
  EARSHOT_RETURN_IF_ERROR(ReturnExpiredLeases(txn, now_ms));
  std::vector<CaseRecord> pulled;
  if (max == 0) return pulled;
  core::Result<std::vector<uint64_t>> numbers =
      IndexNumbers(txn, Table::kReady, max, [](std::string_view) { return true; });
  if (!numbers) return numbers.error();
  for (uint64_t number : *numbers) {
    core::Result<CaseRecord> previous = MustLoad(txn, number);
    if (!previous) return previous.error();
    CaseRecord current = *previous;
    current.state = CaseState::kLeased;
    current.lease_until_ms = now_ms + std::max<int64_t>(lease_ms, 1);
    current.leased_version = current.version;
    ++current.lease_generation;
    current.updated_ms = now_ms;
    EARSHOT_RETURN_IF_ERROR(SaveCase(txn, &*previous, current));
    pulled.push_back(std::move(current));
  }
  return pulled;
}

core::Result<CaseRecord> FinishCase(Txn& txn, uint64_t number, Finish finish, int64_t now_ms,
                                    std::optional<uint32_t> lease_generation) {
  core::Result<std::optional<CaseRecord>> loaded = LoadCase(txn, number);
  if (!loaded) return loaded.error();
  if (!loaded->has_value()) return core::Status::NotFound("no case " + CaseId(number));
  const CaseRecord& previous = **loaded;
  if (lease_generation &&
      (previous.state != CaseState::kLeased || previous.lease_generation != *lease_generation)) {
    return core::Status::InvalidArgument(
        "lease " + LeaseId(number, *lease_generation) + " is no longer held (the case is " +
        std::string(CaseStateName(previous.state)) +
        (previous.lease_generation != *lease_generation ? ", under lease " + LeaseId(number, previous.lease_generation)
                                                        : std::string()) +
        "): it expired or was finished, so the case may have gone to another consumer");
  }
  CaseRecord current = previous;
  const std::string state_name(CaseStateName(previous.state));
  switch (finish) {
    case Finish::kAck:
    case Finish::kNack:
      if (previous.state != CaseState::kLeased) {
        return core::Status::InvalidArgument("case " + CaseId(number) + " is " + state_name +
                                             ", not leased: only a leased case can be " +
                                             (finish == Finish::kAck ? "acked" : "nacked"));
      }
      // A post that joined after the pull makes the ack cover an old version: queue it again so
      // the new post reaches someone.
      current.state = finish == Finish::kAck && previous.version == previous.leased_version ? CaseState::kAcked
                                                                                             : CaseState::kQueued;
      current.lease_until_ms = 0;
      break;
    case Finish::kResolve: {
      if (previous.state == CaseState::kResolved) {
        return core::Status::InvalidArgument("case " + CaseId(number) + " is already resolved");
      }
      current.state = CaseState::kResolved;
      current.lease_until_ms = 0;
      const std::string key = HistoryKey(previous.source, previous.author_key, previous.brand);
      core::Result<AuthorBrandHistory> history = LoadHistory(txn, key);
      if (!history) return history.error();
      if (history->unresolved > 0) --history->unresolved;
      ++history->resolved;
      if (history->current_case == number) history->current_case = 0;
      EARSHOT_RETURN_IF_ERROR(SaveHistory(txn, key, *history));
      break;
    }
  }
  current.updated_ms = now_ms;
  EARSHOT_RETURN_IF_ERROR(SaveCase(txn, &previous, current));
  return current;
}

std::optional<StateFilter> ParseStateFilter(std::string_view name) {
  if (name == "open") return StateFilter::kOpen;
  if (name == "all") return StateFilter::kAll;
  if (name == "queued") return StateFilter::kQueued;
  if (name == "leased") return StateFilter::kLeased;
  if (name == "acked") return StateFilter::kAcked;
  if (name == "resolved") return StateFilter::kResolved;
  return std::nullopt;
}

core::Result<std::vector<CaseRecord>> ListCases(Txn& txn, StateFilter filter, int64_t now_ms, size_t limit) {
  std::vector<CaseRecord> cases;
  auto effective = [now_ms](const CaseRecord& record) {
    return record.state == CaseState::kLeased && record.lease_until_ms <= now_ms ? CaseState::kQueued
                                                                                 : record.state;
  };
  auto wanted = [&](const CaseRecord& record) {
    const CaseState state = effective(record);
    switch (filter) {
      case StateFilter::kOpen: return state == CaseState::kQueued || state == CaseState::kLeased;
      case StateFilter::kAll: return true;
      case StateFilter::kQueued: return state == CaseState::kQueued;
      case StateFilter::kLeased: return state == CaseState::kLeased;
      case StateFilter::kAcked: return state == CaseState::kAcked;
      case StateFilter::kResolved: return state == CaseState::kResolved;
    }
    return false;
  };
  core::Status decode_failure;
  auto collect = [&](Table table) {
    return txn.Scan(table, {}, [&](std::string_view key, std::string_view value) {
      uint64_t number = key.size() >= 8 ? ReadBigEndian64(key.substr(key.size() - 8)) : 0;
      core::Result<CaseRecord> record = [&]() -> core::Result<CaseRecord> {
        if (table == Table::kCases) return DecodeCase(number, value);
        return MustLoad(txn, number);
      }();
      if (!record) {
        decode_failure = record.error();
        return false;
      }
      if (wanted(*record)) cases.push_back(std::move(*record));
      return true;
    });
  };
  // Open cases are found through the two small index tables; anything else needs the full table.
  if (filter == StateFilter::kOpen || filter == StateFilter::kQueued || filter == StateFilter::kLeased) {
    EARSHOT_RETURN_IF_ERROR(collect(Table::kReady));
    EARSHOT_RETURN_IF_ERROR(collect(Table::kLeases));
  } else {
    EARSHOT_RETURN_IF_ERROR(collect(Table::kCases));
  }
  if (!decode_failure.ok()) return decode_failure;
  std::sort(cases.begin(), cases.end(), QueueOrder);
  if (limit != 0 && cases.size() > limit) cases.resize(limit);
  return cases;
}

}  // namespace earshot::store
