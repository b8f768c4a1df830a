// Time zones: what "same day" means in a ruleset.
//
// A TimeZone is loaded once from ICU (IANA id, e.g. "Asia/Shanghai") and answers the UTC
// offset of any instant from a precomputed transition table, so that computing a local day in
// the hot path is a binary search, never an ICU call.  Thread-safe after loading.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "decree/status.h"

namespace decree {

class TimeZone {
 public:
  // Loads (and caches) a zone.  Unknown ids are an InvalidArgument error.
  static Status Load(const std::string& id, std::shared_ptr<const TimeZone>* out);
  static bool IsValidId(const std::string& id);

  const std::string& id() const { return id_; }
  // Offset from UTC, in seconds, in effect at the instant `micros`.
  int32_t OffsetSeconds(int64_t micros) const;
  // The local calendar day (days since 1970-01-01) of the instant.
  int32_t LocalDay(int64_t micros) const;
  // The first instant of local day `day` (handles days that do not start at midnight).
  int64_t DayStart(int32_t day) const;
  // The transition table (the analysis encodes it): offsets()[i] (seconds) applies from
  // transitions()[i - 1] (UTC microseconds) until transitions()[i]; offsets()[0] before all.
  const std::vector<int64_t>& transitions() const { return transitions_; }
  const std::vector<int32_t>& offsets() const { return offsets_; }

 private:
  std::string id_;
  std::vector<int64_t> transitions_;  // UTC microseconds at which the offset changes, ascending
  std::vector<int32_t> offsets_;      // offsets_[i] applies from transitions_[i-1]; offsets_[0] before all
};

}  // namespace decree
