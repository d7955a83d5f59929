// Time helpers shared by the pipeline and the queue: Unix milliseconds as the one representation,
// RFC 3339 for people and JSON.
//
// Thread safety: pure functions (NowMillis reads the system clock).
#ifndef EARSHOT_CORE_TIME_H_
#define EARSHOT_CORE_TIME_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace earshot::core {

// Milliseconds since the Unix epoch, from the system (wall) clock: leases and case windows are
// compared across processes and restarts, so a monotonic clock would not do.
int64_t NowMillis();

// Parses RFC 3339 / ISO 8601 date-times as sources write them: "2025-07-17T10:00:00Z",
// "2025-07-17T10:00:00.123+02:00", "2025-07-17 10:00:00" (taken as UTC). Nullopt if malformed
// or out of range (years 1970–9999).
std::optional<int64_t> ParseRfc3339Millis(std::string_view text);

// "2025-07-17T10:00:00.123Z" (milliseconds always shown).
std::string FormatRfc3339Millis(int64_t millis);

}  // namespace earshot::core

#endif  // EARSHOT_CORE_TIME_H_
