#include "core/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iterator>
#include <limits>
#include <memory>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "core/yaml_documents.h"

namespace earshot::core {
namespace {

namespace fs = std::filesystem;
using namespace std::string_view_literals;

constexpr std::array kTopLevelKeys = {"data_dir"sv, "rules"sv,    "sources"sv, "queue"sv,
                                      "cases"sv,    "pipeline"sv, "http"sv,    "serve"sv};
constexpr std::array kQueueKeys = {"kind"sv, "redis"sv};
constexpr std::array kRedisKeys = {"url"sv, "stream"sv, "group"sv, "password_env"sv, "max_len"sv};
constexpr std::array kServeKeys = {"listen"sv, "token_env"sv};
constexpr std::array kCasesKeys = {"window"sv};
constexpr std::array kPipelineKeys = {"batch"sv, "threads"sv};
constexpr std::array kHttpKeys = {"user_agent"sv, "timeout"sv, "attempts"sv, "backoff"sv, "max_backoff"sv};

// Keys under which people paste credentials. Written inline, a secret would live in a file that
// gets copied, committed and shown around; the config only ever names an environment variable.
constexpr std::array kInlineSecretKeys = {"token"sv,   "password"sv,     "secret"sv,
                                          "api_key"sv, "app_password"sv, "client_secret"sv};

constexpr int64_t kMaxBatch = 1'000'000;
// A config is a few kilobytes; anything this large is the wrong file (or /dev/zero), and reading
// it whole would only exhaust memory before the YAML parser rejected it.
constexpr size_t kMaxConfigBytes = 4 << 20;

constexpr std::string_view kDurationHint = "like 250ms, 30s, 5m, 24h or 2d";

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

std::optional<std::string> ProcessGetEnv(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

std::string Quoted(std::string_view text) {
  // Built by append: g++ 12 at -O3 raises a false -Wrestrict on "'" + std::string&&.
  std::string out;
  out.reserve(text.size() + 2);
  out.append(1, '\'').append(text).append(1, '\'');
  return out;
}

std::string Join(std::span<const std::string_view> words) {
  std::string out;
  for (std::string_view word : words) {
    if (!out.empty()) out.append(", ");
    out.append(word);
  }
  return out;
}

bool Contains(std::span<const std::string_view> words, std::string_view word) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

size_t EditDistance(std::string_view a, std::string_view b) {
  // Two-row Levenshtein; keys are short, so the quadratic cost does not matter.
  std::vector<size_t> previous(b.size() + 1);
  std::vector<size_t> current(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

// The candidate closest to `word` if it is within two edits (a typo, not a different word); the
// first in list order on a tie.
std::optional<std::string_view> Closest(std::string_view word, std::span<const std::string_view> candidates) {
  std::optional<std::string_view> best;
  size_t best_distance = 3;
  for (std::string_view candidate : candidates) {
    const size_t distance = EditDistance(word, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

// "unknown <what> 'x' (did you mean 'y'?)", or the full list when nothing is close.
std::string UnknownMessage(std::string_view what, std::string_view word,
                           std::span<const std::string_view> known) {
  std::string message = "unknown ";
  message.append(what).append(" ").append(Quoted(word));
  if (std::optional<std::string_view> close = Closest(word, known)) {
    message.append(" (did you mean ").append(Quoted(*close)).append("?)");
  } else {
    message.append(" (expected one of: ").append(Join(known)).append(")");
  }
  return message;
}

bool IsSourceId(std::string_view id) {
  if (id.empty()) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
  });
}

bool IsEnvName(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// A whole decimal integer, nothing before or after it ("1e3", "0x10", "1.5" and "" are not).
template <typename Int>
std::optional<Int> ParseInteger(std::string_view text) {
  Int value{};
  const char* end = text.data() + text.size();
  const auto [ptr, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || ptr != end) return std::nullopt;
  return value;
}

struct Location {
  int line = 1;
  int column = 1;
};

// 1-based position of a node. Nodes yaml-cpp did not parse from text (an empty document) carry a
// null mark; they stand for the whole file, so they point at its start.
Location LocationOf(const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0 || mark.column < 0) return Location{};
  return Location{mark.line + 1, mark.column + 1};
}

std::string FormatProblem(const std::string& file, Location where, std::string_view message) {
  std::string out = file;
  out.append(":").append(std::to_string(where.line)).append(":");
  out.append(std::to_string(where.column)).append(": ").append(message);
  return out;
}

Result<std::string> ReadFile(const fs::path& file) {
  errno = 0;
  File in(std::fopen(file.c_str(), "rb"));
  if (!in) return Status::FromErrno("open", file.string(), errno);
  std::string text;
  std::array<char, 8192> buffer;
  size_t read = 0;
  while ((read = std::fread(buffer.data(), 1, buffer.size(), in.get())) > 0) {
    text.append(buffer.data(), read);
    if (text.size() > kMaxConfigBytes) {
      return Status::InvalidArgument(file.string() + ": larger than " +
                                     std::to_string(kMaxConfigBytes >> 20) +
                                     " MiB, which is not a config file");
    }
  }
  // fopen succeeds on a directory; the read is what fails (EISDIR).
  if (std::ferror(in.get())) return Status::FromErrno("read", file.string(), errno);
  return text;
}

// Walks the parsed document once, filling a Config and collecting every problem on the way, so a
// user fixes a config in one round instead of one error per run.
class ConfigReader {
 public:
  ConfigReader(const fs::path& file, GetEnv getenv)
      : file_name_(file.string()), base_(file.parent_path()), getenv_(getenv) {
    config_.file = file;
  }

  void Report(Location where, std::string message) {
    problems_.push_back(Problem{where, std::move(message)});
  }
  void Report(const YAML::Node& node, std::string message) {
    Report(LocationOf(node.Mark()), std::move(message));
  }

  void ReadDocument(const YAML::Node& root);

  // The Config, or every problem in file order as "file:line:column: message" lines.
  Result<Config> Finish() &&;

 private:
  struct Problem {
    Location where;
    std::string message;
  };
  struct Field {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
  };
  using Fields = std::vector<Field>;

  static const Field* Find(const Fields& fields, std::string_view key) {
    for (const Field& field : fields) {
      if (field.key == key) return &field;
    }
    return nullptr;
  }
  // `key:` with nothing after it has no position of its own; point at the key instead.
  static Location WhereValue(const Field& field) {
    return LocationOf(field.value.IsNull() ? field.key_node.Mark() : field.value.Mark());
  }

  // The entries of `map` with plain string keys, first occurrence only. Unless `open`, keys not in
  // `allowed` are reported. Inline secrets are reported (without their value) and left out.
  Fields ReadFields(const YAML::Node& map, std::span<const std::string_view> allowed, bool open);

  std::optional<std::string> ReadString(const Field& field);
  std::optional<std::chrono::milliseconds> ReadPositiveDuration(const Field& field);
  std::optional<std::string> ReadSecret(const Field& field);
  fs::path Resolve(const std::string& path) const;

  void ReadDataDir(const Field& field);
  void ReadRules(const Field& field);
  void ReadSources(const Field& field);
  void ReadSource(const YAML::Node& node, std::vector<std::pair<std::string, int>>& seen_ids);
  void ReadQueue(const Field& field);
  void ReadRedis(const Field& field);
  void ReadCases(const Field& field);
  void ReadPipeline(const Field& field);
  void ReadHttp(const Field& field);
  void ReadServe(const Field& field);

  std::string file_name_;
  fs::path base_;  // the config's directory; empty means the current directory
  GetEnv getenv_;
  Config config_;
  std::vector<Problem> problems_;
};

ConfigReader::Fields ConfigReader::ReadFields(const YAML::Node& map,
                                              std::span<const std::string_view> allowed, bool open) {
  Fields fields;
  for (const auto& entry : map) {
    const YAML::Node& key_node = entry.first;
    if (!key_node.IsScalar()) {
      Report(key_node, "keys must be plain strings");
      continue;
    }
    const std::string& key = key_node.Scalar();
    if (Contains(kInlineSecretKeys, key)) {
      // Never echo the value: it is (or looks like) a credential.
      Report(key_node, "secrets must not be written in the config: name an environment variable with " +
                           Quoted(key + "_env"));
    } else if (!open && !Contains(allowed, key)) {
      Report(key_node, UnknownMessage("key", key, allowed));
    } else if (Find(fields, key) != nullptr) {
      // yaml-cpp keeps both entries of a repeated key; silently using one would hide a mistake.
      Report(key_node, "duplicate key " + Quoted(key));
    } else {
      fields.push_back(Field{key, key_node, entry.second});
    }
  }
  return fields;
}

std::optional<std::string> ConfigReader::ReadString(const Field& field) {
  if (field.value.IsScalar()) return field.value.Scalar();
  Report(WhereValue(field), Quoted(field.key) + " must be a string");
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> ConfigReader::ReadPositiveDuration(const Field& field) {
  if (field.value.IsScalar()) {
    const std::optional<std::chrono::milliseconds> duration = ParseDuration(field.value.Scalar());
    if (duration && duration->count() > 0) return duration;
  }
  std::string message = Quoted(field.key) + " must be a positive duration ";
  message.append(kDurationHint);
  if (field.value.IsScalar()) message.append(" (got ").append(Quoted(field.value.Scalar())).append(")");
  Report(WhereValue(field), std::move(message));
  return std::nullopt;
}

std::optional<std::string> ConfigReader::ReadSecret(const Field& field) {
  // The value is not echoed: someone may have pasted the secret itself where its name belongs.
  if (!field.value.IsScalar() || !IsEnvName(field.value.Scalar())) {
    Report(WhereValue(field), Quoted(field.key) +
                                  " must be the name of an environment variable "
                                  "([A-Za-z_][A-Za-z0-9_]*), not the secret itself");
    return std::nullopt;
  }
  const std::string& name = field.value.Scalar();
  std::optional<std::string> value = getenv_(name.c_str());
  if (!value) {
    Report(WhereValue(field), "environment variable " + name + " (named by " + field.key + ") is not set");
  }
  return value;
}

fs::path ConfigReader::Resolve(const std::string& path) const {
  fs::path resolved(path);
  // An empty base (config named without a directory) leaves the path relative to the current
  // directory, which is where that config file is.
  if (resolved.is_relative()) resolved = base_ / resolved;
  return resolved.lexically_normal();
}

void ConfigReader::ReadDocument(const YAML::Node& root) {
  // An empty file is an empty mapping: it is then reported as missing data_dir and rules.
  if (!root.IsNull() && !root.IsMap()) {
    Report(root, "a config must be a mapping with keys: " + Join(kTopLevelKeys));
    return;
  }
  const Fields fields = root.IsMap() ? ReadFields(root, kTopLevelKeys, false) : Fields{};
  if (const Field* field = Find(fields, "data_dir")) {
    ReadDataDir(*field);
  } else {
    Report(root, "missing required key 'data_dir' (the folder that holds earshot's database)");
  }
  if (const Field* field = Find(fields, "rules")) {
    ReadRules(*field);
  } else {
    Report(root, "missing required key 'rules' (rule files or folders)");
  }
  if (const Field* field = Find(fields, "sources")) ReadSources(*field);
  if (const Field* field = Find(fields, "queue")) ReadQueue(*field);
  if (const Field* field = Find(fields, "cases")) ReadCases(*field);
  if (const Field* field = Find(fields, "pipeline")) ReadPipeline(*field);
  if (const Field* field = Find(fields, "http")) ReadHttp(*field);
  if (const Field* field = Find(fields, "serve")) ReadServe(*field);
}

void ConfigReader::ReadDataDir(const Field& field) {
  const std::optional<std::string> path = ReadString(field);
  if (!path) return;
  if (path->empty()) {
    Report(WhereValue(field), "'data_dir' must not be empty");
    return;
  }
  config_.data_dir = Resolve(*path);
}

void ConfigReader::ReadRules(const Field& field) {
  const std::string_view type_error = "'rules' must be a path or a list of paths";
  if (field.value.IsScalar()) {
    if (field.value.Scalar().empty()) {
      Report(WhereValue(field), "'rules' must not be empty");
    } else {
      config_.rules.push_back(Resolve(field.value.Scalar()));
    }
    return;
  }
  if (!field.value.IsSequence()) {
    Report(WhereValue(field), std::string(type_error));
    return;
  }
  if (field.value.size() == 0) {
    Report(WhereValue(field), "'rules' must name at least one file or folder");
    return;
  }
  for (const YAML::Node& item : field.value) {
    if (!item.IsScalar()) {
      Report(item, std::string(type_error));
    } else if (item.Scalar().empty()) {
      Report(item, "an entry of 'rules' must not be empty");
    } else {
      config_.rules.push_back(Resolve(item.Scalar()));
    }
  }
}

void ConfigReader::ReadSources(const Field& field) {
  if (field.value.IsNull()) return;  // `sources:` with none listed, as for `cases` commands
  if (!field.value.IsSequence()) {
    Report(WhereValue(field), "'sources' must be a list of sources");
    return;
  }
  // Source counts are small; a vector keeps ids with the line that first used them.
  std::vector<std::pair<std::string, int>> seen_ids;
  for (const YAML::Node& item : field.value) ReadSource(item, seen_ids);
}

void ConfigReader::ReadSource(const YAML::Node& node, std::vector<std::pair<std::string, int>>& seen_ids) {
  if (!node.IsMap()) {
    Report(node, "each entry of 'sources' must be a mapping with at least 'id' and 'kind'");
    return;
  }
  // Kind-specific keys are open-ended, so any key is allowed here and lands in params.
  const Fields fields = ReadFields(node, {}, true);
  SourceConfig source;
  source.line = LocationOf(node.Mark()).line;

  if (const Field* field = Find(fields, "id")) {
    if (std::optional<std::string> id = ReadString(*field)) {
      const auto seen = std::find_if(seen_ids.begin(), seen_ids.end(),
                                     [&](const auto& entry) { return entry.first == *id; });
      if (!IsSourceId(*id)) {
        Report(WhereValue(*field), "invalid source id " + Quoted(*id) + ": ids must match [a-z0-9_.-]+");
      } else if (seen != seen_ids.end()) {
        Report(WhereValue(*field), "duplicate source id " + Quoted(*id) + " (first used on line " +
                                       std::to_string(seen->second) + ")");
      } else {
        seen_ids.emplace_back(*id, source.line);
      }
      source.id = std::move(*id);
    }
  } else {
    Report(node, "source is missing 'id'");
  }

  if (const Field* field = Find(fields, "kind")) {
    if (std::optional<std::string> kind = ReadString(*field)) {
      const std::vector<std::string_view> kinds(std::begin(kSourceKinds), std::end(kSourceKinds));
      if (!Contains(kinds, *kind)) Report(WhereValue(*field), UnknownMessage("source kind", *kind, kinds));
      source.kind = std::move(*kind);
    }
  } else {
    Report(node, "source is missing 'kind' (one of: " +
                     Join(std::vector<std::string_view>(std::begin(kSourceKinds), std::end(kSourceKinds))) +
                     ")");
  }

  // A jsonl file is read as fast as it grows; network APIs are polled politely.
  source.every = source.kind == "jsonl" ? std::chrono::milliseconds(std::chrono::seconds(1))
                                        : std::chrono::milliseconds(std::chrono::seconds(60));
  const Field* path_field = nullptr;
  for (const Field& field : fields) {
    if (field.key == "id" || field.key == "kind") continue;
    if (field.key == "every") {
      if (std::optional<std::chrono::milliseconds> every = ReadPositiveDuration(field)) source.every = *every;
    } else if (field.key == "max_requests_per_minute") {
      const std::optional<int> limit =
          field.value.IsScalar() ? ParseInteger<int>(field.value.Scalar()) : std::nullopt;
      if (limit && *limit > 0) {
        source.max_requests_per_minute = *limit;
      } else {
        Report(WhereValue(field), "'max_requests_per_minute' must be a positive integer");
      }
    } else if (EndsWith(field.key, "_env")) {
      const std::string name = field.key.substr(0, field.key.size() - 4);
      if (name.empty()) {
        Report(field.key_node, "'_env' names no secret: write e.g. 'token_env'");
      } else if (std::optional<std::string> secret = ReadSecret(field)) {
        source.secrets[name] = std::move(*secret);
      }
    } else if (!field.value.IsScalar()) {
      Report(WhereValue(field), Quoted(field.key) + " must be a single value (a string or a number)");
    } else {
      if (field.key == "path") path_field = &field;
      source.params[field.key] = field.value.Scalar();
    }
  }

  if (source.kind == "jsonl") {
    const auto path = source.params.find("path");
    if (path == source.params.end()) {
      // A present but non-scalar `path` was reported above already.
      if (Find(fields, "path") == nullptr) {
        Report(node, "a jsonl source needs 'path' (a file of Post JSONL, or - for stdin)");
      }
    } else if (path->second.empty()) {
      Report(WhereValue(*path_field), "'path' must not be empty (use - for stdin)");
    } else if (path->second != "-") {
      path->second = Resolve(path->second).string();
    }
  }
  config_.sources.push_back(std::move(source));
}

void ConfigReader::ReadQueue(const Field& field) {
  if (field.value.IsNull()) return;
  if (!field.value.IsMap()) {
    Report(WhereValue(field), "'queue' must be a mapping with keys: " + Join(kQueueKeys));
    return;
  }
  const Fields fields = ReadFields(field.value, kQueueKeys, false);
  if (const Field* kind_field = Find(fields, "kind")) {
    if (std::optional<std::string> kind = ReadString(*kind_field)) {
      if (*kind == "lmdb") {
        config_.queue.kind = QueueConfig::Kind::kLmdb;
      } else if (*kind == "redis") {
        config_.queue.kind = QueueConfig::Kind::kRedis;
      } else {
        Report(WhereValue(*kind_field), "unknown queue kind " + Quoted(*kind) + " (expected lmdb or redis)");
      }
    }
  }
  // Read even when kind is lmdb, so switching kinds later does not reveal an old mistake.
  if (const Field* redis = Find(fields, "redis")) ReadRedis(*redis);
}

void ConfigReader::ReadRedis(const Field& field) {
  if (field.value.IsNull()) return;
  if (!field.value.IsMap()) {
    Report(WhereValue(field), "'redis' must be a mapping with keys: " + Join(kRedisKeys));
    return;
  }
  QueueConfig& queue = config_.queue;
  for (const Field& entry : ReadFields(field.value, kRedisKeys, false)) {
    if (entry.key == "password_env") {
      if (std::optional<std::string> password = ReadSecret(entry))
        queue.redis_password = std::move(*password);
      continue;
    }
    if (entry.key == "max_len") {
      const std::optional<int64_t> length =
          entry.value.IsScalar() ? ParseInteger<int64_t>(entry.value.Scalar()) : std::nullopt;
      if (length && *length >= 0) {
        queue.redis_max_length = static_cast<uint64_t>(*length);
      } else {
        Report(WhereValue(entry), "'max_len' must be an integer >= 0 (0 keeps every entry)");
      }
      continue;
    }
    std::optional<std::string> value = ReadString(entry);
    if (!value) continue;
    if (value->empty()) {
      Report(WhereValue(entry), Quoted(entry.key) + " must not be empty");
      continue;
    }
    if (entry.key == "url") {
      if (!value->starts_with("redis://") && !value->starts_with("unix://")) {
        Report(WhereValue(entry), "'url' must be redis://host[:port][/db] or unix:///path/to/socket");
        continue;
      }
      // redis://:secret@host: a password written inline. Not echoed, like every secret.
      const std::string_view authority = std::string_view(*value).substr(8, value->find('/', 8) - 8);
      if (value->starts_with("redis://") && authority.find('@') != std::string_view::npos) {
        Report(WhereValue(entry), "'url' must not hold a password; name its environment variable in 'password_env'");
        continue;
      }
    }
    if (entry.key == "url") queue.redis_url = std::move(*value);
    if (entry.key == "stream") queue.redis_stream = std::move(*value);
    if (entry.key == "group") queue.redis_group = std::move(*value);
  }
}

void ConfigReader::ReadCases(const Field& field) {
  if (field.value.IsNull()) return;
  if (!field.value.IsMap()) {
    Report(WhereValue(field), "'cases' must be a mapping with keys: " + Join(kCasesKeys));
    return;
  }
  const Fields fields = ReadFields(field.value, kCasesKeys, false);
  if (const Field* window = Find(fields, "window")) {
    if (std::optional<std::chrono::milliseconds> duration = ReadPositiveDuration(*window)) {
      // The case window is kept in seconds; silently truncating "1500ms" would change it.
      if (duration->count() % 1000 != 0) {
        Report(WhereValue(*window), "'window' must be a whole number of seconds");
      } else {
        config_.case_window = std::chrono::duration_cast<std::chrono::seconds>(*duration);
      }
    }
  }
}

void ConfigReader::ReadPipeline(const Field& field) {
  if (field.value.IsNull()) return;
  if (!field.value.IsMap()) {
    Report(WhereValue(field), "'pipeline' must be a mapping with keys: " + Join(kPipelineKeys));
    return;
  }
  for (const Field& entry : ReadFields(field.value, kPipelineKeys, false)) {
    const std::optional<std::string> text =
        entry.value.IsScalar() ? std::optional<std::string>(entry.value.Scalar()) : std::nullopt;
    if (entry.key == "batch") {
      const std::optional<int64_t> batch = text ? ParseInteger<int64_t>(*text) : std::nullopt;
      if (batch && *batch >= 1 && *batch <= kMaxBatch) {
        config_.batch_size = static_cast<size_t>(*batch);
      } else {
        Report(WhereValue(entry), "'batch' must be an integer from 1 to " + std::to_string(kMaxBatch));
      }
    } else if (entry.key == "threads") {
      const std::optional<int> threads = text ? ParseInteger<int>(*text) : std::nullopt;
      if (threads && *threads >= 0) {
        config_.threads = *threads;
      } else {
        Report(WhereValue(entry), "'threads' must be an integer >= 0 (0 means all cores)");
      }
    }
  }
}

void ConfigReader::ReadHttp(const Field& field) {
  if (field.value.IsNull()) return;
  if (!field.value.IsMap()) {
    Report(WhereValue(field), "'http' must be a mapping with keys: " + Join(kHttpKeys));
    return;
  }
  for (const Field& entry : ReadFields(field.value, kHttpKeys, false)) {
    if (entry.key == "user_agent") {
      if (entry.value.IsScalar() && !entry.value.Scalar().empty()) {
        config_.http.user_agent = entry.value.Scalar();
      } else {
        Report(WhereValue(entry), "'user_agent' must be a non-empty string");
      }
    } else if (entry.key == "attempts") {
      const std::optional<int> attempts =
          entry.value.IsScalar() ? ParseInteger<int>(entry.value.Scalar()) : std::nullopt;
      if (attempts && *attempts >= 1 && *attempts <= 20) {
        config_.http.attempts = *attempts;
      } else {
        Report(WhereValue(entry), "'attempts' must be an integer from 1 to 20");
      }
    } else if (std::optional<std::chrono::milliseconds> duration = ReadPositiveDuration(entry)) {
      if (entry.key == "timeout") config_.http.timeout = *duration;
      if (entry.key == "backoff") config_.http.backoff = *duration;
      if (entry.key == "max_backoff") config_.http.max_backoff = *duration;
    }
  }
}

void ConfigReader::ReadServe(const Field& field) {
  if (field.value.IsNull()) return;
  if (!field.value.IsMap()) {
    Report(WhereValue(field), "'serve' must be a mapping with keys: " + Join(kServeKeys));
    return;
  }
  for (const Field& entry : ReadFields(field.value, kServeKeys, false)) {
    if (entry.key == "token_env") {
      if (std::optional<std::string> token = ReadSecret(entry)) config_.serve.token = std::move(*token);
      continue;
    }
    std::optional<ListenAddress> address =
        entry.value.IsScalar() ? ParseListenAddress(entry.value.Scalar()) : std::nullopt;
    if (!address) {
      Report(WhereValue(entry), "'listen' must be \"host:port\" (e.g. \"127.0.0.1:8080\", \"[::1]:8080\")");
      continue;
    }
    config_.serve.host = std::move(address->host);
    config_.serve.port = address->port;
  }
}

Result<Config> ConfigReader::Finish() && {
  if (problems_.empty()) return std::move(config_);
  // Problems were found in checking order (e.g. a missing key is noticed after the others); list
  // them in file order, which is how a person reads and fixes them.
  std::stable_sort(problems_.begin(), problems_.end(), [](const Problem& a, const Problem& b) {
    return std::tie(a.where.line, a.where.column) < std::tie(b.where.line, b.where.column);
  });
  std::string message;
  for (const Problem& problem : problems_) {
    if (!message.empty()) message.append("\n");
    message.append(FormatProblem(file_name_, problem.where, problem.message));
  }
  return Status::InvalidArgument(std::move(message));
}

}  // namespace

std::optional<ListenAddress> ParseListenAddress(std::string_view text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return std::nullopt;
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return std::nullopt;  // an IPv6 address needs its brackets
  }
  if (host.find_first_of(" \t/") != std::string_view::npos) return std::nullopt;
  const std::optional<int> port = ParseInteger<int>(text.substr(colon + 1));
  if (!port || *port < 0 || *port > 65535) return std::nullopt;
  return ListenAddress{std::string(host), *port};
}

std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return std::nullopt;  // empty, a sign, a space or a unit without a number
  const std::string_view unit = text.substr(digits);
  int64_t milliseconds_per_unit = 0;
  if (unit.empty() || unit == "s") {
    milliseconds_per_unit = 1000;
  } else if (unit == "ms") {
    milliseconds_per_unit = 1;
  } else if (unit == "m") {
    milliseconds_per_unit = 60 * 1000;
  } else if (unit == "h") {
    milliseconds_per_unit = 60 * 60 * 1000;
  } else if (unit == "d") {
    milliseconds_per_unit = 24 * 60 * 60 * 1000;
  } else {
    return std::nullopt;
  }
  const std::optional<int64_t> count = ParseInteger<int64_t>(text.substr(0, digits));
  using Rep = std::chrono::milliseconds::rep;
  if (!count || *count > std::numeric_limits<Rep>::max() / milliseconds_per_unit) return std::nullopt;
  return std::chrono::milliseconds(*count * milliseconds_per_unit);
}

Result<Config> LoadConfig(const std::filesystem::path& file, GetEnv getenv) {
  if (getenv == nullptr) getenv = ProcessGetEnv;
  Result<std::string> text = ReadFile(file);
  if (!text) return std::move(text).error();
  const std::string file_name = file.string();
  // yaml-cpp reports everything by exception; none may leave this boundary.
  try {
    const YAML::Node root = YAML::Load(*text);  // the first document; throws on a syntax error
    ConfigReader reader(file, getenv);
    if (std::optional<YAML::Mark> second = FindSecondYamlDocument(*text)) {
      reader.Report(LocationOf(*second), "only one YAML document per config file is allowed");
    }
    reader.ReadDocument(root);
    return std::move(reader).Finish();
  } catch (const YAML::ParserException& e) {
    return Status::InvalidArgument(
        FormatProblem(file_name, LocationOf(e.mark), "YAML syntax error: " + e.msg));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(FormatProblem(file_name, LocationOf(e.mark), "YAML error: " + e.msg));
  } catch (const std::exception& e) {
    // Not a mistake in the file (e.g. out of memory), so not InvalidArgument.
    return Status::Internal(file_name + ": cannot load config: " + e.what());
  }
}

}  // namespace earshot::core
