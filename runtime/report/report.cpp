// Reading what a report needs: findings, the institution, the batch's transactions, rates.
#include "report/report.h"

#include "decree/version.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "exec/run_source.h"
#include "vector/vector.h"
#include "decree/files.h"
#include "io/input_file.h"
#include "io/source.h"
#include "common/civil.h"
#include "common/codes.h"
#include "ir/ir.h"
#include "decree/json.h"
#include "decree/sha256.h"
#include "common/timezone.h"
#include "ir/value.h"
#include "report/writers.h"
#include "decree/files.h"
#include "common/strings.h"
#include "io/csv_records.h"

namespace decree::report {

namespace {

bool EndsWith(const std::string& s, const char* suffix) {
  size_t n = std::char_traits<char>::length(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

std::string JsonText(const JsonValue* v) { return v != nullptr && v->is_string() ? v->text : std::string(); }

}  // namespace

Status LoadInstitution(const std::string& path, Institution* out) {
  std::string text;
  Status st = ReadWholeFile(path, 1u << 20, &text, "institution file");
  if (!st.ok()) return st;
  JsonValue v;
  size_t off = 0;
  std::string err;
  if (!ParseJson(text, &v, &off, &err)) return Status::InvalidArgument(fmt::format("{}: byte {}: {}", path, off + 1, err));
  if (v.kind != JsonValue::Kind::kObject) return Status::InvalidArgument(path + ": expected a JSON object");
  struct Key {
    const char* name;
    std::string* field;
    bool required;
  };
  const Key keys[] = {
      {"code", &out->code, true},
      {"name", &out->name, true},
      {"country", &out->country, true},
      {"currency", &out->currency, true},
      {"goaml_rentity_id", &out->goaml_rentity_id, false},
      {"goaml_report_code", &out->goaml_report_code, false},
      {"fincen_tin", &out->fincen_tin, false},
      {"contact_name", &out->contact_name, false},
      {"contact_phone", &out->contact_phone, false},
  };
  for (const JsonMember& m : v.members) {
    const Key* k = nullptr;
    for (const Key& c : keys) {
      if (m.key == c.name) k = &c;
    }
    if (k == nullptr) {
      return Status::InvalidArgument(fmt::format("{}: unknown key \"{}\" (code, name, country, currency, goaml_rentity_id, "
                                                 "goaml_report_code, fincen_tin, contact_name, contact_phone)",
                                                 path, m.key));
    }
    if (!m.value.is_string()) return Status::InvalidArgument(fmt::format("{}: \"{}\" must be a string", path, m.key));
    *k->field = m.value.text;
  }
  for (const Key& k : keys) {
    if (k.required && k.field->empty()) return Status::InvalidArgument(fmt::format("{}: \"{}\" is required", path, k.name));
  }
  if (!IsCountryCode(out->country)) {
    return Status::InvalidArgument(fmt::format("{}: \"country\": \"{}\" is not an ISO 3166-1 alpha-2 code", path, out->country));
  }
  if (LookupCurrency(out->currency) == kNoCurrency) {
    return Status::InvalidArgument(fmt::format("{}: \"currency\": \"{}\" is not an ISO 4217 code", path, out->currency));
  }
  return Status::Ok();
}

const std::string* InFinding::KeyValue(const std::string& name) const {
  for (const auto& [k, v] : key) {
    if (k == name) return &v;
  }
  return nullptr;
}

Status ReadFindings(const std::string& path, std::vector<InFinding>* out) {
  // Read as any line-based input: a line longer than a record may be is an error naming it.
  io::InputFile file;
  Status st = file.Open(path);
  if (!st.ok()) return st;
  std::string text;
  if (!(st = file.ReadAt(0, static_cast<size_t>(file.size()), &text)).ok()) return st;
  for (size_t at = 0, line = 1; at < text.size(); ++line) {
    size_t nl = text.find('\n', at);
    size_t len = (nl == std::string::npos ? text.size() : nl) - at;
    if (len > (64u << 20)) return Status::InvalidArgument(fmt::format("{}:{}: a line longer than 64 MiB: not a findings file", path, line));
    at = nl == std::string::npos ? text.size() : nl + 1;
  }
  size_t at = 0, line = 0;
  while (at < text.size()) {
    ++line;
    size_t nl = text.find('\n', at);
    std::string_view l = std::string_view(text).substr(at, nl == std::string::npos ? std::string::npos : nl - at);
    at = nl == std::string::npos ? text.size() : nl + 1;
    if (Trim(l).empty()) continue;
    auto bad = [&](const std::string& what) { return Status::InvalidArgument(fmt::format("{}:{}: {}", path, line, what)); };
    JsonValue v;
    size_t off = 0;
    std::string err;
    if (!ParseJson(l, &v, &off, &err)) return bad(fmt::format("invalid JSON at byte {}: {}", off + 1, err));
    if (v.kind != JsonValue::Kind::kObject) return bad("a finding must be a JSON object");
    InFinding f;
    f.line = line;
    f.json = std::string(l);
    while (!f.json.empty() && (f.json.back() == '\r' || f.json.back() == ' ')) f.json.pop_back();
    f.rule = JsonText(v.Get("rule"));
    if (f.rule.empty()) return bad("missing \"rule\"");
    f.citation = JsonText(v.Get("citation"));
    f.ruleset_version = JsonText(v.Get("ruleset_version"));
    if (const JsonValue* k = v.Get("key"); k != nullptr && k->kind == JsonValue::Kind::kObject) {
      for (const JsonMember& m : k->members) f.key.emplace_back(m.key, m.value.text);  // strings, or numbers as written
    }
    const JsonValue* ids = v.Get("txn_ids");
    if (ids == nullptr || ids->kind != JsonValue::Kind::kArray || ids->items.empty()) return bad("missing \"txn_ids\"");
    for (const JsonValue& id : ids->items) {
      if (!id.is_string()) return bad("\"txn_ids\" must hold strings");
      f.txn_ids.push_back(id.text);
    }
    if (const JsonValue* t = v.Get("total"); t != nullptr && t->kind == JsonValue::Kind::kObject) {
      f.total_amount = JsonText(t->Get("amount"));
      f.total_currency = JsonText(t->Get("currency"));
    }
    if (const JsonValue* a = v.Get("action"); a != nullptr) {
      if (a->is_string()) {
        f.actions.push_back(a->text);
      } else if (a->kind == JsonValue::Kind::kArray) {
        for (const JsonValue& x : a->items) f.actions.push_back(x.text);
      }
    }
    f.report = JsonText(v.Get("report"));
    f.due = JsonText(v.Get("due"));
    f.flag = JsonText(v.Get("flag"));
    f.message = JsonText(v.Get("message"));
    f.date = JsonText(v.Get("date"));
    f.explain = JsonText(v.Get("explain"));
    out->push_back(std::move(f));
  }
  return Status::Ok();
}

std::string FindingId(const InFinding& f) {
  Sha256 h;
  h.UpdateField(f.rule);
  for (const auto& [k, v] : f.key) {
    h.UpdateField(k);
    h.UpdateField(v);
  }
  if (f.key.empty()) h.UpdateField(f.txn_ids.front());  // a row rule's finding is its record
  std::string hex = h.FinishHex().substr(0, 12);
  for (char& c : hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return "F" + hex;
}

std::string ReportId(const ReportInput& in, const char* prefix) {
  Sha256 h;
  h.UpdateField(in.library_hash);
  h.UpdateField(in.period_start);
  h.UpdateField(in.period_end);
  for (const InFinding& f : in.findings) h.UpdateField(FindingId(f));
  std::string end = in.period_end;
  end.erase(std::remove(end.begin(), end.end(), '-'), end.end());
  return fmt::format("{}-{}-{}-{}", prefix, in.institution.code, end, h.FinishHex().substr(0, 8));
}

namespace {

// The transactions named by the findings, read from the batch through the rules' layout.
Status ReadTxns(const ir::Program& program, const ReportOptions& options, ReportInput* in) {
  std::set<std::string> layouts;
  for (const InFinding& f : in->findings) {
    const ir::Rule* r = program.FindRule(f.rule);
    if (r == nullptr) return Status::InvalidArgument(fmt::format("{}:{}: rule {} is not in the library", options.findings_path, f.line, f.rule));
    layouts.insert(r->layout);
  }
  if (layouts.size() > 1) {
    return Status::InvalidArgument(fmt::format("the selected findings come from rules over {} layouts ({}); report one at a time",
                                               layouts.size(), fmt::join(layouts, ", ")));
  }
  if (layouts.empty()) return Status::Ok();
  const ir::Layout* layout = program.FindLayout(*layouts.begin());
  const ir::Rule* first = program.FindRule(in->findings.front().rule);
  const ir::RulesetInfo* rs = program.FindRuleset(first->ruleset);
  std::shared_ptr<const TimeZone> tz;
  Status st = TimeZone::Load(rs != nullptr ? rs->timezone : "UTC", &tz);
  if (!st.ok()) return st;
  std::set<std::string> wanted;
  for (const InFinding& f : in->findings) wanted.insert(f.txn_ids.begin(), f.txn_ids.end());
  std::unique_ptr<io::RowSource> source;
  if (!(st = io::OpenSource(options.input, program, *layout, &source)).ok()) return st;
  auto field = [&](const char* name) { return layout->FieldIndex(name); };
  const int id_f = layout->id_field;
  const int f_booked = field("booked_at"), f_amount = field("amount");
  const std::pair<const char*, std::string Txn::*> text_fields[] = {
      {"customer_id", &Txn::customer_id},       {"customer_type", &Txn::customer_type},
      {"customer_name", &Txn::customer_name},   {"account_id", &Txn::account_id},
      {"direction", &Txn::direction},           {"channel", &Txn::channel},
      {"cross_border", &Txn::cross_border},     {"counterparty_id", &Txn::counterparty_id},
      {"counterparty_name", &Txn::counterparty_name}, {"counterparty_account", &Txn::counterparty_account},
      {"counterparty_type", &Txn::counterparty_type}, {"counterparty_country", &Txn::counterparty_country},
      {"purpose", &Txn::purpose},
  };
  if (id_f < 0 || f_booked < 0 || f_amount < 0) {
    return Status::InvalidArgument(fmt::format("layout {} lacks txn_id, booked_at or amount: not a transaction layout", layout->name));
  }
  for (size_t s = 0; s < source->segment_count() && st.ok(); ++s) {
    io::SegmentResult seg;
    Status read = source->ReadSegment(s, [&](const Chunk& c) {
      for (uint32_t row = 0; row < c.size; ++row) {
        ir::Value id = SlotValue(c.columns[id_f], row, layout->fields[id_f].type);
        if (id.null || wanted.count(id.s) == 0 || in->txns.count(id.s) > 0) continue;
        Txn t;
        t.txn_id = id.s;
        ir::Value booked = SlotValue(c.columns[f_booked], row, layout->fields[f_booked].type);
        int offset = tz->OffsetSeconds(booked.i) / 60;
        t.booked_at = FormatTimestamp(booked.i, offset);
        t.local_date = FormatDate(tz->LocalDay(booked.i));
        t.local_time = t.booked_at.substr(0, 19);
        ir::Value amount = SlotValue(c.columns[f_amount], row, layout->fields[f_amount].type);
        t.amount_m = amount.m;
        t.amount_scale = amount.scale;
        t.currency = std::string(CurrencyCode(static_cast<CurrencyId>(amount.currency)));
        int minor = CurrencyMinorUnits(static_cast<CurrencyId>(amount.currency));
        t.amount = FormatDecimalTrimmed(amount.m, amount.scale, std::min(minor, amount.scale));
        for (const auto& [name, member] : text_fields) {
          int fi = field(name);
          if (fi < 0) continue;
          ir::Value v = SlotValue(c.columns[fi], row, layout->fields[fi].type);
          t.*member = v.null ? "" : ir::ValueToDisplay(v, &program);
        }
        in->txns.emplace(t.txn_id, std::move(t));
      }
    }, &seg);
    if (!read.ok()) st = read;
  }
  if (!st.ok()) return st;
  for (const InFinding& f : in->findings) {
    for (const std::string& id : f.txn_ids) {
      if (in->txns.count(id) == 0) {
        return Status::InvalidArgument(fmt::format("{}:{}: transaction {} is not in {} (or was rejected there): report from the batch the findings came from",
                                                   options.findings_path, f.line, id, options.input.path));
      }
    }
  }
  return Status::Ok();
}

// Findings given twice, and findings of rules the library does not hold.
Status CheckFindings(const ir::Program& program, const std::string& path, const std::vector<InFinding>& all) {
  std::map<std::string, size_t> seen;  // finding id (rule, key or record) -> line
  for (const InFinding& f : all) {
    if (program.FindRule(f.rule) == nullptr) {
      return Status::InvalidArgument(fmt::format("{}:{}: rule {} is not in the library: report with the library that made the findings",
                                                 path, f.line, f.rule));
    }
    std::string id = f.rule + "\x1f" + FindingId(f) + "\x1f" + (f.key.empty() ? f.txn_ids.front() : std::string());
    auto [it, fresh] = seen.emplace(id, f.line);
    if (!fresh) {
      return Status::InvalidArgument(fmt::format("{}:{}: the same finding as line {} ({}): each finding is reported once", path,
                                                 f.line, it->second, f.rule));
    }
  }
  return Status::Ok();
}

// Every selected finding must be one the library makes from this batch, line for line: an
// edited total, due date, explanation or list of transactions is refused.
Status CheckReproduced(const ir::Program& program, const ReportOptions& options, const std::vector<InFinding>& findings) {
  RunOptions run;
  run.tables = options.tables;
  run.watch_lists = options.watch_lists;
  run.allow_partial_lists = options.allow_partial_lists;
  std::set<std::string> rules;
  for (const InFinding& f : findings) rules.insert(f.rule);
  run.only_rules.assign(rules.begin(), rules.end());
  run.layout = program.FindRule(findings.front().rule)->layout;
  RunResult result;
  Status st = Run(program, options.input, run, &result);
  if (!st.ok()) return Status::InvalidArgument(fmt::format("re-evaluating the findings' rules over {}: {}", options.input.path, st.message()));
  std::set<std::string> made;
  std::map<std::string, const Finding*> by_id;  // rule, key / record -> the finding made
  for (const Finding& f : result.findings) {
    made.insert(f.ToJson());
    std::string id = f.rule;
    for (const auto& [k, v] : f.key) id += "\x1f" + k + "=" + v;
    if (!f.keyed && !f.txn_ids.empty()) id += "\x1f" + f.txn_ids.front();
    by_id.emplace(id, &f);
  }
  for (const InFinding& f : findings) {
    if (made.count(f.json) > 0) continue;
    std::string id = f.rule;
    for (const auto& [k, v] : f.key) id += "\x1f" + k + "=" + v;
    if (f.key.empty() && !f.txn_ids.empty()) id += "\x1f" + f.txn_ids.front();
    auto it = by_id.find(id);
    std::string why;
    if (it == by_id.end()) {
      why = "the library makes no such finding from this batch";
    } else {
      const Finding& m = *it->second;
      if (m.txn_ids != f.txn_ids) {
        why = fmt::format("its transactions differ ({} listed, the library finds {})", f.txn_ids.size(), m.txn_ids.size());
      } else if (m.total_amount != f.total_amount || m.total_currency != f.total_currency) {
        why = fmt::format("its total is {} {}, the library finds {} {}", f.total_amount, f.total_currency, m.total_amount, m.total_currency);
      } else if (m.due != f.due) {
        why = fmt::format("its due date is {}, the library's calendar gives {}", f.due.empty() ? "none" : f.due, m.due.empty() ? "none" : m.due);
      } else {
        why = "it differs from the finding the library makes (an edited line?)";
      }
    }
    return Status::InvalidArgument(fmt::format("{}:{}: {} finding: {}: report only findings as decree run wrote them, from the "
                                               "batch and tables they came from",
                                               options.findings_path, f.line, f.rule, why));
  }
  return Status::Ok();
}

// Leaves out findings whose records all lie outside the period; refuses one that straddles it.
Status FilterPeriod(const std::string& path, ReportInput* in) {
  std::vector<InFinding> kept;
  for (InFinding& f : in->findings) {
    size_t inside = 0, dated = 0;
    for (const std::string& id : f.txn_ids) {
      auto it = in->txns.find(id);
      const std::string& d = it != in->txns.end() ? it->second.local_date : f.date;
      if (d.empty()) continue;
      ++dated;
      inside += d >= in->period_start && d <= in->period_end;
    }
    if (dated > 0 && inside == 0) {
      ++in->outside_period;
      continue;
    }
    if (inside < dated) {
      return Status::InvalidArgument(fmt::format("{}:{}: {} finding has records both inside and outside the period {} to {}: "
                                                 "widen the period to hold all of them",
                                                 path, f.line, f.rule, in->period_start, in->period_end));
    }
    kept.push_back(std::move(f));
  }
  in->findings = std::move(kept);
  return Status::Ok();
}

}  // namespace

Status LoadReportInput(const Library& lib, const ReportOptions& options, bool need_batch, ReportInput* in) {
  in->library_hash = lib.content_hash();
  in->program = &lib.program();
  in->report_kind = options.report_kind;
  Status st;
  if (!options.institution_path.empty()) {
    if (!(st = LoadInstitution(options.institution_path, &in->institution)).ok()) return st;
  }
  std::vector<InFinding> all;
  if (!(st = ReadFindings(options.findings_path, &all)).ok()) return st;
  in->findings_read = all.size();
  if (!(st = CheckFindings(lib.program(), options.findings_path, all)).ok()) return st;
  for (InFinding& f : all) {
    if (options.report_kind.empty() || f.report == options.report_kind || f.flag == options.report_kind) {
      in->findings.push_back(std::move(f));
    }
  }
  if (need_batch && !in->findings.empty()) {
    if (!(st = ReadTxns(lib.program(), options, in)).ok()) return st;
    if (!(st = CheckReproduced(lib.program(), options, in->findings)).ok()) return st;
  }
  // Tables through the runtime's loader, so that a rate reads here exactly as the rule read it.
  in->tables = std::make_unique<exec::Tables>(lib.program());
  if (!(st = exec::LoadTables(lib.program(), options.tables, in->tables.get())).ok()) return st;
  for (size_t t = 0; t < lib.program().tables.size(); ++t) {
    const exec::TableData* data = in->tables->Get(static_cast<int>(t));
    const std::string& name = lib.program().tables[t].name;
    if (data != nullptr && data->is_rates() && (in->usd_rate == nullptr || name.ends_with(".usd_rate"))) in->usd_rate = data;
  }
  // The period: as given, or the first and last local dates of the reported transactions
  // (the findings' dates when no batch was read).
  std::string lo, hi;
  for (const InFinding& f : in->findings) {
    for (const std::string& id : f.txn_ids) {
      auto it = in->txns.find(id);
      const std::string& d = it != in->txns.end() ? it->second.local_date : f.date;
      if (d.empty()) continue;
      if (lo.empty() || d < lo) lo = d;
      if (hi.empty() || d > hi) hi = d;
    }
  }
  in->period_start = options.period_start.empty() ? lo : options.period_start;
  in->period_end = options.period_end.empty() ? hi : options.period_end;
  if (in->period_start.empty() || in->period_end.empty()) {
    return Status::InvalidArgument("no findings to take the reporting period from: give --period FROM:TO");
  }
  for (const std::string* d : {&in->period_start, &in->period_end}) {
    int32_t day;
    if (!ParseDate(*d, &day)) return Status::InvalidArgument(fmt::format("--period: '{}' is not a date (YYYY-MM-DD)", *d));
  }
  if (in->period_end < in->period_start) return Status::InvalidArgument("--period: the end is before the start");
  if (!(st = FilterPeriod(options.findings_path, in)).ok()) return st;
  in->report_date = options.report_date.empty() ? in->period_end : options.report_date;
  int32_t day;
  if (!ParseDate(in->report_date, &day)) return Status::InvalidArgument(fmt::format("--report-date: '{}' is not a date", in->report_date));
  if (in->report_date < in->period_end) {
    return Status::InvalidArgument(fmt::format("--report-date {} is before the end of the reporting period ({}): a report is "
                                               "made after its period",
                                               in->report_date, in->period_end));
  }
  in->generator = lib.generator();
  return Status::Ok();
}

Status WriteReport(Format format, const ReportInput& in, std::string* out) {
  Status st;
  switch (format) {
    case Format::kPbocLvtrCsv: return WritePbocLvtr(in, /*xml=*/false, out);
    case Format::kPbocLvtrXml:
      if (!(st = WritePbocLvtr(in, /*xml=*/true, out)).ok()) return st;
      return CheckAgainstSchema(*out, "pboc-lvtr.xsd");
    case Format::kGoamlXml:
      if (!(st = WriteGoaml(in, out)).ok()) return st;
      return CheckAgainstSchema(*out, "goaml-report.xsd");
    case Format::kFincenCtrXml:
      if (!(st = WriteFincenCtr(in, out)).ok()) return st;
      return CheckAgainstSchema(*out, "fincen-ctr.xsd");
    case Format::kSummaryText: return WriteSummary(in, SummaryStyle::kText, out);
    case Format::kSummaryCsv: return WriteSummary(in, SummaryStyle::kCsv, out);
    case Format::kSummarySvg: return WriteSummary(in, SummaryStyle::kSvg, out);
  }
  return Status::Internal("unknown report format");
}

}  // namespace decree::report

namespace decree {

using report::Format;

Status ParseReportFormat(const std::string& name, const std::string& out_path, ReportFormat* out) {
  static const std::pair<const char*, Format> kNames[] = {
      {"pboc-lvtr-csv", Format::kPbocLvtrCsv}, {"pboc-lvtr-xml", Format::kPbocLvtrXml},
      {"goaml-xml", Format::kGoamlXml},        {"fincen-ctr-xml", Format::kFincenCtrXml},
      {"summary-text", Format::kSummaryText},  {"summary-csv", Format::kSummaryCsv},
      {"summary-svg", Format::kSummarySvg},
  };
  for (const auto& [n, f] : kNames) {
    if (name == n) {
      *out = f;
      return Status::Ok();
    }
  }
  if (name == "summary") {
    *out = report::EndsWith(out_path, ".csv")   ? Format::kSummaryCsv
           : report::EndsWith(out_path, ".svg") ? Format::kSummarySvg
                                                : Format::kSummaryText;
    return Status::Ok();
  }
  return Status::InvalidArgument(fmt::format(
      "unknown report format '{}' (pboc-lvtr-csv, pboc-lvtr-xml, goaml-xml, fincen-ctr-xml, summary, summary-text, "
      "summary-csv, summary-svg)",
      name));
}

std::string DefaultReportKind(ReportFormat f) {
  switch (f) {
    case Format::kFincenCtrXml: return "ctr";
    case Format::kSummaryText:
    case Format::kSummaryCsv:
    case Format::kSummarySvg: return "";  // every finding
    default: return "large_value";
  }
}

bool IsSummaryFormat(ReportFormat f) {
  return f == ReportFormat::kSummaryText || f == ReportFormat::kSummaryCsv || f == ReportFormat::kSummarySvg;
}

Status MakeReport(const Library& lib, ReportFormat format, const ReportOptions& options, std::string* report,
                  ReportSummary* summary) {
  report::ReportInput in;
  if (Status st = report::LoadReportInput(lib, options, !IsSummaryFormat(format), &in); !st.ok()) return st;
  in.generator = options.generator.empty() ? std::string("decree ") + RuntimeVersion() : options.generator;
  if (Status st = report::WriteReport(format, in, report); !st.ok()) return st;
  *summary = ReportSummary{};
  summary->findings_read = in.findings_read;
  summary->findings_reported = in.findings.size();
  for (const report::InFinding& f : in.findings) summary->transaction_records += f.txn_ids.size();
  summary->outside_period = in.outside_period;
  summary->period_start = in.period_start;
  summary->period_end = in.period_end;
  return Status::Ok();
}

}  // namespace decree
