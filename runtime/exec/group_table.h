// Hash aggregation state for group and window rules.
//
// Keys are encoded into bytes (fixed-width numbers, length-prefixed strings, a null flag per
// key) and hashed; a GroupTable maps them to dense group ids with open addressing.  Each group
// has one fixed-size Acc per aggregate of its rule, plus the group's row count and latest
// event time.  A worker keeps one table per partition (the top bits of the key hash), so that
// partitions can be merged and finalized in parallel: the native runtime is partitioned by group
// key, as a distributed SQL engine shards by customer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "exec/vector.h"
#include "ir/ir.h"

namespace decree::exec {

inline constexpr int kPartitionBits = 5;
inline constexpr uint32_t kPartitions = 1u << kPartitionBits;

uint64_t HashBytes(std::string_view s);
inline uint32_t PartitionOf(uint64_t hash) { return static_cast<uint32_t>(hash >> (64 - kPartitionBits)); }

// Appends the encoding of row `r`'s key values to *out.
void EncodeKey(const std::vector<Vec>& keys, uint32_t r, std::string* out);
// Decodes key `k` of an encoded key (types from the rule's keys).
ir::Value DecodeKey(std::string_view bytes, const std::vector<ir::Type>& types, size_t k);

// One aggregate's running state.  `m` holds sums (and numeric min/max), `i` counts (and the
// string pool offset of a text min/max, whose length is `len`, or the index of a distinct set).
struct Acc {
  i128 m = 0;
  int64_t i = 0;
  uint16_t cur = 0;
  uint8_t has = 0;    // a value was seen
  uint8_t mixed = 0;  // 1: money of more than one currency met; 2: the sum overflowed
  uint32_t len = 0;
};

// What is known about the aggregates of a rule, to update and finalize Accs.
struct AggSpec {
  ir::AggKind kind;
  ir::Type type;      // result type
  PType arg_type;     // physical type of the argument
  int arg_scale = 0;
};

std::vector<AggSpec> AggSpecs(const ir::Rule& rule);

class GroupTable {
 public:
  explicit GroupTable(size_t aggs) : aggs_(aggs) {}

  // The group of `key` (hash precomputed), inserted if new.
  uint32_t FindOrInsert(uint64_t hash, std::string_view key);
  size_t size() const { return key_off_.size(); }
  std::string_view key(uint32_t g) const { return std::string_view(keys_.data() + key_off_[g], key_len_[g]); }
  uint64_t hash(uint32_t g) const { return hashes_[g]; }
  Acc* accs(uint32_t g) { return &accs_[static_cast<size_t>(g) * aggs_]; }
  const Acc* accs(uint32_t g) const { return &accs_[static_cast<size_t>(g) * aggs_]; }
  int64_t& rows(uint32_t g) { return rows_[g]; }
  int64_t rows(uint32_t g) const { return rows_[g]; }
  int64_t& max_time(uint32_t g) { return max_time_[g]; }
  int64_t max_time(uint32_t g) const { return max_time_[g]; }

  // Updates `acc` with a value of an aggregate's argument (`v` at row r, already known valid).
  void Update(const AggSpec& spec, Acc* acc, const Vec& v, size_t slot);
  // Folds `from` (of table `other`) into `into`.
  void Merge(const AggSpec& spec, Acc* into, const Acc& from, const GroupTable& other);
  // The aggregate's value as a scalar.  Sets *mixed when the money summed had several currencies.
  ir::Value Result(const AggSpec& spec, const Acc& acc, bool* mixed) const;
  // Writes the aggregate's value into slot `r` of a group-chunk column.
  void Store(const AggSpec& spec, const Acc& acc, Vec* out, uint32_t r) const;

  // Members: (group, record id) in arrival order.
  void AddMember(uint32_t g, std::string_view id) {
    member_group_.push_back(g);
    member_off_.push_back(static_cast<uint32_t>(ids_.size()));
    member_len_.push_back(static_cast<uint16_t>(std::min<size_t>(id.size(), UINT16_MAX)));
    ids_.append(id.data(), std::min<size_t>(id.size(), UINT16_MAX));
  }
  size_t member_count() const { return member_group_.size(); }
  uint32_t member_group(size_t i) const { return member_group_[i]; }
  std::string_view member_id(size_t i) const { return std::string_view(ids_.data() + member_off_[i], member_len_[i]); }
  size_t MemoryBytes() const;

 private:
  void Grow();
  std::string_view PoolString(const Acc& a) const { return std::string_view(pool_.data() + a.i, a.len); }

  size_t aggs_;
  std::vector<uint32_t> slots_;  // group id + 1; 0 = empty
  std::vector<uint64_t> hashes_;
  std::vector<uint32_t> key_off_, key_len_;
  std::string keys_;
  std::vector<Acc> accs_;
  std::vector<int64_t> rows_, max_time_;
  std::vector<uint32_t> member_group_, member_off_;
  std::vector<uint16_t> member_len_;
  std::string ids_;
  std::string pool_;  // text min/max values
  std::vector<std::unordered_set<std::string>> distinct_;
};

}  // namespace decree::exec
