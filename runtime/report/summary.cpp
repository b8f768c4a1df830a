// Aggregate statistics of findings, per rule, per day and per currency: text for a terminal,
// CSV for a spreadsheet, SVG for a supervisor (a stacked bar chart of findings per day).
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "io/xml.h"
#include "common/civil.h"
#include "report/writers.h"

namespace decree::report {

namespace {

// An exact sum of decimals of varying scales.
struct Sum {
  i128 m = 0;
  int scale = 0;
  bool Add(const std::string& text) {
    i128 v;
    int s;
    if (!ParseDecimal(text, &v, &s)) return false;
    int to = std::max(scale, s);
    i128 a, b;
    if (!Rescale(m, scale, to, &a) || !Rescale(v, s, to, &b) || !AddChecked(a, b, &m)) return false;
    scale = to;
    return true;
  }
  std::string Text() const { return FormatDecimalTrimmed(m, scale, 2); }
};

struct RuleStats {
  uint64_t findings = 0, txns = 0;
  std::map<std::string, Sum> totals;  // by currency
};

struct Stats {
  std::map<std::string, RuleStats> rules;
  std::map<std::string, std::map<std::string, uint64_t>> days;  // day -> rule -> findings
  std::map<std::string, std::pair<uint64_t, Sum>> currencies;   // currency -> (findings, total)
  uint64_t findings = 0, txns = 0;
};

Status Collect(const ReportInput& in, Stats* s) {
  for (const InFinding& f : in.findings) {
    RuleStats& r = s->rules[f.rule];
    ++r.findings;
    r.txns += f.txn_ids.size();
    ++s->findings;
    s->txns += f.txn_ids.size();
    s->days[f.date.empty() ? "(none)" : f.date][f.rule]++;
    if (!f.total_currency.empty()) {
      auto& c = s->currencies[f.total_currency];
      ++c.first;
      if (!c.second.Add(f.total_amount) || !r.totals[f.total_currency].Add(f.total_amount)) {
        return Status::InvalidArgument(fmt::format("findings line {}: total '{}' is not an exact decimal", f.line, f.total_amount));
      }
    }
  }
  return Status::Ok();
}

std::string Totals(const RuleStats& r) {
  std::string out;
  for (const auto& [cur, sum] : r.totals) out += (out.empty() ? "" : "; ") + sum.Text() + " " + cur;
  return out.empty() ? "-" : out;
}

void Text(const ReportInput& in, const Stats& s, std::string* out) {
  *out += fmt::format("Findings summary: {} findings over {} transactions, {} to {}\n", s.findings, s.txns, in.period_start,
                      in.period_end);
  *out += fmt::format("Rule library sha256:{}\n\n", in.library_hash);
  size_t w = 4;
  for (const auto& [rule, r] : s.rules) w = std::max(w, rule.size());
  *out += fmt::format("By rule\n  {:<{}}  {:>8}  {:>8}  {}\n", "rule", w, "findings", "txns", "totals");
  for (const auto& [rule, r] : s.rules) *out += fmt::format("  {:<{}}  {:>8}  {:>8}  {}\n", rule, w, r.findings, r.txns, Totals(r));
  *out += "\nBy day\n  day         findings  by rule\n";
  for (const auto& [day, rules] : s.days) {
    uint64_t n = 0;
    std::string parts;
    for (const auto& [rule, c] : rules) {
      n += c;
      parts += fmt::format("{}{} {}", parts.empty() ? "" : ", ", rule, c);
    }
    *out += fmt::format("  {:<10}  {:>8}  {}\n", day, n, parts);
  }
  *out += "\nBy currency (of the findings' totals)\n  currency  findings  total\n";
  for (const auto& [cur, c] : s.currencies) *out += fmt::format("  {:<8}  {:>8}  {}\n", cur, c.first, c.second.Text());
}

void Csv(const Stats& s, std::string* out) {
  *out += "section,rule,day,currency,findings,transactions,total\n";
  for (const auto& [rule, r] : s.rules) {
    if (r.totals.empty()) {
      *out += "rule,";
      AppendCsvField(out, rule);
      *out += fmt::format(",,,{},{},\n", r.findings, r.txns);
    }
    for (const auto& [cur, sum] : r.totals) {
      *out += "rule,";
      AppendCsvField(out, rule);
      *out += fmt::format(",,{},{},{},{}\n", cur, r.findings, r.txns, sum.Text());
    }
  }
  for (const auto& [day, rules] : s.days) {
    for (const auto& [rule, c] : rules) {
      *out += "day,";
      AppendCsvField(out, rule);
      *out += fmt::format(",{},,{},,\n", day, c);
    }
  }
  for (const auto& [cur, c] : s.currencies) *out += fmt::format("currency,,,{},{},,{}\n", cur, c.first, c.second.Text());
}

// A readable axis step: 1, 2 or 5 times a power of ten, giving about five ticks.
uint64_t NiceStep(uint64_t max) {
  uint64_t step = 1;
  for (;;) {
    for (uint64_t k : {1, 2, 5}) {
      if (max / (step * k) <= 5) return step * k;
    }
    step *= 10;
  }
}

void Svg(const ReportInput& in, const Stats& s, std::string* out) {
  static const char* kPalette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                   "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
  std::vector<std::string> rules;
  for (const auto& [rule, r] : s.rules) rules.push_back(rule);
  // The x axis: every day of the period (a day without findings is a gap, not skipped), or
  // the days with findings when the period is long.
  std::map<std::string, std::map<std::string, uint64_t>> days = s.days;
  int32_t d0, d1;
  if (ParseDate(in.period_start, &d0) && ParseDate(in.period_end, &d1) && d1 >= d0 && d1 - d0 <= 400) {
    for (int32_t d = d0; d <= d1; ++d) days[FormatDate(d)];
  }
  uint64_t max = 1;
  for (const auto& [day, rs] : days) {
    uint64_t n = 0;
    for (const auto& [rule, c] : rs) n += c;
    max = std::max(max, n);
  }
  const uint64_t step = NiceStep(max);
  const uint64_t top = (max + step - 1) / step * step;
  const int plot_x = 70, plot_y = 70, plot_w = std::max<int>(520, static_cast<int>(days.size()) * 22), plot_h = 320;
  const int legend_x = plot_x + plot_w + 30;
  size_t longest = 0;
  for (const std::string& r : rules) longest = std::max(longest, r.size());
  const int width = legend_x + 40 + static_cast<int>(longest) * 7 + 20, height = plot_y + plot_h + 110;
  *out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  *out += fmt::format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
                      "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"12\">\n",
                      width, height, width, height);
  *out += fmt::format("  <rect width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>\n", width, height);
  std::string title = fmt::format("Findings per day by rule, {} to {} ({} findings, {} transactions)", in.period_start,
                                  in.period_end, s.findings, s.txns);
  *out += "  <text x=\"20\" y=\"30\" font-size=\"16\" font-weight=\"bold\">";
  io::AppendXmlEscaped(out, title);
  *out += "</text>\n";
  *out += fmt::format("  <text x=\"20\" y=\"50\" fill=\"#555555\">rule library sha256:{}</text>\n", in.library_hash);
  // Grid and y axis.
  for (uint64_t v = 0; v <= top; v += step) {
    int y = plot_y + plot_h - static_cast<int>(static_cast<double>(v) / static_cast<double>(top) * plot_h);
    *out += fmt::format("  <line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#dddddd\"/>\n", plot_x, y, plot_x + plot_w, y);
    *out += fmt::format("  <text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", plot_x - 6, y + 4, v);
  }
  *out += fmt::format("  <line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#333333\"/>\n", plot_x, plot_y, plot_y + plot_h);
  *out += fmt::format("  <line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#333333\"/>\n", plot_x, plot_y + plot_h,
                      plot_x + plot_w);
  *out += fmt::format("  <text transform=\"translate(20,{}) rotate(-90)\" text-anchor=\"middle\">findings</text>\n",
                      plot_y + plot_h / 2);
  // Bars: one per day, stacked in rule order.
  const double slot = static_cast<double>(plot_w) / static_cast<double>(std::max<size_t>(1, days.size()));
  const double bar = std::max(2.0, slot * 0.7);
  size_t i = 0;
  for (const auto& [day, rs] : days) {
    double x = plot_x + slot * static_cast<double>(i) + (slot - bar) / 2;
    uint64_t below = 0;
    for (size_t r = 0; r < rules.size(); ++r) {
      auto it = rs.find(rules[r]);
      if (it == rs.end()) continue;
      double y0 = plot_y + plot_h - static_cast<double>(below + it->second) / static_cast<double>(top) * plot_h;
      double h = static_cast<double>(it->second) / static_cast<double>(top) * plot_h;
      *out += fmt::format("  <rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\"><title>{} {}: {}</title></rect>\n",
                          x, y0, bar, h, kPalette[r % 10], io::XmlEscaped(day), io::XmlEscaped(rules[r]), it->second);
      below += it->second;
    }
    int lx = static_cast<int>(x + bar / 2), ly = plot_y + plot_h + 10;
    *out += fmt::format("  <text transform=\"translate({},{}) rotate(60)\" font-size=\"10\">{}</text>\n", lx, ly, io::XmlEscaped(day));
    ++i;
  }
  // Legend.
  *out += fmt::format("  <text x=\"{}\" y=\"{}\" font-weight=\"bold\">rule (findings)</text>\n", legend_x, plot_y);
  for (size_t r = 0; r < rules.size(); ++r) {
    int y = plot_y + 14 + static_cast<int>(r) * 20;
    *out += fmt::format("  <rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/>\n", legend_x, y, kPalette[r % 10]);
    *out += fmt::format("  <text x=\"{}\" y=\"{}\">", legend_x + 18, y + 10);
    io::AppendXmlEscaped(out, fmt::format("{} ({})", rules[r], s.rules.at(rules[r]).findings));
    *out += "</text>\n";
  }
  *out += "</svg>\n";
}

}  // namespace

Status WriteSummary(const ReportInput& in, SummaryStyle style, std::string* out) {
  Stats s;
  Status st = Collect(in, &s);
  if (!st.ok()) return st;
  out->clear();
  switch (style) {
    case SummaryStyle::kText: Text(in, s, out); break;
    case SummaryStyle::kCsv: Csv(s, out); break;
    case SummaryStyle::kSvg: Svg(in, s, out); break;
  }
  return Status::Ok();
}

}  // namespace decree::report
