#include "gen/generator.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdio>

#include "decree/json.h"

namespace decree::bench {

namespace {

// xoshiro256** seeded by splitmix64: fast, deterministic across platforms.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (uint64_t& s : s_) {
      seed += 0x9E3779B97F4A7C15ULL;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
      s = z ^ (z >> 31);
    }
  }
  uint64_t Next() {
    uint64_t r = Rotl(s_[1] * 5, 7) * 9, t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return r;
  }
  uint64_t Below(uint64_t n) { return Next() % n; }
  bool Chance(int percent_times_10) { return Below(1000) < static_cast<uint64_t>(percent_times_10); }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

struct Currency {
  const char* code;
  int decimals;
  int64_t usd_micro;  // USD per unit, 6 decimals
};
constexpr std::array<Currency, 6> kCurrencies = {{
    {"CNY", 2, 138000}, {"USD", 2, 1000000}, {"EUR", 2, 1080000}, {"HKD", 2, 128000}, {"JPY", 0, 6700}, {"GBP", 2, 1270000}}};

const char* kSurnames[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"};
const char* kGiven[] = {"伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "军", "强"};
const char* kLatin[] = {"Smith", "Garcia", "Tanaka", "Müller", "Nguyen", "Kim", "Ivanov", "Rossi", "Dubois", "Silva"};
const char* kCompanies[] = {"贸易有限公司", "Trading Co., Ltd.", "实业有限公司", "Holdings Ltd", "物流有限公司", "GmbH"};
const char* kCountries[] = {"CN", "CN", "CN", "CN", "CN", "CN", "CN", "CN", "HK", "US", "SG", "GB", "DE", "JP"};
const char* kExemptions[] = {"deposit_rollover", "interbank", "internal_transfer", "fiscal_agency", "fx_conversion"};
const char* kPurposes[] = {"货款", "salary", "房租", "investment", "tuition", "loan repayment", "服务费", ""};

// Days from 1970-01-01 of 2026-03-01.
constexpr int64_t kStartDay = 20513;

std::string Date(int64_t days) {
  // civil_from_days
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  uint64_t doe = static_cast<uint64_t>(z - era * 146097);
  uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = static_cast<int64_t>(yoe) + era * 400;
  uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  uint64_t mp = (5 * doy + 2) / 153;
  uint64_t d = doy - (153 * mp + 2) / 5 + 1;
  uint64_t m = mp < 10 ? mp + 3 : mp - 9;
  return fmt::format("{:04d}-{:02d}-{:02d}", y + (m <= 2), m, d);
}

// An instant (seconds since the epoch) written with one of the offsets banks export.
std::string Timestamp(int64_t utc_seconds, int offset_minutes) {
  int64_t local = utc_seconds + offset_minutes * 60;
  int64_t day = local >= 0 ? local / 86400 : (local - 86399) / 86400;
  int64_t s = local - day * 86400;
  std::string out = Date(day) + fmt::format("T{:02d}:{:02d}:{:02d}", s / 3600, (s / 60) % 60, s % 60);
  if (offset_minutes == 0) return out + "Z";
  int a = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  return out + fmt::format("{}{:02d}:{:02d}", offset_minutes < 0 ? '-' : '+', a / 60, a % 60);
}

std::string Amount(int64_t minor, int decimals) {
  if (decimals == 0) return std::to_string(minor);
  return fmt::format("{}.{:02d}", minor / 100, minor % 100);
}

class Generator {
 public:
  explicit Generator(const GenOptions& o) : o_(o), rng_(o.seed), customers_(o.customers > 0 ? o.customers : DefaultCustomers(o)) {}

  static uint64_t DefaultCustomers(const GenOptions& o) {
    const uint64_t per = o.mix == Mix::kRetail ? 4 : o.mix == Mix::kHeavy ? 400 : 40;
    return std::max<uint64_t>(20, o.rows / per);
  }

  void Run(const std::function<void(const GeneratedRow&)>& emit) {
    uint64_t n = 0;
    while (n < o_.rows) {
      if (o_.flow_permille > 0 && rng_.Below(1000) < static_cast<uint64_t>(o_.flow_permille)) {
        PlantFlow(&n, emit);
        continue;
      }
      uint64_t c = rng_.Below(customers_);
      int64_t day = kStartDay + static_cast<int64_t>(rng_.Below(static_cast<uint64_t>(o_.days)));
      // Most rows are single transactions; some customers produce a burst that only crosses a
      // threshold when totalled, or an AML pattern.
      uint64_t kind = rng_.Below(100);
      if (o_.mix == Mix::kRetail) kind = kind < 97 ? 0 : kind;  // bursts and patterns are rare
      int burst = kind < 70 ? 1 : kind < 88 ? 2 + static_cast<int>(rng_.Below(3)) : 4 + static_cast<int>(rng_.Below(6));
      bool pattern = o_.aml_patterns && kind >= 88;
      Profile p = Customer(c);
      int64_t start = (day - 0) * 86400 - 8 * 3600 + static_cast<int64_t>(rng_.Below(86400));  // a Beijing day
      std::string channel = o_.transfers_only ? "transfer" : Channel();
      std::string currency_hint = o_.transfers_only || rng_.Chance(800) ? "CNY" : "";
      for (int i = 0; i < burst && n < o_.rows; ++i, ++n) {
        GeneratedRow r;
        int64_t t = start + (pattern ? static_cast<int64_t>(rng_.Below(6 * 3600)) : static_cast<int64_t>(rng_.Below(3600 * 10)));
        Fill(&r, n, c, p, t, pattern || o_.transfers_only ? channel : Channel(), currency_hint, pattern, i);
        if (o_.transfers_only) {
          r.direction = "out";
          r.counterparty_account = Account(rng_.Below(customers_));
        } else if (o_.flow_permille > 0 && r.channel == "transfer" && r.direction == "out" && r.currency == "CNY" && rng_.Chance(30)) {
          r.counterparty_account = Account(rng_.Below(customers_));  // a chance link
        }
        emit(r);
      }
    }
  }

 private:
  struct Profile {
    bool entity;
    std::string name;
  };

  std::string Account(uint64_t c) const { return fmt::format("62{:012d}", c * 7 + 3); }

  // One planted flow: hops (paying customer, receiving customer, gap from the previous hop in
  // seconds, amount in fen) written as transfers out in CNY.
  void PlantFlow(uint64_t* n, const std::function<void(const GeneratedRow&)>& emit) {
    constexpr int64_t kHour = 3600, kLink = 48 * kHour, kWeek = 7 * 24 * kHour;
    uint64_t kind = rng_.Below(10);
    int hops = kind >= 3 && kind <= 4 ? 2 + static_cast<int>(rng_.Below(5)) : 3 + static_cast<int>(rng_.Below(6));
    if (kind == 9) hops = 5;
    std::vector<uint64_t> accounts;
    while (accounts.size() < static_cast<size_t>(hops) + 1) {
      uint64_t c = rng_.Below(customers_);
      if (std::find(accounts.begin(), accounts.end(), c) == accounts.end()) accounts.push_back(c);
    }
    bool cycle = kind == 3 || kind == 4 || kind == 9;
    if (cycle) accounts.back() = accounts.front();
    if (kind == 8) accounts[3] = accounts[1];  // a repeated account
    int64_t t = (kStartDay + static_cast<int64_t>(rng_.Below(static_cast<uint64_t>(o_.days)))) * 86400 - 8 * kHour +
                static_cast<int64_t>(rng_.Below(86400));
    int64_t amount = 5000000 + static_cast<int64_t>(rng_.Below(45000000));
    int64_t first = t;
    int odd = 1 + static_cast<int>(rng_.Below(static_cast<uint64_t>(hops - 1)));  // the hop a boundary case bends
    for (int h = 0; h < hops; ++h) {
      if (h > 0) {
        int64_t gap = kHour + static_cast<int64_t>(rng_.Below(cycle ? 30 * kHour : 46 * kHour));
        if (kind == 9) gap = 42 * kHour;
        if (kind == 5 && h == odd) gap = kLink;        // exactly 48 hours: linked
        if (kind == 6 && h == odd) gap = kLink + 1;    // a second more: not
        t += gap;
        int64_t keep = amount * (85 + static_cast<int64_t>(rng_.Below(16))) / 100;
        if (kind == 5 && h == odd) keep = amount * 8 / 10 + (amount * 8 % 10 != 0);  // the least 80 % allows
        if (kind == 7 && h == odd) keep = (amount * 8 + 9) / 10 - 1;                    // one fen under 80 %
        amount = std::max<int64_t>(keep, 1);
      }
      if (kind == 9 && h == hops - 1) t = first + kWeek + static_cast<int64_t>(rng_.Below(2));  // closing at 7 days, or 7 days + 1 s
      GeneratedRow r;
      uint64_t c = accounts[h];
      Profile p = Customer(c);
      r.txn_id = fmt::format("T{:09d}", ++*n);
      r.booked_at = Timestamp(t, 480);
      r.customer_id = fmt::format("C{:07d}", c);
      r.customer_type = p.entity ? "entity" : "person";
      r.customer_name = p.name;
      r.account_id = Account(c);
      r.direction = "out";
      r.amount = Amount(amount, 2);
      r.currency = "CNY";
      r.channel = "transfer";
      r.cross_border = "false";
      uint64_t to = accounts[h + 1];
      r.counterparty_id = fmt::format("C{:07d}", to);
      r.counterparty_name = Customer(to).name;
      r.counterparty_account = Account(to);
      r.counterparty_type = Customer(to).entity ? "entity" : "person";
      r.counterparty_country = "CN";
      r.purpose = kPurposes[rng_.Below(8)];
      emit(r);
      if (*n >= o_.rows) return;
    }
  }

  Profile Customer(uint64_t c) {
    Rng r(o_.seed * 1000003 + c);  // a customer's profile is a function of its number
    Profile p;
    p.entity = r.Below(100) < 30;
    if (p.entity) {
      p.name = std::string(kSurnames[r.Below(10)]) + kGiven[r.Below(12)] + kCompanies[r.Below(6)];
    } else if (r.Below(100) < 80) {
      p.name = std::string(kSurnames[r.Below(10)]) + kGiven[r.Below(12)] + (r.Below(2) ? kGiven[r.Below(12)] : "");
    } else {
      p.name = std::string(kLatin[r.Below(10)]) + ", " + kLatin[r.Below(10)];
    }
    return p;
  }

  std::string Channel() {
    uint64_t x = rng_.Below(100);
    return x < 35 ? "cash" : x < 80 ? "transfer" : "card";
  }

  // Amounts (in minor units) dense around the thresholds of the channel and customer kind.
  int64_t Pick(const std::string& channel, bool entity, bool cross_border, const Currency& cur, bool pattern, int i) {
    if (o_.mix == Mix::kRetail && !pattern && !rng_.Chance(20)) {  // 98 %: everyday amounts, 10–2,000 units
      return 1000 + static_cast<int64_t>(rng_.Below(199000));
    }
    if (cur.decimals == 0) {  // JPY: whole yen around 1.5 million (10,000 USD)
      int64_t base = rng_.Chance(500) ? 1490000 + static_cast<int64_t>(rng_.Below(20001)) : 10000 + static_cast<int64_t>(rng_.Below(1500000));
      return base;
    }
    if (std::string(cur.code) != "CNY") {
      // Foreign currency: around 10,000 / 100,000 / 200,000 USD equivalents.
      int64_t usd_target = channel == "cash" || cross_border ? 1000000 : entity ? 20000000 : 10000000;  // cents
      int64_t usd = rng_.Chance(500) ? usd_target - 50000 + static_cast<int64_t>(rng_.Below(100001))
                                     : static_cast<int64_t>(rng_.Below(static_cast<uint64_t>(usd_target))) / 2;
      return usd * 1000000 / cur.usd_micro + 1;
    }
    int64_t threshold = channel == "cash" ? 5000000 : !entity ? (cross_border ? 20000000 : 50000000) : 200000000;
    if (o_.mix == Mix::kHeavy && !pattern && rng_.Below(100) < 60) {  // 60 %: at or over the threshold
      return threshold + static_cast<int64_t>(rng_.Below(static_cast<uint64_t>(threshold)));
    }
    if (pattern && channel == "cash") return 4500000 + static_cast<int64_t>(rng_.Below(500000));  // 45,000-49,999.99
    if (pattern && rng_.Chance(400)) return (1 + static_cast<int64_t>(rng_.Below(9))) * 1000000;   // round 10,000s
    uint64_t x = rng_.Below(1000);
    if (x < 30) return threshold;                    // exactly at the threshold
    if (x < 60) return threshold - 1;                // one fen below
    if (x < 300) return threshold / 2 + static_cast<int64_t>(rng_.Below(static_cast<uint64_t>(threshold / 4)));  // halves
    if (x < 420) return threshold + static_cast<int64_t>(rng_.Below(static_cast<uint64_t>(threshold)));
    (void)i;
    return 10000 + static_cast<int64_t>(rng_.Below(static_cast<uint64_t>(threshold / 3)));
  }

  void Fill(GeneratedRow* r, uint64_t n, uint64_t c, const Profile& p, int64_t t, const std::string& channel,
            const std::string& currency_hint, bool pattern, int i) {
    r->txn_id = fmt::format("T{:09d}", n + 1);
    uint64_t off = rng_.Below(100);
    int offset = off < 80 ? 480 : off < 90 ? 0 : off < 95 ? -300 : 540;
    r->booked_at = Timestamp(t, offset);
    r->customer_id = fmt::format("C{:07d}", c);
    r->customer_type = p.entity ? "entity" : "person";
    r->customer_name = p.name;
    r->account_id = Account(c);
    r->direction = pattern ? (i % 3 == 2 ? "out" : "in") : (rng_.Below(2) ? "in" : "out");
    const Currency* cur = &kCurrencies[0];
    if (currency_hint.empty()) cur = &kCurrencies[1 + rng_.Below(kCurrencies.size() - 1)];
    r->channel = channel;
    bool cross = rng_.Below(100) < 15;
    r->cross_border = cross ? "true" : "false";
    r->amount = Amount(Pick(channel, p.entity, cross, *cur, pattern, i), cur->decimals);
    r->currency = cur->code;
    uint64_t cp = pattern ? (c * 31 + static_cast<uint64_t>(i)) % 100000 : rng_.Below(200000);
    r->counterparty_id = fmt::format("X{:06d}", cp);
    r->counterparty_name = fmt::format("{}{}", kSurnames[cp % 10], kGiven[(cp / 10) % 12]);
    r->counterparty_account = fmt::format("95{:010d}", cp);
    uint64_t ct = rng_.Below(100);
    r->counterparty_type = ct < 50 ? "person" : ct < 85 ? "entity" : ct < 95 ? "bank" : "government";
    r->counterparty_country = rng_.Chance(6) ? (rng_.Below(3) == 0 ? "KP" : rng_.Below(2) ? "IR" : "MM") : kCountries[rng_.Below(14)];
    r->exemption = rng_.Chance(30) ? kExemptions[rng_.Below(5)] : "";
    r->purpose = kPurposes[rng_.Below(8)];
  }

  GenOptions o_;
  Rng rng_;
  uint64_t customers_;
};

}  // namespace

const std::vector<std::string>& Columns() {
  static const std::vector<std::string> kColumns = {
      "txn_id", "booked_at", "customer_id", "customer_type", "customer_name", "account_id", "direction", "amount", "currency",
      "channel", "cross_border", "counterparty_id", "counterparty_name", "counterparty_account", "counterparty_type",
      "counterparty_country", "exemption", "purpose"};
  return kColumns;
}

std::vector<std::string> Fields(const GeneratedRow& r) {
  return {r.txn_id,       r.booked_at,       r.customer_id,       r.customer_type,        r.customer_name,     r.account_id,
          r.direction,    r.amount,          r.currency,          r.channel,              r.cross_border,      r.counterparty_id,
          r.counterparty_name, r.counterparty_account, r.counterparty_type, r.counterparty_country, r.exemption, r.purpose};
}

void Generate(const GenOptions& o, const std::function<void(const GeneratedRow&)>& emit) {
  Generator g(o);
  g.Run(emit);
}

std::vector<std::vector<std::string>> Rates(const GenOptions& o) {
  std::vector<std::vector<std::string>> out;
  Rng rng(o.seed ^ 0xFEEDFACECAFEBEEFULL);
  for (int d = -1; d <= o.days + 1; ++d) {  // offsets can move a row a day either way
    for (const Currency& c : kCurrencies) {
      int64_t jitter = static_cast<int64_t>(rng.Below(2001)) - 1000;  // ±0.1% a day
      int64_t rate = std::string(c.code) == "USD" ? 1000000 : c.usd_micro + c.usd_micro * jitter / 100000;
      out.push_back({Date(kStartDay + d), c.code, fmt::format("{}.{:06d}", rate / 1000000, rate % 1000000)});
    }
  }
  return out;
}

std::vector<std::vector<std::string>> LastActivity(const GenOptions& o) {
  std::vector<std::vector<std::string>> out;
  const uint64_t customers = o.customers > 0 ? o.customers : std::max<uint64_t>(20, o.rows / 40);
  Rng rng(o.seed ^ 0xD0D0CAFE12345678ULL);
  for (uint64_t c = 0; c < customers; ++c) {
    if (rng.Below(4) == 0) continue;  // no history: a new customer
    // 120 to 240 days before the batch starts, any second of the day, any offset: the batch's
    // first large transaction of a customer falls on both sides of 180 days.
    int64_t seconds = (kStartDay - 120 - static_cast<int64_t>(rng.Below(121))) * 86400 + static_cast<int64_t>(rng.Below(86400));
    out.push_back({fmt::format("C{:07d}", c), Timestamp(seconds - 8 * 3600, rng.Below(2) == 0 ? 480 : 0)});
  }
  return out;
}

namespace {

void CsvField(const std::string& s, std::string* out) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) {
    *out += s;
    return;
  }
  out->push_back('"');
  for (char c : s) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

}  // namespace

