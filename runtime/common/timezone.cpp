#include "common/timezone.h"

#include <unicode/basictz.h>
#include <unicode/timezone.h>
#include <unicode/tztrans.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <map>
#include <mutex>

#include "common/civil.h"

namespace decree {

namespace {

// Every instant whose local day can be a date (0001-01-01 .. 9999-12-31), with a day's margin:
// the rules ICU knows (history, then the zone's final rule repeated) for the whole range.
constexpr double kFromMs = -62135596800000.0 - 86400000.0;  // 0001-01-01T00:00:00Z
constexpr double kToMs = 253402300800000.0 + 86400000.0;    // 10000-01-01T00:00:00Z

std::mutex g_mu;
std::map<std::string, std::shared_ptr<const TimeZone>>* g_cache = new std::map<std::string, std::shared_ptr<const TimeZone>>();

}  // namespace

bool TimeZone::IsValidId(const std::string& id) {
  if (id.empty()) return false;
  std::unique_ptr<icu::TimeZone> tz(icu::TimeZone::createTimeZone(icu::UnicodeString::fromUTF8(id)));
  icu::UnicodeString got;
  tz->getID(got);
  return got != icu::UnicodeString("Etc/Unknown");
}

Status TimeZone::Load(const std::string& id, std::shared_ptr<const TimeZone>* out) {
  std::lock_guard<std::mutex> lock(g_mu);
  auto it = g_cache->find(id);
  if (it != g_cache->end()) {
    *out = it->second;
    return Status::Ok();
  }
  if (!IsValidId(id)) return Status::InvalidArgument("unknown time zone '" + id + "'");
  std::unique_ptr<icu::TimeZone> tz(icu::TimeZone::createTimeZone(icu::UnicodeString::fromUTF8(id)));
  auto zone = std::shared_ptr<TimeZone>(new TimeZone());
  zone->id_ = id;
  UErrorCode status = U_ZERO_ERROR;
  int32_t raw = 0, dst = 0;
  tz->getOffset(kFromMs, false, raw, dst, status);
  zone->offsets_.push_back((raw + dst) / 1000);
  if (auto* basic = dynamic_cast<icu::BasicTimeZone*>(tz.get())) {
    icu::TimeZoneTransition tr;
    double t = kFromMs;
    while (basic->getNextTransition(t, false, tr) && tr.getTime() < kToMs) {
      t = tr.getTime();
      const icu::TimeZoneRule* to = tr.getTo();
      int32_t off = (to->getRawOffset() + to->getDSTSavings()) / 1000;
      if (off == zone->offsets_.back()) continue;
      zone->transitions_.push_back(static_cast<int64_t>(t) * 1000);
      zone->offsets_.push_back(off);
    }
  }
  if (U_FAILURE(status)) return Status::Internal("ICU failed to load time zone '" + id + "'");
  (*g_cache)[id] = zone;
  *out = zone;
  return Status::Ok();
}

int32_t TimeZone::OffsetSeconds(int64_t micros) const {
  // Most instants are after the last transition (Asia/Shanghai: 1991).
  if (transitions_.empty() || micros >= transitions_.back()) return offsets_.back();
  // Index of the first transition after `micros`; the offset before it applies.
  size_t i = static_cast<size_t>(std::upper_bound(transitions_.begin(), transitions_.end(), micros) - transitions_.begin());
  return offsets_[i];
}

int32_t TimeZone::LocalDay(int64_t micros) const {
  int64_t local = micros + static_cast<int64_t>(OffsetSeconds(micros)) * kMicrosPerSecond;
  return static_cast<int32_t>(FloorDiv(local, kMicrosPerDay));
}

int64_t TimeZone::DayStart(int32_t day) const {
  // Guess with the offset at local midnight, then correct once (offsets change rarely).
  int64_t midnight = static_cast<int64_t>(day) * kMicrosPerDay;
  int64_t guess = midnight - static_cast<int64_t>(OffsetSeconds(midnight)) * kMicrosPerSecond;
  int64_t again = midnight - static_cast<int64_t>(OffsetSeconds(guess)) * kMicrosPerSecond;
  if (LocalDay(again) == day) return again;
  return guess;
}

}  // namespace decree
