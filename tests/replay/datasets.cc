#include "tests/replay/datasets.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <mutex>
#include <set>
#include <sstream>

#include "core/time.h"
#include "tests/replay/replay_util.h"

namespace earshot::replay {
namespace {

namespace fs = std::filesystem;

constexpr std::array<std::string_view, kDatasetCount> kNames = {"mastodon", "reddit", "hackernews", "bluesky",
                                                                 "wordpress"};

core::Result<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::Status::IOError("open " + path.string() + ": cannot read");
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return core::Status::IOError("read " + path.string() + " failed");
  return contents.str();
}

// "2025-07-17T20:03:41.742Z" → "2025-07-17T20:03:41" (WordPress's date format).
std::string WordPressDate(int64_t millis) { return core::FormatRfc3339Millis(millis).substr(0, 19); }

// Appends " #<n>" to HTML text, inside a trailing </p> if there is one.
std::string SuffixHtml(std::string html, size_t n) {
  const std::string suffix = " #" + std::to_string(n);
  const size_t close = html.rfind("</p>");
  if (close != std::string::npos && html.find_first_not_of(" \n\r\t", close + 4) == std::string::npos) {
    html.insert(close, suffix);
  } else {
    html += suffix;
  }
  return html;
}

void SuffixString(JsonValue* value, size_t n) {
  if (value != nullptr && value->is_string()) *value = JsonValue::String(value->text() + " #" + std::to_string(n));
}

core::Result<Item> MakeItem(Dataset dataset, JsonValue doc) {
  Item item;
  switch (dataset) {
    case Dataset::kMastodon: {
      item.id = std::string(doc.StringOr("id"));
      item.order_id = item.id;
      item.t_ms = core::ParseRfc3339Millis(doc.StringOr("created_at")).value_or(0);
      break;
    }
    case Dataset::kReddit: {
      const JsonValue* data = doc.Find("data");
      if (data == nullptr) return core::Status::InvalidArgument("reddit child without data");
      item.id = std::string(data->StringOr("name"));
      item.order_id = std::string(data->StringOr("id"));
      const JsonValue* created = data->Find("created_utc");
      item.t_ms = created != nullptr ? static_cast<int64_t>(created->AsDouble().value_or(0) * 1000) : 0;
      break;
    }
    case Dataset::kHackerNews: {
      item.id = std::string(doc.StringOr("objectID"));
      item.order_id = item.id;
      const JsonValue* created = doc.Find("created_at_i");
      if (created == nullptr || !created->AsInt()) return core::Status::InvalidArgument("hit without created_at_i");
      item.t_ms = *created->AsInt() * 1000;
      if (const JsonValue* tags = doc.Find("_tags"); tags != nullptr && tags->is_array()) {
        for (const JsonValue& tag : tags->elements()) item.tags.push_back(tag.text());
      }
      break;
    }
    case Dataset::kBluesky: {
      item.id = std::string(doc.StringOr("uri"));
      item.order_id = item.id;
      item.t_ms = core::ParseRfc3339Millis(doc.StringOr("indexedAt")).value_or(0);
      const JsonValue* likes = doc.Find("likeCount");
      item.number = likes != nullptr ? likes->AsInt().value_or(0) : 0;
      break;
    }
    case Dataset::kWordPress: {
      const JsonValue* id = doc.Find("id");
      if (id == nullptr || !id->AsInt()) return core::Status::InvalidArgument("comment without numeric id");
      item.id = std::to_string(*id->AsInt());
      item.order_id = item.id;
      item.t_ms = core::ParseRfc3339Millis(doc.StringOr("date_gmt")).value_or(0);
      const JsonValue* post = doc.Find("post");
      item.number = post != nullptr ? post->AsInt().value_or(0) : 0;
      break;
    }
  }
  if (item.id.empty()) return core::Status::InvalidArgument("item without an id");
  item.doc = std::move(doc);
  item.json = item.doc.Serialize();
  return item;
}

// The item documents of one recorded response.
core::Result<std::vector<JsonValue>> ExtractItems(Dataset dataset, JsonValue root) {
  JsonValue* list = nullptr;
  switch (dataset) {
    case Dataset::kMastodon:
    case Dataset::kWordPress:
      list = &root;
      break;
    case Dataset::kReddit:
      list = root.FindPath({"data", "children"});
      break;
    case Dataset::kHackerNews:
      list = root.Find("hits");
      break;
    case Dataset::kBluesky:
      list = root.Find("posts");
      break;
  }
  if (list == nullptr || !list->is_array()) {
    return core::Status::InvalidArgument("not the expected response shape (no item array)");
  }
  return std::move(list->elements());
}

// Our own synthetic comment texts (not from any recording).
constexpr std::array<std::string_view, 12> kSyntheticComments = {
    "Thanks for the write-up, this fixed my setup.",
    "AcmeNet support has had me on hold for two hours and my internet is still down.",
    "Does this also work on the older release?",
    "I switched providers last year and never looked back.",
    "My AcmeNet bill doubled this month with no explanation. Anyone else seeing this?",
    "Great post! Bookmarked for later.",
    "The router they sent me died after a week and the replacement is back-ordered.",
    "Could you share the config you used for the second example?",
    "Same problem here since the update on Tuesday.",
    "Nice to see a balanced take on this for once.",
    "Third outage this week. I work from home, this is not OK.",
    "Following, I have the same question.",
};
constexpr std::array<std::string_view, 6> kSyntheticAuthors = {"Dana", "M. Okafor", "jr_builds", "Priya S.",
                                                              "Tomasz", "Internet of something or other"};

// Sets the WordPress comment `doc` to id/post/date, rewriting its link and _links accordingly.
void SetWordPressIdentity(JsonValue& doc, int64_t old_id, int64_t old_post, int64_t id, int64_t post, int64_t t_ms) {
  doc.Set("id", JsonValue::Int(id));
  doc.Set("post", JsonValue::Int(post));
  doc.Set("date", JsonValue::String(WordPressDate(t_ms)));
  doc.Set("date_gmt", JsonValue::String(WordPressDate(t_ms)));
  if (JsonValue* link = doc.Find("link"); link != nullptr && link->is_string()) {
    std::string text = link->text();
    ReplaceAll(text, "?p=" + std::to_string(old_post) + "#", "?p=" + std::to_string(post) + "#");
    if (!ReplaceAll(text, "#comment-" + std::to_string(old_id), "#comment-" + std::to_string(id))) {
      text += "#comment-" + std::to_string(id);
    }
    *link = JsonValue::String(std::move(text));
  }
  if (JsonValue* links = doc.Find("_links")) {
    for (std::string_view rel : {"self", "up"}) {
      JsonValue* list = links->Find(rel);
      if (list == nullptr || !list->is_array()) continue;
      for (JsonValue& entry : list->elements()) {
        JsonValue* href = entry.Find("href");
        if (href == nullptr || !href->is_string()) continue;
        std::string text = href->text();
        if (rel == "self") ReplaceAll(text, "/comments/" + std::to_string(old_id), "/comments/" + std::to_string(id));
        if (rel == "up") ReplaceAll(text, "/posts/" + std::to_string(old_post), "/posts/" + std::to_string(post));
        *href = JsonValue::String(std::move(text));
      }
    }
  }
}

int64_t FeedLastModified(std::string_view body) {
  int64_t newest = 0;
  for (std::string_view tag : {"pubDate", "lastBuildDate", "updated", "published", "dc:date"}) {
    const std::string open = "<" + std::string(tag) + ">";
    size_t pos = 0;
    while ((pos = body.find(open, pos)) != std::string_view::npos) {
      pos += open.size();
      const size_t end = body.find('<', pos);
      if (end == std::string_view::npos) break;
      std::string_view text = body.substr(pos, end - pos);
      while (!text.empty() && (text.front() == ' ' || text.front() == '\n')) text.remove_prefix(1);
      while (!text.empty() && (text.back() == ' ' || text.back() == '\n')) text.remove_suffix(1);
      std::optional<int64_t> t = ParseHttpDate(text);
      if (!t) t = core::ParseRfc3339Millis(text);
      if (t) newest = std::max(newest, *t);
    }
  }
  return newest / 1000 * 1000;
}

std::string HexEtag(std::string_view body) {
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "\"%016llx\"", static_cast<unsigned long long>(Fnv1a64(body)));
  return buffer;
}

}  // namespace

