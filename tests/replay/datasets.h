// The replay server's data: one ordered item list per imitated API, loaded from recorded responses
// (tests/replay/fixtures/<api>/*.json), plus the recorded feed files served byte-exact.
//
// Items are kept oldest → newest in the API's own order (Mastodon: by id, compared as strings by
// length then lexically; the others: by their timestamp, then id). Add() appends clones of the
// recorded items with fresh ids in the API's id style and timestamps 1 s apart after the newest
// item, so the lists stay sorted.
//
// Thread safety: all methods may be called concurrently (a shared mutex; readers run in parallel).
#ifndef EARSHOT_TESTS_REPLAY_DATASETS_H_
#define EARSHOT_TESTS_REPLAY_DATASETS_H_

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "tests/replay/json_value.h"

namespace earshot::replay {

enum class Dataset { kMastodon = 0, kReddit, kHackerNews, kBluesky, kWordPress };
inline constexpr size_t kDatasetCount = 5;
inline constexpr std::array<Dataset, kDatasetCount> kAllDatasets = {
    Dataset::kMastodon, Dataset::kReddit, Dataset::kHackerNews, Dataset::kBluesky, Dataset::kWordPress};

// "mastodon", "reddit", "hackernews", "bluesky", "wordpress".
std::string_view DatasetName(Dataset dataset);
std::optional<Dataset> ParseDataset(std::string_view name);

struct Item {
  JsonValue doc;
  std::string json;      // doc, serialised once
  std::string id;        // as the crawler reports it: status id, fullname, objectID, at:// uri, comment id
  std::string order_id;  // Mastodon id, Reddit base36 id, HN objectID, WordPress id; Bluesky: uri
  int64_t t_ms = 0;      // created_at, created_utc, created_at_i, indexedAt, date_gmt
  int64_t number = 0;    // Bluesky likeCount; WordPress post id
  std::vector<std::string> tags;  // HN _tags
};

// A recorded feed file, served byte-exact.
struct Feed {
  std::string name;  // the file name, the last path segment of /feeds/{name}
  std::string body;
  std::string content_type;
  std::string etag;              // strong: "\"<16 hex digits of FNV-1a>\""
  int64_t last_modified_ms = 0;  // newest pubDate/updated/lastBuildDate in the file
};

class DatasetStore {
 public:
  DatasetStore() = default;  // empty; see Load
  // Loads every *.json under fixtures_dir/<dataset>/ and every file under fixtures_dir/feeds/.
  // A missing dataset folder leaves that dataset empty; unreadable or malformed files are errors.
  // The WordPress dataset is the recorded comment plus `wordpress_synthetic` comments synthesised in
  // its shape (our own text).
  static core::Result<std::unique_ptr<DatasetStore>> Load(const std::filesystem::path& fixtures_dir,
                                                          size_t wordpress_synthetic = 24);

  // Calls fn(std::span<const Item>) under the shared lock (do not call back into the store).
  template <typename Fn>
  auto Read(Dataset dataset, Fn&& fn) const {
    std::shared_lock lock(mutex_);
    return fn(std::span<const Item>(items_[static_cast<size_t>(dataset)]));
  }

  // Appends `count` clones (round-robin over the loaded items), each newer than every item, and
  // returns their ids. FailedPrecondition-like InvalidArgument if the dataset is empty.
  core::Result<std::vector<std::string>> Add(Dataset dataset, size_t count);
  // All ids, oldest → newest.
  std::vector<std::string> Ids(Dataset dataset) const;
  size_t Size(Dataset dataset) const;

  // Immutable after Load.
  const std::vector<Feed>& feeds() const { return feeds_; }

 private:
  core::Status LoadDataset(Dataset dataset, const std::filesystem::path& dir);
  void Sort(Dataset dataset);

  mutable std::shared_mutex mutex_;
  std::array<std::vector<Item>, kDatasetCount> items_;
  std::array<size_t, kDatasetCount> base_count_{};  // the loaded items (clone sources)
  std::array<size_t, kDatasetCount> serial_{};      // clones made so far (the " #<n>" suffix)
  std::vector<Feed> feeds_;
};

}  // namespace earshot::replay

#endif  // EARSHOT_TESTS_REPLAY_DATASETS_H_
