#include "ir/sexpr.h"

#include <fmt/format.h>

namespace decree {

const SExpr* SExpr::Find(std::string_view head) const {
  for (const SExpr& i : items) {
    if (i.IsForm(head)) return &i;
  }
  return nullptr;
}

namespace {

void Print(const SExpr& e, std::string* out) {
  switch (e.kind) {
    case SExpr::Kind::kAtom: *out += e.text; return;
    case SExpr::Kind::kString:
      out->push_back('"');
      for (unsigned char c : e.text) {
        switch (c) {
          case '"': *out += "\\\""; break;
          case '\\': *out += "\\\\"; break;
          case '\n': *out += "\\n"; break;
          case '\r': *out += "\\r"; break;
          case '\t': *out += "\\t"; break;
          default:
            if (c < 0x20 || c == 0x7f) {
              *out += fmt::format("\\x{:02x}", c);
            } else {
              out->push_back(static_cast<char>(c));
            }
        }
      }
      out->push_back('"');
      return;
    case SExpr::Kind::kList:
      out->push_back('(');
      for (size_t i = 0; i < e.items.size(); ++i) {
        if (i > 0) out->push_back(' ');
        Print(e.items[i], out);
      }
      out->push_back(')');
      return;
  }
}

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  bool ParseTop(SExpr* out, std::string* error) {
    if (!Parse(out, 0)) {
      *error = error_;
      return false;
    }
    SkipSpace();
    if (pos_ != s_.size()) {
      *error = fmt::format("unexpected text at offset {}", pos_);
      return false;
    }
    return true;
  }

 private:
  void SkipSpace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\t' || s_[pos_] == '\r')) ++pos_;
  }
  bool Fail(std::string msg) {
    error_ = fmt::format("{} at offset {}", msg, pos_);
    return false;
  }
  static int Hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  bool Parse(SExpr* out, int depth) {
    if (depth > kMaxSExprDepth) return Fail("nesting too deep");
    SkipSpace();
    if (pos_ >= s_.size()) return Fail("unexpected end");
    char c = s_[pos_];
    if (c == '(') {
      ++pos_;
      *out = SExpr::List();
      for (;;) {
        SkipSpace();
        if (pos_ >= s_.size()) return Fail("unterminated list");
        if (s_[pos_] == ')') {
          ++pos_;
          return true;
        }
        SExpr item;
        if (!Parse(&item, depth + 1)) return false;
        out->items.push_back(std::move(item));
      }
    }
    if (c == ')') return Fail("unexpected ')'");
    if (c == '"') {
      ++pos_;
      std::string text;
      for (;;) {
        if (pos_ >= s_.size()) return Fail("unterminated string");
        char d = s_[pos_++];
        if (d == '"') break;
        if (d != '\\') {
          text.push_back(d);
          continue;
        }
        if (pos_ >= s_.size()) return Fail("unterminated escape");
        char e = s_[pos_++];
        switch (e) {
          case '"': text.push_back('"'); break;
          case '\\': text.push_back('\\'); break;
          case 'n': text.push_back('\n'); break;
          case 'r': text.push_back('\r'); break;
          case 't': text.push_back('\t'); break;
          case 'x': {
            if (pos_ + 2 > s_.size() || Hex(s_[pos_]) < 0 || Hex(s_[pos_ + 1]) < 0) return Fail("bad \\x escape");
            text.push_back(static_cast<char>(Hex(s_[pos_]) * 16 + Hex(s_[pos_ + 1])));
            pos_ += 2;
            break;
          }
          default: return Fail("unknown escape");
        }
      }
      *out = SExpr::Str(std::move(text));
      return true;
    }
    size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] != ' ' && s_[pos_] != '\n' && s_[pos_] != '\t' &&
           s_[pos_] != '\r' && s_[pos_] != '(' && s_[pos_] != ')' && s_[pos_] != '"') {
      ++pos_;
    }
    *out = SExpr::Atom(std::string(s_.substr(start, pos_ - start)));
    return true;
  }

  std::string_view s_;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace

std::string PrintSExpr(const SExpr& e) {
  std::string out;
  Print(e, &out);
  return out;
}

bool ParseSExpr(std::string_view text, SExpr* out, std::string* error) {
  Parser p(text);
  return p.ParseTop(out, error);
}

}  // namespace decree
