#include "syntax/parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "DecreeLexer.h"
#include "DecreeParser.h"
#include "antlr4-runtime.h"
#include "common/utf8.h"
#include "syntax/transformer.h"

namespace decree {

using decree_gen::DecreeLexer;

namespace {

// Thrown by the error listener to stop a parse that has produced too many errors.
struct TooManyErrors {};

SourceRange TokenRange(const antlr4::Token* t, int file) {
  SourceRange r;
  r.file = file;
  r.line = static_cast<int>(t->getLine());
  r.col = static_cast<int>(t->getCharPositionInLine()) + 1;
  if (t->getType() == antlr4::Token::EOF) {
    r.begin = r.end = static_cast<uint32_t>(t->getStartIndex());
    r.end_line = r.line;
    r.end_col = r.col;
    return r;
  }
  r.begin = static_cast<uint32_t>(t->getStartIndex());
  r.end = static_cast<uint32_t>(t->getStopIndex() + 1);
  r.end_line = r.line;
  r.end_col = r.col + static_cast<int>(r.end - r.begin);
  return r;
}

// Human names for token types in "expected ..." lists.
std::string TokenDisplay(const antlr4::dfa::Vocabulary& vocab, size_t type) {
  switch (type) {
    case antlr4::Token::EOF: return "end of file";
    case DecreeLexer::IDENT: return "a name";
    case DecreeLexer::STRING: return "a string";
    case DecreeLexer::NUMBER: return "a number";
    case DecreeLexer::PERCENT: return "a percentage";
    case DecreeLexer::DATE_LIT: return "a date";
    case DecreeLexer::TIMESTAMP_LIT: return "a timestamp";
    default: break;
  }
  std::string lit = vocab.getLiteralName(type);
  if (lit.size() >= 2 && lit.front() == '\'' && lit.back() == '\'') {
    lit.pop_back();
    lit.erase(lit.begin());
    return "`" + lit + "`";
  }
  return vocab.getSymbolicName(type);
}

bool IsSoftKeyword(size_t type) {
  return type >= DecreeLexer::RULESET && type <= DecreeLexer::LIST;
}

std::string DescribeToken(const antlr4::Token* t) {
  if (t == nullptr || t->getType() == antlr4::Token::EOF) return "end of file";
  std::string text = t->getText();
  if (CountCodePoints(text) > 40) {
    size_t cut = 0, n = 0;
    while (cut < text.size() && n < 37) {
      ++cut;
      while (cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) ++cut;
      ++n;
    }
    text = text.substr(0, cut) + "...";
  }
  return "`" + text + "`";
}

class SyntaxErrorListener : public antlr4::BaseErrorListener {
 public:
  SyntaxErrorListener(int file, DiagnosticEngine* diags) : file_(file), diags_(diags) {}

  void syntaxError(antlr4::Recognizer* recognizer, antlr4::Token* offending, size_t line, size_t col,
                   const std::string& msg, std::exception_ptr e) override {
    // Lexical problems were already reported by the token scan; don't pile on.
    if (offending != nullptr) {
      size_t type = offending->getType();
      if (type == DecreeLexer::BAD_CHAR || type == DecreeLexer::UNTERMINATED_STRING ||
          type == DecreeLexer::UNTERMINATED_COMMENT || type == DecreeLexer::TIMESTAMP_NO_OFFSET) {
        return;
      }
    }
    SourceRange r;
    if (offending != nullptr) {
      r = TokenRange(offending, file_);
    } else {
      r.file = file_;
      r.line = r.end_line = static_cast<int>(line);
      r.col = r.end_col = static_cast<int>(col) + 1;
    }
    std::string expected;
    if (auto* parser = dynamic_cast<antlr4::Parser*>(recognizer)) {
      antlr4::misc::IntervalSet set;
      try {
        set = parser->getExpectedTokens();
      } catch (...) {
      }
      std::vector<size_t> types;
      for (ssize_t t : set.toList()) {
        if (t >= 0 || t == static_cast<ssize_t>(antlr4::Token::EOF)) types.push_back(static_cast<size_t>(t));
      }
      bool name_expected = std::find(types.begin(), types.end(), static_cast<size_t>(DecreeLexer::IDENT)) != types.end();
      std::vector<std::string> names;
      std::set<std::string> seen;
      for (size_t t : types) {
        if (name_expected && IsSoftKeyword(t)) continue;  // soft keywords are names too
        std::string n = TokenDisplay(parser->getVocabulary(), t);
        if (seen.insert(n).second) names.push_back(n);
      }
      bool expression = std::find(names.begin(), names.end(), "a number") != names.end() &&
                        std::find(names.begin(), names.end(), "a string") != names.end();
      if (expression) {
        expected = "; expected an expression";
      } else if (names.size() == 1) {
        expected = "; expected " + names[0];
      } else if (!names.empty() && names.size() <= 8) {
        expected = "; expected one of " + fmt::format("{}", fmt::join(names, ", "));
      }
    }
    diags_->Error("E0101", r, fmt::format("syntax error: unexpected {}{}", DescribeToken(offending), expected));
    if (++count_ >= kMaxSyntaxErrors) throw TooManyErrors();
  }

