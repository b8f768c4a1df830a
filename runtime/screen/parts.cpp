// Comparing two name parts (match.h): the equivalents table, transpositions, the phonetic key.
#include <algorithm>
#include <array>
#include <cstdlib>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "screen/match.h"

namespace decree::screen {
namespace {

constexpr std::string_view kEquivalentsText =
#include "name_equivalents.inc"
    ;

struct Equivalents {
  std::vector<std::vector<std::string>> groups;
  std::unordered_map<std::string_view, int> group_of;  // views of `groups`, made once it is complete
};

// Parsed once; a spelling in two groups is a defect of the table (screen_test checks none is).
const Equivalents& Table() {
  static const Equivalents table = [] {
    Equivalents t;
    std::string_view text = kEquivalentsText;
    while (!text.empty()) {
      size_t nl = text.find('\n');
      std::string_view line = text.substr(0, nl);
      text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
      if (line.empty() || line[0] == '#') continue;
      std::vector<std::string> group;
      for (size_t at = 0; at < line.size();) {
        size_t end = line.find(' ', at);
        if (end == std::string_view::npos) end = line.size();
        if (end > at) group.emplace_back(line.substr(at, end - at));
        at = end + 1;
      }
      if (group.size() < 2) continue;
      t.groups.push_back(std::move(group));
    }
    for (size_t id = 0; id < t.groups.size(); ++id) {
      for (const std::string& g : t.groups[id]) t.group_of.emplace(g, static_cast<int>(id));  // the first group keeps a duplicate
    }
    return t;
  }();
  return table;
}

// Hanyu Pinyin syllables without tones (ü as v), space-separated.
constexpr std::string_view kPinyin =
    "a ai an ang ao ba bai ban bang bao bei ben beng bi bian biao bie bin bing bo bu ca cai can "
    "cang cao ce cen ceng cha chai chan chang chao che chen cheng chi chong chou chu chua chuai "
    "chuan chuang chui chun chuo ci cong cou cu cuan cui cun cuo da dai dan dang dao de dei den "
    "deng di dian diao die ding diu dong dou du duan dui dun duo e ei en eng er fa fan fang fei "
    "fen feng fo fou fu ga gai gan gang gao ge gei gen geng gong gou gu gua guai guan guang gui "
    "gun guo ha hai han hang hao he hei hen heng hong hou hu hua huai huan huang hui hun huo ji "
    "jia jian jiang jiao jie jin jing jiong jiu ju juan jue jun ka kai kan kang kao ke ken keng "
    "kong kou ku kua kuai kuan kuang kui kun kuo la lai lan lang lao le lei leng li lia lian "
    "liang liao lie lin ling liu long lou lu luan lun luo lv lve ma mai man mang mao me mei men "
    "meng mi mian miao mie min ming miu mo mou mu na nai nan nang nao ne nei nen neng ni nian "
    "niang niao nie nin ning niu nong nou nu nuan nuo nv nve o ou pa pai pan pang pao pei pen "
    "peng pi pian piao pie pin ping po pou pu qi qia qian qiang qiao qie qin qing qiong qiu qu "
    "quan que qun ran rang rao re ren reng ri rong rou ru ruan rui run ruo sa sai san sang sao "
    "se sen seng sha shai shan shang shao she shei shen sheng shi shou shu shua shuai shuan "
    "shuang shui shun shuo si song sou su suan sui sun suo ta tai tan tang tao te teng ti tian "
    "tiao tie ting tong tou tu tuan tui tun tuo wa wai wan wang wei wen weng wo wu xi xia xian "
    "xiang xiao xie xin xing xiong xiu xu xuan xue xun ya yan yang yao ye yi yin ying yo yong "
    "you yu yuan yue yun za zai zan zang zao ze zei zen zeng zha zhai zhan zhang zhao zhe zhei "
    "zhen zheng zhi zhong zhou zhu zhua zhuai zhuan zhuang zhui zhun zhuo zi zong zou zu zuan "
    "zui zun zuo ";

bool IsPinyinSyllable(std::string_view t) {
  static const std::unordered_map<std::string_view, bool> syllables = [] {
    std::unordered_map<std::string_view, bool> m;
    for (size_t at = 0; at < kPinyin.size();) {
      size_t end = kPinyin.find(' ', at);
      if (end == std::string_view::npos) end = kPinyin.size();
      if (end > at) m.emplace(kPinyin.substr(at, end - at), true);
      at = end + 1;
    }
    return m;
  }();
  return syllables.count(t) > 0;
}

// Levenshtein distance of two short strings (at most kMaxCompare bytes each).
size_t EditDistance(std::string_view a, std::string_view b) {
  std::array<size_t, kMaxCompare + 1> row;
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

bool IsVowel(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y'; }

// One pair of adjacent letters swapped, the rest equal.
bool IsTransposition(std::string_view a, std::string_view b) {
  if (a.size() != b.size() || a.size() < 3) return false;
  size_t i = 0;
  while (i < a.size() && a[i] == b[i]) ++i;
  if (i + 1 >= a.size() || a[i] != b[i + 1] || a[i + 1] != b[i] || a[i] == a[i + 1]) return false;
  return a.substr(i + 2) == b.substr(i + 2);
}

}  // namespace

int EquivalenceGroup(std::string_view token) {
  const Equivalents& t = Table();
  auto it = t.group_of.find(token);
  return it == t.group_of.end() ? -1 : it->second;
}

const std::vector<std::string>& EquivalentSpellings(int group) { return Table().groups[static_cast<size_t>(group)]; }

int EquivalenceGroupCount() { return static_cast<int>(Table().groups.size()); }

std::string PhoneticKey(std::string_view t) {
  if (t.size() < 3 || t.size() > kMaxCompare) return {};
  for (char c : t) {
    if (c < 'a' || c > 'z') return {};
  }
  std::string key;
  auto put = [&](char c) {
    if (key.empty() || key.back() != c) key.push_back(c);
  };
  for (size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    const char next = i + 1 < t.size() ? t[i + 1] : '\0';
    // "j" after a vowel is a glide ("anatolijevich" / "anatolyevich"); "tch" is "ch".
    const bool glide = c == 'j' && i > 0 && IsVowel(t[i - 1]);
    if (c == 't' && next == 'c' && i + 2 < t.size() && t[i + 2] == 'h') continue;
    if (IsVowel(c) || glide) {  // vowels vary most between romanisations: only an initial one counts
      if (i == 0) put('a');
      continue;
    }
    char out = c;
    switch (c) {
      case 'p': out = next == 'h' ? (++i, 'f') : 'p'; break;
      case 'c':
        if (next == 'h') { out = 'x'; ++i; }
        else if (next == 'k') { out = 'k'; ++i; }
        else out = next == 'e' || next == 'i' || next == 'y' ? 's' : 'k';
        break;
      case 'q': out = 'k'; break;
      case 'x': put('k'); out = 's'; break;
      case 'z': out = next == 'h' ? (++i, 'j') : 's'; break;
      case 's': out = next == 'h' ? (++i, 'x') : 's'; break;
      case 'w': out = 'v'; break;
      case 'd': case 't': case 'k': case 'g':
        if (next == 'h') ++i;  // dh, th, kh, gh: the stop
        break;
      case 'h':
        if (i > 0) continue;  // silent after the first letter
        break;
      default: break;
    }
    put(out);
  }
  return key.size() >= 2 ? key : std::string();
}

bool IsArticle(std::string_view t) {
  static constexpr std::string_view kArticles[] = {"al", "el", "ad", "ud", "ar", "ur", "as", "us", "az", "an", "ash", "at", "ath"};
  return std::find(std::begin(kArticles), std::end(kArticles), t) != std::end(kArticles);
}

bool IsPinyinComposed(std::string_view t) {
  if (IsPinyinSyllable(t)) return true;
  for (size_t k = 1; k < t.size(); ++k) {
    if (IsPinyinSyllable(t.substr(0, k)) && IsPinyinSyllable(t.substr(k))) return true;
  }
  return false;
}

bool IsChainParticle(std::string_view t) {
  return t == "bin" || t == "ibn" || t == "ben" || t == "bint" || t == "binti" || t == "ould";
}

double TokenSimilarity(std::string_view q, std::string_view e) {
  if (q == e) return 1.0;
  // Nothing below raises a Jaro-Winkler this high: the lookups' common case, without the table.
  const double jw = JaroWinkler(q, e);
  if (jw >= kEquivalentSimilarity) return jw;
  return CompareTokens(q, e).similarity;
}

TokenMatch CompareTokens(std::string_view q, std::string_view e) { return CompareTokens(q, e, EquivalenceGroup(q), EquivalenceGroup(e)); }

TokenMatch CompareTokens(std::string_view q, std::string_view e, int gq, int ge) {
  if (q == e) return {1.0, PartHow::kExact};
  const double jw = JaroWinkler(q, e);
  if ((q.size() == 1 && e.size() > 1 && e[0] == q[0]) || (e.size() == 1 && q.size() > 1 && q[0] == e[0])) {
    return {std::max(jw, kInitialSimilarity), PartHow::kInitial};
  }
  if (gq >= 0 && gq == ge) return {std::max(jw, kEquivalentSimilarity), PartHow::kEquivalent};
  // Two names the table knows, in different groups, are different names however alike they
  // are written ("abdul" and "abdullah", "hasan" and "husayn"): never paired.
  if (gq >= 0 && ge >= 0) return {std::min(jw, kTokenFloor - 0.01), PartHow::kSimilar};
  if (IsTransposition(q, e)) return {std::max(jw, q.size() == 3 ? kTypoSimilarity3 : kTypoSimilarity), PartHow::kTypo};
  // Short parts must also end alike ("but" / "bout", not "ali" / "ala").
  const bool ends_alike = std::min(q.size(), e.size()) > 4 || q.back() == e.back();
  // Pinyin is already a phonetic spelling, whose vowels tell syllables apart ("qiang" and
  // "quanguo" share a consonant skeleton): two pinyin parts are never phonetic twins.
  if (jw >= kTokenFloor && jw < kPhoneticSimilarity && ends_alike && !(IsPinyinComposed(q) && IsPinyinComposed(e))) {
    const std::string kq = PhoneticKey(q);
    if (!kq.empty() && kq == PhoneticKey(e)) return {kPhoneticSimilarity, PartHow::kPhonetic};
  }
  if (std::min(q.size(), e.size()) <= 4 && q.size() <= kMaxCompare && e.size() <= kMaxCompare) {
    const double edits = static_cast<double>(EditDistance(q, e)) / static_cast<double>(std::max(q.size(), e.size()));
    return {std::min(jw, 1.0 - edits), PartHow::kSimilar};
  }
  return {jw, PartHow::kSimilar};
}

}  // namespace decree::screen
