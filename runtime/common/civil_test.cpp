#include "common/civil.h"

#include <gtest/gtest.h>

#include <utility>

#include "common/timezone.h"

namespace decree {
namespace {

TEST(Civil, DayNumbersRoundTrip) {
  for (int32_t d = -800000; d <= 2900000; d += 997) {
    int y;
    unsigned m, dd;
    CivilFromDays(d, &y, &m, &dd);
    EXPECT_EQ(DaysFromCivil(y, m, dd), d);
  }
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(Weekday(DaysFromCivil(2026, 3, 1)), 6);  // a Sunday
}

TEST(Civil, ParsesDates) {
  int32_t d;
  ASSERT_TRUE(ParseDate("2024-02-29", &d));
  EXPECT_EQ(FormatDate(d), "2024-02-29");
  EXPECT_FALSE(ParseDate("2023-02-29", &d));
  EXPECT_FALSE(ParseDate("2026-13-01", &d));
  EXPECT_FALSE(ParseDate("2026-3-1", &d));
  EXPECT_FALSE(ParseDate("2026-03-01x", &d));
}

TEST(Civil, ParsesTimestampsWithOffsets) {
  int64_t a, b, c;
  ASSERT_TRUE(ParseTimestamp("2026-03-01T23:30:00-05:00", &a));
  ASSERT_TRUE(ParseTimestamp("2026-03-02T12:30:00+08:00", &b));
  ASSERT_TRUE(ParseTimestamp("2026-03-02T04:30:00Z", &c));
  EXPECT_EQ(a, b);
  EXPECT_EQ(b, c);
  int64_t f;
  ASSERT_TRUE(ParseTimestamp("2026-03-02T04:30:00.25Z", &f));
  EXPECT_EQ(f - c, 250000);
  EXPECT_EQ(FormatTimestamp(f, 480), "2026-03-02T12:30:00.25+08:00");
  EXPECT_EQ(FormatTimestamp(c, 0), "2026-03-02T04:30:00Z");
  EXPECT_EQ(FormatTimestamp(c, -300), "2026-03-01T23:30:00-05:00");
  EXPECT_EQ(FormatTimestamp(c + 1, 330), "2026-03-02T10:00:00.000001+05:30");
  EXPECT_EQ(FormatTimestamp(c + 123450, -570), "2026-03-01T19:00:00.12345-09:30");
  EXPECT_EQ(FormatTimestamp(-1, 0), "1969-12-31T23:59:59.999999Z");
  // Round trips (trailing zeros of the fraction are not written).
  for (auto [t, offset] : {std::pair<const char*, int>{"2024-02-29T00:00:00Z", 0}, {"1999-12-31T23:59:59.5+14:00", 840},
                           {"2026-07-04T08:05:09.0001-12:00", -720}}) {
    int64_t us;
    ASSERT_TRUE(ParseTimestamp(t, &us)) << t;
    EXPECT_EQ(FormatTimestamp(us, offset), t);
  }
}

TEST(Civil, RejectsBadTimestamps) {
  int64_t t;
  for (const char* bad : {"2026-03-01T10:00:00", "2026-03-01", "2026-03-01T24:00:00Z", "2026-03-01T10:00:60Z",
                          "2026-03-01T10:00:00+8:00", "2026-03-01T10:00:00.1234567Z", "2026-02-30T10:00:00Z",
                          "2026-03-01T10:00:00+08:00junk"}) {
    EXPECT_FALSE(ParseTimestamp(bad, &t)) << bad;
  }
}

TEST(TimeZone, ShanghaiLocalDays) {
  std::shared_ptr<const TimeZone> tz;
  ASSERT_TRUE(TimeZone::Load("Asia/Shanghai", &tz).ok());
  int64_t t;
  ASSERT_TRUE(ParseTimestamp("2026-03-01T23:30:00-05:00", &t));
  EXPECT_EQ(FormatDate(tz->LocalDay(t)), "2026-03-02");
  ASSERT_TRUE(ParseTimestamp("2026-03-01T15:59:59Z", &t));
  EXPECT_EQ(FormatDate(tz->LocalDay(t)), "2026-03-01");
  ASSERT_TRUE(ParseTimestamp("2026-03-01T16:00:00Z", &t));
  EXPECT_EQ(FormatDate(tz->LocalDay(t)), "2026-03-02");
}

TEST(TimeZone, DaylightSavingTransitions) {
  std::shared_ptr<const TimeZone> tz;
  ASSERT_TRUE(TimeZone::Load("America/New_York", &tz).ok());
  int64_t before, after;
  ASSERT_TRUE(ParseTimestamp("2026-03-08T06:59:59Z", &before));  // 01:59:59 EST
  ASSERT_TRUE(ParseTimestamp("2026-03-08T07:00:00Z", &after));   // 03:00:00 EDT
  EXPECT_EQ(tz->OffsetSeconds(before), -5 * 3600);
  EXPECT_EQ(tz->OffsetSeconds(after), -4 * 3600);
  int64_t late;
  ASSERT_TRUE(ParseTimestamp("2026-11-02T03:59:59Z", &late));  // 23:59:59 EDT on Nov 1
  EXPECT_EQ(FormatDate(tz->LocalDay(late)), "2026-11-01");
}

TEST(TimeZone, UnknownZoneIsAnError) {
  std::shared_ptr<const TimeZone> tz;
  EXPECT_FALSE(TimeZone::Load("Mars/Olympus_Mons", &tz).ok());
  EXPECT_FALSE(TimeZone::IsValidId(""));
}

}  // namespace
}  // namespace decree