  int count() const { return count_; }

 private:
  int file_;
  DiagnosticEngine* diags_;
  int count_ = 0;
};

SourceRange ByteRange(const SourceFile& f, int file, size_t byte) {
  SourceRange r;
  r.file = file;
  r.line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < byte && i < f.text().size(); ++i) {
    if (f.text()[i] == '\n') {
      ++r.line;
      line_start = i + 1;
    }
  }
  r.col = static_cast<int>(CountCodePoints(std::string_view(f.text()).substr(line_start, byte - line_start))) + 1;
  r.end_line = r.line;
  r.end_col = r.col + 1;
  return r;
}

// Scans all tokens once before parsing: reports lexical errors and refuses input whose size
// or nesting would make the recursive-descent parser slow or overflow its stack.  Returns
// false when the parser must not run.
bool ScanTokens(DecreeLexer* lexer, int file, DiagnosticEngine* diags) {
  size_t count = 0;
  int depth = 0;
  int prefix_run = 0;
  int lexical_errors = 0;
  bool ok = true;
  for (;;) {
    std::unique_ptr<antlr4::Token> t = lexer->nextToken();
    size_t type = t->getType();
    if (type == antlr4::Token::EOF) break;
    if (++count > kMaxTokens) {
      diags->Error("E0109", TokenRange(t.get(), file),
                   fmt::format("source too large: more than {} tokens", kMaxTokens));
      return false;
    }
    if (t->getChannel() != antlr4::Token::DEFAULT_CHANNEL) continue;
    switch (type) {
      case DecreeLexer::BAD_CHAR: {
        std::string text = t->getText();
        uint32_t cp = 0;
        size_t pos = 0;
        DecodeUtf8(text, &pos, &cp);
        std::string shown = cp < 0x20 || cp == 0x7f ? fmt::format("U+{:04X}", cp) : fmt::format("`{}` (U+{:04X})", text, cp);
        diags->Error("E0102", TokenRange(t.get(), file), "unexpected character " + shown);
        ++lexical_errors;
        break;
      }
      case DecreeLexer::UNTERMINATED_STRING:
        diags->Error("E0103", TokenRange(t.get(), file), "unterminated string literal")
            .Help("close the string with `\"` on the same line");
        ++lexical_errors;
        break;
      case DecreeLexer::UNTERMINATED_COMMENT: {
        SourceRange r = TokenRange(t.get(), file);
        r.end = r.begin + 2;
        r.end_line = r.line;
        r.end_col = r.col + 2;
        diags->Error("E0104", r, "unterminated block comment: `/*` without `*/`");
        ++lexical_errors;
        break;
      }
      case DecreeLexer::TIMESTAMP_NO_OFFSET:
        diags->Error("E0107", TokenRange(t.get(), file), "timestamp without a UTC offset")
            .Help("write the offset, e.g. 2026-03-01T10:00:00+08:00 or ...Z");
        ++lexical_errors;
        break;
      case DecreeLexer::LPAREN:
      case DecreeLexer::LBRACE:
      case DecreeLexer::LBRACKET:
        if (++depth > kMaxNesting && ok) {
          diags->Error("E0105", TokenRange(t.get(), file),
                       fmt::format("nested too deeply: more than {} levels of brackets", kMaxNesting));
          ok = false;
        }
        break;
      case DecreeLexer::RPAREN:
      case DecreeLexer::RBRACE:
      case DecreeLexer::RBRACKET:
        if (depth > 0) --depth;
        break;
      default: break;
    }
    if (type == DecreeLexer::NOT || type == DecreeLexer::MINUS || type == DecreeLexer::IF) {
      if (++prefix_run > kMaxNesting && ok) {
        diags->Error("E0105", TokenRange(t.get(), file),
                     fmt::format("nested too deeply: more than {} prefix operators in a row", kMaxNesting));
        ok = false;
      }
    } else if (type != DecreeLexer::LPAREN) {
      prefix_run = 0;
    }
    if (lexical_errors >= kMaxSyntaxErrors) return false;
  }
  return ok;
}

}  // namespace

