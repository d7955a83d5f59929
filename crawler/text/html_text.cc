#include "crawler/text/html_text.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <utility>

#include "core/utf8.h"

namespace earshot::crawler {
namespace {

bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return AsciiLower(x) == AsciiLower(y); });
}

void AppendUtf8(std::string& out, uint32_t code_point) {
  // Surrogates and values past U+10FFFF name no character; NUL would end C strings downstream.
  if (code_point == 0 || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    code_point = 0xFFFD;
  }
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

// The named entities that occur in real feeds and posts; the full HTML5 table (2,231 names) would
// be data nobody's text uses.
constexpr std::array<std::pair<std::string_view, uint32_t>, 44> kNamedEntities{{
    {"amp", '&'},       {"lt", '<'},         {"gt", '>'},        {"quot", '"'},      {"apos", '\''},
    {"nbsp", 0xA0},     {"hellip", 0x2026},  {"mdash", 0x2014},  {"ndash", 0x2013},  {"lsquo", 0x2018},
    {"rsquo", 0x2019},  {"ldquo", 0x201C},   {"rdquo", 0x201D},  {"sbquo", 0x201A},  {"bdquo", 0x201E},
    {"laquo", 0xAB},    {"raquo", 0xBB},     {"copy", 0xA9},     {"reg", 0xAE},      {"trade", 0x2122},
    {"euro", 0x20AC},   {"pound", 0xA3},     {"yen", 0xA5},      {"cent", 0xA2},     {"deg", 0xB0},
    {"middot", 0xB7},   {"bull", 0x2022},    {"times", 0xD7},    {"eacute", 0xE9},   {"egrave", 0xE8},
    {"aacute", 0xE1},   {"agrave", 0xE0},    {"iacute", 0xED},   {"oacute", 0xF3},   {"uacute", 0xFA},
    {"ntilde", 0xF1},   {"ccedil", 0xE7},    {"auml", 0xE4},     {"ouml", 0xF6},     {"uuml", 0xFC},
    {"Auml", 0xC4},     {"Ouml", 0xD6},      {"Uuml", 0xDC},     {"szlig", 0xDF},
}};

// Decodes the entity starting at text[i] == '&'. On success appends it, advances i past it and
// returns true; otherwise leaves both alone (the '&' is then literal text).
bool DecodeEntityAt(std::string_view text, size_t& i, std::string& out) {
  const size_t semicolon = text.find(';', i + 1);
  if (semicolon == std::string_view::npos || semicolon - i > 12) return false;
  const std::string_view name = text.substr(i + 1, semicolon - i - 1);
  if (name.size() >= 2 && name[0] == '#') {
    uint32_t value = 0;
    const bool hex = name[1] == 'x' || name[1] == 'X';
    const std::string_view digits = name.substr(hex ? 2 : 1);
    if (digits.empty()) return false;
    for (char c : digits) {
      int digit = -1;
      if (c >= '0' && c <= '9') digit = c - '0';
      else if (hex && c >= 'a' && c <= 'f') digit = c - 'a' + 10;
      else if (hex && c >= 'A' && c <= 'F') digit = c - 'A' + 10;
      if (digit < 0) return false;
      value = std::min<uint32_t>(value * (hex ? 16 : 10) + static_cast<uint32_t>(digit), 0x110000);
    }
    AppendUtf8(out, value);
    i = semicolon + 1;
    return true;
  }
  for (const auto& [entity, code_point] : kNamedEntities) {
    if (entity == name) {
      AppendUtf8(out, code_point);
      i = semicolon + 1;
      return true;
    }
  }
  return false;
}

// Tags after which a reader sees a new line.
bool IsBlockTag(std::string_view name) {
  static constexpr std::string_view kBlocks[] = {"p",  "br", "div", "li", "ul", "ol", "tr", "table", "blockquote",
                                                 "h1", "h2", "h3",  "h4", "h5", "h6", "pre", "hr", "section",
                                                 "article", "header", "footer", "dd", "dt", "dl",
                                                 "figure", "figcaption", "aside", "nav", "main", "caption",
                                                 "address", "details", "summary"};
  return std::any_of(std::begin(kBlocks), std::end(kBlocks),
                     [&](std::string_view block) { return EqualsIgnoreCase(block, name); });
}

// Collapses whitespace: runs of spaces become one space, spaces next to a line break vanish, and
// at most one empty line separates paragraphs.
std::string Tidy(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  int pending_newlines = 0;
  bool pending_space = false;
  for (char c : raw) {
    if (c == '\n') {
      ++pending_newlines;
      pending_space = false;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
      pending_space = true;
      continue;
    }
    if (!out.empty()) {
      if (pending_newlines > 0) {
        out.append(static_cast<size_t>(std::min(pending_newlines, 2)), '\n');
      } else if (pending_space) {
        out.push_back(' ');
      }
    }
    pending_newlines = 0;
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

std::string NbspToSpace(std::string text) {
  // U+00A0 would otherwise survive Tidy as a non-space and glue words for `\s` in patterns.
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (static_cast<unsigned char>(text[i]) == 0xC2 && i + 1 < text.size() &&
        static_cast<unsigned char>(text[i + 1]) == 0xA0) {
      out.push_back(' ');
      ++i;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

}  // namespace

std::string DecodeHtmlEntities(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '&' && DecodeEntityAt(text, i, out)) continue;
    out.push_back(text[i++]);
  }
  return core::RepairUtf8(out);
}

std::string HtmlToText(std::string_view html) {
  std::string raw;
  raw.reserve(html.size());
  int pre_depth = 0;  // inside <pre>, source line breaks are the text's own
  for (size_t i = 0; i < html.size();) {
    const char c = html[i];
    if (c == '\n' && pre_depth == 0) {
      // A line break in the source is just a space to a reader ("hard-wrapped" paragraphs, the
      // "\n" after "<br />" that WordPress writes); only <pre> keeps its lines.
      raw.push_back(' ');
      ++i;
      continue;
    }
    if (c == '&') {
      if (!DecodeEntityAt(html, i, raw)) raw.push_back(html[i++]);
      continue;
    }
    if (c != '<' || i + 1 >= html.size()) {
      raw.push_back(c);
      ++i;
      continue;
    }
    const char after = html[i + 1];
    if (html.substr(i, 4) == "<!--") {
      const size_t end = html.find("-->", i + 4);
      i = end == std::string_view::npos ? html.size() : end + 3;
      continue;
    }
    if (!IsAsciiAlpha(after) && after != '/' && after != '!' && after != '?') {
      raw.push_back(c);  // "a < b": not a tag
      ++i;
      continue;
    }
    // Find the tag's end, skipping '>' inside quoted attribute values.
    size_t j = i + 1;
    char quote = 0;
    for (; j < html.size(); ++j) {
      if (quote != 0) {
        if (html[j] == quote) quote = 0;
      } else if (html[j] == '"' || html[j] == '\'') {
        quote = html[j];
      } else if (html[j] == '>') {
        break;
      }
    }
    const size_t name_start = i + 1 + (after == '/' ? 1 : 0);
    size_t name_end = name_start;
    while (name_end < html.size() && (IsAsciiAlpha(html[name_end]) || std::isdigit(static_cast<unsigned char>(html[name_end])))) {
      ++name_end;
    }
    const std::string_view name = html.substr(name_start, name_end - name_start);
    const size_t tag_end = j >= html.size() ? html.size() : j + 1;
    if (after != '/' && (EqualsIgnoreCase(name, "script") || EqualsIgnoreCase(name, "style"))) {
      // Skip to the matching close tag: its body is code, not text.
      size_t k = tag_end;
      for (; k < html.size(); ++k) {
        if (html[k] == '<' && k + 1 < html.size() && html[k + 1] == '/' &&
            EqualsIgnoreCase(html.substr(k + 2, name.size()), name)) {
          break;
        }
      }
      const size_t close = html.find('>', k);
      i = close == std::string_view::npos ? html.size() : close + 1;
      continue;
    }
    if (EqualsIgnoreCase(name, "pre")) pre_depth = std::max(0, pre_depth + (after == '/' ? -1 : 1));
    if (IsBlockTag(name)) {
      raw.push_back('\n');
    } else if (EqualsIgnoreCase(name, "td") || EqualsIgnoreCase(name, "th")) {
      raw.push_back(' ');  // table cells sit side by side: their words must not run together
    }  // other inline tags vanish: "<b>a</b>b" reads "ab"
    i = tag_end;
  }
  return Tidy(NbspToSpace(core::RepairUtf8(raw)));
}

std::string UrlEncode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size() * 3);
  for (char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    // ASCII only: std::isalnum follows the C locale, and a Latin-1 locale would pass bytes >= 0x80.
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (alnum || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xF]);
    }
  }
  return out;
}

}  // namespace earshot::crawler
