// The PBoC large-value transaction report (大额交易报告), as CSV and as XML (docs/reports.md,
// schemas/pboc-lvtr.xsd), and the helpers every writer shares.
#include <fmt/format.h>

#include <cstring>

#include "io/xml.h"
#include "common/civil.h"
#include "common/codes.h"
#include "common/utf8.h"
#include "report/writers.h"

namespace decree::report {

void AppendXmlElement(std::string* out, int indent, std::string_view name, std::string_view value) {
  out->append(static_cast<size_t>(indent), ' ');
  *out += '<';
  *out += name;
  if (value.empty()) {
    *out += "/>\n";
    return;
  }
  *out += '>';
  io::AppendXmlEscaped(out, value);
  *out += "</";
  *out += name;
  *out += ">\n";
}

void AppendCsvField(std::string* out, std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    *out += s;
    return;
  }
  *out += '"';
  for (char c : s) {
    if (c == '"') *out += '"';
    *out += c;
  }
  *out += '"';
}

void SplitPersonName(const std::string& name, std::string* first, std::string* last) {
  first->clear();
  last->clear();
  if (size_t comma = name.find(','); comma != std::string::npos) {
    *last = name.substr(0, comma);
    size_t b = name.find_first_not_of(' ', comma + 1);
    if (b != std::string::npos) *first = name.substr(b);
    return;
  }
  // A Han name without spaces: the family name is the first character (U+3400..U+9FFF).
  unsigned char c0 = name.empty() ? 0 : static_cast<unsigned char>(name[0]);
  if (name.find(' ') == std::string::npos && c0 >= 0xE3 && c0 <= 0xE9 && name.size() > 3) {
    *last = name.substr(0, 3);
    *first = name.substr(3);
    return;
  }
  size_t space = name.rfind(' ');
  if (space == std::string::npos) {
    *last = name;
    return;
  }
  *first = name.substr(0, space);
  *last = name.substr(space + 1);
}

Status UsdRate(const ReportInput& in, const std::string& date, const std::string& currency, i128* m, int* scale) {
  if (currency == "USD") {
    *m = 1;
    *scale = 0;
    return Status::Ok();
  }
  int32_t day;
  const CurrencyId cur = LookupCurrency(currency);
  if (in.usd_rate == nullptr || !ParseDate(date, &day) || cur == kNoCurrency || !in.usd_rate->Rate(day, cur, m)) {
    return Status::InvalidArgument(fmt::format("no usd_rate for {} on {}: the report needs the usd_rate table the run used",
                                               currency, date));
  }
  *scale = in.usd_rate->rate_scale();
  return Status::Ok();
}

Status CountedAmount(const ReportInput& in, const InFinding& f, const Txn& t, std::string* amount, std::string* currency,
                     std::string* rate) {
  rate->clear();
  if (f.total_currency.empty() || f.total_currency == t.currency) {
    *amount = t.amount;
    *currency = t.currency;
    return Status::Ok();
  }
  if (f.total_currency != "USD") {
    return Status::NotSupported(fmt::format("finding of {} totals in {}: only totals in the transactions' own currency or in USD "
                                            "(amount in USD using usd_rate) can be itemised",
                                            f.rule, f.total_currency));
  }
  i128 rm;
  int rs;
  Status st = UsdRate(in, t.local_date, t.currency, &rm, &rs);
  if (!st.ok()) return Status::InvalidArgument(fmt::format("transaction {}: {}", t.txn_id, st.message()));
  i128 product;
  if (!MulChecked(t.amount_m, rm, &product)) return Status::InvalidArgument(fmt::format("transaction {}: USD value overflows", t.txn_id));
  *amount = FormatDecimalTrimmed(product, t.amount_scale + rs, 2);
  *currency = "USD";
  *rate = FormatDecimalTrimmed(rm, rs, 0);
  return Status::Ok();
}

namespace {

enum class Level { kReport, kFinding, kTxn };

// The columns of the CSV, in order; the XML uses the same names, grouped by level.
struct Column {
  const char* name;
  Level level;
};
constexpr Column kColumns[] = {
    {"report_id", Level::kReport},        {"report_date", Level::kReport},       {"period_start", Level::kReport},
    {"period_end", Level::kReport},       {"institution_code", Level::kReport},  {"institution_name", Level::kReport},
    {"library_hash", Level::kReport},     {"record_count", Level::kReport},      {"finding_id", Level::kFinding},
    {"rule", Level::kFinding},            {"citation", Level::kFinding},         {"report_kind", Level::kFinding},
    {"customer_id", Level::kFinding},     {"customer_name", Level::kFinding},    {"customer_type", Level::kFinding},
    {"direction", Level::kFinding},       {"currency_class", Level::kFinding},   {"finding_total", Level::kFinding},
    {"finding_currency", Level::kFinding}, {"due_date", Level::kFinding},        {"txn_count", Level::kFinding},
    {"record_id", Level::kTxn},           {"txn_id", Level::kTxn},               {"booked_at", Level::kTxn},
    {"txn_date", Level::kTxn},            {"account_id", Level::kTxn},           {"channel", Level::kTxn},
    {"cross_border", Level::kTxn},        {"amount", Level::kTxn},               {"currency", Level::kTxn},
    {"usd_per_unit", Level::kTxn},        {"counted_amount", Level::kTxn},       {"counted_currency", Level::kTxn},
    {"counterparty_id", Level::kTxn},     {"counterparty_name", Level::kTxn},    {"counterparty_account", Level::kTxn},
    {"counterparty_type", Level::kTxn},   {"counterparty_country", Level::kTxn}, {"purpose", Level::kTxn},
};
constexpr size_t kColumnCount = sizeof(kColumns) / sizeof(kColumns[0]);

}  // namespace

