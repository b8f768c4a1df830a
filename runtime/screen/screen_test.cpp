// Unit tests of screening: the XML reader, the list loaders, Chinese Commercial Codes, name
// normalisation, the similarity measure, and the index against the all-pairs reference.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <set>

#include "common/sqlite_util.h"
#include "screen/evidence.h"
#include "screen/index.h"
#include "screen/index_file.h"
#include "screen/match.h"
#include "screen/normalize.h"
#include "screen/watchlist.h"
#include "io/xml.h"

namespace decree::screen {
namespace {

// ---------------------------------------------------------------------------------------------
// Loaders

constexpr std::string_view kUn = R"(<?xml version="1.0" encoding="UTF-8"?>
<CONSOLIDATED_LIST>
  <INDIVIDUALS>
    <INDIVIDUAL>
      <FIRST_NAME>AKHMED</FIRST_NAME>
      <SECOND_NAME>RAJAPOVICH</SECOND_NAME>
      <THIRD_NAME>CHATAEV</THIRD_NAME>
      <UN_LIST_TYPE>Al-Qaida</UN_LIST_TYPE>
      <REFERENCE_NUMBER>QDi.365</REFERENCE_NUMBER>
      <NAME_ORIGINAL_SCRIPT>Ахмед Ражапович Чатаев</NAME_ORIGINAL_SCRIPT>
      <NATIONALITY><VALUE>Russian Federation</VALUE></NATIONALITY>
      <INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>Akhmad Shishani</ALIAS_NAME></INDIVIDUAL_ALIAS>
      <INDIVIDUAL_ALIAS><QUALITY/><ALIAS_NAME/></INDIVIDUAL_ALIAS>
      <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>EXACT</TYPE_OF_DATE><DATE>1980-07-14</DATE></INDIVIDUAL_DATE_OF_BIRTH>
    </INDIVIDUAL>
  </INDIVIDUALS>
  <ENTITIES>
    <ENTITY>
      <FIRST_NAME>EMARAT KAVKAZ</FIRST_NAME>
      <REFERENCE_NUMBER>QDe.131</REFERENCE_NUMBER>
      <ENTITY_ALIAS><QUALITY>a.k.a.</QUALITY><ALIAS_NAME>Caucasus Emirate</ALIAS_NAME></ENTITY_ALIAS>
    </ENTITY>
  </ENTITIES>
</CONSOLIDATED_LIST>
)";

TEST(WatchList, LoadsTheUnXml) {
  WatchList list;
  Status st = LoadUnXml(kUn, "un.xml", &list);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(list.list_id, "un-sc");
  ASSERT_EQ(list.entries.size(), 2u);
  const WatchEntry& a = list.entries[0];
  EXPECT_EQ(a.entry_id, "QDi.365");
  EXPECT_EQ(a.entry_type, "individual");
  EXPECT_EQ(a.country, "Russian Federation");
  EXPECT_EQ(a.birth_date, "1980-07-14");
  ASSERT_EQ(a.names.size(), 3u);
  EXPECT_EQ(a.names[0].text, "AKHMED RAJAPOVICH CHATAEV");
  EXPECT_EQ(a.names[1].text, "Ахмед Ражапович Чатаев");
  EXPECT_EQ(a.names[1].source, NameSource::kOriginalScript);
  EXPECT_EQ(a.names[2].text, "Akhmad Shishani");
  EXPECT_EQ(list.entries[1].entry_type, "entity");
  EXPECT_EQ(list.entries[1].names[1].text, "Caucasus Emirate");
}

TEST(WatchList, UnXmlErrorsNameTheLine) {
  WatchList list;
  std::string bad(kUn);
  bad.replace(bad.find("<REFERENCE_NUMBER>QDe.131</REFERENCE_NUMBER>"), 44, "");
  Status st = LoadUnXml(bad, "un.xml", &list);
  EXPECT_EQ(st.message(), "un.xml:line 18: <ENTITY> without a REFERENCE_NUMBER");
  st = LoadUnXml("<CONSOLIDATED_LIST><INDIVIDUALS>\n<INDIVIDUAL></INDIVIDUALS>", "un.xml", &list);
  EXPECT_EQ(st.message(), "un.xml:line 2, column 27: Opening and ending tag mismatch: INDIVIDUAL line 2 and INDIVIDUALS");
  st = LoadUnXml("<html/>", "x.xml", &list);
  EXPECT_NE(st.message().find("expected <CONSOLIDATED_LIST>"), std::string::npos);
}

TEST(WatchList, LoadsOfacWithAliasesAndCommercialCodes) {
  std::string sdn =
      "36,\"AEROCARIBBEAN AIRLINES\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n"
      "16318,\"ZHANG, Lei\",\"individual\",\"SDNTK\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"DOB 03 Jan 1976; Chinese Commercial Code "
      "1728 4320; Linked To: CEC LIMITED.\"\r\n\x1a";
  std::string alt = "36,12,\"aka\",\"AERO-CARIBBEAN\",-0- \r\n";
  std::string add = "36,25,-0- ,\"Havana\",\"Cuba\",-0- \r\n";
  WatchList list;
  Status st = LoadOfacSdn({sdn, "sdn.csv"}, {alt, "alt.csv"}, {add, "add.csv"}, &list);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(list.entries.size(), 2u);
  EXPECT_EQ(list.entries[0].entry_type, "entity");
  EXPECT_EQ(list.entries[0].program, "CUBA");
  EXPECT_EQ(list.entries[0].country, "Cuba");
  ASSERT_EQ(list.entries[0].names.size(), 2u);
  EXPECT_EQ(list.entries[0].names[1].text, "AERO-CARIBBEAN");
  ASSERT_EQ(list.entries[1].names.size(), 2u);
  EXPECT_EQ(list.entries[1].names[1].text, "张磊");
  EXPECT_EQ(list.entries[1].names[1].source, NameSource::kCommercialCode);
}

TEST(WatchList, OfacErrorsNameTheFileAndLine) {
  WatchList list;
  Status st = LoadOfacSdn({"36,\"A\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n37,\"B\",-0-\n", "sdn.csv"}, {}, {}, &list);
  EXPECT_EQ(st.message().substr(0, 33), "sdn.csv:2: 3 fields, an sdn.csv r");
  st = LoadOfacSdn({"36,\"A\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n", "sdn.csv"}, {"99,1,\"aka\",\"X\",-0- \n", "alt.csv"}, {},
                   &list);
  EXPECT_EQ(st.message(), "alt.csv:1: alias of ent_num '99', which sdn.csv does not list");
  st = LoadOfacSdn({"36,\"A\"x,-0-\n", "sdn.csv"}, {}, {}, &list);
  EXPECT_EQ(st.message().substr(0, 10), "sdn.csv:1:");
}

TEST(WatchList, LoadsTheProjectCsvLayout) {
  std::vector<WatchList> lists;
  Status st = LoadWatchlistCsv(
      "list_id,entry_id,entry_type,name,aliases,country,birth_date,program\n"
      "local,L1,individual,王小明,Wang Xiaoming|Xiao-Ming Wang,CN,1970-01-01,internal\n"
      "pep,P1,individual,\"DOE, Jane\",,US,,\n",
      "watchlist.csv", &lists);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(lists.size(), 2u);
  EXPECT_EQ(lists[0].list_id, "local");
  ASSERT_EQ(lists[0].entries[0].names.size(), 3u);
  EXPECT_EQ(lists[0].entries[0].names[2].text, "Xiao-Ming Wang");
  EXPECT_EQ(lists[1].entries[0].names.size(), 1u);
  lists.clear();
  st = LoadWatchlistCsv("list_id,entry_id,entry_type,name\nl,1,individual,A\nl,1,individual,B\n", "w.csv", &lists);
  EXPECT_EQ(st.message(), "w.csv:3: entry 1 of list l listed twice");
  lists.clear();
  st = LoadWatchlistCsv("list_id,entry_id,name\n", "w.csv", &lists);
  EXPECT_NE(st.message().find("no 'entry_type' column"), std::string::npos);
}

TEST(WatchList, DecodesChineseCommercialCodes) {
  std::string han;
  EXPECT_TRUE(DecodeCommercialCode("1728 4320", &han));
  EXPECT_EQ(han, "张磊");
  EXPECT_FALSE(DecodeCommercialCode("1728 43", &han));
  EXPECT_EQ(CommercialCodeNames("DOB 1976; Chinese Commercial Code 1728 4320; alt. Chinese Commercial Code 5170 3057 1344."),
            (std::vector<std::string>{"张磊", "胡永安"}));
}

// ---------------------------------------------------------------------------------------------
// Normalisation

std::string Norm(std::string_view name, std::vector<std::string>* steps = nullptr) {
  static NameNormalizer normalizer;
  NormalizedName n;
  normalizer.Normalize(name, &n);
  std::string out;
  for (const auto& t : n.tokens) out += (out.empty() ? "" : " ") + t;
  if (steps != nullptr) *steps = NormStepNames(n.steps);
  return out;
}

TEST(Normalize, HanNamesBecomePinyinGroupedAsNames) {
  std::vector<std::string> steps;
  EXPECT_EQ(Norm("张磊"), "zhang lei");
  EXPECT_EQ(Norm("張濟成", &steps), "zhang jicheng");
  EXPECT_EQ(steps, (std::vector<std::string>{"trad_to_simp", "han_to_latin", "diacritics"}));
  EXPECT_EQ(Norm("欧阳修"), "ouyang xiu");
  EXPECT_EQ(Norm("丹东鸿祥实业发展有限公司", &steps), "dandong hongxiang shiye fazhan");
  EXPECT_NE(std::find(steps.begin(), steps.end(), "legal_form"), steps.end());
  EXPECT_EQ(Norm("Zhāng Lěi"), "zhang lei");
}

TEST(Normalize, OtherScriptsCaseAccentsPunctuationLegalForms) {
  std::vector<std::string> steps;
  EXPECT_EQ(Norm("Пригожин Евгений Викторович", &steps), "prigozhin yevgeniy viktorovich");
  EXPECT_EQ(steps, (std::vector<std::string>{"casefold", "to_latin"}));
  EXPECT_EQ(Norm("ANGLO-CARIBBEAN CO., LTD.", &steps), "anglo caribbean");
  EXPECT_EQ(steps, (std::vector<std::string>{"casefold", "legal_form", "punctuation"}));
  EXPECT_EQ(Norm("COMERCIAL CIMEX, S.A. DE C.V."), "comercial cimex");
  EXPECT_EQ(Norm("Joaquín Guzmán"), "joaquin guzman");
  EXPECT_EQ(Norm("O'Brien"), "obrien");
  EXPECT_EQ(Norm("ＢＡＮＣＯ　ＤＥ　ＣＵＢＡ", &steps), "banco de cuba");
  EXPECT_EQ(steps.front(), "nfkc");
  EXPECT_EQ(Norm("LTD"), "ltd");  // a legal form alone stays: never the whole name
  EXPECT_EQ(Norm(" ,.- "), "");
}

// ---------------------------------------------------------------------------------------------
// Similarity

TEST(Match, JaroWinklerKnownValues) {
  EXPECT_NEAR(JaroWinkler("martha", "marhta"), 0.9611, 1e-4);
  EXPECT_NEAR(JaroWinkler("dwayne", "duane"), 0.84, 1e-4);
  EXPECT_NEAR(JaroWinkler("dixon", "dicksonx"), 0.8133, 1e-4);
  EXPECT_EQ(JaroWinkler("abc", "xyz"), 0.0);
  EXPECT_EQ(JaroWinkler("same", "same"), 1.0);
}

double Score(std::vector<std::string_view> q, std::vector<std::string_view> e, uint16_t* flags = nullptr) {
  uint16_t f;
  double s = NameScore(q.data(), q.size(), e.data(), e.size(), 0, &f);
  if (flags != nullptr) *flags = f;
  return s;
}

TEST(Match, NameScoreIgnoresOrderAndJoinsSplitWords) {
  uint16_t f;
  EXPECT_EQ(Score({"lei", "zhang"}, {"zhang", "lei"}, &f), 1.0);
  EXPECT_EQ(f, kMatchExact | kMatchReordered);
  EXPECT_EQ(Score({"zhanglei"}, {"zhang", "lei"}, &f), 1.0);
  EXPECT_EQ(f, kMatchJoined);
  EXPECT_EQ(Score({"leizhang"}, {"zhang", "lei"}), 1.0);
  EXPECT_EQ(Score({"zhang", "ji", "cheng"}, {"zhang", "jicheng"}), 1.0);
  EXPECT_LT(Score({"zhanglei"}, {"wei", "zhang"}), 0.8);  // cut along the tokens, lei ≠ wei
  EXPECT_LT(Score({"zheng", "guanghua"}, {"zheng", "guangfu"}), kDefaultThreshold);
  EXPECT_GT(Score({"m", "ali", "khan"}, {"mohammad", "ali", "khan"}, &f), 0.88);
  EXPECT_TRUE(f & kMatchInitial);
  EXPECT_EQ(Score({}, {"a"}), 0.0);
}

TEST(Match, ScoresStayInUnitInterval) {
  std::mt19937 rng(7);
  const char* syllables[] = {"a", "li", "zhang", "mo", "ham", "med", "x", "ov", "ich", "an"};
  for (int i = 0; i < 2000; ++i) {
    std::vector<std::string> a, b;
    for (int k = rng() % 5; k >= 0; --k) a.push_back(std::string(syllables[rng() % 10]) + syllables[rng() % 10]);
    for (int k = rng() % 5; k >= 0; --k) b.push_back(std::string(syllables[rng() % 10]) + syllables[rng() % 10]);
    std::vector<std::string_view> av(a.begin(), a.end()), bv(b.begin(), b.end());
    double s = Score(av, bv);
    ASSERT_GE(s, 0.0);
    ASSERT_LE(s, 1.0);
  }
}

// ---------------------------------------------------------------------------------------------
// The index finds exactly what the all-pairs scan finds.

TEST(Index, SameHitsAsAllPairsOnGeneratedNames) {
  std::mt19937 rng(42);
  const char* parts[] = {"zhang", "wang", "li", "liu", "chen", "yang", "ahmad", "mohammed", "hassan", "ali", "ivan", "petrov",
                         "ov", "ina", "bank", "trading", "kim", "jong", "son", "lei", "wei", "guo", "ying", "al", "rahman"};
  auto word = [&] {
    std::string w = parts[rng() % 25];
    if (rng() % 3 == 0) w += parts[rng() % 25];
    return w;
  };
  WatchList list;
  list.list_id = "gen";
  for (int i = 0; i < 1500; ++i) {
    WatchEntry e;
    e.entry_id = std::to_string(i);
    e.entry_type = "individual";
    int tokens = 1 + static_cast<int>(rng() % 4);
    std::string name;
    for (int t = 0; t < tokens; ++t) name += (t ? " " : "") + word();
    e.names.push_back({name, NameSource::kPrimary});
    list.entries.push_back(e);
  }
  std::vector<WatchList> lists{list};
  std::unique_ptr<ScreeningIndex> index;
  ASSERT_TRUE(ScreeningIndex::Build(lists, &index).ok());
  for (double threshold : {0.85, 0.92}) {
    Screener screener(index.get(), threshold), reference(index.get(), threshold);
    std::vector<ScreenHit> a, b;
    NormalizedName qa, qb;
    size_t total = 0;
    for (int i = 0; i < 500; ++i) {
      // A list name, perturbed: typo, swap, join, initial — or a fresh name.
      std::string q = list.entries[rng() % list.entries.size()].names[0].text;
      switch (rng() % 5) {
        case 0: q[rng() % q.size()] = static_cast<char>('a' + rng() % 26); break;
        case 1: { size_t sp = q.find(' '); if (sp != std::string::npos) q = q.substr(sp + 1) + " " + q.substr(0, sp); } break;
        case 2: { size_t sp = q.find(' '); if (sp != std::string::npos) q.erase(sp, 1); } break;
        case 3: q = q.substr(0, 1) + ". " + q.substr(q.find(' ') == std::string::npos ? 0 : q.find(' ') + 1); break;
        default: q = word() + " " + word(); break;
      }
      screener.Screen(q, &a, &qa);
      reference.AllPairs(q, &b, &qb);
      ASSERT_EQ(a.size(), b.size()) << "query '" << q << "' at " << threshold;
      for (size_t k = 0; k < a.size(); ++k) {
        ASSERT_EQ(a[k].name, b[k].name) << q;
        ASSERT_EQ(a[k].score, b[k].score) << q;
      }
      total += a.size();
    }
    EXPECT_GT(total, 300u) << "the generated queries should hit";
    EXPECT_LT(screener.stats().candidates, reference.stats().candidates / 2)
        << "the index should compare far fewer names than the scan";
  }
}

}  // namespace
}  // namespace decree::screen

