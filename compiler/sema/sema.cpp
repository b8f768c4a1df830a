// Sema's phases and scopes.
#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "common/civil.h"
#include "common/codes.h"
#include "decree/sha256.h"
#include "common/timezone.h"
#include "sema/sema_internal.h"

namespace decree {

namespace sema {

std::string Sema::Qualify(int module, const std::string& name) const {
  const std::string& id = scopes_[module].id;
  return id.empty() ? name : id + "." + name;
}

std::string Sema::SourceText(const SourceRange& r) const {
  if (!r.valid() || r.file >= sources_.count()) return std::string();
  return std::string(sources_.file(r.file).Slice(r));
}

ir::SourceLoc Sema::Loc(const SourceRange& r) const {
  ir::SourceLoc l;
  if (r.valid() && r.file < sources_.count()) l.file = sources_.file(r.file).library_path();
  l.line = r.line;
  l.col = r.col;
  l.end_line = r.end_line;
  l.end_col = r.end_col;
  return l;
}

bool Sema::ParseDateLiteral(const std::string& text, const SourceRange& r, int32_t* out) {
  if (!ParseDate(text, out)) {
    diags_->Error("E0307", r, fmt::format("invalid date `{}`", text)).Help("dates are YYYY-MM-DD and must exist");
    return false;
  }
  return true;
}

int Sema::InternEnum(const std::vector<std::string>& values) {
  for (size_t i = 0; i < p_->enums.size(); ++i) {
    if (p_->enums[i].values == values) return static_cast<int>(i);
  }
  p_->enums.push_back(ir::EnumType{values});
  return static_cast<int>(p_->enums.size()) - 1;
}

int Sema::CurrencyClassEnum(int home) {
  return InternEnum({std::string(CurrencyCode(static_cast<CurrencyId>(home))), "FX"});
}

namespace {

template <typename T>
const T* FindIn(const std::map<std::string, T>& m, const std::string& name) {
  auto it = m.find(name);
  return it == m.end() ? nullptr : &it->second;
}

}  // namespace

namespace {

// A declaration named `name` in `module`'s scope (`member` of it), else in its imports; its
// module in *owner.
template <typename Decl>
const Decl* FindDecl(const std::vector<ModuleScope>& scopes, std::map<std::string, const Decl*> ModuleScope::*member, int module,
                     const std::string& name, int* owner) {
  if (auto* c = FindIn(scopes[module].*member, name)) {
    *owner = module;
    return *c;
  }
  for (int imp : scopes[module].imports) {
    if (auto* c = FindIn(scopes[imp].*member, name)) {
      *owner = imp;
      return *c;
    }
  }
  return nullptr;
}

}  // namespace

const ast::ConstDecl* Sema::FindConst(int module, const std::string& name, int* owner) {
  return FindDecl(scopes_, &ModuleScope::consts, module, name, owner);
}

const ast::LetDecl* Sema::FindLet(int module, const std::string& name, int* owner) {
  return FindDecl(scopes_, &ModuleScope::lets, module, name, owner);
}

const ast::FlowDecl* Sema::FindFlow(int module, const std::string& name, int* owner) {
  return FindDecl(scopes_, &ModuleScope::flows, module, name, owner);
}

int Sema::FindLayout(int module, const std::string& name) {
  if (auto* i = FindIn(scopes_[module].layouts, name)) return *i;
  for (int imp : scopes_[module].imports) {
    if (auto* i = FindIn(scopes_[imp].layouts, name)) return *i;
  }
  return -1;
}

int Sema::FindTable(int module, const std::string& name) {
  if (auto* i = FindIn(scopes_[module].tables, name)) return *i;
  for (int imp : scopes_[module].imports) {
    if (auto* i = FindIn(scopes_[imp].tables, name)) return *i;
  }
  return -1;
}

namespace {

// The folder a source lies in (the ruleset's folder).
std::string FolderOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

// The clauses a header sets, by name, as written (to compare two headers of one ruleset).
std::vector<std::pair<const char*, std::string>> ClauseTexts(const ast::Header& h) {
  std::vector<std::pair<const char*, std::string>> out;
  if (h.title) out.emplace_back("title", h.title->value);
  if (h.source) out.emplace_back("source", h.source->value);
  if (h.version) out.emplace_back("version", h.version->value);
  if (h.timezone) out.emplace_back("timezone", h.timezone->value);
  if (h.currency) out.emplace_back("currency", h.currency->name);
  if (h.effective) out.emplace_back("effective", h.effective->from + " until " + h.effective->until.value_or(""));
  return out;
}

}  // namespace

void Sema::Run(const std::vector<SemaModule>& modules) {
  Headers(modules);
  MergeRulesetFiles();
  Declarations();
  SortTables();
  RuleIds();
  MergeRuleIds();
  Rules();
  Tests();
}

// Phase 1: headers.  A ruleset may span several files of one folder: each says `ruleset X`,
// and its clauses (title, time zone, …) are given once — in one file, or identically in several.
void Sema::Headers(const std::vector<SemaModule>& modules) {
  struct Seen {
    SourceRange range;
    std::string folder;
    bool is_module;
    size_t info;  // index into p_->rulesets
    std::map<std::string, std::pair<std::string, SourceRange>> clauses;  // name -> (text, where)
  };
  std::map<std::string, Seen> seen;
  for (size_t m = 0; m < modules.size(); ++m) {
    ModuleScope s;
    s.ast = modules[m].ast;
    s.file = s.ast->file;
    s.imports = modules[m].imports;
    const ast::Module& mod = *s.ast;
    if (!mod.header) {
      if (!mod.decls.empty()) {
        diags_->Error("E0401", ast::RangeOf(mod.decls.front()), "missing `ruleset` or `module` header")
            .Help("start the file with e.g. `ruleset my.rules` or `module my.common`");
      }
      scopes_.push_back(std::move(s));
      continue;
    }
    const ast::Header& h = *mod.header;
    s.id = h.name.name;
    s.is_module = h.is_module;
    const std::string folder = FolderOf(sources_.file(s.file).path());
    for (const SourceRange& r : h.duplicate_clauses) diags_->Error("E0401", r, "header clause given twice");
    auto it = s.id.empty() ? seen.end() : seen.find(s.id);
    if (it != seen.end()) {
      Seen& first = it->second;
      if (first.is_module || s.is_module || first.folder != folder) {
        Diagnostic& d = diags_->Error("E0202", h.name.range, fmt::format("`{}` is declared twice", s.id));
        d.Note(first.range, "first declared here");
        if (first.folder != folder) d.Help("a ruleset may span several files of one folder, not of several folders");
      } else {
        // Another file of the same ruleset: its clauses must agree with the ruleset's.
        bool agree = true;
        for (const auto& [name, text] : ClauseTexts(h)) {
          auto c = first.clauses.find(name);
          if (c != first.clauses.end() && c->second.first != text) {
            diags_->Error("E0202", h.range, fmt::format("a second, different header for ruleset `{}`: {} differs", s.id, name))
                .Note(c->second.second, "the ruleset's header is here")
                .Help("give the ruleset's clauses in one of its files; the others say only `ruleset " + s.id + "`");
            agree = false;
          }
        }
        if (agree) {
          for (const auto& [name, text] : ClauseTexts(h)) first.clauses.emplace(name, std::make_pair(text, h.range));
          SetHeaderClauses(h, &s, &p_->rulesets[first.info]);
        }
        s.group = static_cast<int>(first.info);
        scopes_.push_back(std::move(s));
        continue;
      }
    }
    ir::RulesetInfo info;
    info.id = s.id;
    info.is_module = s.is_module;
    info.file = sources_.file(s.file).library_path();
    SetHeaderClauses(h, &s, &info);
    if (!s.id.empty() && it == seen.end()) {
      Seen first{h.name.range, folder, s.is_module, p_->rulesets.size(), {}};
      for (const auto& [name, text] : ClauseTexts(h)) first.clauses.emplace(name, std::make_pair(text, h.range));
      seen.emplace(s.id, std::move(first));
    }
    s.group = static_cast<int>(p_->rulesets.size());
    p_->rulesets.push_back(std::move(info));
    scopes_.push_back(std::move(s));
  }
}

void Sema::SetHeaderClauses(const ast::Header& h, ModuleScope* s, ir::RulesetInfo* info) {
  if (h.title) info->title = h.title->value;
  if (h.source) info->source = h.source->value;
  if (h.version) info->version = h.version->value;
  if (h.timezone) {
    if (!TimeZone::IsValidId(h.timezone->value)) {
      diags_->Error("E0401", h.timezone->range, fmt::format("unknown time zone \"{}\"", h.timezone->value))
          .Help("use an IANA time zone id such as \"Asia/Shanghai\" or \"America/New_York\"");
    } else {
      info->timezone = h.timezone->value;
    }
  }
  if (h.currency) {
    CurrencyId c = LookupCurrency(h.currency->name);
    if (c == kNoCurrency) {
      diags_->Error("E0306", h.currency->range, fmt::format("`{}` is not an ISO 4217 currency code", h.currency->name));
    } else {
      info->home_currency = c;
    }
  }
  if (h.effective) {
    ParseDateLiteral(h.effective->from, h.effective->from_range, &info->effective_from);
    if (h.effective->until) ParseDateLiteral(*h.effective->until, h.effective->until_range, &info->effective_until);
    if (info->effective_from != ir::kNoDate && info->effective_until != ir::kNoDate && info->effective_until < info->effective_from) {
      diags_->Error("E0402", h.effective->range, "`until` is before `effective`");
    }
  }
  (void)s;
}

// Every file of a ruleset sees the ruleset's clauses, and the other files' imports.
void Sema::MergeRulesetFiles() {
  std::map<int, std::vector<int>> groups;
  for (size_t m = 0; m < scopes_.size(); ++m) {
    if (scopes_[m].group >= 0) groups[scopes_[m].group].push_back(static_cast<int>(m));
  }
  for (auto& [g, members] : groups) {
    ir::RulesetInfo& info = p_->rulesets[g];
    if (info.timezone.empty()) info.timezone = "UTC";  // as documented in ir.h
    std::vector<int> imports;
    for (int m : members) imports.insert(imports.end(), scopes_[m].imports.begin(), scopes_[m].imports.end());
    std::sort(imports.begin(), imports.end());
    imports.erase(std::unique(imports.begin(), imports.end()), imports.end());
    for (int m : members) {
      ModuleScope& s = scopes_[m];
      s.timezone = info.timezone.empty() ? "UTC" : info.timezone;
      s.home_currency = info.home_currency;
      s.effective_from = info.effective_from;
      s.effective_until = info.effective_until;
      s.imports = imports;
      s.siblings = members;
    }
  }
}

// Phase 2: names of layouts, tables, constants and helpers, one namespace per ruleset (its
// files share it) or module.
void Sema::Declarations() {
  std::map<int, std::map<std::string, SourceRange>> names_of;  // by group (or -1 - module)
  for (size_t m = 0; m < scopes_.size(); ++m) {
    std::map<std::string, SourceRange>& names = names_of[scopes_[m].group >= 0 ? scopes_[m].group : -1 - static_cast<int>(m)];
    auto declare = [&](const ast::Ident& id) {
      auto [it, inserted] = names.emplace(id.name, id.range);
      if (!inserted) {
        diags_->Error("E0202", id.range, fmt::format("`{}` is declared twice", id.name))
            .Note(it->second, "first declared here");
      }
      return inserted;
    };
    for (const ast::Declaration& d : scopes_[m].ast->decls) {
      if (auto* x = std::get_if<ast::LayoutDecl>(&d)) {
        if (declare(x->name)) DeclareLayout(static_cast<int>(m), *x);
      } else if (auto* x = std::get_if<ast::TableDecl>(&d)) {
        if (declare(x->name)) DeclareTable(static_cast<int>(m), *x);
      } else if (auto* x = std::get_if<ast::ConstDecl>(&d)) {
        if (declare(x->name)) scopes_[m].consts[x->name.name] = x;
      } else if (auto* x = std::get_if<ast::LetDecl>(&d)) {
        if (declare(x->name)) scopes_[m].lets[x->name.name] = x;
      } else if (auto* x = std::get_if<ast::FlowDecl>(&d)) {
        if (declare(x->name)) scopes_[m].flows[x->name.name] = x;
      }
    }
  }
}

// Expressions name a table by its index in Program::tables, and a record type its layout by
// its index in Program::layouts; a library lists both in name order (ir/library_format.cpp).
// So they are numbered in that order before any expression or type is checked, or a library
// whose own table sorts after an imported one (`lk.seen` after `decree.canonical.usd_rate`)
// would look up the wrong table once saved and opened.
template <typename T>
static std::vector<int> SortByName(std::vector<T>* items) {
  const size_t n = items->size();
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int a, int b) { return (*items)[a].name < (*items)[b].name; });
  std::vector<int> index_of(n);
  std::vector<T> sorted;
  sorted.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    index_of[static_cast<size_t>(order[i])] = static_cast<int>(i);
    sorted.push_back(std::move((*items)[static_cast<size_t>(order[i])]));
  }
  *items = std::move(sorted);
  return index_of;
}

