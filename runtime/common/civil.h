// Calendar arithmetic on the proleptic Gregorian calendar, and ISO 8601 parsing/printing.
//
// A date is a day number (days since 1970-01-01).  A timestamp is microseconds since
// 1970-01-01T00:00:00Z; the UTC offset written in the text is applied when parsing and is not
// kept.  Time-zone rules (what "same day" means) live in the runtime, not here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace decree {

inline constexpr int64_t kMicrosPerSecond = 1000000;
inline constexpr int64_t kMicrosPerDay = 86400 * kMicrosPerSecond;

// Supported range: years 0001..9999.
int32_t DaysFromCivil(int year, unsigned month, unsigned day);
void CivilFromDays(int32_t days, int* year, unsigned* month, unsigned* day);
bool IsValidCivil(int year, unsigned month, unsigned day);
// 0 = Monday .. 6 = Sunday.
int Weekday(int32_t days);

// Floor division for negative values.
inline int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// "YYYY-MM-DD".
bool ParseDate(std::string_view text, int32_t* days);
std::string FormatDate(int32_t days);

// "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)"; an offset is required.  A space may
// stand for the 'T'.  Fractions up to microseconds.
bool ParseTimestamp(std::string_view text, int64_t* micros);
// Why ParseDate / ParseTimestamp refused `text`: "2026-02-30 is not a date (February 2026 has
// 28 days)", "23:59:60 is a leap second (…)".  Only for text they refused.
std::string DateError(std::string_view text);
std::string TimestampError(std::string_view text);
// Prints in the given UTC offset (minutes), e.g. "2026-03-01T23:59:59+08:00".
std::string FormatTimestamp(int64_t micros, int offset_minutes);

}  // namespace decree
