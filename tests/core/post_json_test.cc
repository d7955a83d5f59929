#include "core/post_json.h"

#include <ostream>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include <gtest/gtest.h>

#include "core/utf8.h"

namespace earshot::core {
namespace {

using std::string_literals::operator""s;

auto Fields(const Post& p) {
  return std::tie(p.source, p.id, p.text, p.author, p.author_id, p.created_at, p.url, p.lang,
                  p.reply_to, p.thread_id, p.followers);
}

// Designated initializers would trip GCC 12's -Wmissing-field-initializers.
Post MakePost(std::string source, std::string id, std::string text) {
  Post post;
  post.source = std::move(source);
  post.id = std::move(id);
  post.text = std::move(text);
  return post;
}

std::string ToJson(const Post& post) {
  std::string out;
  AppendPostJson(out, post);
  return out;
}

// Parses `line`, which must succeed.
Post ParseOk(std::string_view line, bool* repaired = nullptr) {
  PostParser parser;
  Result<Post> post = parser.Parse(line, repaired);
  EXPECT_TRUE(post.has_value()) << line << " -> " << post.error().ToString();
  return post ? *post : Post{};
}

// Parses `line`, which must fail, and returns the reason.
std::string ParseError(std::string_view line) {
  PostParser parser;
  Result<Post> post = parser.Parse(line);
  if (post) {
    ADD_FAILURE() << line << " parsed as " << ToJson(*post);
    return "";
  }
  EXPECT_TRUE(post.error().IsInvalidArgument()) << post.error().ToString();
  return post.error().message();
}

std::string Nested(char open, char close, int depth) {
  return std::string(static_cast<size_t>(depth), open) + std::string(static_cast<size_t>(depth), close);
}

TEST(PostParser, ParsesFullPost) {
  const Post post = ParseOk(
      R"({"source":"mastodon","id":"113208","author":"@ana@mastodon.social","author_id":"10923",)"
      R"("followers":120,"text":"router down again","created_at":"2025-07-17T10:00:00Z",)"
      R"("url":"https://m.example/1","lang":"en","reply_to":"113207","thread_id":"113200"})");
  EXPECT_EQ(post.source, "mastodon");
  EXPECT_EQ(post.id, "113208");
  EXPECT_EQ(post.author, "@ana@mastodon.social");
  EXPECT_EQ(post.author_id, "10923");
  EXPECT_EQ(post.followers, 120);
  EXPECT_EQ(post.text, "router down again");
  EXPECT_EQ(post.created_at, "2025-07-17T10:00:00Z");
  EXPECT_EQ(post.url, "https://m.example/1");
  EXPECT_EQ(post.lang, "en");
  EXPECT_EQ(post.reply_to, "113207");
  EXPECT_EQ(post.thread_id, "113200");
}

// ParseInto reuses a Post: every field of the previous line is overwritten or cleared, so a
// minimal line after a full one carries nothing over, and a failed line leaves nothing to trust.
TEST(PostParser, ParseIntoLeavesNothingOfThePreviousLine) {
  PostParser parser;
  Post post;
  ASSERT_TRUE(parser
                  .ParseInto(R"({"source":"mastodon","id":"113208","author":"@ana","author_id":"10923",)"
                             R"("followers":120,"text":"router down again","created_at":"2025-07-17T10:00:00Z",)"
                             R"("url":"https://m.example/1","lang":"en","reply_to":"113207","thread_id":"113200"})",
                             post)
                  .ok());
  EXPECT_EQ(post.followers, 120);
  ASSERT_TRUE(parser.ParseInto(R"({"text":"hi","id":7,"source":"jsonl"})", post).ok());
  EXPECT_EQ(Fields(post), Fields(MakePost("jsonl", "7", "hi")));
  EXPECT_FALSE(post.followers.has_value());
  const Status failed = parser.ParseInto(R"({"source":"s","text":"no id"})", post);
  EXPECT_EQ(failed.message(), "missing required field \"id\"");
  // Parse and ParseInto agree on every line of this file's other tests; one more with nulls.
  const std::string line = R"({"source":"s","id":"1","text":"t","author":null,"url":"u"})";
  ASSERT_TRUE(parser.ParseInto(line, post).ok());
  EXPECT_EQ(Fields(post), Fields(ParseOk(line)));
}

TEST(PostParser, ParsesMinimalPost) {
  const Post post = ParseOk(R"({"text":"hi","id":"1","source":"jsonl"})");
  EXPECT_EQ(Fields(post), Fields(MakePost("jsonl", "1", "hi")));
  EXPECT_EQ(ParseOk(R"({"source":"s","id":"1","text":""})").text, "");  // empty text is allowed
}

TEST(PostParser, KeepsNumericIdAsDecimalText) {
  EXPECT_EQ(ParseOk(R"({"source":"hn","id":41234567,"text":"t"})").id, "41234567");
  EXPECT_EQ(ParseOk(R"({"source":"hn","id":-5,"text":"t"})").id, "-5");
  EXPECT_EQ(ParseOk(R"({"source":"hn","id":18446744073709551615,"text":"t"})").id,
            "18446744073709551615");
}

TEST(PostParser, TreatsNullOptionalsAsAbsent) {
  const Post post = ParseOk(
      R"({"source":"s","id":"1","text":"t","author":null,"author_id":null,"followers":null,)"
      R"("created_at":null,"url":null,"lang":null,"reply_to":null,"thread_id":null})");
  EXPECT_EQ(Fields(post), Fields(MakePost("s", "1", "t")));
}

TEST(PostParser, IgnoresUnknownFields) {
  const Post post = ParseOk(
      R"({"source":"s","extra":{"deep":[1,2,{"x":null}]},"id":"1","text":"t","score":1.5})");
  EXPECT_EQ(Fields(post), Fields(MakePost("s", "1", "t")));
}

TEST(PostParser, FirstDuplicateKeyWins) {
  const Post post = ParseOk(R"({"source":"s","id":"first","text":"t","id":"second"})");
  EXPECT_EQ(post.id, "first");
  // The later occurrence is not even type-checked.
  EXPECT_EQ(ParseOk(R"({"source":"s","id":"1","text":"t","text":5})").text, "t");
}

TEST(PostParser, AcceptsNegativeAndLargeFollowers) {
  EXPECT_EQ(ParseOk(R"({"source":"s","id":"1","text":"t","followers":0})").followers, 0);
  EXPECT_EQ(ParseOk(R"({"source":"s","id":"1","text":"t","followers":9223372036854775807})")
                .followers,
            INT64_MAX);
}

struct BadPost {
  std::string_view line;
  std::string_view reason;
};

void PrintTo(const BadPost& bad, std::ostream* os) { *os << bad.line; }

class PostParserRejects : public testing::TestWithParam<BadPost> {};

TEST_P(PostParserRejects, WithReason) {
  EXPECT_EQ(ParseError(GetParam().line), GetParam().reason) << GetParam().line;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, PostParserRejects,
    testing::Values(
        BadPost{R"({"source":"s","id":"1","text":"t")",
                "not valid JSON (The JSON document has an improper structure: missing or "
                "superfluous commas, braces, missing keys, etc.)"},
        BadPost{"", "not valid JSON (Empty: no JSON found)"},
        BadPost{R"({"source":"s","id":"1","text":"t"} {})",
                "not valid JSON (The JSON document has an improper structure: missing or "
                "superfluous commas, braces, missing keys, etc.)"},
        BadPost{R"({"source":"s","id":"1","text":"t","n":01})",
                "not valid JSON (Problem while parsing a number)"},
        BadPost{R"(["source","id","text"])", "expected a JSON object, got array"},
        BadPost{R"("text")", "expected a JSON object, got string"},
        BadPost{"42", "expected a JSON object, got number"},
        BadPost{"null", "expected a JSON object, got null"},
        BadPost{"true", "expected a JSON object, got boolean"},
        BadPost{R"({"id":"1","text":"t"})", R"(missing required field "source")"},
        BadPost{R"({"source":"s","text":"t"})", R"(missing required field "id")"},
        BadPost{R"({"source":"s","id":"1"})", R"(missing required field "text")"},
        BadPost{"{}", R"(missing required field "source")"},
        BadPost{R"({"source":"","id":"1","text":"t"})", R"(field "source" must not be empty)"},
        BadPost{R"({"source":"s","id":"","text":"t"})", R"(field "id" must not be empty)"},
        BadPost{R"({"source":"s","id":"1","text":5})", R"(field "text" must be a string)"},
        BadPost{R"({"source":"s","id":"1","text":null})", R"(field "text" must be a string)"},
        BadPost{R"({"source":["s"],"id":"1","text":"t"})", R"(field "source" must be a string)"},
        BadPost{R"({"source":"s","id":1.5,"text":"t"})",
                R"(field "id" must be a string or an integer)"},
        BadPost{R"({"source":"s","id":true,"text":"t"})",
                R"(field "id" must be a string or an integer)"},
        BadPost{R"({"source":"s","id":"1","text":"t","url":7})", R"(field "url" must be a string)"},
        BadPost{R"({"source":"s","id":"1","text":"t","lang":{}})",
                R"(field "lang" must be a string)"},
        BadPost{R"({"source":"s","id":"1","text":"t","followers":"120"})",
                R"(field "followers" must be an integer)"},
        BadPost{R"({"source":"s","id":"1","text":"t","followers":1.5})",
                R"(field "followers" must be an integer)"},
        BadPost{R"({"source":"s","id":"1","text":"t","followers":18446744073709551615})",
                R"(field "followers" must be an integer)"}));

TEST(PostParser, RejectsDeepNestingInsideUnknownField) {
  const std::string line =
      R"({"source":"s","id":"1","text":"t","junk":)" + Nested('[', ']', 100) + "}";
  EXPECT_EQ(ParseError(line), "nesting deeper than 64");
  const std::string objects =
      R"({"source":"s","id":"1","text":"t","junk":{"a":)" + Nested('[', ']', 70) + "}}";
  EXPECT_EQ(ParseError(objects), "nesting deeper than 64");
}

TEST(PostParser, AcceptsNestingUpToTheLimit) {
  // The post object is level 1, so an unknown field may nest 63 more levels.
  const std::string line =
      R"({"source":"s","id":"1","text":"t","junk":)" + Nested('[', ']', 63) + "}";
  EXPECT_EQ(ParseOk(line).id, "1");
  const std::string one_more =
      R"({"source":"s","id":"1","text":"t","junk":)" + Nested('[', ']', 64) + "}";
  EXPECT_EQ(ParseError(one_more), "nesting deeper than 64");
}

TEST(PostParser, ValidatesStringsInUnknownFields) {
  EXPECT_EQ(ParseError(R"({"source":"s","id":"1","text":"t","x":"bad \q escape"})"),
            "not valid JSON (Problem while parsing a string)");
}

TEST(PostParser, RepairsInvalidUtf8AndReportsIt) {
  bool repaired = false;
  const Post post = ParseOk("{\"source\":\"s\",\"id\":\"1\",\"text\":\"caf\xC3 \xFF ok\"}", &repaired);
  EXPECT_TRUE(repaired);
  EXPECT_EQ(post.text, "caf\xEF\xBF\xBD \xEF\xBF\xBD ok");
  EXPECT_TRUE(IsValidUtf8(ToJson(post)));

  // Valid input clears the flag.
  ParseOk(R"({"source":"s","id":"1","text":"ok"})", &repaired);
  EXPECT_FALSE(repaired);
}

TEST(PostParser, RepairsInvalidUtf8InUnknownFieldsToo) {
  bool repaired = false;
  const Post post =
      ParseOk("{\"source\":\"s\",\"id\":\"1\",\"text\":\"t\",\"x\":\"\xED\xA0\x80\"}", &repaired);
  EXPECT_TRUE(repaired);
  EXPECT_EQ(post.text, "t");
}

TEST(PostParser, RejectsLoneSurrogateEscapes) {
  // simdjson 3.0.1 refuses escapes that do not form a code point, so no ill-formed UTF-8 can come
  // out of a \u escape.
  for (std::string_view escape : {R"(\ud800)", R"(\udc00)", R"(\ud800\u0041)", R"(\ud800x)",
                                  R"(\udbff\udbff)"}) {
    const std::string line =
        R"({"source":"s","id":"1","text":"a)" + std::string(escape) + R"(b"})";
    EXPECT_EQ(ParseError(line), "not valid JSON (Problem while parsing a string)") << line;
  }
}

TEST(PostParser, DecodesEscapesIncludingSurrogatePairs) {
  const Post post = ParseOk(
      R"({"source":"s","id":"1","text":"\ud83d\ude00 \u00e9 \"q\" \\ \n \u0000 \/"})");
  EXPECT_EQ(post.text, "\xF0\x9F\x98\x80 \xC3\xA9 \"q\" \\ \n \0 /"s);
}

TEST(PostParser, IsReusableAcrossLinesAndSizes) {
  PostParser parser;
  const std::string big_text(200 * 1024, 'x');
  Result<Post> big = parser.Parse(R"({"source":"s","id":"1","text":")" + big_text + "\"}");
  ASSERT_TRUE(big.has_value()) << big.error().ToString();
  EXPECT_EQ(big->text, big_text);
  EXPECT_FALSE(parser.Parse("{").has_value());
  Result<Post> small = parser.Parse(R"({"source":"s","id":"2","text":"t"})");
  ASSERT_TRUE(small.has_value());
  EXPECT_EQ(small->id, "2");
  // The depth limit survives the capacity growth above.
  EXPECT_FALSE(parser.Parse(R"({"source":"s","id":"1","text":"t","j":)" + Nested('[', ']', 100) +
                            "}")
                   .has_value());

