// Fixtures shared by the serve tests: a temp Store with cases made directly (as the queue tests
// do) or through a real Pipeline pass over a jsonl file, an HttpServer on an ephemeral loopback
// port, an httplib client, JSON access through simdjson, and a strict reader of the Prometheus
// text format.
#ifndef EARSHOT_TESTS_SERVE_SERVE_TEST_SUPPORT_H_
#define EARSHOT_TESTS_SERVE_SERVE_TEST_SUPPORT_H_

#include <gtest/gtest.h>
#include <httplib.h>
#include <simdjson.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <cstdlib>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/config.h"
#include "core/severity.h"
#include "core/time.h"
#include "crawler/source.h"
#include "serve/http_server.h"
#include "store/case_record.h"
#include "store/queue.h"
#include "store/store.h"
#include "tests/store/temp_dir.h"
#include "tests/triage/test_rules.h"
#include "triage/pipeline.h"

namespace earshot::serve::testing {

inline constexpr char kToken[] = "test-token-4f9a2c";

// A post line of the Post JSONL contract (DESIGN.md §3.1). `text` must need no JSON escaping
// beyond what this does (quotes and backslashes).
inline std::string PostLine(const std::string& id, const std::string& author, const std::string& text,
                            const std::string& url = "") {
  std::string escaped;
  for (char c : text) {
    if (c == '"' || c == '\\') escaped.push_back('\\');
    escaped.push_back(c);
  }
  return R"({"source":"mastodon","id":")" + id + R"(","author":")" + author + R"(","text":")" + escaped +
         R"(","created_at":"2026-11-20T10:00:00Z","url":")" + url + R"("})";
}

// Ignores what the pipeline reports; tests look at the store and the server instead.
class QuietReporter : public triage::PipelineReporter {
 public:
  void OnBadLine(std::string_view, uint64_t, std::string_view, bool) override {}
  void OnSourceError(std::string_view source_id, const core::Status& status) override {
    ADD_FAILURE() << "source " << source_id << ": " << status.ToString();
  }
};

class ServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = store::OpenStore(dir_.path() / "data");
    ASSERT_NE(store_, nullptr);
  }
  void TearDown() override {
    server_.reset();  // before the objects it reads
    pipeline_.reset();
  }

  // Stores a queued case with one post per entry of `texts`; returns its id.
  std::string AddCase(core::Severity severity, double urgency, const std::string& author,
                      const std::vector<std::string>& texts = {"it broke"}, const std::string& brand = "acme") {
    uint64_t number = 0;
    const core::Status status = store_->Write([&](store::Txn& txn) -> core::Status {
      core::Result<uint64_t> allocated = store::AllocateCaseNumber(txn);
      if (!allocated) return allocated.error();
      number = *allocated;
      store::CaseRecord record;
      record.number = number;
      record.urgency = urgency;
      record.severity = severity;
      record.brand = brand;
      record.source = "mastodon";
      record.author = author;
      record.author_key = author;
      record.categories = {"billing"};
      record.opened_ms = record.updated_ms = record.last_post_ms = core::NowMillis();
      for (size_t i = 0; i < texts.size(); ++i) {
        store::CasePost post;
        post.id = author + "-" + std::to_string(i);
        post.source = "mastodon";
        post.text = texts[i];
        post.url = "https://mastodon.example/@" + author + "/" + std::to_string(i);
        post.created_at = "2026-11-20T10:00:00Z";
        post.urgency = urgency;
        post.severity = severity;
        record.AddPost(std::move(post));
      }
      return store::SaveCase(txn, nullptr, record);
    });
    EXPECT_TRUE(status.ok()) << status.ToString();
    return store::CaseId(number);
  }

  // Builds a pipeline over `lines` (written to a jsonl file, source id "replay") and runs one pass.
  void RunPipelinePass(const std::vector<std::string>& lines) {
    const std::filesystem::path input = dir_.path() / "posts.jsonl";
    {
      std::ofstream out(input, std::ios::app);
      for (const std::string& line : lines) out << line << "\n";
    }
    database_ = triage::testing::BuildTestDatabase();
    ASSERT_NE(database_, nullptr);
    core::SourceConfig config;
    config.id = "replay";
    config.kind = "jsonl";
    config.params["path"] = input.string();
    std::vector<std::string> warnings;
    crawler::SourceOptions source_options;
    source_options.once = true;
    core::Result<std::unique_ptr<crawler::Source>> source = crawler::MakeSource(config, "", source_options, warnings);
    ASSERT_TRUE(source) << source.error().ToString();
    std::vector<std::unique_ptr<crawler::Source>> sources;
    sources.push_back(std::move(*source));
    triage::PipelineOptions options;
    options.batch_size = 4;
    pipeline_ = std::make_unique<triage::Pipeline>(*store_, database_, std::move(sources), options, reporter_);
    const std::atomic<bool> stop{false};
    const core::Status status = pipeline_->RunPass(stop, /*ignore_schedule=*/true);
    ASSERT_TRUE(status.ok()) << status.ToString();
  }

  ServeContext Context() const {
    ServeContext context;
    context.store = store_.get();
    context.pipeline = pipeline_.get();
    context.started_ms = core::NowMillis() - 5000;
    return context;
  }

  void StartServer(ServeOptions options = {}, std::optional<ServeContext> context = std::nullopt) {
    options.port = 0;
    core::Result<std::unique_ptr<HttpServer>> server = HttpServer::Start(options, context ? *context : Context());
    ASSERT_TRUE(server) << server.error().ToString();
    server_ = std::move(*server);
  }

  httplib::Client Client() const {
    httplib::Client client("127.0.0.1", server_->port());
    client.set_connection_timeout(5);
    client.set_read_timeout(30);
    return client;
  }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + path;
  }

  store::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::shared_ptr<const matchers::Database> database_;
  QuietReporter reporter_;
  std::unique_ptr<triage::Pipeline> pipeline_;
  std::unique_ptr<HttpServer> server_;
};

