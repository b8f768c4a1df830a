// What the batch readers share: column buffers for one chunk, typed field codecs, binding
// layout fields to input columns, and the readers' constructors (one file each).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "vector/vector.h"
#include "io/field_parse.h"
#include "io/input_file.h"
#include "io/source.h"

namespace decree::io {

// Bytes per segment of a CSV or JSON Lines file (segments are read concurrently).
inline constexpr size_t kSegmentBytes = 1u << 20;

// Column storage for one reader call: one buffer per layout field, and row positions.
struct ChunkBuffers {
  std::vector<VecBuffer> fields;
  uint32_t capacity;  // rows per chunk: kChunkSize, fewer for a handful of records
  std::unique_ptr<uint64_t[]> pos;
  Chunk chunk;
  Arena arena;

  explicit ChunkBuffers(const std::vector<FieldCodec>& codecs, uint32_t rows = kChunkSize);
  // Keeps the row parsed at index chunk.size, read at `position`; true when the chunk is full
  // (the caller flushes it).
  bool Commit(uint64_t position) {
    pos[chunk.size] = position;
    return ++chunk.size == capacity;
  }
  void Flush(const ChunkFn& fn) {
    if (chunk.size > 0) fn(chunk);
    chunk.size = 0;
    arena.Reset();
  }
};

std::vector<FieldCodec> Codecs(const ir::Program& program, const ir::Layout& layout);

// Binds layout fields to input column names; reports every missing column at once.  `what`
// names the input in messages.
Status BindColumns(const ir::Layout& layout, const std::vector<std::string>& names, const std::string& what,
                   std::vector<int>* field_col, std::vector<int>* currency_col);

// Labels positions that are lines of a file.
class LineLabeler final : public PositionLabeler {
 public:
  LineLabeler(const InputFile& file, uint64_t first_line) : lines_(file, first_line) {}
  std::string Label(uint64_t pos, uint64_t last) override { return lines_.Label(pos, last); }

 private:
  LineCounter lines_;
};

// Labels positions as "<word> N" (rowid 17, record 3), adding `offset` to each.
class CountLabeler final : public PositionLabeler {
 public:
  CountLabeler(const char* word, uint64_t offset) : word_(word), offset_(offset) {}
  std::string Label(uint64_t pos, uint64_t) override;

 private:
  const char* word_;
  uint64_t offset_;
};

// The readers, each Init()ed by OpenSource.
Status OpenCsvSource(const InputSpec& spec, const ir::Program& program, const ir::Layout& layout, std::unique_ptr<RowSource>* out);
Status OpenJsonlSource(const InputSpec& spec, const ir::Program& program, const ir::Layout& layout, std::unique_ptr<RowSource>* out);
Status OpenSqliteSource(const InputSpec& spec, const ir::Program& program, const ir::Layout& layout, std::unique_ptr<RowSource>* out);
Status OpenXmlSource(const InputSpec& spec, const ir::Program& program, const ir::Layout& layout, std::unique_ptr<RowSource>* out);

}  // namespace decree::io
