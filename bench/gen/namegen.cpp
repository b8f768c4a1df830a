// decree-namegen: the B3 batch — txn_id,customer_name,counterparty_name rows whose counterparty
// names are drawn from a pool of generated names in several scripts and habits (Chinese in
// Han, Western, Russian in Cyrillic, Arabic names romanised, companies with legal forms) with
// a skew (a few counterparties recur often), and a share of names taken from the watch lists
// and disguised the way real data disguises them (case, word order, a typo, words run
// together, punctuation dropped).  Deterministic for a seed.
//
//   decree-namegen --rows 1000000 --lists ../shared/data/watchlists --out b3.csv [--seed 1]
//                  [--pool 200000] [--listed-per-mille 20]
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "screen/watchlist.h"

namespace {

const char* const kHanSurnames[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡",
                                    "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹"};
const char* const kHanGiven[] = {"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
                                 "明", "超", "秀", "霞", "平", "刚", "桂", "英", "华", "建", "国", "文", "辉", "力", "鹏",
                                 "宇", "晨", "思", "雨", "欣", "浩", "博", "佳", "子", "怡"};
const char* const kFirst[] = {"James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William",
                              "Elizabeth", "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
                              "Charles", "Karen", "Daniel", "Nancy", "Matthew", "Lisa", "Anthony", "Betty", "Mark", "Sandra",
                              "Paul", "Ashley", "Hans", "Greta", "Pierre", "Claire", "Luca", "Giulia", "Carlos", "Lucia",
                              "Kenji", "Yuki"};
const char* const kLast[] = {"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
                             "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore",
                             "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez",
                             "Lewis", "Robinson", "Schmidt", "Schneider", "Fischer", "Dubois", "Moreau", "Rossi", "Bianchi",
                             "Tanaka", "Suzuki", "Nakamura"};
const char* const kRuFirst[] = {"Александр", "Сергей", "Дмитрий", "Андрей", "Алексей", "Максим", "Евгений", "Иван",
                                "Михаил", "Николай", "Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Анна"};
const char* const kRuLast[] = {"Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
                               "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров"};
const char* const kArFirst[] = {"Omar", "Yusuf", "Khalid", "Tariq", "Samir", "Nabil", "Karim", "Faisal", "Walid", "Rashid",
                                "Hamza", "Bilal", "Fatima", "Aisha", "Layla", "Mariam", "Zainab", "Huda"};
const char* const kArFamily[] = {"Haddad", "Khoury", "Nasser", "Saleh", "Mansour", "Farouk", "Qasim", "Aziz", "Hamdan",
                                 "Darwish", "Barakat", "Jaber", "Sabbagh", "Awad", "Najjar", "Bakri"};
const char* const kCoWord[] = {"Golden", "Pacific", "Northern", "United", "Global", "Eastern", "Silver", "Royal", "Green",
                               "Summit", "Harbor", "Lotus", "Phoenix", "Dragon", "Star", "Ocean", "Delta", "Prime",
                               "Sunrise", "Crystal"};
const char* const kCoWhat[] = {"Trading", "Logistics", "Textiles", "Electronics", "Foods", "Holdings", "Shipping",
                               "Construction", "Pharma", "Metals", "Software", "Imports", "Garments", "Energy", "Farms"};
const char* const kLegal[] = {"Ltd", "Co., Ltd.", "LLC", "GmbH", "S.A.", "Inc.", "Limited", "Pte Ltd", "有限公司", "JSC"};

template <size_t N>
const char* Pick(const char* const (&a)[N], std::mt19937_64& rng) {
  return a[rng() % N];
}

std::string GeneratedName(std::mt19937_64& rng) {
  switch (rng() % 10) {
    case 0: case 1: case 2: {  // Chinese, in Han
      std::string n = Pick(kHanSurnames, rng);
      n += Pick(kHanGiven, rng);
      if (rng() % 3) n += Pick(kHanGiven, rng);
      return n;
    }
    case 3: case 4:
      return fmt::format("{} {}", Pick(kFirst, rng), Pick(kLast, rng));
    case 5:
      return fmt::format("{}, {}", Pick(kLast, rng), Pick(kFirst, rng));
    case 6:
      return fmt::format("{} {}", Pick(kRuLast, rng), Pick(kRuFirst, rng));
    case 7:
      return fmt::format("{} {} {}", Pick(kArFirst, rng), Pick(kArFirst, rng), Pick(kArFamily, rng));
    default: {
      std::string legal = Pick(kLegal, rng);
      return fmt::format("{} {}{}{}", Pick(kCoWord, rng), Pick(kCoWhat, rng), legal == std::string("有限公司") ? "" : " ", legal);
    }
  }
}

// A list name disguised as data would carry it.
std::string Disguise(std::string name, std::mt19937_64& rng) {
  switch (rng() % 6) {
    case 0: return name;
    case 1:
      for (char& c : name) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
      }
      return name;
    case 2: {  // "LAST, First" -> "First LAST"
      size_t comma = name.find(", ");
      if (comma != std::string::npos) return name.substr(comma + 2) + " " + name.substr(0, comma);
      return name;
    }
    case 3: {  // a typo in an ASCII letter
      for (int tries = 0; tries < 8; ++tries) {
        size_t at = rng() % name.size();
        if ((name[at] | 0x20) >= 'a' && (name[at] | 0x20) <= 'z') {
          name[at] = static_cast<char>((name[at] & 0x20) | ('A' + rng() % 26));
          break;
        }
      }
      return name;
    }
    case 4: {  // words run together
      std::string out;
      for (char c : name) {
        if (c != ' ') out.push_back(c);
      }
      return out;
    }
    default: {  // punctuation dropped
      std::string out;
      for (char c : name) {
        if (c != ',' && c != '.' && c != '-' && c != '\'') out.push_back(c);
      }
      return out;
    }
  }
}