// ---- JSON ------------------------------------------------------------------------------------

// A parsed response body that owns its parser (simdjson's DOM lives in the parser).
struct Json {
  explicit Json(const std::string& text) : parser(std::make_unique<simdjson::dom::parser>()) {
    const simdjson::error_code error = parser->parse(text).get(root);
    EXPECT_EQ(error, simdjson::SUCCESS) << "not JSON: " << text;
  }
  // The member `key` of the root object; a missing one fails the test and yields null.
  simdjson::dom::element operator[](std::string_view key) const {
    simdjson::dom::element value;
    if (root[key].get(value) != simdjson::SUCCESS) {
      ADD_FAILURE() << "no member '" << key << "' in " << simdjson::to_string(root);
      static simdjson::dom::parser null_parser;
      [[maybe_unused]] const simdjson::error_code ignored = null_parser.parse(std::string_view("null")).get(value);
    }
    return value;
  }

  std::unique_ptr<simdjson::dom::parser> parser;
  simdjson::dom::element root;
};

inline std::string Str(simdjson::dom::element element) {
  std::string_view value;
  EXPECT_EQ(element.get(value), simdjson::SUCCESS) << "not a string: " << simdjson::to_string(element);
  return std::string(value);
}
inline int64_t Int(simdjson::dom::element element) {
  int64_t value = 0;
  EXPECT_EQ(element.get(value), simdjson::SUCCESS) << "not an integer: " << simdjson::to_string(element);
  return value;
}
inline std::string Field(simdjson::dom::element object, std::string_view key) {
  simdjson::dom::element value;
  if (object[key].get(value) != simdjson::SUCCESS) return "<missing " + std::string(key) + ">";
  std::string_view text;
  if (value.get(text) == simdjson::SUCCESS) return std::string(text);
  return simdjson::to_string(value);
}
inline std::vector<simdjson::dom::element> Elements(simdjson::dom::element array) {
  std::vector<simdjson::dom::element> out;
  simdjson::dom::array items;
  EXPECT_EQ(array.get(items), simdjson::SUCCESS) << "not an array: " << simdjson::to_string(array);
  for (simdjson::dom::element item : items) out.push_back(item);
  return out;
}
inline std::vector<std::string> CaseIds(const std::string& body) {
  Json json(body);
  std::vector<std::string> ids;
  for (simdjson::dom::element item : Elements(json["cases"])) ids.push_back(Field(item, "case_id"));
  return ids;
}

// ---- Prometheus text format 0.0.4 ------------------------------------------------------------

