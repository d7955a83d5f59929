#include "tests/replay/replay_util.h"

#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>

namespace earshot::replay {
namespace {

constexpr std::array<const char*, 7> kWeekdays = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

struct Civil {
  int64_t year;
  unsigned month, day, hour, minute, second, weekday;  // weekday: index into kWeekdays
};

// Howard Hinnant's civil_from_days / days_from_civil: no time zone database, no locale.
Civil CivilFromMillis(int64_t millis) {
  int64_t seconds = millis >= 0 ? millis / 1000 : -((-millis + 999) / 1000);
  int64_t days = seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400);
  const int64_t second_of_day = seconds - days * 86400;
  Civil out{};
  out.weekday = static_cast<unsigned>(((days % 7) + 7) % 7);
  out.hour = static_cast<unsigned>(second_of_day / 3600);
  out.minute = static_cast<unsigned>(second_of_day % 3600 / 60);
  out.second = static_cast<unsigned>(second_of_day % 60);
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  out.day = doy - (153 * mp + 2) / 5 + 1;
  out.month = mp < 10 ? mp + 3 : mp - 9;
  out.year = static_cast<int64_t>(yoe) + era * 400 + (out.month <= 2);
  return out;
}

int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day) {
  year -= month <= 2;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(year - era * 400);
  const unsigned doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::string FormatDate(int64_t millis, const char* zone) {
  const Civil c = CivilFromMillis(millis);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%s, %02u %s %04lld %02u:%02u:%02u %s", kWeekdays[c.weekday], c.day,
                kMonths[c.month - 1], static_cast<long long>(c.year), c.hour, c.minute, c.second, zone);
  return buffer;
}

// Splits on spaces (and the comma after the weekday).
std::vector<std::string_view> Words(std::string_view text) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == ',' || text[i] == '\t')) ++i;
    const size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != ',' && text[i] != '\t') ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

int CompareIds(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  const int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

std::string FormatHttpDate(int64_t millis) { return FormatDate(millis, "GMT"); }
std::string FormatRfc822Date(int64_t millis) { return FormatDate(millis, "+0000"); }

std::optional<int64_t> ParseHttpDate(std::string_view text) {
  std::vector<std::string_view> words = Words(text);
  if (!words.empty() && !words[0].empty() && std::isalpha(static_cast<unsigned char>(words[0][0]))) {
    words.erase(words.begin());  // weekday, not checked
  }
  if (words.size() != 5) return std::nullopt;
  const std::optional<int64_t> day = ParseInt(words[0]);
  std::optional<int64_t> year = ParseInt(words[2]);
  unsigned month = 0;
  for (unsigned m = 0; m < 12; ++m) {
    if (EqualsIgnoreCase(words[1], kMonths[m])) month = m + 1;
  }
  if (!day || !year || month == 0 || *day < 1 || *day > 31) return std::nullopt;
  if (words[2].size() == 2) *year += *year < 70 ? 2000 : 1900;
  // hh:mm[:ss]
  const std::string_view clock = words[3];
  int64_t hms[3] = {0, 0, 0};
  size_t part = 0;
  size_t start = 0;
  for (size_t i = 0; i <= clock.size(); ++i) {
    if (i == clock.size() || clock[i] == ':') {
      if (part >= 3) return std::nullopt;
      const std::optional<int64_t> v = ParseInt(clock.substr(start, i - start));
      if (!v || *v < 0) return std::nullopt;
      hms[part++] = *v;
      start = i + 1;
    }
  }
  if (part < 2 || hms[0] > 23 || hms[1] > 59 || hms[2] > 60) return std::nullopt;
  int64_t offset_minutes = 0;
  const std::string_view zone = words[4];
  if (zone.size() == 5 && (zone[0] == '+' || zone[0] == '-')) {
    const std::optional<int64_t> hhmm = ParseInt(zone.substr(1));
    if (!hhmm) return std::nullopt;
    offset_minutes = (*hhmm / 100) * 60 + *hhmm % 100;
    if (zone[0] == '-') offset_minutes = -offset_minutes;
  } else if (EqualsIgnoreCase(zone, "GMT") || EqualsIgnoreCase(zone, "UT") || EqualsIgnoreCase(zone, "UTC") ||
             EqualsIgnoreCase(zone, "Z")) {
    offset_minutes = 0;
  } else if (EqualsIgnoreCase(zone, "EST")) {
    offset_minutes = -300;
  } else if (EqualsIgnoreCase(zone, "EDT")) {
    offset_minutes = -240;
  } else if (EqualsIgnoreCase(zone, "CST")) {
    offset_minutes = -360;
  } else if (EqualsIgnoreCase(zone, "CDT")) {
    offset_minutes = -300;
  } else if (EqualsIgnoreCase(zone, "MST")) {
    offset_minutes = -420;
  } else if (EqualsIgnoreCase(zone, "MDT")) {
    offset_minutes = -360;
  } else if (EqualsIgnoreCase(zone, "PST")) {
    offset_minutes = -480;
  } else if (EqualsIgnoreCase(zone, "PDT")) {
    offset_minutes = -420;
  } else {
    return std::nullopt;
  }
  const int64_t days = DaysFromCivil(*year, month, static_cast<unsigned>(*day));
  const int64_t seconds = days * 86400 + hms[0] * 3600 + hms[1] * 60 + hms[2] - offset_minutes * 60;
  return seconds * 1000;
}

uint64_t Fnv1a64(std::string_view data, uint64_t seed) {
  uint64_t hash = seed;
  for (unsigned char c : data) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string BuildQuery(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) out += '&';
    out += UrlEncode(key);
    out += '=';
    out += UrlEncode(value);
  }
  return out;
}

std::optional<uint64_t> ParseBase36(std::string_view text) {
  if (text.empty() || text.size() > 12) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'z') {
      digit = c - 'a' + 10;
    } else {
      return std::nullopt;
    }
    value = value * 36 + static_cast<uint64_t>(digit);
  }
  return value;
}

std::string FormatBase36(uint64_t value) {
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[value % 36]);
    value /= 36;
  } while (value > 0);
  return out;
}

std::string AtprotoTid(int64_t micros, unsigned clock_id) {
  static constexpr char kAlphabet[] = "234567abcdefghijklmnopqrstuvwxyz";
  uint64_t value = (static_cast<uint64_t>(micros) & ((uint64_t{1} << 53) - 1)) << 10 | (clock_id & 1023u);
  std::string out(13, '2');
  for (int i = 12; i >= 0; --i) {
    out[static_cast<size_t>(i)] = kAlphabet[value & 31];
    value >>= 5;
  }
  return out;
}

std::string FakeCid(std::string_view seed) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::string out = "bafyrei";
  uint64_t state = Fnv1a64(seed);
  while (out.size() < 59) {
    state = Fnv1a64(seed, state ^ 0x9e3779b97f4a7c15ULL);
    for (int i = 0; i < 12 && out.size() < 59; ++i) {
      out += kAlphabet[(state >> (5 * i)) & 31];
    }
  }
  return out;
}

bool ReplaceAll(std::string& text, std::string_view from, std::string_view to) {
  if (from.empty()) return false;
  bool replaced = false;
  size_t pos = 0;
  while ((pos = text.find(from, pos)) != std::string::npos) {
    text.replace(pos, from.size(), to);
    pos += to.size();
    replaced = true;
  }
  return replaced;
}

std::optional<int64_t> ParseInt(std::string_view text) {
  int64_t value = 0;
  if (text.empty()) return std::nullopt;
  const char* begin = text.data();
  const char* end = begin + text.size();
  if (*begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace earshot::replay
