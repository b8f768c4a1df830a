#include "decree/status.h"

namespace decree {

std::string Status::ToString() const {
  switch (code_) {
    case Code::kOk: return "ok";
    case Code::kInvalidArgument: return "invalid argument: " + message_;
    case Code::kNotFound: return "not found: " + message_;
    case Code::kIoError: return "I/O error: " + message_;
    case Code::kCorruption: return "corrupt: " + message_;
    case Code::kNotSupported: return "not supported: " + message_;
    case Code::kResourceExhausted: return "resource limit: " + message_;
    case Code::kInternal: return "internal error: " + message_;
    case Code::kMissingInput: return "missing input: " + message_;
  }
  return message_;
}

}  // namespace decree
