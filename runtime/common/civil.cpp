#include "common/civil.h"

#include <fmt/format.h>

namespace decree {

// Algorithms from Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms".
int32_t DaysFromCivil(int year, unsigned month, unsigned day) {
  year -= month <= 2;
  const int era = (year >= 0 ? year : year - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(year - era * 400);
  const unsigned doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int>(doe) - 719468;
}

void CivilFromDays(int32_t z, int* year, unsigned* month, unsigned* day) {
  int64_t zz = static_cast<int64_t>(z) + 719468;
  const int64_t era = (zz >= 0 ? zz : zz - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(zz - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *day = doy - (153 * mp + 2) / 5 + 1;
  *month = mp < 10 ? mp + 3 : mp - 9;
  *year = static_cast<int>(y + (*month <= 2));
}

bool IsValidCivil(int year, unsigned month, unsigned day) {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1) return false;
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  unsigned max = kDays[month - 1];
  if (month == 2 && (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))) max = 29;
  return day <= max;
}

int Weekday(int32_t days) {
  // 1970-01-01 was a Thursday (index 3).
  int64_t w = (static_cast<int64_t>(days) + 3) % 7;
  return static_cast<int>(w < 0 ? w + 7 : w);
}

namespace {

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

}  // namespace

bool ParseDate(std::string_view s, int32_t* days) {
  int y, m, d;
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  if (!Digits(s, 0, 4, &y) || !Digits(s, 5, 2, &m) || !Digits(s, 8, 2, &d)) return false;
  if (!IsValidCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d))) return false;
  *days = DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  return true;
}

std::string FormatDate(int32_t days) {
  int y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  if (y < 0 || y > 9999) return fmt::format("{:04d}-{:02d}-{:02d}", y, m, d);
  char buf[10] = {static_cast<char>('0' + y / 1000), static_cast<char>('0' + y / 100 % 10), static_cast<char>('0' + y / 10 % 10),
                  static_cast<char>('0' + y % 10),   '-',
                  static_cast<char>('0' + m / 10),   static_cast<char>('0' + m % 10),
                  '-',
                  static_cast<char>('0' + d / 10),   static_cast<char>('0' + d % 10)};
  return std::string(buf, 10);
}

bool ParseTimestamp(std::string_view s, int64_t* micros) {
  if (s.size() < 20) return false;
  int32_t days;
  if (!ParseDate(s.substr(0, 10), &days)) return false;
  if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return false;
  int hh, mm, ss;
  if (!Digits(s, 11, 2, &hh) || s[13] != ':' || !Digits(s, 14, 2, &mm) || s[16] != ':' ||
      !Digits(s, 17, 2, &ss)) {
    return false;
  }
  if (hh > 23 || mm > 59 || ss > 59) return false;  // no leap seconds
  size_t pos = 19;
  int64_t frac = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (n >= 6) return false;  // finer than a microsecond
      frac = frac * 10 + (s[pos] - '0');
      ++n;
      ++pos;
    }
    if (n == 0) return false;
    for (; n < 6; ++n) frac *= 10;
  }
  if (pos >= s.size()) return false;  // offset required
  int offset_minutes = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (!Digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !Digits(s, pos + 4, 2, &om)) {
      return false;
    }
    if (oh > 18 || om > 59) return false;
    offset_minutes = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return false;
  }
  if (pos != s.size()) return false;
  int64_t local = static_cast<int64_t>(days) * kMicrosPerDay +
                  (static_cast<int64_t>(hh) * 3600 + mm * 60 + ss) * kMicrosPerSecond + frac;
  *micros = local - static_cast<int64_t>(offset_minutes) * 60 * kMicrosPerSecond;
  return true;
}

