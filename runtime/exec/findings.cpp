#include "exec/findings.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <queue>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace decree::exec {

void FindingList::AppendSortKey(const Finding& f, std::string* k) {
  *k += f.rule;
  k->push_back('\0');
  char version[16];
  int n = 8;
  if (f.rule_version >= 0 && f.rule_version <= 99999999) {  // "%08d", without printf (a finding each)
    for (int i = 7, v = f.rule_version; i >= 0; --i, v /= 10) version[i] = static_cast<char>('0' + v % 10);
  } else {
    n = std::snprintf(version, sizeof(version), "%08d", f.rule_version);
  }
  k->append(version, static_cast<size_t>(n));
  for (const auto& [name, value] : f.key) {
    k->push_back('\0');
    *k += value;
  }
  k->push_back('\0');
  if (!f.txn_ids.empty()) *k += f.txn_ids.front();
}

void FindingList::Add(Finding&& f) {
  if (!f.due_note.empty()) due_notes_.Add(f.due_note);
  scratch_.clear();
  AppendSortKey(f, &scratch_);
  keys_.push_back(key_arena_.Append(scratch_));
  if (keep_) {
    objects_.push_back(std::move(f));
  } else {
    // The rule's part of the line is the same for all its findings: rendered once.
    if (f.rule != prefix_rule_ || f.citation != prefix_citation_ || f.ruleset_version != prefix_version_) {
      prefix_rule_ = f.rule;
      prefix_citation_ = f.citation;
      prefix_version_ = f.ruleset_version;
      prefix_.clear();
      Finding head;
      head.rule = f.rule;
      head.citation = f.citation;
      head.ruleset_version = f.ruleset_version;
      head.AppendJson(&prefix_);
      prefix_.resize(prefix_.find(",\"txn_ids\":"));  // {"rule":…,"citation":…,"ruleset_version":…
    }
    scratch_.assign(prefix_);
    f.AppendJsonTail(&scratch_);
    scratch_.push_back('\n');
    lines_.push_back(line_arena_.Append(scratch_));
  }
}

Status FindingList::Spill(SpillFile* file) {
  if (keep_ || spilled_ || lines_.empty()) return Status::Ok();
  uint64_t total = 0;
  for (std::string_view l : lines_) total += l.size();
  uint64_t at = file->Reserve(total);
  spill_at_ = at;
  spill_fd_ = file->fd();
  spilled_len_.reserve(order_.size());
  std::string buf;
  buf.reserve(1 << 20);
  uint64_t written = at;
  auto flush = [&]() {
    size_t done = 0;
    while (done < buf.size()) {
      ssize_t n = pwrite(spill_fd_, buf.data() + done, buf.size() - done, static_cast<off_t>(written + done));
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    written += buf.size();
    buf.clear();
    return true;
  };
  for (uint32_t i : order_) {
    buf += lines_[i];
    spilled_len_.push_back(static_cast<uint32_t>(lines_[i].size()));
    if (buf.size() >= (1 << 20) && !flush()) return Status::IoError(std::string("cannot spill findings: ") + std::strerror(errno));
  }
  if (!flush()) return Status::IoError(std::string("cannot spill findings: ") + std::strerror(errno));
  spilled_ = true;
  std::vector<std::string_view>().swap(lines_);
  line_arena_.Clear();
  return Status::Ok();
}

SpillFile::~SpillFile() {
  if (fd_ >= 0) close(fd_);
}

Status SpillFile::Open(const std::string& dir) {
  fd_ = open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd_ < 0) {
    std::string path = dir + "/decree-spill-XXXXXX";
    fd_ = mkstemp(path.data());
    if (fd_ >= 0) unlink(path.c_str());
  }
  if (fd_ < 0) return Status::IoError(fmt::format("cannot create a temporary file in {}: {}", dir, std::strerror(errno)));
  return Status::Ok();
}

void FindingList::Sort() {
  order_.resize(size());
  for (uint32_t i = 0; i < order_.size(); ++i) order_[i] = i;
  std::sort(order_.begin(), order_.end(), [&](uint32_t a, uint32_t b) { return key(a) < key(b); });
}

void FindingList::TakeObjects(std::vector<Finding>* out) {
  for (uint32_t i : order_) out->push_back(std::move(objects_[i]));
  Clear();  // a list that keeps objects is never spilled
}

bool FindingList::Clear() {
  if (spilled_) return false;
  objects_.clear();
  keys_.clear();
  order_.clear();
  lines_.clear();
  key_arena_.Clear();
  line_arena_.Clear();
  due_notes_ = DueNotes();
  return true;
}

std::string FindingList::RulePrefix(const std::string& rule, int version) {
  std::string k = rule;
  k.push_back('\0');
  char v[16];
  int n = std::snprintf(v, sizeof(v), "%08d", version);
  k.append(v, static_cast<size_t>(n));
  k.push_back('\0');
  return k;
}