void Sema::SortTables() {
  const std::vector<int> table_of = SortByName(&p_->tables);
  const std::vector<int> layout_of = SortByName(&p_->layouts);
  for (ModuleScope& s : scopes_) {
    for (auto& [name, index] : s.tables) index = table_of[static_cast<size_t>(index)];
    for (auto& [name, index] : s.layouts) index = layout_of[static_cast<size_t>(index)];
  }
}

// Phase 3: rule ids, so that rules can refer to each other in any order; one namespace per
// ruleset, as for the other names.
void Sema::RuleIds() {
  std::map<int, std::map<std::string, std::pair<SourceRange, bool>>> first_of;  // by group
  for (size_t m = 0; m < scopes_.size(); ++m) {
    ModuleScope& s = scopes_[m];
    // name -> (where, has effective)
    std::map<std::string, std::pair<SourceRange, bool>>& first = first_of[s.group >= 0 ? s.group : -1 - static_cast<int>(m)];
    for (const ast::Declaration& d : s.ast->decls) {
      const ast::Ident* name = nullptr;
      bool versioned = false;
      if (auto* x = std::get_if<ast::RuleDecl>(&d)) {
        name = &x->name;
        versioned = x->effective.has_value();
      } else if (auto* x = std::get_if<ast::ExemptDecl>(&d)) {
        name = &x->name;
      } else if (auto* x = std::get_if<ast::DecideDecl>(&d)) {
        name = &x->name;  // a decision has one declaration (its `effective` applies to every case)
        for (const ast::DecideCase& c : x->cases) {
          auto& case_ids = s.rule_ids[x->name.name + "." + c.name.name];
          if (case_ids.empty()) case_ids.push_back(Qualify(static_cast<int>(m), x->name.name + "." + c.name.name));
        }
      }
      if (name == nullptr || name->name.empty()) continue;
      auto it = first.find(name->name);
      if (it != first.end()) {
        if (!(versioned && it->second.second)) {
          diags_->Error("E0202", name->range, fmt::format("rule `{}` is declared twice", name->name))
              .Note(it->second.first, "first declared here")
              .Help("two versions of one rule need `effective … until …` on both");
          continue;
        }
      } else {
        first.emplace(name->name, std::make_pair(name->range, versioned));
      }
      std::string id = Qualify(static_cast<int>(m), name->name);
      auto& ids = s.rule_ids[name->name];
      if (ids.empty()) ids.push_back(id);
    }
  }
}