struct Exposition {
  std::map<std::string, std::string> types;  // family → counter | gauge | histogram
  std::set<std::string> helps;
  std::map<std::string, double> samples;     // "name{labels}" exactly as written → value
  std::vector<std::pair<std::string, double>> ordered;  // same, in order

  std::optional<double> Value(const std::string& key) const {
    const auto found = samples.find(key);
    if (found == samples.end()) return std::nullopt;
    return found->second;
  }
};

struct SampleLine {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;  // values unescaped
  std::string labels_text;                                   // between the braces, as written
  double value = 0;
};

inline bool IsNameChar(char c, bool first, bool colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':') ||
         (!first && c >= '0' && c <= '9');
}

// `name{label="value",...} value` exactly as the 0.0.4 text format writes it (no timestamp).
// Hand-written rather than std::regex, whose GCC 12 instantiation trips -Wmaybe-uninitialized
// under the sanitizer build.
inline std::optional<SampleLine> ParseSampleLine(std::string_view line) {
  SampleLine sample;
  size_t i = 0;
  while (i < line.size() && IsNameChar(line[i], i == 0, /*colon=*/true)) ++i;
  if (i == 0) return std::nullopt;
  sample.name = std::string(line.substr(0, i));
  if (i < line.size() && line[i] == '{') {
    const size_t labels_begin = ++i;
    while (i < line.size() && line[i] != '}') {
      const size_t name_begin = i;
      while (i < line.size() && IsNameChar(line[i], i == name_begin, /*colon=*/false)) ++i;
      if (i == name_begin || i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"') return std::nullopt;
      std::string label(line.substr(name_begin, i - name_begin));
      std::string value;
      for (i += 2; i < line.size() && line[i] != '"'; ++i) {
        if (line[i] == '\\') {
          if (++i >= line.size()) return std::nullopt;
          if (line[i] == 'n') {
            value.push_back('\n');
          } else if (line[i] == '\\' || line[i] == '"') {
            value.push_back(line[i]);
          } else {
            return std::nullopt;
          }
        } else {
          value.push_back(line[i]);
        }
      }
      if (i >= line.size()) return std::nullopt;
      ++i;  // closing quote
      sample.labels.emplace_back(std::move(label), std::move(value));
      if (i < line.size() && line[i] == ',') ++i;
    }
    if (i >= line.size()) return std::nullopt;
    sample.labels_text = std::string(line.substr(labels_begin, i - labels_begin));
    ++i;  // closing brace
  }
  if (i >= line.size() || line[i] != ' ') return std::nullopt;
  const std::string value(line.substr(i + 1));
  if (value == "+Inf") {
    sample.value = std::numeric_limits<double>::infinity();
  } else if (value == "-Inf") {
    sample.value = -std::numeric_limits<double>::infinity();
  } else if (value == "NaN") {
    sample.value = std::numeric_limits<double>::quiet_NaN();
  } else {
    char* end = nullptr;
    sample.value = std::strtod(value.c_str(), &end);
    if (value.empty() || end != value.c_str() + value.size()) return std::nullopt;
  }
  return sample;
}

// Reads a /metrics body strictly: every line a HELP, a TYPE or `name{labels} value`; every family
// with HELP and TYPE before its samples; each sample belonging to a declared family (histograms:
// _bucket/_sum/_count); a family's samples contiguous; histogram buckets cumulative, ending in
// le="+Inf" equal to _count. Failures are reported with the offending line.
inline Exposition ParseExposition(const std::string& text) {
  Exposition out;
  EXPECT_FALSE(text.empty());
  EXPECT_TRUE(text.ends_with('\n')) << "the last line must end with a newline";
  std::istringstream lines(text);
  std::string line;
  std::string current_family;
  std::set<std::string> finished_families;
  // Histogram state per series (family and labels without le).
  std::map<std::string, double> last_bucket;
  std::map<std::string, double> inf_bucket;
  auto family_of = [&](const std::string& name) -> std::string {
    if (out.types.count(name)) return name;
    for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
      if (name.size() > suffix.size() && name.ends_with(suffix)) {
        const std::string base = name.substr(0, name.size() - suffix.size());
        if (out.types.count(base) && out.types[base] == "histogram") return base;
      }
    }
    return "";
  };
  // "# HELP name text" / "# TYPE name type": the name, and the rest.
  auto comment = [](std::string_view rest) -> std::optional<std::pair<std::string, std::string>> {
    size_t i = 0;
    while (i < rest.size() && IsNameChar(rest[i], i == 0, /*colon=*/true)) ++i;
    if (i == 0 || i + 1 >= rest.size() || rest[i] != ' ') return std::nullopt;
    return std::make_pair(std::string(rest.substr(0, i)), std::string(rest.substr(i + 1)));
  };
  while (std::getline(lines, line)) {
    if (line.starts_with("# HELP ")) {
      const auto help = comment(std::string_view(line).substr(7));
      if (!help) {
        ADD_FAILURE() << "bad HELP line: " << line;
        continue;
      }
      EXPECT_TRUE(out.helps.insert(help->first).second) << "HELP twice: " << line;
      if (!current_family.empty() && current_family != help->first) finished_families.insert(current_family);
      current_family = help->first;
      EXPECT_EQ(finished_families.count(current_family), 0u) << "family split: " << line;
      continue;
    }
    if (line.starts_with("# TYPE ")) {
      const auto type = comment(std::string_view(line).substr(7));
      const std::set<std::string> kTypes = {"counter", "gauge", "histogram", "summary", "untyped"};
      if (!type || !kTypes.count(type->second)) {
        ADD_FAILURE() << "bad TYPE line: " << line;
        continue;
      }
      EXPECT_EQ(out.types.count(type->first), 0u) << "TYPE twice: " << line;
      EXPECT_TRUE(out.helps.count(type->first)) << "TYPE before HELP: " << line;
      EXPECT_EQ(type->first, current_family) << "TYPE away from its HELP: " << line;
      out.types[type->first] = type->second;
      continue;
    }
    EXPECT_FALSE(line.starts_with("#")) << "unexpected comment: " << line;
    const std::optional<SampleLine> sample = ParseSampleLine(line);
    if (!sample) {
      ADD_FAILURE() << "not `name{labels} value`: " << line;
      continue;
    }
    const std::string family = family_of(sample->name);
    EXPECT_FALSE(family.empty()) << "sample of an undeclared family: " << line;
    EXPECT_EQ(family, current_family) << "sample outside its family's block: " << line;
    const std::string key = sample->labels.empty() ? sample->name : sample->name + "{" + sample->labels_text + "}";
    EXPECT_EQ(out.samples.count(key), 0u) << "sample twice: " << line;
    out.samples[key] = sample->value;
    out.ordered.emplace_back(key, sample->value);
    if (family.empty() || out.types[family] != "histogram") continue;
    // The series without its le label: buckets of one series are cumulative.
    std::string series = family + "{";
    std::optional<std::string> le;
    for (const auto& [name, value] : sample->labels) {
      if (name == "le") {
        le = value;
      } else {
        series += name + "=" + value + ",";
      }
    }
    series += "}";
    if (sample->name.ends_with("_bucket")) {
      EXPECT_TRUE(le.has_value()) << "bucket without le: " << line;
      if (last_bucket.count(series)) {
        EXPECT_GE(sample->value, last_bucket[series]) << "buckets not cumulative: " << line;
      }
      last_bucket[series] = sample->value;
      if (le == "+Inf") inf_bucket[series] = sample->value;
    } else if (sample->name.ends_with("_count")) {
      EXPECT_TRUE(inf_bucket.count(series)) << "no le=\"+Inf\" bucket before " << line;
      if (inf_bucket.count(series)) {
        EXPECT_EQ(inf_bucket[series], sample->value) << "+Inf bucket != _count: " << line;
      }
      last_bucket.erase(series);
    }
  }
  for (const auto& [family, type] : out.types) EXPECT_TRUE(out.helps.count(family)) << family << " has no HELP";
  for (const std::string& family : out.helps) EXPECT_TRUE(out.types.count(family)) << family << " has no TYPE";
  return out;
}

inline std::string ReadSourceFile(const std::string& relative) {
  std::ifstream in(std::filesystem::path(EARSHOT_SOURCE_DIR) / relative, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace earshot::serve::testing

#endif  // EARSHOT_TESTS_SERVE_SERVE_TEST_SUPPORT_H_