namespace {

// Reads a spilled list's lines back in order.
class SpillReader {
 public:
  SpillReader(int fd, uint64_t at) : fd_(fd), next_(at) {}
  bool Line(uint32_t len, std::string_view* out) {
    if (pos_ + len > buf_.size()) {
      buf_.erase(0, pos_);
      pos_ = 0;
      size_t want = std::max<size_t>(len, 1 << 18);
      size_t have = buf_.size();
      buf_.resize(have + want);
      ssize_t n = pread(fd_, buf_.data() + have, want, static_cast<off_t>(next_));
      if (n < 0) return false;
      buf_.resize(have + static_cast<size_t>(n));
      next_ += static_cast<uint64_t>(n);
      if (buf_.size() < len) return false;
    }
    *out = std::string_view(buf_).substr(pos_, len);
    pos_ += len;
    return true;
  }

 private:
  int fd_;
  uint64_t next_;
  std::string buf_;
  size_t pos_ = 0;
};

}  // namespace

namespace {

// Writes all of [data, data + n) at `offset` (or at the file position when offset < 0).
bool WriteAll(int fd, const char* data, size_t n, int64_t offset) {
  while (n > 0) {
    ssize_t w = offset >= 0 ? pwrite(fd, data, n, static_cast<off_t>(offset)) : write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    n -= static_cast<size_t>(w);
    if (offset >= 0) offset += w;
  }
  return true;
}

}  // namespace

FindingMerger::FindingMerger(std::vector<Finding>* objects, int fd, std::string name)
    : objects_(objects), fd_(fd), name_(std::move(name)) {
  // Writes at offsets need a file that is neither a pipe nor opened for appending.
  off_t at = fd >= 0 ? lseek(fd, 0, SEEK_CUR) : -1;
  int flags = fd >= 0 ? fcntl(fd, F_GETFL) : -1;
  seekable_ = at >= 0 && flags >= 0 && (flags & O_APPEND) == 0;
  if (seekable_) written_ = synced_ = static_cast<uint64_t>(at);
}

FindingMerger::~FindingMerger() {
  if (sync_.joinable()) sync_.join();
}

// One part of a merge: the findings of [cut[r], end[r]) of each range, in order, written at
// `offset` (or appended to the objects).
Status FindingMerger::MergePart(const std::vector<ListRange>& ranges, const std::vector<size_t>& from,
                                const std::vector<size_t>& to, int64_t offset, std::string* buf) {
  std::vector<std::unique_ptr<SpillReader>> readers(ranges.size());
  for (size_t r = 0; r < ranges.size(); ++r) {
    const FindingList& l = *ranges[r].list;
    if (l.spilled_ && from[r] < to[r]) {
      uint64_t at = l.spill_at_;
      for (size_t i = 0; i < from[r]; ++i) at += l.spilled_len_[i];
      readers[r] = std::make_unique<SpillReader>(l.spill_fd_, at);
    }
  }
  struct Head {
    std::string_view key;
    size_t range, at;
  };
  auto after = [](const Head& a, const Head& b) {
    int c = a.key.compare(b.key);
    return c != 0 ? c > 0 : a.range > b.range;
  };
  std::priority_queue<Head, std::vector<Head>, decltype(after)> heap(after);
  for (size_t r = 0; r < ranges.size(); ++r) {
    if (from[r] < to[r]) heap.push(Head{ranges[r].list->key_in_order(from[r]), r, from[r]});
  }
  buf->clear();
  auto flush = [&]() {
    bool ok = WriteAll(fd_, buf->data(), buf->size(), offset);
    if (offset >= 0) offset += static_cast<int64_t>(buf->size());
    buf->clear();
    return ok;
  };
  while (!heap.empty()) {
    Head h = heap.top();
    heap.pop();
    FindingList& list = *ranges[h.range].list;
    uint32_t i = list.order_[h.at];
    if (objects_ != nullptr) {
      if (sink_) {
        sink_(std::move(list.objects_[i]));
      } else {
        objects_->push_back(std::move(list.objects_[i]));
      }
    } else if (list.spilled_) {
      std::string_view line;
      if (!readers[h.range]->Line(list.spilled_len_[h.at], &line)) return Status::IoError("cannot read spilled findings back");
      *buf += line;
    } else {
      *buf += list.line(i);
    }
    if (buf->size() >= (1 << 20) && !flush()) return Status::IoError(fmt::format("{}: cannot write the findings: {}", name_, std::strerror(errno)));
    if (h.at + 1 < to[h.range]) heap.push(Head{list.key_in_order(h.at + 1), h.range, h.at + 1});
  }
  if (!buf->empty() && !flush()) return Status::IoError(fmt::format("{}: cannot write the findings: {}", name_, std::strerror(errno)));
  return Status::Ok();
}

