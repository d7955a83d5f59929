// Source: where posts come from. The pipeline (triage/pipeline.h) pulls Post JSON Lines from each
// configured source, one line at a time, and commits the source's cursor in the same LMDB write
// transaction as the posts it read (DESIGN.md §1). A crash therefore re-reads from the last
// committed cursor: nothing is skipped, and the seen-set drops what was already stored.
//
// Every source speaks Post JSONL (DESIGN.md §3.1) to the pipeline: the `jsonl` source passes its
// file's lines through; network sources (network_source.h) turn API responses into such lines.
// Parsing stays in the pipeline's parallel stage, so a source only moves bytes.
//
// A poll: the pipeline calls BeginPoll on every source that is due, then Next until it says kIdle.
// A network source starts its requests in BeginPoll, so all due sources fetch at once, and its
// Next says kPending while a response is on its way (or, with SourceOptions::once, waits for it).
//
// Thread safety: a Source is used by one thread at a time (the pipeline's serial input stage).
#ifndef EARSHOT_CRAWLER_SOURCE_H_
#define EARSHOT_CRAWLER_SOURCE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/status.h"

namespace earshot::crawler {

class Fetcher;

class Source {
 public:
  virtual ~Source() = default;

  enum class Outcome {
    kLine,     // `line` holds one Post JSON line (no newline); `line_number` says where it was
    kTooLong,  // a line over the limit was skipped; `line` is empty, `line_number` names it
    kIdle,     // nothing more right now: poll again after config().every
    kEnd,      // the source is finished for good (stdin closed); never returns a line again
    kPending,  // a response is on its way: ask again shortly (never returned with options.once)
  };

  // A poll is due: start whatever fetching it needs. Cheap and idempotent while a poll is running.
  virtual void BeginPoll() {}

  // The config this source was built from (id, kind, poll interval).
  virtual const core::SourceConfig& config() const = 0;

  // Reads the next line. A failure (e.g. read error) is an IOError naming the source and path; the
  // pipeline reports it and keeps the other sources running.
  virtual core::Result<Outcome> Next(std::string& line, uint64_t& line_number) = 0;

  // The position just after the last line Next returned, as opaque bytes for the cursors table.
  // Handing it back to the factory resumes exactly there.
  // A network source returns the state as of its last page whose posts have all been returned.
  virtual std::string Cursor() const = 0;

  // A human description of where the source is, for progress lines: "offset 12.3 MB of 45.6 MB".
  virtual std::string Describe() const = 0;

  // The scheme://host:port a network source last sent a request to (Fetcher::HostKey), so the
  // operator console can line a source up with the fetcher's per-host politeness state; "" for
  // sources that read local files.
  virtual std::string HostKey() const { return {}; }

  // A descriptor that turns readable when Next has something new (a pipe or stdin), or -1 when
  // the source cannot tell (files, network sources). A tailing run polls it while it waits, so a
  // stream's line is read when it arrives rather than at the next `every`.
  virtual int WaitableFd() const { return -1; }
};

// Options every factory takes.
struct SourceOptions {
  // `earshot run --once`: at the end of a file, also return a last line that has no newline
  // (a tailing run waits for the newline, because the writer may be mid-line).
  // A network source then waits in Next for its poll's responses instead of saying kPending.
  bool once = false;
  size_t max_line_bytes = 16 * 1024 * 1024;
  // Network sources fetch through this (not owned; it must outlive them). Null when no network
  // source is configured; MakeSource then rejects network kinds.
  Fetcher* fetcher = nullptr;
  // Set by the caller to make a waiting Next (once) give up promptly with Cancelled.
  const std::atomic<bool>* stop = nullptr;
};

// Builds the source for `config`, resumed at `cursor` (empty: from the start). Unknown or not yet
// built kinds are InvalidArgument naming the source id and kind. `warnings` receives notes that
// are not errors, e.g. "source replay: ./a.jsonl is shorter than the saved offset (truncated or
// replaced): reading it from the start".
core::Result<std::unique_ptr<Source>> MakeSource(const core::SourceConfig& config, std::string_view cursor,
                                                 const SourceOptions& options,
                                                 std::vector<std::string>& warnings);

// True for kinds fetched over HTTP (they need SourceOptions::fetcher).
bool IsNetworkKind(std::string_view kind);

}  // namespace earshot::crawler

#endif  // EARSHOT_CRAWLER_SOURCE_H_
