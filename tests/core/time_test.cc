#include "core/time.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace earshot::core {
namespace {

constexpr int64_t kT = 1752746400000;  // 2025-07-17T10:00:00Z
constexpr int64_t kHour = 3600000;
constexpr int64_t kMinute = 60000;

// An independent reference: glibc's timegm for a UTC calendar time, in milliseconds.
int64_t TimegmMillis(int year, int month, int day, int hour = 0, int minute = 0, int second = 0) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

bool IsLeap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysIn(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeap(year) ? 29 : kDays[month - 1];
}

std::string Date(int year, int month, int day) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d", year, month, day);
  return buffer;
}

// --- ParseRfc3339Millis --------------------------------------------------------------------------

TEST(ParseRfc3339Millis, ParsesUtcWithZ) {
  EXPECT_EQ(ParseRfc3339Millis("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseRfc3339Millis("2025-07-17T10:00:00Z"), kT);
  EXPECT_EQ(ParseRfc3339Millis("2024-02-29T12:34:56Z"), int64_t{1709210096} * 1000);
  EXPECT_EQ(ParseRfc3339Millis("9999-12-31T23:59:59Z"), int64_t{253402300799} * 1000);
}

TEST(ParseRfc3339Millis, AcceptsLowercaseSeparatorAndZone) {
  EXPECT_EQ(ParseRfc3339Millis("2025-07-17t10:00:00z"), kT);
  EXPECT_EQ(ParseRfc3339Millis("2025-07-17t10:00:00Z"), kT);
  EXPECT_EQ(ParseRfc3339Millis("2025-07-17T10:00:00z"), kT);
}

TEST(ParseRfc3339Millis, SpaceSeparatorAndNoZoneMeanUtc) {
  EXPECT_EQ(ParseRfc3339Millis("2025-07-17 10:00:00"), kT);
  EXPECT_EQ(ParseRfc3339Millis("2025-07-17T10:00:00"), kT);
  EXPECT_EQ(ParseRfc3339Millis("2025-07-17 10:00:00Z"), kT);
  EXPECT_EQ(ParseRfc3339Millis("2025-07-17 10:00:00.5"), kT + 500);
}

TEST(ParseRfc3339Millis, OffsetsAreSubtractedToGetUtc) {
  // 10:00 at +02:00 is 08:00 UTC; 10:00 at -05:30 is 15:30 UTC.
  EXPECT_EQ(ParseRfc3339Millis("2025-07-17T10:00:00+02:00"), kT - 2 * kHour);
  EXPECT_EQ(ParseRfc3339Millis("2025-07-17T10:00:00-05:30"), kT + 5 * kHour + 30 * kMinute);
  EXPECT_EQ(ParseRfc3339Millis("2025-07-17T10:00:00+00:00"), kT);
  EXPECT_EQ(ParseRfc3339Millis("2025-07-17T10:00:00-00:00"), kT);
  EXPECT_EQ(ParseRfc3339Millis("2025-07-17T10:00:00+23:59"), kT - 23 * kHour - 59 * kMinute);
  EXPECT_EQ(ParseRfc3339Millis("2025-07-17T10:00:00.123+02:00"), kT - 2 * kHour + 123);
  // The same instant written in three zones.
  EXPECT_EQ(ParseRfc3339Millis("2025-07-17T12:00:00+02:00"), kT);
  EXPECT_EQ(ParseRfc3339Millis("2025-07-17T04:30:00-05:30"), kT);
  // An offset can move the instant across midnight, a month and a year.
  EXPECT_EQ(ParseRfc3339Millis("2025-01-01T01:00:00+02:00"), TimegmMillis(2024, 12, 31, 23));
  EXPECT_EQ(ParseRfc3339Millis("2024-12-31T22:00:00-05:00"), TimegmMillis(2025, 1, 1, 3));
}

TEST(ParseRfc3339Millis, FractionalSecondsOfOneToNineDigitsGiveMilliseconds) {
  const std::vector<std::pair<std::string, int64_t>> cases = {
      {".1", 100},       {".12", 120},      {".123", 123},      {".1234", 123},      {".12345", 123},
      {".123456", 123},  {".1234567", 123}, {".12345678", 123}, {".123456789", 123}, {".999999999", 999},
      {".000000001", 0}, {".0", 0},         {".5", 500},        {".050", 50},        {".007", 7},
  };
  for (const auto& [fraction, millis] : cases) {
    EXPECT_EQ(ParseRfc3339Millis("2025-07-17T10:00:00" + fraction + "Z"), kT + millis) << fraction;
    EXPECT_EQ(ParseRfc3339Millis("2025-07-17T10:00:00" + fraction), kT + millis) << fraction;
    EXPECT_EQ(ParseRfc3339Millis("2025-07-17T10:00:00" + fraction + "-01:00"), kT + kHour + millis)
        << fraction;
  }
  // Extra digits are cut, never rounded up into the next second.
  EXPECT_EQ(ParseRfc3339Millis("2025-07-17T10:00:59.9999999999999Z"), kT + 59999);
}

TEST(ParseRfc3339Millis, LeapSecondIsTakenAsTheSecondBefore) {
  EXPECT_EQ(ParseRfc3339Millis("2016-12-31T23:59:60Z"), TimegmMillis(2016, 12, 31, 23, 59, 59));
}

TEST(ParseRfc3339Millis, AgreesWithTimegmOnEveryMonthBoundary) {
  for (int year : {1970, 1971, 1999, 2000, 2023, 2024, 2038, 2100, 2400, 9999}) {
    for (int month = 1; month <= 12; ++month) {
      for (int day : {1, 28, DaysIn(year, month)}) {
        const std::string text = Date(year, month, day) + "T23:59:58Z";
        EXPECT_EQ(ParseRfc3339Millis(text), TimegmMillis(year, month, day, 23, 59, 58)) << text;
      }
    }
  }
}

TEST(ParseRfc3339Millis, RejectsMalformedText) {
  for (std::string_view text : {
           "",
           "2025",
           "2025-07-17",  // a date alone is not a date-time
           "2025-07-17T",
           "2025-07-17T10",
           "2025-07-17T10:00",  // seconds are required
           "2025-07-17T10:00Z",
           "2025-7-17T10:00:00Z",  // every field has its full width
           "2025-07-7T10:00:00Z",
           "2025-07-17T1:00:00Z",
           "25-07-17T10:00:00Z",
           "+2025-07-17T10:00:00Z",
           "2025/07/17T10:00:00Z",
           "2025-07-17X10:00:00Z",
           "2025-07-17_10:00:00Z",
           "2025-07-17T10-00-00Z",
           "2025-07-17T10:00:00.Z",  // a point needs digits
           "2025-07-17T10:00:00.",
           "2025-07-17T10:00:00,123Z",
           "2025-07-17T10:00:00.12a3Z",
           "2025-07-17T10:00:00ZZ",
           "2025-07-17T10:00:00Z ",  // nothing may follow
           " 2025-07-17T10:00:00Z",
           "2025-07-17T10:00:00 Z",
           "2025-07-17T10:00:00+02:00Z",
           "2025-07-17T10:00:00+0200",  // the offset needs its colon
           "2025-07-17T10:00:00+02",
           "2025-07-17T10:00:00+2:00",
           "2025-07-17T10:00:00+02:0",
           "2025-07-17T10:00:00UTC",
           "2025-07-17T10:00:00 GMT",
           "2025-07-17T1a:00:00Z",
           "2025-0a-17T10:00:00Z",
           "Thu Jul 17 10:00:00 +0000 2025",  // Twitter's v1.1 format is not RFC 3339
           "1752746400",
       }) {
    EXPECT_EQ(ParseRfc3339Millis(text), std::nullopt) << '"' << text << '"';
  }
  EXPECT_EQ(ParseRfc3339Millis(std::string_view("2025-07-17T10:00:00Z\0", 21)), std::nullopt);
}

TEST(ParseRfc3339Millis, RejectsOutOfRangeFields) {
  for (std::string_view text : {
           "1969-12-31T23:59:59Z",  // years 1970-9999
           "0000-01-01T00:00:00Z",
           "1900-01-01T00:00:00Z",
           "2025-00-17T10:00:00Z",  // months 1-12
           "2025-13-17T10:00:00Z",
           "2025-99-17T10:00:00Z",
           "2025-07-00T10:00:00Z",  // days 1-31
           "2025-07-32T10:00:00Z",
           "2025-07-17T24:00:00Z",  // hours 0-23
           "2025-07-17T10:60:00Z",  // minutes 0-59
           "2025-07-17T10:00:61Z",  // seconds 0-60 (60: a leap second)
           "2025-07-17T10:00:00+24:00",
           "2025-07-17T10:00:00+02:60",
           "2025-07-17T10:00:00-99:00",
       }) {
    EXPECT_EQ(ParseRfc3339Millis(text), std::nullopt) << text;
  }
}

TEST(ParseRfc3339Millis, RejectsDaysBeyondTheEndOfTheMonth) {
  for (std::string_view text : {
           "2025-02-29T00:00:00Z",  // 2025 is not a leap year
           "2025-02-30T00:00:00Z",
           "2024-02-30T00:00:00Z",
           "2100-02-29T00:00:00Z",  // divisible by 100, not by 400
           "2025-04-31T00:00:00Z",
           "2025-06-31T00:00:00Z",
           "2025-09-31T00:00:00Z",
           "2025-11-31T00:00:00Z",
       }) {
    EXPECT_EQ(ParseRfc3339Millis(text), std::nullopt) << text;
  }
  EXPECT_EQ(ParseRfc3339Millis("2024-02-29T00:00:00Z"), TimegmMillis(2024, 2, 29));
  EXPECT_EQ(ParseRfc3339Millis("2000-02-29T00:00:00Z"), TimegmMillis(2000, 2, 29));
  EXPECT_EQ(ParseRfc3339Millis("2025-01-31T00:00:00Z"), TimegmMillis(2025, 1, 31));
  EXPECT_EQ(ParseRfc3339Millis("2025-12-31T00:00:00Z"), TimegmMillis(2025, 12, 31));
}

// --- FormatRfc3339Millis -------------------------------------------------------------------------

TEST(FormatRfc3339Millis, AlwaysShowsMillisecondsInUtc) {
  EXPECT_EQ(FormatRfc3339Millis(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Millis(1), "1970-01-01T00:00:00.001Z");
  EXPECT_EQ(FormatRfc3339Millis(kT), "2025-07-17T10:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Millis(kT + 123), "2025-07-17T10:00:00.123Z");
  EXPECT_EQ(FormatRfc3339Millis(kT + 86399999 - 10 * kHour), "2025-07-17T23:59:59.999Z");
  EXPECT_EQ(FormatRfc3339Millis(int64_t{253402300799} * 1000 + 999), "9999-12-31T23:59:59.999Z");
}

TEST(FormatRfc3339Millis, FormatsTimesBeforeTheEpoch) {
  EXPECT_EQ(FormatRfc3339Millis(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatRfc3339Millis(-1000), "1969-12-31T23:59:59.000Z");
  EXPECT_EQ(FormatRfc3339Millis(-1001), "1969-12-31T23:59:58.999Z");
  EXPECT_EQ(FormatRfc3339Millis(-86400000), "1969-12-31T00:00:00.000Z");
}

TEST(FormatRfc3339Millis, RoundTripsLeapDaysAndTheEpoch) {
  for (std::string_view text :
       {"1970-01-01T00:00:00.000Z", "2024-02-29T00:00:00.000Z", "2024-02-29T12:34:56.789Z",
        "2024-02-29T23:59:59.999Z", "2000-02-29T06:00:00.001Z", "2024-03-01T00:00:00.000Z",
        "2023-12-31T23:59:59.999Z", "2038-01-19T03:14:08.000Z"}) {
    const std::optional<int64_t> millis = ParseRfc3339Millis(text);
    ASSERT_TRUE(millis.has_value()) << text;
    EXPECT_EQ(FormatRfc3339Millis(*millis), text);
  }
  EXPECT_EQ(ParseRfc3339Millis(FormatRfc3339Millis(0)), 0);
  // The day after 2024-02-29 is 2024-03-01.
  EXPECT_EQ(FormatRfc3339Millis(*ParseRfc3339Millis("2024-02-29T00:00:00Z") + 86400000),
            "2024-03-01T00:00:00.000Z");
}

TEST(FormatRfc3339Millis, ParseOfFormatIsIdentityAcrossTheSupportedRange) {
  std::mt19937_64 random(42);
  const int64_t max = int64_t{253402300799} * 1000 + 999;  // 9999-12-31T23:59:59.999Z
  std::uniform_int_distribution<int64_t> pick(0, max);
  for (int i = 0; i < 20000; ++i) {
    const int64_t millis = pick(random);
    const std::string text = FormatRfc3339Millis(millis);
    ASSERT_EQ(ParseRfc3339Millis(text), millis) << text;
  }
  EXPECT_EQ(ParseRfc3339Millis(FormatRfc3339Millis(max)), max);
}

TEST(NowMillis, IsTheSystemClockInMilliseconds) {
  const int64_t before = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const int64_t now = NowMillis();
  const int64_t after = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  EXPECT_LE(before, now);
  EXPECT_LE(now, after);
  EXPECT_GT(now, kT - 365 * 24 * kHour);  // a year before this test was written
}

}  // namespace
}  // namespace earshot::core