Status FindingMerger::Merge(const std::vector<ListRange>& ranges, int threads) {
  size_t total = 0;
  for (const ListRange& r : ranges) total += r.to - r.from;
  count_ += total;
  std::vector<size_t> from(ranges.size()), to(ranges.size());
  for (size_t r = 0; r < ranges.size(); ++r) {
    from[r] = ranges[r].from;
    to[r] = ranges[r].to;
  }
  auto line_bytes = [&](size_t r, size_t a, size_t b) {
    const FindingList& l = *ranges[r].list;
    uint64_t n = 0;
    for (size_t i = a; i < b; ++i) n += l.spilled_ ? l.spilled_len_[i] : l.line(l.order_[i]).size();
    return n;
  };
  if (buffers_.empty()) buffers_.resize(1);
  if (objects_ != nullptr) {
    objects_->reserve(objects_->size() + total);
    return MergePart(ranges, from, to, -1, &buffers_[0]);
  }
  if (threads <= 1 || !seekable_ || total < 4096) {
    uint64_t bytes = 0;
    for (size_t r = 0; r < ranges.size(); ++r) bytes += line_bytes(r, from[r], to[r]);
    Status st = MergePart(ranges, from, to, seekable_ ? static_cast<int64_t>(written_) : -1, &buffers_[0]);
    written_ += bytes;
    if (st.ok()) Written();
    return st;
  }
  // Key ranges merged in parallel: split at keys sampled from every list, so that equal keys
  // fall in one part and the output is exactly the sequential merge's; each part writes its
  // bytes at the offset the parts before it end at.
  std::vector<std::string_view> samples;
  for (const ListRange& r : ranges) {
    size_t n = r.to - r.from;
    for (size_t k = 1; k < 16 && n > 0; ++k) samples.push_back(r.list->key_in_order(r.from + n * k / 16));
  }
  std::sort(samples.begin(), samples.end());
  std::vector<std::string_view> splitters;
  for (int t = 1; t < threads && !samples.empty(); ++t) splitters.push_back(samples[samples.size() * t / threads]);
  const size_t parts = splitters.size() + 1;
  std::vector<std::vector<size_t>> cut(parts + 1, std::vector<size_t>(ranges.size()));
  for (size_t r = 0; r < ranges.size(); ++r) {
    cut[0][r] = from[r];
    cut[parts][r] = to[r];
    for (size_t p = 1; p < parts; ++p) {
      size_t lo = cut[p - 1][r], hi = to[r];  // first key >= splitter
      while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ranges[r].list->key_in_order(mid) < splitters[p - 1]) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      cut[p][r] = lo;
    }
  }
  std::vector<int64_t> offset(parts + 1);
  offset[0] = static_cast<int64_t>(written_);
  for (size_t p = 0; p < parts; ++p) {
    uint64_t bytes = 0;
    for (size_t r = 0; r < ranges.size(); ++r) bytes += line_bytes(r, cut[p][r], cut[p + 1][r]);
    offset[p + 1] = offset[p] + static_cast<int64_t>(bytes);
  }
  if (buffers_.size() < parts) buffers_.resize(parts);
  std::vector<Status> status(parts);
  std::vector<std::thread> pool;
  for (size_t p = 1; p < parts; ++p) {
    pool.emplace_back([&, p] { status[p] = MergePart(ranges, cut[p], cut[p + 1], offset[p], &buffers_[p]); });
  }
  status[0] = MergePart(ranges, cut[0], cut[1], offset[0], &buffers_[0]);
  for (std::thread& t : pool) t.join();
  written_ = static_cast<uint64_t>(offset[parts]);
  for (const Status& st : status) {
    if (!st.ok()) return st;
  }
  Written();
  return Status::Ok();
}

void FindingMerger::Written() {
  SyncInBackground();
  if (seekable_ && on_written_) on_written_(fd_, written_);
}

// Flushes what is written so far to disk in the background (one fdatasync at a time, never
// waited for here) while the run goes on, so that the fsync before the output is renamed
// into place has little left to do.  A failure here is not an error: that fsync reports it.
void FindingMerger::SyncInBackground() {
  if (!seekable_ || written_ - synced_ < (4u << 20) || syncing_.load()) return;
  if (sync_.joinable()) sync_.join();
  syncing_ = true;
  sync_ = std::thread([this, fd = fd_] {
    fdatasync(fd);
    syncing_ = false;
  });
  synced_ = written_;
}

Status FindingMerger::Flush() {
  if (sync_.joinable()) sync_.join();
  if (seekable_ && lseek(fd_, static_cast<off_t>(written_), SEEK_SET) < 0) return Status::IoError(fmt::format("{}: cannot write the findings: {}", name_, std::strerror(errno)));
  return Status::Ok();
}

}  // namespace decree::exec
