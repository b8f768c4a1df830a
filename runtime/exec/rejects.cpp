#include "exec/rejects.h"

#include <algorithm>

#include "decree/json.h"

namespace decree::exec {

namespace {

uint64_t Bytes(const std::vector<io::Reject>& rejects) {
  uint64_t n = 0;
  for (const io::Reject& r : rejects) n += sizeof(r) + r.reason.size() + r.record_id.size();
  return n;
}

}  // namespace

void AppendRejectJson(const RejectedRow& r, std::string* out) {
  JsonWriter w(out);
  w.BeginObject().Field("position", r.position);
  if (!r.record_id.empty()) w.Field("record_id", r.record_id);
  w.Field("reason", r.reason).EndObject();
}

RejectSink::RejectSink(const io::RowSource& source, std::string path, size_t keep, BlockPool* pool)
    : source_(source), pool_(pool), path_(std::move(path)), keep_(path_.empty() ? SIZE_MAX : keep), labeler_(source.NewLabeler()) {}

Status RejectSink::Open() { return path_.empty() ? Status::Ok() : file_.Open(path_); }

Status RejectSink::Add(size_t s, std::vector<io::Reject> rejects) {
  std::lock_guard<std::mutex> lock(mu_);
  pool_->Charge(static_cast<int64_t>(Bytes(rejects)));
  pending_[s] = std::move(rejects);
  for (auto it = pending_.find(next_); it != pending_.end(); it = pending_.find(next_)) {
    pool_->Charge(-static_cast<int64_t>(Bytes(it->second)));
    Status st = Emit(it->second);
    pending_.erase(it);
    ++next_;
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

Status RejectSink::Emit(std::vector<io::Reject>& rejects) {
  std::stable_sort(rejects.begin(), rejects.end(), [](const io::Reject& a, const io::Reject& b) { return a.pos < b.pos; });
  for (io::Reject& r : rejects) {
    RejectedRow row{labeler_->Label(r.pos, r.last), r.pos, std::move(r.record_id), std::move(r.reason)};
    ++count_;
    if (!path_.empty()) {
      AppendRejectJson(row, &buffer_);
      buffer_.push_back('\n');
      if (buffer_.size() >= (1u << 20)) {
        Status st = file_.Write(buffer_);
        buffer_.clear();
        if (!st.ok()) return st;
      }
    }
    if (kept_.size() < keep_) {
      pool_->Charge(static_cast<int64_t>(sizeof(row) + row.position.size() + row.record_id.size() + row.reason.size()));
      kept_.push_back(std::move(row));
    }
  }
  return Status::Ok();
}

Status RejectSink::Commit() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!pending_.empty()) return Status::Internal("rejects of a segment were never handed over");
  if (path_.empty()) return Status::Ok();
  Status st = file_.Write(buffer_);
  buffer_.clear();
  return st.ok() ? file_.Commit() : st;
}

}  // namespace decree::exec