namespace decree::screen {
namespace {

// A saved index gives the lists back with every name's normalised form, and the index built
// from it finds exactly the hits of the index built from the list files.
TEST(SavedIndex, RoundTripsAndScreensTheSame) {
  std::vector<WatchList> lists;
  ASSERT_TRUE(LoadWatchlistCsv("list_id,entry_id,entry_type,name,aliases,country,birth_date,program\n"
                               "local,L1,individual,\"YANG, Lei\",楊磊|Lei Yang,CN,1975-04-02,p\n"
                               "local,L2,entity,Yang Lei Trading Co. Ltd.,杨磊贸易有限公司,CN,,p\n"
                               "other,O1,individual,\"BOUT, Viktor Anatolyevich\",Виктор Бут,RU,,q\n"
                               "other,O2,individual,!!!,,,,q\n",
                               "w.csv", &lists)
                  .ok());
  std::unique_ptr<ScreeningIndex> direct;
  ASSERT_TRUE(ScreeningIndex::Build(lists, &direct).ok());
  const std::string path = ::testing::TempDir() + "/saved.dsx";
  ASSERT_TRUE(SaveIndex(*direct, {}, path).ok());
  std::vector<WatchList> loaded;
  ListFormat format;
  ASSERT_TRUE(DetectListFormat(path, &format).ok());
  EXPECT_EQ(format, ListFormat::kSavedIndex);
  Status st = LoadWatchLists(path, &loaded);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(loaded.size(), 2u);
  EXPECT_EQ(loaded[0].list_id, "local");
  ASSERT_EQ(loaded[0].entries.size(), 2u);
  EXPECT_EQ(loaded[0].entries[0].birth_date, "1975-04-02");
  ASSERT_EQ(loaded[0].entries[0].names.size(), 3u);
  EXPECT_EQ(loaded[0].entries[0].names[1].text, "楊磊");
  EXPECT_EQ(loaded[0].entries[0].names[1].source, NameSource::kAlias);
  EXPECT_TRUE(loaded[0].entries[0].names[1].normalized);
  EXPECT_EQ(loaded[0].entries[0].names[1].tokens, (std::vector<std::string>{"yang", "lei"}));
  std::unique_ptr<ScreeningIndex> from_file;
  ASSERT_TRUE(ScreeningIndex::Build(std::move(loaded), &from_file).ok());
  EXPECT_EQ(from_file->names().size(), direct->names().size());
  EXPECT_EQ(from_file->skipped_names(), 1u);  // "!!!" normalises to nothing, as before
  Screener a(direct.get(), 0.85), b(from_file.get(), 0.85);
  std::vector<ScreenHit> ha, hb;
  NormalizedName qa, qb;
  for (const char* q : {"杨磊", "Lei YANG", "杨磊贸易", "Виктор Анатольевич Бут", "Bout Victor", "Wang Fang"}) {
    a.Screen(q, &ha, &qa);
    b.Screen(q, &hb, &qb);
    ASSERT_EQ(ha.size(), hb.size()) << q;
    for (size_t i = 0; i < ha.size(); ++i) {
      EXPECT_EQ(ha[i].name, hb[i].name) << q;
      EXPECT_EQ(ha[i].score, hb[i].score) << q;
    }
  }
  std::remove(path.c_str());
}

TEST(SavedIndex, AnotherSqliteFileIsRefused) {
  const std::string path = ::testing::TempDir() + "/not_an_index.db";
  std::remove(path.c_str());
  {
    SqliteDb db;
    ASSERT_TRUE(db.Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE).ok());
    ASSERT_TRUE(db.Exec("CREATE TABLE meta (key TEXT, value TEXT); INSERT INTO meta VALUES ('format', 'something else')").ok());
  }
  std::vector<WatchList> lists;
  Status st = LoadWatchLists(path, &lists);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("not a saved screening index"), std::string::npos) << st.message();
  std::remove(path.c_str());
}

}  // namespace
}  // namespace decree::screen

