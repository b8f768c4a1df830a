// UTF-8 validation, decoding and encoding (RFC 3629: no overlongs, no surrogates, max U+10FFFF).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace decree {

// Decodes the code point at s[*pos] and advances *pos.  Returns false (and advances by one
// byte) on an invalid sequence.
bool DecodeUtf8(std::string_view s, size_t* pos, uint32_t* cp);

// True when all of `s` is valid UTF-8; otherwise *bad_offset is the first bad byte.
bool IsValidUtf8(std::string_view s, size_t* bad_offset = nullptr);

size_t CountCodePoints(std::string_view s);

// Appends the UTF-8 encoding of `cp` (at most U+10FFFF, not a surrogate) to *out.
void AppendUtf8(uint32_t cp, std::string* out);

}  // namespace decree
