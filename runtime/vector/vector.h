// Columnar chunks: the unit the runtime reads, evaluates and aggregates.
//
// A Chunk holds up to kChunkSize rows of one layout, one Vec per field.  A Vec is a typed
// array of kChunkSize slots (or one slot when `is_const`), with an optional validity array
// (null = invalid) and, for money, a parallel array of currency ids.  Operations take a
// selection vector (the row indices still in play) and write results at the same row
// positions, so a filter narrows the selection instead of copying rows (DuckDB's DataChunk /
// SelectionVector).  Buffers are allocated once per reader or expression node and reused for
// every chunk: evaluation allocates nothing per row.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "common/arena.h"
#include "common/decimal.h"
#include "ir/types.h"
#include "ir/value.h"

namespace decree {

inline constexpr uint32_t kChunkSize = 2048;


// Physical representations: every logical type maps to one of four.
//   kBool  bool                                  uint8_t 0/1
//   kI64   integer date timestamp duration       int64_t (dates in days, times in microseconds,
//          enum currency                         enum codes, currency ids)
//   kI128  decimal money rate                    i128 mantissa at Vec::scale (+ currency ids)
//   kStr   text id country list                  StrRef
enum class PType : uint8_t { kBool, kI64, kI128, kStr };

PType PhysicalType(ir::TypeKind k);

struct Vec {
  PType type = PType::kBool;
  bool is_const = false;
  int scale = 0;
  uint8_t* b = nullptr;
  int64_t* i = nullptr;
  i128* m = nullptr;
  StrRef* s = nullptr;
  uint16_t* cur = nullptr;   // money: the currency of each slot
  uint8_t* valid = nullptr;  // nullptr: every slot is valid
  uint8_t* err = nullptr;    // group level: slot holds an error (e.g. a sum of mixed currencies)

  size_t at(uint32_t row) const { return is_const ? 0 : row; }
  bool IsValid(uint32_t row) const { return valid == nullptr || valid[at(row)] != 0; }
};

// Storage for one Vec: owns kChunkSize (or 1) slots of its physical type.
class VecBuffer {
 public:
  VecBuffer() = default;
  void Init(PType type, int scale, bool money, bool nullable, uint32_t slots = kChunkSize);
  Vec& vec() { return vec_; }
  const Vec& vec() const { return vec_; }
  // Lazily allocates the validity array, all valid.
  uint8_t* EnsureValid();
  uint8_t* EnsureErr();

 private:
  Vec vec_;
  uint32_t slots_ = 0;
  std::unique_ptr<uint8_t[]> b_, valid_, err_;
  std::unique_ptr<int64_t[]> i_;
  std::unique_ptr<i128[]> m_;
  std::unique_ptr<StrRef[]> s_;
  std::unique_ptr<uint16_t[]> cur_;
};

// Row indices (within a chunk) still in play, ascending.
struct Sel {
  uint32_t n = 0;
  uint16_t* idx = nullptr;
};

class SelBuffer {
 public:
  SelBuffer() : data_(new uint16_t[kChunkSize]) { sel_.idx = data_.get(); }
  Sel& sel() { return sel_; }
  const Sel& sel() const { return sel_; }
  void All(uint32_t n) {
    sel_.n = n;
    for (uint32_t r = 0; r < n; ++r) sel_.idx[r] = static_cast<uint16_t>(r);
  }
  void CopyFrom(const Sel& s) {
    sel_.n = s.n;
    std::memcpy(sel_.idx, s.idx, s.n * sizeof(uint16_t));
  }

 private:
  std::unique_ptr<uint16_t[]> data_;
  Sel sel_;
};

struct Chunk {
  uint32_t size = 0;
  std::vector<Vec> columns;     // one per layout field (readers may leave unused ones empty)
  const uint64_t* pos = nullptr;   // input position of each row (byte offset, rowid, record index)
};

// Row-level evaluation errors of one chunk: the rows are rejected with these reasons.
struct RowErrors {
  std::vector<std::pair<uint32_t, std::string>> rows;  // (row in chunk, reason)
  void Add(uint32_t row, std::string reason) { rows.emplace_back(row, std::move(reason)); }
  void Clear() { rows.clear(); }
};

// Slot `row` of `v` (of logical type `t`) as a scalar Value, and back.  Used off the hot
// path: explanations, fallbacks, test records.
ir::Value SlotValue(const Vec& v, uint32_t row, const ir::Type& t);
void StoreValue(const ir::Value& value, Vec& v, uint32_t row, Arena* arena);

}  // namespace decree