  PostParser moved = std::move(parser);
  EXPECT_TRUE(moved.Parse(R"({"source":"s","id":"3","text":"t"})").has_value());
}

TEST(AppendPostJson, WritesContractOrderAndOmitsAbsentOptionals) {
  Post post = MakePost("reddit", "t3_1", "line1\nline2 \"q\"");
  EXPECT_EQ(ToJson(post), R"({"source":"reddit","id":"t3_1","text":"line1\nline2 \"q\""})");
  post.author = "u/ana";
  post.author_id = "a1";
  post.followers = -3;
  post.created_at = "2025-07-17T10:00:00Z";
  post.url = "https://r.example/1";
  post.lang = "en";
  post.reply_to = "t3_0";
  post.thread_id = "t3_00";
  EXPECT_EQ(ToJson(post),
            R"({"source":"reddit","id":"t3_1","author":"u/ana","author_id":"a1","followers":-3,)"
            R"("text":"line1\nline2 \"q\"","created_at":"2025-07-17T10:00:00Z",)"
            R"("url":"https://r.example/1","lang":"en","reply_to":"t3_0","thread_id":"t3_00"})");
}

TEST(AppendPostJson, RoundTripsThroughParse) {
  Post full = MakePost("mastodon", "113208",
                       "ctl \x01\x1f \0 \t tab \xE2\x80\xA8 \xF0\x9F\x98\x80 \\ \""s);
  full.author = "@ana";
  full.author_id = "9";
  full.created_at = "2025-07-17T10:00:00Z";
  full.url = "https://x/1";
  full.lang = "pt-BR";
  full.reply_to = "1";
  full.thread_id = "0";
  full.followers = INT64_MIN;
  Post zero_followers = MakePost("s", "2", "t");
  zero_followers.followers = 0;
  const Post posts[] = {MakePost("s", "1", ""), full, zero_followers};
  PostParser parser;
  for (const Post& post : posts) {
    const std::string json = ToJson(post);
    EXPECT_TRUE(IsValidUtf8(json));
    Result<Post> parsed = parser.Parse(json);
    ASSERT_TRUE(parsed.has_value()) << json << " -> " << parsed.error().ToString();
    EXPECT_EQ(Fields(*parsed), Fields(post)) << json;
  }
}

}  // namespace
}  // namespace earshot::core