// A ruleset's files see each other's names and rules.
void Sema::MergeRuleIds() {
  for (size_t m = 0; m < scopes_.size(); ++m) {
    for (int o : scopes_[m].siblings) {
      if (o == static_cast<int>(m)) continue;
      const ModuleScope& other = scopes_[o];
      ModuleScope& s = scopes_[m];
      s.layouts.insert(other.layouts.begin(), other.layouts.end());
      s.tables.insert(other.tables.begin(), other.tables.end());
      s.consts.insert(other.consts.begin(), other.consts.end());
      s.lets.insert(other.lets.begin(), other.lets.end());
      for (const auto& [name, ids] : other.rule_ids) {
        auto& mine = s.rule_ids[name];
        for (const std::string& id : ids) {
          if (std::find(mine.begin(), mine.end(), id) == mine.end()) mine.push_back(id);
        }
      }
    }
  }
}

// Phase 4: constants (checked even when unused), then rules.
void Sema::Rules() {
  for (size_t m = 0; m < scopes_.size(); ++m) {
    for (const auto& [name, decl] : scopes_[m].consts) ResolveConst(static_cast<int>(m), name, decl->name.range);
  }
  for (size_t m = 0; m < scopes_.size(); ++m) {
    for (const auto& [name, decl] : scopes_[m].flows) {
      ir::Rule scratch;
      Env row;
      flow_ok_[decl] = ResolveFlow(static_cast<int>(m), *decl, &scratch, &row);
    }
  }
  std::map<int, std::map<std::string, int>> versions_of;  // by ruleset: versions of one rule id
  for (size_t m = 0; m < scopes_.size(); ++m) {
    std::map<std::string, int>& versions = versions_of[scopes_[m].group >= 0 ? scopes_[m].group : -1 - static_cast<int>(m)];
    const ast::Module& mod = *scopes_[m].ast;
    for (size_t i = 0; i < mod.decls.size(); ++i) {
      const ast::Declaration& d = mod.decls[i];
      if (i < mod.poisoned.size() && mod.poisoned[i]) continue;
      if (auto* x = std::get_if<ast::RuleDecl>(&d)) {
        CheckRule(static_cast<int>(m), *x, versions[x->name.name]++);
      } else if (auto* x = std::get_if<ast::ExemptDecl>(&d)) {
        CheckExempt(static_cast<int>(m), *x);
      } else if (auto* x = std::get_if<ast::DecideDecl>(&d)) {
        CheckDecide(static_cast<int>(m), *x, versions[x->name.name]++);
      }
    }
  }
  LinkRules();
}

// Phase 5: tests, and the sources themselves.
void Sema::Tests() {
  for (size_t m = 0; m < scopes_.size(); ++m) {
    const ast::Module& mod = *scopes_[m].ast;
    for (size_t i = 0; i < mod.decls.size(); ++i) {
      if (i < mod.poisoned.size() && mod.poisoned[i]) continue;
      if (auto* x = std::get_if<ast::TestDecl>(&mod.decls[i])) CheckTest(static_cast<int>(m), *x);
    }
    const SourceFile& f = sources_.file(scopes_[m].file);
    p_->sources.push_back(ir::SourceFile{f.library_path(), Sha256Hex(f.text()), f.text()});
  }
}

}  // namespace sema

void RunSema(const std::vector<SemaModule>& modules, const SourceManager& sources, ir::Program* program,
             DiagnosticEngine* diags) {
  sema::Sema s(sources, diags, program);
  s.Run(modules);
}

}  // namespace decree
