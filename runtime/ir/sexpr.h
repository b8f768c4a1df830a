// A minimal S-expression tree: the text encoding of the IR inside the rule library.
//
//   sexpr  := atom | string | '(' sexpr* ')'
//   atom   := one or more characters other than whitespace, '(', ')', '"'
//   string := '"' (char | '\\' ('"' | '\\' | 'n' | 'r' | 't' | 'x' hex hex))* '"'
//
// Parsing is bounded: nesting deeper than kMaxSExprDepth is an error, not a stack overflow.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace decree {

// The parser recurses once per level.  Rule IR nests about as deep as its source expression
// (at most kMaxNesting = 256 levels, compiler/syntax/parser.h) plus a few levels of structure;
// 512 leaves room for that and keeps the recursion within a thread's stack even in a
// sanitizer build, whose frames are several times larger (2048 overflowed 8 MiB under ASan).
inline constexpr int kMaxSExprDepth = 512;

struct SExpr {
  enum class Kind { kAtom, kString, kList };
  Kind kind = Kind::kList;
  std::string text;
  std::vector<SExpr> items;

  static SExpr Atom(std::string s) { SExpr e; e.kind = Kind::kAtom; e.text = std::move(s); return e; }
  static SExpr Str(std::string s) { SExpr e; e.kind = Kind::kString; e.text = std::move(s); return e; }
  static SExpr List(std::vector<SExpr> items = {}) { SExpr e; e.items = std::move(items); return e; }

  bool is_list() const { return kind == Kind::kList; }
  // A list whose first item is the atom `head`.
  bool IsForm(std::string_view head) const {
    return is_list() && !items.empty() && items[0].kind == Kind::kAtom && items[0].text == head;
  }
  // The first sub-list of this list whose head is `head`, or nullptr.
  const SExpr* Find(std::string_view head) const;
  void Add(SExpr e) { items.push_back(std::move(e)); }
};

std::string PrintSExpr(const SExpr& e);
bool ParseSExpr(std::string_view text, SExpr* out, std::string* error);

}  // namespace decree
