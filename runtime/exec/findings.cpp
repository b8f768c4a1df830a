#include "exec/findings.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <queue>

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
  keys_.push_back(arena_.Append(scratch_));
  if (keep_) {
    objects_.push_back(std::move(f));
  } else {
    scratch_.clear();
    f.AppendJson(&scratch_);
    scratch_.push_back('\n');
    lines_.push_back(arena_.Append(scratch_));
  }
}

void FindingList::Sort() {
  order_.resize(size());
  for (uint32_t i = 0; i < order_.size(); ++i) order_[i] = i;
  std::sort(order_.begin(), order_.end(), [&](uint32_t a, uint32_t b) { return key(a) < key(b); });
}

Status MergeFindings(std::vector<FindingList*>& lists, std::vector<Finding>* objects, FILE* out, uint64_t* count) {
  struct Head {
    std::string_view key;
    size_t list, at;
  };
  auto after = [](const Head& a, const Head& b) {
    int c = a.key.compare(b.key);
    return c != 0 ? c > 0 : a.list > b.list;
  };
  std::priority_queue<Head, std::vector<Head>, decltype(after)> heap(after);
  size_t total = 0;
  for (size_t l = 0; l < lists.size(); ++l) {
    total += lists[l]->size();
    if (lists[l]->size() > 0) heap.push(Head{lists[l]->key(lists[l]->order_[0]), l, 0});
  }
  if (objects != nullptr) objects->reserve(objects->size() + total);
  std::string buf;
  buf.reserve(1 << 20);
  bool ok = true;
  while (!heap.empty()) {
    Head h = heap.top();
    heap.pop();
    FindingList& list = *lists[h.list];
    uint32_t i = list.order_[h.at];
    if (objects != nullptr) {
      objects->push_back(std::move(list.objects_[i]));
    } else {
      buf += list.line(i);
      if (buf.size() >= (1 << 20)) {
        ok &= std::fwrite(buf.data(), 1, buf.size(), out) == buf.size();
        buf.clear();
      }
    }
    ++*count;
    if (h.at + 1 < list.size()) heap.push(Head{list.key(list.order_[h.at + 1]), h.list, h.at + 1});
  }
  if (out != nullptr && !buf.empty()) ok &= std::fwrite(buf.data(), 1, buf.size(), out) == buf.size();
  if (!ok) return Status::IoError("cannot write the findings");
  return Status::Ok();
}

}  // namespace decree::exec
