// Reading a whole file into memory, bounded: every file Decree reads whole (watch lists,
// allow-lists, findings, institution files, Decree sources) goes through here, so a huge
// file, a device that never ends (/dev/zero) or a pipe is refused with its size instead of
// exhausting memory.
#pragma once

#include <cstdint>
#include <string>

#include "decree/status.h"

namespace decree {

// The default limit for files read whole: 1 GiB.
inline constexpr uint64_t kMaxWholeFileBytes = uint64_t{1} << 30;

// Reads `path` into *out.  A regular file larger than `max_bytes` is refused before it is
// read; a stream (pipe, device) is read up to `max_bytes` and refused if it goes on.  A
// directory, or a file that cannot be opened, is an error naming the path.  `what` names the
// file in messages ("watch list", "findings").
Status ReadWholeFile(const std::string& path, uint64_t max_bytes, std::string* out, const char* what = "file");

// "64 MiB", "1.5 GiB", "812 bytes".
std::string FormatBytes(uint64_t n);

}  // namespace decree
