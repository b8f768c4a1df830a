// Sema's phases and scopes.
#include <fmt/format.h>

#include "common/civil.h"
#include "common/codes.h"
#include "common/sha256.h"
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

const ast::ConstDecl* Sema::FindConst(int module, const std::string& name, int* owner) {
  if (auto* c = FindIn(scopes_[module].consts, name)) {
    *owner = module;
    return *c;
  }
  for (int imp : scopes_[module].imports) {
    if (auto* c = FindIn(scopes_[imp].consts, name)) {
      *owner = imp;
      return *c;
    }
  }
  return nullptr;
}

const ast::LetDecl* Sema::FindLet(int module, const std::string& name, int* owner) {
  if (auto* c = FindIn(scopes_[module].lets, name)) {
    *owner = module;
    return *c;
  }
  for (int imp : scopes_[module].imports) {
    if (auto* c = FindIn(scopes_[imp].lets, name)) {
      *owner = imp;
      return *c;
    }
  }
  return nullptr;
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

void Sema::Run(const std::vector<SemaModule>& modules) {
  // Phase 1: headers.
  std::map<std::string, SourceRange> seen_ids;
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
    if (!s.id.empty()) {
      auto [it, inserted] = seen_ids.emplace(s.id, h.name.range);
      if (!inserted) {
        diags_->Error("E0202", h.name.range, fmt::format("`{}` is declared twice", s.id))
            .Note(it->second, "first declared here");
      }
    }
    for (const SourceRange& r : h.duplicate_clauses) diags_->Error("E0401", r, "header clause given twice");
    ir::RulesetInfo info;
    info.id = s.id;
    info.is_module = s.is_module;
    info.file = sources_.file(s.file).library_path();
    if (h.title) info.title = h.title->value;
    if (h.source) info.source = h.source->value;
    if (h.version) info.version = h.version->value;
    if (h.timezone) {
      if (!TimeZone::IsValidId(h.timezone->value)) {
        diags_->Error("E0401", h.timezone->range, fmt::format("unknown time zone \"{}\"", h.timezone->value))
            .Help("use an IANA time zone id such as \"Asia/Shanghai\" or \"America/New_York\"");
      } else {
        s.timezone = h.timezone->value;
      }
    }
    info.timezone = s.timezone;
    if (h.currency) {
      CurrencyId c = LookupCurrency(h.currency->name);
      if (c == kNoCurrency) {
        diags_->Error("E0306", h.currency->range, fmt::format("`{}` is not an ISO 4217 currency code", h.currency->name));
      } else {
        s.home_currency = c;
      }
    }
    info.home_currency = s.home_currency;
    if (h.effective) {
      ParseDateLiteral(h.effective->from, h.effective->from_range, &s.effective_from);
      if (h.effective->until) ParseDateLiteral(*h.effective->until, h.effective->until_range, &s.effective_until);
      if (s.effective_from != ir::kNoDate && s.effective_until != ir::kNoDate && s.effective_until < s.effective_from) {
        diags_->Error("E0402", h.effective->range, "`until` is before `effective`");
      }
    }
    info.effective_from = s.effective_from;
    info.effective_until = s.effective_until;
    p_->rulesets.push_back(std::move(info));
    scopes_.push_back(std::move(s));
  }

  // Phase 2: names of layouts, tables, constants and helpers (one namespace per file).
  for (size_t m = 0; m < scopes_.size(); ++m) {
    std::map<std::string, SourceRange> names;
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
      }
    }
  }

  // Phase 3: rule ids, so that rules can refer to each other in any order.
  for (size_t m = 0; m < scopes_.size(); ++m) {
    ModuleScope& s = scopes_[m];
    std::map<std::string, std::pair<SourceRange, bool>> first;  // name -> (where, has effective)
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

  // Phase 4: constants (checked even when unused), then rules.
  for (size_t m = 0; m < scopes_.size(); ++m) {
    for (const auto& [name, decl] : scopes_[m].consts) ResolveConst(static_cast<int>(m), name, decl->name.range);
  }
  for (size_t m = 0; m < scopes_.size(); ++m) {
    std::map<std::string, int> versions;
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

  // Phase 5: tests, and the sources themselves.
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
