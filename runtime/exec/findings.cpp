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
  int n = std::snprintf(version, sizeof(version), "%08d", f.rule_version);
  k->append(version, static_cast<size_t>(n));
  for (const auto& [name, value] : f.key) {
    k->push_back('\0');
    *k += value;
  }
  k->push_back('\0');
  if (!f.txn_ids.empty()) *k += f.txn_ids.front();
}

void FindingList::Add(Finding&& f) {
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

Status FindingMerger::Merge(const std::vector<ListRange>& ranges) {
  std::vector<std::unique_ptr<SpillReader>> readers(ranges.size());
  for (size_t r = 0; r < ranges.size(); ++r) {
    const FindingList& l = *ranges[r].list;
    if (l.spilled_) {
      uint64_t at = l.spill_at_;
      for (size_t i = 0; i < ranges[r].from; ++i) at += l.spilled_len_[i];
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
  size_t total = 0;
  for (size_t r = 0; r < ranges.size(); ++r) {
    total += ranges[r].to - ranges[r].from;
    if (ranges[r].from < ranges[r].to) heap.push(Head{ranges[r].list->key_in_order(ranges[r].from), r, ranges[r].from});
  }
  if (objects_ != nullptr) objects_->reserve(objects_->size() + total);
  if (buf_.capacity() == 0) buf_.reserve(1 << 20);
  bool ok = true;
  while (!heap.empty()) {
    Head h = heap.top();
    heap.pop();
    const ListRange& range = ranges[h.range];
    FindingList& list = *range.list;
    uint32_t i = list.order_[h.at];
    if (objects_ != nullptr) {
      objects_->push_back(std::move(list.objects_[i]));
    } else if (list.spilled_) {
      std::string_view line;
      if (!readers[h.range]->Line(list.spilled_len_[h.at], &line)) return Status::IoError("cannot read spilled findings back");
      buf_ += line;
    } else {
      buf_ += list.line(i);
    }
    if (objects_ == nullptr && buf_.size() >= (1 << 20)) ok &= Write();
    ++count_;
    if (h.at + 1 < range.to) heap.push(Head{list.key_in_order(h.at + 1), h.range, h.at + 1});
  }
  if (!ok) return Status::IoError("cannot write the findings");
  return Status::Ok();
}

bool FindingMerger::Write() {
  bool ok = std::fwrite(buf_.data(), 1, buf_.size(), out_) == buf_.size();
  written_ += buf_.size();
  buf_.clear();
  // Flush what is written so far to disk in the background (one fdatasync at a time) while
  // the run goes on, so that the fsync before the output is renamed into place has little
  // left to do.  A failure here is not an error: that final fsync reports it.
  // One sync at a time, and the merge never waits for one: while one runs, the next waits.
  if (ok && out_ != stdout && written_ - synced_ >= (4u << 20) && !syncing_.load() && std::fflush(out_) == 0) {
    if (sync_.joinable()) sync_.join();
    syncing_ = true;
    sync_ = std::thread([this, fd = fileno(out_)] {
      fdatasync(fd);
      syncing_ = false;
    });
    synced_ = written_;
  }
  return ok;
}

FindingMerger::~FindingMerger() {
  if (sync_.joinable()) sync_.join();
}

Status FindingMerger::Flush() {
  if (out_ != nullptr && !buf_.empty() && !Write()) return Status::IoError("cannot write the findings");
  if (sync_.joinable()) sync_.join();
  return Status::Ok();
}

}  // namespace decree::exec