std::string FormatTimestamp(int64_t micros, int offset_minutes) {
  int64_t local = micros + static_cast<int64_t>(offset_minutes) * 60 * kMicrosPerSecond;
  int64_t days = FloorDiv(local, kMicrosPerDay);
  int64_t rem = local - days * kMicrosPerDay;
  int64_t secs = rem / kMicrosPerSecond;
  int64_t frac = rem % kMicrosPerSecond;
  // Written digit by digit (explanations format a timestamp per triggering window).
  std::string out = FormatDate(static_cast<int32_t>(days));
  auto two = [&out](int64_t v) {
    out.push_back(static_cast<char>('0' + v / 10));
    out.push_back(static_cast<char>('0' + v % 10));
  };
  out.push_back('T');
  two(secs / 3600);
  out.push_back(':');
  two(secs / 60 % 60);
  out.push_back(':');
  two(secs % 60);
  if (frac != 0) {
    char f[6];
    for (int i = 5; i >= 0; --i, frac /= 10) f[i] = static_cast<char>('0' + frac % 10);
    int n = 6;
    while (f[n - 1] == '0') --n;  // frac != 0: some digit is not
    out.push_back('.');
    out.append(f, n);
  }
  if (offset_minutes == 0) {
    out.push_back('Z');
  } else {
    int a = offset_minutes < 0 ? -offset_minutes : offset_minutes;
    out.push_back(offset_minutes < 0 ? '-' : '+');
    if (a / 60 >= 100) out += std::to_string(a / 60 / 100);  // as {:02d} would: no offset is this large
    two(a / 60 % 100);
    out.push_back(':');
    two(a % 60);
  }
  return out;
}

namespace {

const char* const kMonthNames[] = {"January", "February", "March",     "April",   "May",      "June",
                                   "July",    "August",   "September", "October", "November", "December"};

// Why the first 10 characters of `s` are not a date, or "" when they are one.
std::string DatePartError(std::string_view s) {
  int y, m, d;
  if (s.size() < 10 || s[4] != '-' || s[7] != '-' || !Digits(s, 0, 4, &y) || !Digits(s, 5, 2, &m) || !Digits(s, 8, 2, &d)) {
    return "not YYYY-MM-DD";
  }
  std::string date(s.substr(0, 10));
  if (y < 1) return fmt::format("{} is not a date (years run from 0001 to 9999)", date);
  if (m < 1 || m > 12) return fmt::format("{} is not a date (there is no month {:02d})", date, m);
  if (!IsValidCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d))) {
    unsigned max = 31;
    while (max > 27 && !IsValidCivil(y, static_cast<unsigned>(m), max)) --max;
    return fmt::format("{} is not a date ({} {} has {} days)", date, kMonthNames[m - 1], y, max);
  }
  return "";
}

}  // namespace

std::string DateError(std::string_view s) {
  if (s.size() != 10) return "not a date (YYYY-MM-DD)";
  std::string e = DatePartError(s);
  return e.empty() || e == "not YYYY-MM-DD" ? "not a date (YYYY-MM-DD)" : e;
}

std::string TimestampError(std::string_view s) {
  const char* kForm = "not a timestamp (YYYY-MM-DDTHH:MM:SS with Z or a ±HH:MM offset)";
  std::string e = DatePartError(s);
  if (e == "not YYYY-MM-DD") return kForm;
  if (!e.empty()) return e;
  if (s.size() == 10) return "a date without a time of day and UTC offset: not a timestamp";
  if (s.size() < 19 || (s[10] != 'T' && s[10] != 't' && s[10] != ' ')) return kForm;
  int hh, mm, ss;
  if (!Digits(s, 11, 2, &hh) || s[13] != ':' || !Digits(s, 14, 2, &mm) || s[16] != ':' || !Digits(s, 17, 2, &ss)) return kForm;
  std::string time(s.substr(11, 8));
  if (ss == 60 && hh == 23 && mm == 59) return fmt::format("{} is a leap second (timestamps count UTC without them)", time);
  if (hh > 23 || mm > 59 || ss > 59) return fmt::format("{} is not a time of day", time);
  size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    size_t digits = 0;
    for (++pos; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos) ++digits;
    if (digits == 0) return kForm;
    if (digits > 6) return "the fraction of a second is finer than a microsecond";
  }
  if (pos >= s.size()) return "no UTC offset (add Z or ±HH:MM: a local time alone is not an instant)";
  if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (!Digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !Digits(s, pos + 4, 2, &om)) return kForm;
    if (oh > 18 || om > 59) return fmt::format("{} is not a UTC offset", s.substr(pos, 6));
  }
  return kForm;
}

}  // namespace decree