std::string Csv(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t rows = 0, seed = 1, pool = 200000, listed_per_mille = 20;
  std::string lists, out;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) {
      fmt::print(stderr, "decree-namegen: {} needs a value\n", a);
      return 2;
    }
    std::string v = argv[++i];
    if (a == "--rows") rows = std::strtoull(v.c_str(), nullptr, 10);
    else if (a == "--seed") seed = std::strtoull(v.c_str(), nullptr, 10);
    else if (a == "--pool") pool = std::strtoull(v.c_str(), nullptr, 10);
    else if (a == "--listed-per-mille") listed_per_mille = std::strtoull(v.c_str(), nullptr, 10);
    else if (a == "--lists") lists = v;
    else if (a == "--out") out = v;
    else {
      fmt::print(stderr, "decree-namegen: unknown option {}\n", a);
      return 2;
    }
  }
  if (rows == 0 || lists.empty() || out.empty() || pool == 0) {
    fmt::print(stderr, "usage: decree-namegen --rows N --lists DIR --out FILE [--seed S] [--pool N] [--listed-per-mille N]\n");
    return 2;
  }
  std::vector<decree::screen::WatchList> loaded;
  for (const char* f : {"/un_consolidated.xml", "/ofac_sdn.csv"}) {
    decree::Status st = decree::screen::LoadWatchLists(lists + f, &loaded);
    if (!st.ok()) {
      fmt::print(stderr, "decree-namegen: {}\n", st.message());
      return 1;
    }
  }
  std::vector<const std::string*> list_names;
  for (const auto& l : loaded) {
    for (const auto& e : l.entries) {
      for (const auto& n : e.names) list_names.push_back(&n.text);
    }
  }
  std::mt19937_64 rng(seed);
  std::vector<std::string> names(pool);
  for (auto& n : names) n = GeneratedName(rng);
  FILE* f = std::fopen(out.c_str(), "wb");
  if (f == nullptr) {
    fmt::print(stderr, "decree-namegen: cannot write {}\n", out);
    return 1;
  }
  std::fputs("txn_id,customer_name,counterparty_name\n", f);
  std::string line;
  for (uint64_t r = 0; r < rows; ++r) {
    std::string counterparty;
    if (rng() % 1000 < listed_per_mille) {
      counterparty = Disguise(*list_names[rng() % list_names.size()], rng);
    } else {
      // Skewed: the square of a uniform variate favours the pool's first names.
      double u = std::uniform_real_distribution<double>(0, 1)(rng);
      counterparty = names[static_cast<size_t>(u * u * static_cast<double>(pool))];
    }
    line = fmt::format("T{:09},{},{}\n", r + 1, Csv(names[rng() % pool]), Csv(counterparty));
    std::fputs(line.c_str(), f);
  }
  if (std::fclose(f) != 0) {
    fmt::print(stderr, "decree-namegen: cannot write {}\n", out);
    return 1;
  }
  return 0;
}