std::string_view DatasetName(Dataset dataset) { return kNames[static_cast<size_t>(dataset)]; }

std::optional<Dataset> ParseDataset(std::string_view name) {
  for (Dataset dataset : kAllDatasets) {
    if (DatasetName(dataset) == name) return dataset;
  }
  return std::nullopt;
}

core::Result<std::unique_ptr<DatasetStore>> DatasetStore::Load(const fs::path& fixtures_dir,
                                                               size_t wordpress_synthetic) {
  std::error_code ec;
  if (!fs::is_directory(fixtures_dir, ec)) {
    return core::Status::NotFound("fixtures directory " + fixtures_dir.string() + " does not exist");
  }
  auto store = std::make_unique<DatasetStore>();
  for (Dataset dataset : kAllDatasets) {
    EARSHOT_RETURN_IF_ERROR(store->LoadDataset(dataset, fixtures_dir / DatasetName(dataset)));
  }

  // WordPress: the recorded comment is the template of the synthetic ones.
  auto& comments = store->items_[static_cast<size_t>(Dataset::kWordPress)];
  if (!comments.empty() && wordpress_synthetic > 0) {
    const Item& first = comments.front();
    const JsonValue templ = first.doc;
    const int64_t old_id = ParseInt(first.id).value_or(0);
    const int64_t old_post = first.number;
    int64_t max_id = 0;
    int64_t max_t = 0;
    for (const Item& item : comments) {
      max_id = std::max(max_id, ParseInt(item.id).value_or(0));
      max_t = std::max(max_t, item.t_ms);
    }
    for (size_t i = 1; i <= wordpress_synthetic; ++i) {
      JsonValue doc = templ;
      const int64_t id = max_id + static_cast<int64_t>(i);
      const int64_t post = i % 3 == 0 ? old_post + 5 : old_post;
      // 17 minutes apart, after the recorded comment.
      SetWordPressIdentity(doc, old_id, old_post, id, post, max_t + static_cast<int64_t>(i) * 17 * 60 * 1000);
      doc.Set("author_name", JsonValue::String(std::string(kSyntheticAuthors[i % kSyntheticAuthors.size()])));
      doc.Set("author_url", JsonValue::String(""));
      JsonValue content = JsonValue::Object();
      content.Set("rendered", JsonValue::String(
                                  "<p>" + XmlEscape(kSyntheticComments[(i - 1) % kSyntheticComments.size()]) + "</p>\n"));
      doc.Set("content", std::move(content));
      core::Result<Item> item = MakeItem(Dataset::kWordPress, std::move(doc));
      if (!item) return item.error();
      comments.push_back(std::move(*item));
    }
    store->Sort(Dataset::kWordPress);
    store->base_count_[static_cast<size_t>(Dataset::kWordPress)] = comments.size();
  }

  // Feeds.
  const fs::path feeds_dir = fixtures_dir / "feeds";
  if (fs::is_directory(feeds_dir, ec)) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(feeds_dir, ec)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& path : files) {
      core::Result<std::string> body = ReadFile(path);
      if (!body) return body.error();
      Feed feed;
      feed.name = path.filename().string();
      feed.body = std::move(*body);
      if (feed.body.find("<rss") != std::string::npos) {
        feed.content_type = "application/rss+xml; charset=UTF-8";
      } else if (feed.body.find("<feed") != std::string::npos) {
        feed.content_type = "application/atom+xml; charset=UTF-8";
      } else {
        feed.content_type = "application/xml";
      }
      feed.etag = HexEtag(feed.body);
      feed.last_modified_ms = FeedLastModified(feed.body);
      store->feeds_.push_back(std::move(feed));
    }
  }
  return store;
}