namespace decree::screen {
namespace {

// Countries compare as ISO codes, from codes or English names (UN writes names).
TEST(Evidence, CountryCodesFromCodesAndNames) {
  EXPECT_EQ(CountryCode("cn"), "CN");
  EXPECT_EQ(CountryCode(" YE "), "YE");
  EXPECT_EQ(CountryCode("Yemen"), "YE");
  EXPECT_EQ(CountryCode("Iran (Islamic Republic of)"), "IR");
  EXPECT_EQ(CountryCode("the Netherlands"), "NL");
  EXPECT_EQ(CountryCode("Narnia"), "");
  EXPECT_EQ(CountryCode(""), "");
}

}  // namespace
}  // namespace decree::screen

namespace decree::screen {
namespace {

double Aligned(std::vector<std::string_view> q, std::vector<std::string_view> e, uint32_t family_mask = 0,
               std::vector<PartMatch>* parts = nullptr) {
  uint16_t f;
  return NameScore(q.data(), q.size(), e.data(), e.size(), family_mask, &f, parts);
}

// How two parts compare: each kind of match, and what is not one.
TEST(Parts, CompareTokensNamesEachKind) {
  EXPECT_EQ(CompareTokens("ramzi", "ramzi").how, PartHow::kExact);
  EXPECT_EQ(CompareTokens("mohammed", "muhammad").how, PartHow::kEquivalent);
  EXPECT_GE(CompareTokens("mohammed", "muhammad").similarity, kEquivalentSimilarity);
  EXPECT_EQ(CompareTokens("zhang", "chang").how, PartHow::kEquivalent);  // Wade-Giles
  EXPECT_EQ(CompareTokens("sergey", "serhiy").how, PartHow::kEquivalent);
  EXPECT_EQ(CompareTokens("farouk", "faruok").how, PartHow::kTypo);
  EXPECT_GE(CompareTokens("omar", "omra").similarity, kTypoSimilarity);
  EXPECT_EQ(CompareTokens("but", "bout").how, PartHow::kPhonetic);
  EXPECT_EQ(CompareTokens("anatolyevich", "anatolijevitch").how, PartHow::kPhonetic);
  EXPECT_EQ(CompareTokens("k", "karim").how, PartHow::kInitial);
  // Different names: short parts one letter apart, and two names the table knows apart.
  EXPECT_LT(CompareTokens("ali", "wali").similarity, kTokenFloor);
  EXPECT_LT(CompareTokens("lei", "wei").similarity, kTokenFloor);
  EXPECT_LT(CompareTokens("hassan", "hussein").similarity, kTokenFloor);
  EXPECT_NE(CompareTokens("ali", "ala").how, PartHow::kPhonetic);
}

TEST(Parts, PhoneticKeysAndTableLookups) {
  EXPECT_EQ(PhoneticKey("qadhafi"), PhoneticKey("kaddafi"));
  EXPECT_EQ(PhoneticKey("bout"), "bt");
  EXPECT_EQ(PhoneticKey("ab"), "");         // too short
  EXPECT_EQ(PhoneticKey("zhang3"), "");     // not letters
  EXPECT_GE(EquivalenceGroup("usama"), 0);
  EXPECT_EQ(EquivalenceGroup("usama"), EquivalenceGroup("osama"));
  EXPECT_NE(EquivalenceGroup("hasan"), EquivalenceGroup("husayn"));
  EXPECT_EQ(EquivalenceGroup("decree"), -1);
  EXPECT_TRUE(IsPinyinComposed("jianguo"));
  EXPECT_FALSE(IsPinyinComposed("binalshibh"));
}

// Every spelling of the table is in one group only, and every group has two or more.
TEST(Parts, EquivalentsTableIsWellFormed) {
  std::set<std::string> seen;
  for (int g = 0; g < EquivalenceGroupCount(); ++g) {
    const std::vector<std::string>& spellings = EquivalentSpellings(g);
    EXPECT_GE(spellings.size(), 2u);
    for (const std::string& s : spellings) {
      EXPECT_TRUE(seen.insert(s).second) << s << " is in two groups";
      EXPECT_EQ(EquivalenceGroup(s), g) << s;
    }
  }
  EXPECT_GT(seen.size(), 300u);
}

// The alignment's rules, each on the example that motivates it.
TEST(Parts, AlignmentCostsEachKindOfDifference) {
  // A middle name left out costs little once the first given and the family name are there.
  EXPECT_GT(Aligned({"ramzi", "abdullah", "binalshibh"}, {"ramzi", "mohamed", "abdullah", "binalshibh"}), 0.95);
  // An extra part in the query costs much.
  EXPECT_LT(Aligned({"omar", "hasan", "farouk", "zayed"}, {"omar", "hasan", "farouk"}), kDefaultThreshold);
  // A contradicting given name, and a missing first given name (a son named after his father).
  EXPECT_LT(Aligned({"ahmed", "mohamed", "abdullah", "binalshibh"}, {"ramzi", "mohamed", "abdullah", "binalshibh"}), 0.85);
  EXPECT_LT(Aligned({"saddam", "hussein", "al", "tikriti"}, {"uday", "saddam", "hussein", "al", "tikriti"}), kDefaultThreshold);
  // A patronymic chain keeps its order; without the chain the same words would be a match.
  EXPECT_LT(Aligned({"salman", "bin", "muhammad", "al", "rawi"}, {"muhammad", "bin", "salman", "al", "rawi"}), 0.6);
  EXPECT_EQ(Aligned({"salman", "muhammad", "al", "rawi"}, {"muhammad", "salman", "al", "rawi"}), 1.0);
  // A patronymic pairs only with a patronymic.
  EXPECT_LT(Aligned({"ivan", "petrovich", "sidorov"}, {"petr", "ivanovich", "sidorov"}), 0.8);
  // A Chinese given name is one name: leaving a syllable out is not cheap.
  EXPECT_LT(Aligned({"zhang", "jian"}, {"zhang", "jiang", "ping"}, 1u), kDefaultThreshold);
  // "abd al" is "abdul"; OFAC's "FAMILY, Given" family name pairs across the chain.
  EXPECT_EQ(Aligned({"abd", "al", "rahman", "khalil"}, {"abdul", "rahman", "khalil"}), 1.0);
  EXPECT_EQ(Aligned({"abdelbaset", "azzouz"}, {"azzouz", "abd", "al", "baset"}, 1u), 1.0);  // a compound, another spelling
  EXPECT_TRUE(RewritesAbd("abdelbaset"));
  EXPECT_FALSE(RewritesAbd("abdullah"));
  EXPECT_GT(Aligned({"saleck", "ould", "cheikh", "mohamedou"}, {"mohamedou", "saleck", "ould", "cheikh"}, 1u), 0.99);
}

// The explanation adds up: contributions sum to the score, contributions and losses to 1.
TEST(Parts, ExplanationAddsUp) {
  std::vector<PartMatch> parts;
  const double score = Aligned({"ramzi", "abdullah", "binalshibh", "x"}, {"binalshibh", "ramzi", "mohammed", "abdullah"}, 1u, &parts);
  double contributed = 0, lost = 0;
  bool omitted = false, extra = false, family = false;
  for (const PartMatch& p : parts) {
    contributed += p.contribution;
    lost += p.lost;
    omitted |= p.how == PartHow::kOmitted && p.list == "mohammed";
    extra |= p.how == PartHow::kExtra && p.query == "x";
    family |= p.family && p.list == "binalshibh";
  }
  EXPECT_NEAR(contributed, score, 1e-9);
  EXPECT_NEAR(contributed + lost, 1.0, 1e-9);
  EXPECT_TRUE(omitted);
  EXPECT_TRUE(extra);
  EXPECT_TRUE(family);
}

}  // namespace
}  // namespace decree::screen
