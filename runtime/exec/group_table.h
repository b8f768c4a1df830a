// State of group and window rules: radix-partitioned contribution records, then per-partition
// hash aggregation.
//
// Phase 1 (reading): for each row a rule keeps, a worker appends one compact record (key
// hash, event time, encoded key, the aggregate arguments present, the record id) to the
// RecordBuffer of the key's partition (the top bits of the hash).  Appending never moves
// earlier bytes, so there is no rehashing or copying while reading.
// Phase 2 (finalizing, one partition at a time, in parallel): the partition's records from
// every worker are aggregated in a GroupTable small enough to stay in cache; guards are
// evaluated; record ids are collected only for the groups that fire.  The native runtime is
// partitioned by group key, as a distributed SQL engine shards by customer.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "exec/memory.h"
#include "vector/vector.h"
#include "ir/ir.h"

namespace decree::exec {

uint64_t HashBytes(std::string_view s);

// Grouped rules' records are partitioned by the top `bits` of their key hash: partitions are
// finalized in parallel, so there are several per thread (load balance), but few enough that a
// worker appends to a handful of buffers only (each partition is a write stream: with too many,
// appends miss the cache).  Eight per thread, at least 16.
inline int PartitionBits(int threads) {
  int bits = 4;
  while (bits < 10 && (1 << bits) < 8 * threads) ++bits;
  return bits;
}
inline uint32_t PartitionOf(uint64_t hash, int bits) { return static_cast<uint32_t>(hash >> (64 - bits)); }

// Key encoding: per key a validity byte when the type is optional, then the value: 1 byte for
// booleans, 2 for enums and currencies, 4 for dates, 8 for other integers, 16 for decimals,
// a 2-byte length and the bytes for text.
void EncodeKey(const std::vector<Vec>& keys, const std::vector<ir::Type>& types, uint32_t r, std::string* out);
// Decodes every key into slot `row` of `columns` (strings point into `bytes`).
void DecodeKeyInto(std::string_view bytes, const std::vector<ir::Type>& types, std::vector<Vec>& columns, uint32_t row);
ir::Value DecodeKey(std::string_view bytes, const std::vector<ir::Type>& types, size_t k);

// Append-only byte records (each starts with its size as a varint); records are contiguous
// within a block and never span blocks.
class RecordBuffer {
 public:
  explicit RecordBuffer(BlockPool* pool = nullptr) : arena_(pool) {}
  char* Append(size_t n);
  size_t records() const { return records_; }
  size_t bytes() const { return bytes_; }
  template <typename F>
  void ForEach(F&& f) const {
    for (const auto& [begin, end] : runs_) {
      const char* p = begin;
      while (p < end) {
        const char* q = p;
        uint64_t size = 0;
        for (int shift = 0;; shift += 7) {
          uint8_t b = static_cast<uint8_t>(*q++);
          size |= static_cast<uint64_t>(b & 0x7F) << shift;
          if (b < 0x80) break;
        }
        f(p);
        p += size;
      }
    }
  }
  void Clear();

 private:
  ByteArena arena_;
  std::vector<std::pair<const char*, const char*>> runs_;  // contiguous stretches of records
  size_t records_ = 0, bytes_ = 0;
};

// What is known about the aggregates of a rule, to encode, update and finalize them.
struct AggSpec {
  ir::AggKind kind;
  ir::Type type;   // result type
  PType arg_type;  // physical type of the argument (kI64 for count(t))
  int arg_scale = 0;
  bool has_arg = false;
  bool money = false;
};

std::vector<AggSpec> AggSpecs(const ir::Rule& rule);

// One decoded contribution record.  Views point into the RecordBuffer.
struct RecordView {
  uint64_t hash = 0;
  int64_t time = 0;
  std::string_view key;
  bool anchor = true;
  std::string_view id;
  struct Arg {
    bool present = false;
    i128 m = 0;
    uint16_t cur = 0;
    std::string_view s;
  };
  Arg args[16];
};

// Record layout (v = varint, zz = zigzag varint):
//   v size | i64 time | v key length | key | [u8 anchor, window rules only] |
//   presence bits (one per aggregate, bytes) | per present aggregate with an argument:
//   zz value (numbers, money) or v length + bytes (text) [, v currency when money] |
//   v id length | id.
// The key's hash is not stored: it is recomputed when the partition is finalized.
class RecordCodec {
 public:
  RecordCodec(const std::vector<AggSpec>& specs, bool windowed) : specs_(specs), windowed_(windowed) {}
  // Appends row r's record to `buf`.  `present[a]`: aggregate a counts the row;
  // `args[a]`: its argument vector (ignored when the aggregate has no argument).
  void Append(RecordBuffer* buf, int64_t time, std::string_view key, bool anchor, const std::vector<uint8_t>& present,
              const std::vector<Vec>& args, uint32_t r, std::string_view id) const;
  // Decodes a record; `hash` is computed from the key unless the caller does not need it.
  void Decode(const char* rec, RecordView* out, bool hash = true) const;

 private:
  const std::vector<AggSpec>& specs_;
  bool windowed_;
};

// A record's size in bytes (its own varint included), its event time, its encoded key, and
// (window rules' records only) whether it anchors a window.
size_t RecordSize(const char* rec);
int64_t RecordTime(const char* rec);
std::string_view RecordKey(const char* rec);
bool RecordAnchors(const char* rec);

// One aggregate's running state.
struct Acc {
  i128 m = 0;
  int64_t i = 0;      // counts; the index of a distinct set
  uint16_t cur = 0;
  uint8_t has = 0;    // a value was seen
  uint8_t mixed = 0;  // 1: money of more than one currency met; 2: the sum overflowed
  uint32_t len = 0;   // text min/max: length of the value at `s`
  const char* s = nullptr;
};

// Hash aggregation of one partition (transient).
class GroupTable {
 public:
  GroupTable(const std::vector<AggSpec>& specs, size_t expected);
  // Empties the table for about `expected` groups, keeping its memory (a reused table).
  void Reset(size_t expected);

  // The group of `key`, inserted if new (the key's bytes must outlive the table).
  uint32_t FindOrInsert(uint64_t hash, std::string_view key);
  size_t size() const { return keys_.size(); }
  std::string_view key(uint32_t g) const { return keys_[g]; }
  Acc* accs(uint32_t g) { return &accs_[static_cast<size_t>(g) * specs_.size()]; }
  const Acc* accs(uint32_t g) const { return &accs_[static_cast<size_t>(g) * specs_.size()]; }
  int64_t& rows(uint32_t g) { return rows_[g]; }
  int64_t& max_time(uint32_t g) { return max_time_[g]; }

  void Add(uint32_t g, const RecordView& r);
  // Writes aggregate a's value of group g into slot `r` of a group-chunk column.
  void Store(size_t a, const Acc& acc, Vec* out, uint32_t r) const;

 private:
  const std::vector<AggSpec>& specs_;
  std::vector<uint32_t> slots_;  // group + 1; 0 = empty
  std::vector<uint64_t> hashes_;
  std::vector<std::string_view> keys_;
  std::vector<Acc> accs_;
  std::vector<int64_t> rows_, max_time_;
  std::vector<std::unordered_set<std::string>> distinct_;
};

}  // namespace decree::exec