core::Status DatasetStore::LoadDataset(Dataset dataset, const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return core::Status::Ok();
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
  }
  if (ec) return core::Status::FromErrno("list", dir.string(), ec.value());
  std::sort(files.begin(), files.end());
  auto& items = items_[static_cast<size_t>(dataset)];
  std::set<std::string> seen;
  for (const fs::path& path : files) {
    core::Result<std::string> text = ReadFile(path);
    if (!text) return text.error();
    core::Result<JsonValue> root = JsonValue::Parse(*text);
    if (!root) return root.error().WithContext(path.string());
    core::Result<std::vector<JsonValue>> docs = ExtractItems(dataset, std::move(*root));
    if (!docs) return docs.error().WithContext(path.string());
    for (JsonValue& doc : *docs) {
      core::Result<Item> item = MakeItem(dataset, std::move(doc));
      if (!item) return item.error().WithContext(path.string());
      if (!seen.insert(item->id).second) continue;  // the same post in two recordings
      items.push_back(std::move(*item));
    }
  }
  Sort(dataset);
  base_count_[static_cast<size_t>(dataset)] = items.size();
  return core::Status::Ok();
}

void DatasetStore::Sort(Dataset dataset) {
  auto& items = items_[static_cast<size_t>(dataset)];
  if (dataset == Dataset::kMastodon) {
    std::stable_sort(items.begin(), items.end(),
                     [](const Item& a, const Item& b) { return CompareIds(a.order_id, b.order_id) < 0; });
  } else {
    std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
      if (a.t_ms != b.t_ms) return a.t_ms < b.t_ms;
      return CompareIds(a.order_id, b.order_id) < 0;
    });
  }
}

