#include "screen/normalize.h"

#include <fmt/format.h>
#include <unicode/normalizer2.h>
#include <unicode/translit.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <array>

namespace decree::screen {
namespace {

// Legal forms dropped from the end of a name, as token sequences (after punctuation became
// breaks: "S.A. DE C.V." is s a de c v).  Longest first.
const std::vector<std::vector<std::string_view>>& LegalForms() {
  static const std::vector<std::vector<std::string_view>> forms = [] {
    std::vector<std::vector<std::string_view>> f = {
        {"s", "a", "de", "c", "v"}, {"sa", "de", "cv"}, {"de", "c", "v"}, {"s", "a", "l"}, {"s", "a", "s"}, {"s", "a", "r", "l"},
        {"s", "r", "l"},           {"s", "p", "a"},     {"s", "a"},       {"c", "v"},      {"b", "v"},      {"n", "v"},
        {"ltd"}, {"limited"}, {"co"}, {"company"}, {"inc"}, {"incorporated"}, {"corp"}, {"corporation"}, {"llc"}, {"llp"},
        {"plc"}, {"sa"}, {"sal"}, {"sas"}, {"sarl"}, {"srl"}, {"spa"}, {"gmbh"}, {"ag"}, {"kg"}, {"jsc"}, {"ojsc"}, {"cjsc"},
        {"pjsc"}, {"zao"}, {"ooo"}, {"oao"}, {"pao"}, {"pte"}, {"pvt"}, {"bv"}, {"nv"}, {"fze"}, {"fzco"}, {"fzc"}, {"fzllc"},
        {"bhd"}, {"sdn"}, {"tbk"}, {"jsc"}, {"lp"}};
    std::stable_sort(f.begin(), f.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
    return f;
  }();
  return forms;
}

constexpr std::array<std::u16string_view, 5> kHanLegalForms = {u"股份有限公司", u"有限责任公司", u"有限公司", u"股份公司", u"公司"};

bool HasHan(const icu::UnicodeString& u) {
  for (int32_t i = 0; i < u.length();) {
    UChar32 c = u.char32At(i);
    if (u_hasBinaryProperty(c, UCHAR_IDEOGRAPHIC)) return true;
    i += U16_LENGTH(c);
  }
  return false;
}

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// Two-character surnames (复姓) that open a name.
constexpr std::array<std::u16string_view, 12> kCompoundSurnames = {u"欧阳", u"司马", u"诸葛", u"上官", u"东方", u"皇甫",
                                                                   u"尉迟", u"公孙", u"慕容", u"令狐", u"司徒", u"夏侯"};

// Each run of Han characters to pinyin, grouped the way names are romanised: a run of two to
// four characters is a personal name, surname then given name written together (张济成 →
// "zhang jicheng", 欧阳修 → "ouyang xiu"); a longer run (a company name) is grouped two
// syllables a word (丹东鸿祥 → "dandong hongxiang").
icu::UnicodeString HanToLatin(const icu::UnicodeString& in, icu::Transliterator& han_latin) {
  icu::UnicodeString out;
  int32_t i = 0;
  while (i < in.length()) {
    UChar32 c = in.char32At(i);
    if (!u_hasBinaryProperty(c, UCHAR_IDEOGRAPHIC)) {
      out.append(c);
      i += U16_LENGTH(c);
      continue;
    }
    int32_t start = i, chars = 0;
    while (i < in.length() && u_hasBinaryProperty(in.char32At(i), UCHAR_IDEOGRAPHIC)) {
      i += U16_LENGTH(in.char32At(i));
      ++chars;
    }
    icu::UnicodeString run(in, start, i - start);
    int32_t surname = 1;
    for (std::u16string_view cs : kCompoundSurnames) {
      if (chars >= 3 && run.startsWith(icu::UnicodeString(cs.data(), static_cast<int32_t>(cs.size())))) surname = 2;
    }
    han_latin.transliterate(run);
    // Syllables are separated by spaces; regroup them.
    std::vector<icu::UnicodeString> syllables;
    for (int32_t k = 0; k < run.length();) {
      int32_t sp = run.indexOf(u' ', k);
      if (sp < 0) sp = run.length();
      if (sp > k) syllables.emplace_back(run, k, sp - k);
      k = sp + 1;
    }
    out.append(u' ');
    for (size_t k = 0; k < syllables.size(); ++k) {
      bool boundary;
      if (chars >= 2 && chars <= 4) {
        boundary = k == static_cast<size_t>(surname);
      } else {
        boundary = k > 0 && k % 2 == 0;
      }
      if (boundary) out.append(u' ');
      out.append(syllables[k]);
    }
    out.append(u' ');
  }
  return out;
}

}  // namespace

std::vector<std::string> NormStepNames(uint16_t steps) {
  static const char* const kNames[] = {"nfkc",     "casefold",    "trad_to_simp", "legal_form",     "han_to_latin",
                                       "to_latin", "diacritics",  "punctuation",  "commercial_code"};
  std::vector<std::string> out;
  for (int i = 0; i < 9; ++i) {
    if (steps & (1u << i)) out.emplace_back(kNames[i]);
  }
  return out;
}

struct NameNormalizer::Icu {
  const icu::Normalizer2* nfkc = nullptr;
  std::unique_ptr<icu::Transliterator> trad_to_simp, han_latin, cyrillic_latin, any_latin, latin_ascii;
};

NameNormalizer::NameNormalizer() : icu_(std::make_unique<Icu>()) {
  UErrorCode err = U_ZERO_ERROR;
  icu_->nfkc = icu::Normalizer2::getNFKCInstance(err);
  auto make = [&](const char* id, std::unique_ptr<icu::Transliterator>* out) {
    if (U_FAILURE(err)) return;
    out->reset(icu::Transliterator::createInstance(icu::UnicodeString::fromUTF8(id), UTRANS_FORWARD, err));
    if (U_FAILURE(err) && status_.ok()) status_ = Status::NotSupported(fmt::format("ICU transform {} is not available: {}", id, u_errorName(err)));
  };
  make("Traditional-Simplified", &icu_->trad_to_simp);
  make("Han-Latin/Names", &icu_->han_latin);
  make("Russian-Latin/BGN", &icu_->cyrillic_latin);
  make("Any-Latin", &icu_->any_latin);
  make("Latin-ASCII", &icu_->latin_ascii);
  if (U_FAILURE(err) && status_.ok()) status_ = Status::NotSupported(fmt::format("ICU normaliser: {}", u_errorName(err)));
}

NameNormalizer::~NameNormalizer() = default;

void NameNormalizer::Normalize(std::string_view name, NormalizedName* out) {
  out->tokens.clear();
  out->steps = 0;
  std::string_view text = name;
  if (!IsAscii(name) && status_.ok()) {
    UErrorCode err = U_ZERO_ERROR;
    icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(name.data(), static_cast<int32_t>(name.size())));
    icu::UnicodeString v = icu_->nfkc->normalize(u, err);
    if (U_SUCCESS(err) && v != u) {
      out->steps |= kStepNfkc;
      u = v;
    }
    v = u;
    v.foldCase();
    if (v != u) {
      out->steps |= kStepCasefold;
      u = v;
    }
    if (HasHan(u)) {
      v = u;
      icu_->trad_to_simp->transliterate(v);
      if (v != u) {
        out->steps |= kStepTradToSimp;
        u = v;
      }
      u.trim();
      for (bool again = true; again;) {
        again = false;
        for (std::u16string_view form : kHanLegalForms) {
          icu::UnicodeString f(form.data(), static_cast<int32_t>(form.size()));
          if (u.length() > f.length() && u.endsWith(f)) {
            u.truncate(u.length() - f.length());
            u.trim();
            out->steps |= kStepLegalForm;
            again = true;
          }
        }
      }
      u = HanToLatin(u, *icu_->han_latin);
      out->steps |= kStepHanToLatin;
    }
    v = u;
    icu_->cyrillic_latin->transliterate(v);  // BGN/PCGN, as sanctions lists romanise Russian names
    icu_->any_latin->transliterate(v);
    if (v != u) {
      out->steps |= kStepToLatin;
      u = v;
    }
    v = u;
    icu_->latin_ascii->transliterate(v);
    if (v != u) {
      out->steps |= kStepDiacritics;
      u = v;
    }
    u.foldCase();  // transliterations may produce capitals
    scratch_.clear();
    u.toUTF8String(scratch_);
    text = scratch_;
  }
  // Tokens: runs of [a-z0-9] and of bytes that stayed non-ASCII; apostrophes vanish; anything
  // else breaks tokens.
  std::string token;
  bool upper = false;
  for (size_t i = 0; i <= text.size(); ++i) {
    unsigned char c = i < text.size() ? static_cast<unsigned char>(text[i]) : ' ';
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<unsigned char>(c + 32);
      upper = true;
    }
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80) {
      token.push_back(static_cast<char>(c));
      continue;
    }
    if (c == '\'' || c == '`') {
      out->steps |= kStepPunctuation;
      continue;
    }
    if (c != ' ' && c != '\t') out->steps |= kStepPunctuation;
    if (!token.empty()) {
      out->tokens.push_back(std::move(token));
      token.clear();
    }
  }
  if (upper) out->steps |= kStepCasefold;
  // Legal forms at the end, never the whole name.
  for (bool again = true; again;) {
    again = false;
    for (const auto& form : LegalForms()) {
      auto& t = out->tokens;
      if (t.size() <= form.size()) continue;
      if (!std::equal(form.begin(), form.end(), t.end() - static_cast<std::ptrdiff_t>(form.size()))) continue;
      t.resize(t.size() - form.size());
      out->steps |= kStepLegalForm;
      again = true;
      break;
    }
  }
}

}  // namespace decree::screen