bool WriteBatch(const GenOptions& o, const std::string& path, bool jsonl, std::string* error) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    *error = path + ": cannot create";
    return false;
  }
  std::string buf;
  buf.reserve(1 << 20);
  if (!jsonl) {
    for (size_t i = 0; i < Columns().size(); ++i) {
      if (i > 0) buf.push_back(',');
      buf += Columns()[i];
    }
    buf.push_back('\n');
  }
  bool ok = true;
  Generate(o, [&](const GeneratedRow& r) {
    std::vector<std::string> fields = Fields(r);
    if (jsonl) {
      JsonWriter w(&buf);
      w.BeginObject();
      for (size_t i = 0; i < fields.size(); ++i) w.Field(Columns()[i], fields[i]);
      w.EndObject();
    } else {
      for (size_t i = 0; i < fields.size(); ++i) {
        if (i > 0) buf.push_back(',');
        CsvField(fields[i], &buf);
      }
    }
    buf.push_back('\n');
    if (buf.size() > (1 << 20)) {
      ok &= std::fwrite(buf.data(), 1, buf.size(), f) == buf.size();
      buf.clear();
    }
  });
  ok &= std::fwrite(buf.data(), 1, buf.size(), f) == buf.size();
  ok &= std::fclose(f) == 0;
  if (!ok) *error = path + ": write failed";
  return ok;
}

bool WriteRates(const GenOptions& o, const std::string& path, std::string* error) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    *error = path + ": cannot create";
    return false;
  }
  std::string buf = "date,currency,usd_per_unit\n";
  for (const auto& r : Rates(o)) buf += r[0] + "," + r[1] + "," + r[2] + "\n";
  bool ok = std::fwrite(buf.data(), 1, buf.size(), f) == buf.size();
  ok &= std::fclose(f) == 0;
  if (!ok) *error = path + ": write failed";
  return ok;
}

bool WriteLastActivity(const GenOptions& o, const std::string& path, std::string* error) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    *error = path + ": cannot create";
    return false;
  }
  std::string buf = "customer_id,last_seen_at\n";
  for (const auto& r : LastActivity(o)) buf += r[0] + "," + r[1] + "\n";
  bool ok = std::fwrite(buf.data(), 1, buf.size(), f) == buf.size();
  ok &= std::fclose(f) == 0;
  if (!ok) *error = path + ": write failed";
  return ok;
}

}  // namespace decree::bench