Status WritePbocLvtr(const ReportInput& in, bool xml, std::string* out) {
  if (in.institution.code.empty()) return Status::InvalidArgument("the PBoC report names the reporting institution: pass --institution FILE");
  // One row per (finding, transaction), each a value per column.
  struct Group {
    std::vector<std::string> finding;  // values of the finding-level columns
    std::vector<std::vector<std::string>> txns;
  };
  std::vector<Group> groups;
  size_t records = 0;
  for (const InFinding& f : in.findings) records += f.txn_ids.size();
  const std::string report_id = ReportId(in, "LVTR");
  std::vector<std::string> report = {report_id,           in.report_date,        in.period_start,
                                     in.period_end,       in.institution.code,   in.institution.name,
                                     in.library_hash,     std::to_string(records)};
  for (const InFinding& f : in.findings) {
    const Txn& first = in.txns.at(f.txn_ids.front());
    const std::string* dir = f.KeyValue("direction");
    const std::string* cls = f.KeyValue("currency_class");
    std::string fid = FindingId(f);
    Group g;
    g.finding = {fid,
                 f.rule,
                 f.citation,
                 f.report,
                 first.customer_id,
                 first.customer_name,
                 first.customer_type,
                 dir != nullptr ? *dir : first.direction,
                 cls != nullptr ? *cls : (first.currency == in.institution.currency ? first.currency : "FX"),
                 f.total_amount,
                 f.total_currency,
                 f.due,
                 std::to_string(f.txn_ids.size())};
    int seq = 0;
    for (const std::string& id : f.txn_ids) {
      const Txn& t = in.txns.at(id);
      std::string counted, counted_cur, rate;
      Status st = CountedAmount(in, f, t, &counted, &counted_cur, &rate);
      if (!st.ok()) return st;
      g.txns.push_back({fmt::format("{}-{:03d}", fid, ++seq), t.txn_id, t.booked_at, t.local_date, t.account_id, t.channel,
                        t.cross_border, t.amount, t.currency, rate, counted, counted_cur, t.counterparty_id,
                        t.counterparty_name, t.counterparty_account, t.counterparty_type, t.counterparty_country,
                        t.purpose});
    }
    groups.push_back(std::move(g));
  }
  out->clear();
  if (!xml) {
    for (size_t c = 0; c < kColumnCount; ++c) {
      if (c > 0) *out += ',';
      *out += kColumns[c].name;
    }
    *out += '\n';
    for (const Group& g : groups) {
      for (const std::vector<std::string>& t : g.txns) {
        std::string line;
        const std::vector<std::string>* parts[] = {&report, &g.finding, &t};
        bool firstv = true;
        for (const std::vector<std::string>* p : parts) {
          for (const std::string& v : *p) {
            if (!firstv) line += ',';
            firstv = false;
            AppendCsvField(&line, v);
          }
        }
        *out += line;
        *out += '\n';
      }
    }
    return Status::Ok();
  }
  *out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  *out += "<lvtr_report xmlns=\"urn:decree:report:pboc-lvtr:1\" version=\"1\">\n";
  size_t c = 0;
  for (; c < kColumnCount && kColumns[c].level == Level::kReport; ++c) AppendXmlElement(out, 2, kColumns[c].name, report[c]);
  const size_t finding_begin = c;
  while (c < kColumnCount && kColumns[c].level == Level::kFinding) ++c;
  const size_t txn_begin = c;
  for (const Group& g : groups) {
    *out += "  <finding>\n";
    for (size_t i = finding_begin; i < txn_begin; ++i) AppendXmlElement(out, 4, kColumns[i].name, g.finding[i - finding_begin]);
    for (const std::vector<std::string>& t : g.txns) {
      *out += "    <transaction>\n";
      for (size_t i = txn_begin; i < kColumnCount; ++i) AppendXmlElement(out, 6, kColumns[i].name, t[i - txn_begin]);
      *out += "    </transaction>\n";
    }
    *out += "  </finding>\n";
  }
  *out += "</lvtr_report>\n";
  return Status::Ok();
}

}  // namespace decree::report