std::unique_ptr<ast::Module> ParseModule(const SourceManager& sources, int file, DiagnosticEngine* diags) {
  auto module = std::make_unique<ast::Module>();
  module->file = file;
  const size_t errors_before = diags->error_count();
  const SourceFile& f = sources.file(file);
  if (f.text().size() > kMaxSourceBytes) {
    SourceRange r;
    r.file = file;
    r.line = r.col = r.end_line = r.end_col = 1;
    diags->Error("E0109", r, fmt::format("source file too large: {} bytes (the limit is {} bytes)", f.text().size(),
                                         kMaxSourceBytes));
    return module;
  }
  size_t bad = 0;
  if (!IsValidUtf8(f.text(), &bad)) {
    diags->Error("E0100", ByteRange(f, file, bad), fmt::format("invalid UTF-8 at byte offset {}", bad))
        .Help("Decree sources are UTF-8; re-encode the file (e.g. `iconv -f GB18030 -t UTF-8`)");
    return module;
  }
  antlr4::ANTLRInputStream input(f.text());
  DecreeLexer lexer(&input);
  lexer.removeErrorListeners();  // BAD_CHAR makes the lexer total; nothing to listen to
  if (!ScanTokens(&lexer, file, diags)) return module;
  lexer.reset();

  antlr4::CommonTokenStream tokens(&lexer);
  tokens.fill();
  DecreeParser parser(&tokens);
  parser.removeErrorListeners();
  DecreeParser::CompilationUnitContext* tree = nullptr;
  // Stage 1: SLL with bail-out; almost every valid file parses here, fast.
  parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(antlr4::atn::PredictionMode::SLL);
  parser.setErrorHandler(std::make_shared<antlr4::BailErrorStrategy>());
  try {
    tree = parser.compilationUnit();
  } catch (antlr4::ParseCancellationException&) {
    tree = nullptr;
  }
  SyntaxErrorListener listener(file, diags);
  if (tree == nullptr) {
    // Stage 2: full LL with error recovery and our diagnostics.
    tokens.seek(0);
    parser.reset();
    parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(antlr4::atn::PredictionMode::LL);
    parser.setErrorHandler(std::make_shared<antlr4::DefaultErrorStrategy>());
    parser.addErrorListener(&listener);
    try {
      tree = parser.compilationUnit();
    } catch (TooManyErrors&) {
      return module;
    }
  }
  Transformer transformer(f, file, diags);
  transformer.Transform(tree, module.get());
  module->poisoned.assign(module->decls.size(), false);
  for (const Diagnostic& d : diags->Sorted()) {
    if (d.range.file != file || d.code.rfind("E01", 0) != 0) continue;
    for (size_t i = 0; i < module->decls.size(); ++i) {
      SourceRange r = ast::RangeOf(module->decls[i]);
      // The error token may sit just past the declaration the parser gave up on.
      if (d.range.begin >= r.begin && d.range.begin <= r.end + 1) module->poisoned[i] = true;
    }
  }
  // Comments, for the formatter.
  for (antlr4::Token* t : tokens.getTokens()) {
    if (t->getType() == DecreeLexer::LINE_COMMENT || t->getType() == DecreeLexer::BLOCK_COMMENT) {
      ast::Comment c;
      c.range = TokenRange(t, file);
      c.text = t->getText();
      module->comments.push_back(std::move(c));
    }
  }
  if (!module->header && module->decls.empty() && diags->error_count() == errors_before) {
    SourceRange r;
    r.file = file;
    r.line = r.col = r.end_line = r.end_col = 1;
    diags->Error("E0108", r, "empty source: expected a `ruleset` or `module` header")
        .Help("start the file with e.g. `ruleset my.rules` or `module my.common`");
  }
  return module;
}

}  // namespace decree
