#include "screen/rule_screening.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

namespace decree::screen {

namespace {

using ir::Op;

const ir::Expr& StripCasts(const ir::Expr& e) {
  const ir::Expr* x = &e;
  while (x->op == Op::kCast && !x->kids.empty()) x = x->kids[0].get();
  return *x;
}

// A constant in 1/kScoreUnits, rounded down (so a score at or above the constant is at or
// above the result).
int64_t Units(const ir::Value& v) {
  if (v.null) return kScoreUnits;
  if (v.kind == ir::TypeKind::kInteger) return std::clamp<int64_t>(v.i, -1, 1) * kScoreUnits;
  i128 m = v.m;
  int scale = v.scale;
  // Scale to 4 decimals, rounding down (toward −∞).
  while (scale > 4) {
    i128 q = m / 10;
    if (m < 0 && q * 10 != m) --q;
    m = q;
    --scale;
  }
  while (scale < 4) {
    if (m > 10 * i128{kScoreUnits} || m < -10 * i128{kScoreUnits}) break;
    m *= 10;
    ++scale;
  }
  if (scale < 4) return m > 0 ? 2 * kScoreUnits : -kScoreUnits;
  return static_cast<int64_t>(std::clamp<i128>(m, -kScoreUnits, 2 * kScoreUnits));
}

}  // namespace

std::vector<std::string> RuleScreening::ListsUsed(const ir::Program& program) {
  std::set<std::string> ids;
  for (const ir::Rule& r : program.rules) {
    ir::ForEachExpr(r, [&](const ir::Expr& e, const ir::Expr*) {
      if (e.op == Op::kScreen) ids.insert(e.name);
    });
  }
  return {ids.begin(), ids.end()};
}

int32_t RuleScreening::Floor(const ir::Program& program) {
  size_t calls = 0, compared = 0;
  int64_t floor = kScoreUnits;
  for (const ir::Rule& r : program.rules) {
    ir::ForEachExpr(r, [&](const ir::Expr& e, const ir::Expr*) {
      if (e.op == Op::kScreen) ++calls;
      if (!ir::IsComparison(e.op) || e.kids.size() != 2) return;
      const ir::Expr& a = StripCasts(*e.kids[0]);
      const ir::Expr& b = StripCasts(*e.kids[1]);
      const ir::Expr* c = a.op == Op::kScreen && b.op == Op::kConst ? &b : b.op == Op::kScreen && a.op == Op::kConst ? &a : nullptr;
      if (c == nullptr) return;
      ++compared;
      floor = std::min(floor, Units(c->value));
    });
  }
  if (compared < calls) return 1;
  return static_cast<int32_t>(std::clamp<int64_t>(floor, 1, kScoreUnits));
}

RuleScreening::~RuleScreening() = default;

Status RuleScreening::Build(const ir::Program& program, std::vector<WatchList> lists, std::unique_ptr<RuleScreening>* out) {
  std::unique_ptr<RuleScreening> s(new RuleScreening());
  s->floor_ = Floor(program);
  for (const WatchList& l : lists) {
    if (std::find(s->slot_ids_.begin(), s->slot_ids_.end(), l.list_id) == s->slot_ids_.end()) s->slot_ids_.push_back(l.list_id);
  }
  std::sort(s->slot_ids_.begin(), s->slot_ids_.end());
  std::vector<std::string> missing;
  for (const std::string& id : ListsUsed(program)) {
    if (!std::binary_search(s->slot_ids_.begin(), s->slot_ids_.end(), id)) missing.push_back('"' + id + '"');
  }
  if (!missing.empty()) {
    std::vector<std::string> have;
    for (const std::string& id : s->slot_ids_) have.push_back('"' + id + '"');
    return Status::MissingInput(fmt::format(
        "the rules screen against list{} {}, which no watch-list file provides ({})", missing.size() == 1 ? "" : "s",
        fmt::join(missing, ", "), have.empty() ? std::string("no lists loaded") : "loaded: " + fmt::format("{}", fmt::join(have, ", "))));
  }
  Status st = ScreeningIndex::Build(std::move(lists), &s->index_);
  if (!st.ok()) return st;
  for (const WatchList& l : s->index_->lists()) s->slot_of_list_.push_back(s->Slot(l.list_id));
  s->shared_ = std::make_unique<RuleScreener>(*s);
  if (!s->shared_->status().ok()) return s->shared_->status();
  *out = std::move(s);
  return Status::Ok();
}

int RuleScreening::Slot(const std::string& id) const {
  auto it = std::lower_bound(slot_ids_.begin(), slot_ids_.end(), id);
  return it != slot_ids_.end() && *it == id ? static_cast<int>(it - slot_ids_.begin()) : -1;
}

std::string RuleScreening::Describe(const RuleMatch& m, std::string_view query) const {
  if (m.name < 0) return "";
  const ScreeningIndex::Name& n = index_->names()[static_cast<size_t>(m.name)];
  const WatchList& l = index_->lists()[n.list];
  const WatchEntry& e = l.entries[n.entry];
  const ListName& name = e.names[n.alias];
  std::string text = fmt::format("{} {} \"{}\"", l.list_id, e.entry_id, name.text);
  if (name.source != NameSource::kPrimary) text += fmt::format(" ({})", NameSourceName(name.source));
  if (query.empty()) return text;
  std::vector<PartMatch> parts;
  {
    std::lock_guard<std::mutex> lock(shared_mu_);
    shared_->screener().Explain(query, static_cast<uint32_t>(m.name), &parts);
  }
  std::string how;
  for (const PartMatch& p : parts) {
    if (!how.empty()) how += ", ";
    if (p.how == PartHow::kOmitted) {
      how += fmt::format("{} omitted -{:.4f}", p.list, p.lost);
    } else if (p.how == PartHow::kExtra) {
      how += fmt::format("{} extra -{:.4f}", p.query, p.lost);
    } else {
      how += fmt::format("{}{}{} {} +{:.4f}", p.query, p.how == PartHow::kExact ? "=" : "~", p.list, PartHowName(p.how), p.contribution);
    }
  }
  return text + ": " + how;
}

RuleMatch RuleScreening::BestLocked(int slot, std::string_view name) const {
  std::lock_guard<std::mutex> lock(shared_mu_);
  return shared_->Best(slot, name);
}

RuleScreener::RuleScreener(const RuleScreening& s)
    : s_(s), screener_(s.index_.get(), static_cast<double>(s.floor_) / kScoreUnits - 1e-9, &s.memo_) {}

RuleMatch RuleScreener::Best(int slot, std::string_view name) {
  if (slot < 0) return RuleMatch();
  auto it = cache_.find(name);
  if (it != cache_.end()) return it->second[static_cast<size_t>(slot)];
  scratch_.assign(s_.slot_ids_.size(), RuleMatch());
  screener_.Screen(name, &hits_, &query_);
  // Hits come best first, so the first hit of a slot is its best.
  for (const ScreenHit& h : hits_) {
    const ScreeningIndex::Name& n = s_.index_->names()[h.name];
    RuleMatch& m = scratch_[static_cast<size_t>(s_.slot_of_list_[n.list])];
    if (m.name >= 0) continue;
    auto units = static_cast<int32_t>(std::floor(h.score * kScoreUnits + 1e-9));
    if (units < s_.floor_) continue;
    m.score = std::min(units, kScoreUnits);
    m.name = static_cast<int32_t>(h.name);
  }
  RuleMatch best = scratch_[static_cast<size_t>(slot)];
  if (cache_.size() < kCacheLimit) cache_.emplace(std::string(name), scratch_);
  return best;
}

}  // namespace decree::screen