core::Result<std::vector<std::string>> DatasetStore::Add(Dataset dataset, size_t count) {
  std::unique_lock lock(mutex_);
  const size_t index = static_cast<size_t>(dataset);
  auto& items = items_[index];
  const size_t base = base_count_[index];
  if (base == 0) {
    return core::Status::InvalidArgument("dataset " + std::string(DatasetName(dataset)) + " has no recorded items");
  }
  // The largest id and time so far: clones go above both.
  uint64_t max_number = 0;  // numeric ids (Mastodon, HN, WordPress) or base36 (Reddit)
  int64_t max_t = 0;
  for (const Item& item : items) {
    max_t = std::max(max_t, item.t_ms);
    std::optional<uint64_t> number;
    if (dataset == Dataset::kReddit) {
      number = ParseBase36(item.order_id);
    } else if (dataset != Dataset::kBluesky) {
      const std::optional<int64_t> parsed = ParseInt(item.order_id);
      if (parsed && *parsed >= 0) number = static_cast<uint64_t>(*parsed);
    }
    if (number) max_number = std::max(max_number, *number);
  }

  std::vector<std::string> ids;
  ids.reserve(count);
  items.reserve(items.size() + count);
  for (size_t k = 0; k < count; ++k) {
    const size_t n = ++serial_[index];
    const Item& source = items[(n - 1) % base];
    JsonValue doc = source.doc;
    const int64_t t = max_t + 1000;
    max_t = t;
    switch (dataset) {
      case Dataset::kMastodon: {
        // Snowflake style: milliseconds << 16 plus a sequence, always above the previous id.
        const uint64_t id_number = std::max(max_number + 1, static_cast<uint64_t>(t) << 16);
        max_number = id_number;
        const std::string id = std::to_string(id_number);
        doc.Set("id", JsonValue::String(id));
        doc.Set("created_at", JsonValue::String(core::FormatRfc3339Millis(t)));
        for (std::string_view key : {"uri", "url"}) {
          JsonValue* field = doc.Find(key);
          if (field == nullptr || !field->is_string()) continue;
          std::string text = field->text();
          if (!ReplaceAll(text, source.order_id, id)) text += "#replay-" + id;
          *field = JsonValue::String(std::move(text));
        }
        if (JsonValue* content = doc.Find("content"); content != nullptr && content->is_string()) {
          *content = JsonValue::String(SuffixHtml(content->text(), n));
        }
        break;
      }
      case Dataset::kReddit: {
        const std::string id = FormatBase36(++max_number);
        JsonValue* data = doc.Find("data");
        if (data == nullptr) break;
        const std::string kind = doc.StringOr("kind").empty() ? "t3" : std::string(doc.StringOr("kind"));
        data->Set("id", JsonValue::String(id));
        data->Set("name", JsonValue::String(kind + "_" + id));
        const JsonValue* old_created = data->Find("created");
        const JsonValue* old_created_utc = data->Find("created_utc");
        const int64_t seconds = t / 1000;
        if (old_created != nullptr && old_created_utc != nullptr) {
          const double offset = old_created->AsDouble().value_or(0) - old_created_utc->AsDouble().value_or(0);
          data->Set("created", JsonValue::RawNumber(std::to_string(seconds + static_cast<int64_t>(offset)) + ".0"));
        }
        data->Set("created_utc", JsonValue::RawNumber(std::to_string(seconds) + ".0"));
        for (std::string_view key : {"permalink", "url"}) {
          JsonValue* field = data->Find(key);
          if (field == nullptr || !field->is_string()) continue;
          std::string text = field->text();
          ReplaceAll(text, "/comments/" + source.order_id + "/", "/comments/" + id + "/");
          *field = JsonValue::String(std::move(text));
        }
        SuffixString(data->Find("title"), n);
        break;
      }
      case Dataset::kHackerNews: {
        const std::string id = std::to_string(++max_number);
        doc.Set("objectID", JsonValue::String(id));
        doc.Set("created_at_i", JsonValue::Int(t / 1000));
        doc.Set("created_at", JsonValue::String(core::FormatRfc3339Millis(t)));
        if (JsonValue* story_id = doc.Find("story_id"); story_id != nullptr && story_id->text() == source.order_id) {
          *story_id = JsonValue::RawNumber(id);
        }
        if (JsonValue* tags = doc.Find("_tags"); tags != nullptr && tags->is_array()) {
          for (JsonValue& tag : tags->elements()) {
            if (tag.text() == "story_" + source.order_id) tag = JsonValue::String("story_" + id);
          }
        }
        JsonValue* comment = doc.Find("comment_text");
        if (comment != nullptr && comment->is_string() && !comment->text().empty()) {
          *comment = JsonValue::String(SuffixHtml(comment->text(), n));
        } else {
          SuffixString(doc.Find("title"), n);
        }
        break;
      }
      case Dataset::kBluesky: {
        const JsonValue* did = doc.FindPath({"author", "did"});
        const std::string author = did != nullptr ? did->text() : "did:plc:replay";
        const std::string uri =
            "at://" + author + "/app.bsky.feed.post/" + AtprotoTid(t * 1000, static_cast<unsigned>(n % 1024));
        doc.Set("uri", JsonValue::String(uri));
        doc.Set("cid", JsonValue::String(FakeCid(uri)));
        doc.Set("indexedAt", JsonValue::String(core::FormatRfc3339Millis(t)));
        if (JsonValue* record = doc.Find("record")) {
          record->Set("createdAt", JsonValue::String(core::FormatRfc3339Millis(t)));
          SuffixString(record->Find("text"), n);
        }
        break;
      }
      case Dataset::kWordPress: {
        const int64_t id = static_cast<int64_t>(++max_number);
        SetWordPressIdentity(doc, ParseInt(source.id).value_or(0), source.number, id, source.number, t);
        if (JsonValue* rendered = doc.FindPath({"content", "rendered"}); rendered != nullptr && rendered->is_string()) {
          *rendered = JsonValue::String(SuffixHtml(rendered->text(), n));
        }
        break;
      }
    }
    core::Result<Item> item = MakeItem(dataset, std::move(doc));
    if (!item) return item.error();
    item->t_ms = t;  // exact, whatever precision the API's date format has
    ids.push_back(item->id);
    items.push_back(std::move(*item));
  }
  return ids;
}

std::vector<std::string> DatasetStore::Ids(Dataset dataset) const {
  std::shared_lock lock(mutex_);
  std::vector<std::string> out;
  for (const Item& item : items_[static_cast<size_t>(dataset)]) out.push_back(item.id);
  return out;
}

size_t DatasetStore::Size(Dataset dataset) const {
  std::shared_lock lock(mutex_);
  return items_[static_cast<size_t>(dataset)].size();
}

}  // namespace earshot::replay
