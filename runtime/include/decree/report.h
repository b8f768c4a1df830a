// Supervisory reports from the findings of a run (docs/reports.md): PBoC large-value CSV and
// XML, goAML, FinCEN CTR, and a summary (text, CSV, SVG chart).
//
//   decree::ReportOptions o;
//   o.findings_path = "findings.jsonl";  o.input.path = "transactions.csv";
//   o.tables["usd_rate"] = "rates.csv";  o.institution_path = "bank.json";
//   decree::ReportFormat f;
//   decree::ParseReportFormat("pboc-lvtr-xml", "", &f);
//   std::string xml;  decree::ReportSummary s;
//   decree::Status st = decree::MakeReport(*lib, f, o, &xml, &s);
//
// A report depends on nothing but its inputs: no clock, no environment, no thread count; the
// same inputs give a byte-identical report, which records the library's content hash.  XML
// reports are checked against the shipped schema before they are returned.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "decree/input.h"
#include "decree/library.h"
#include "decree/status.h"

namespace decree {

enum class ReportFormat { kPbocLvtrCsv, kPbocLvtrXml, kGoamlXml, kFincenCtrXml, kSummaryText, kSummaryCsv, kSummarySvg };

// "pboc-lvtr-csv", "pboc-lvtr-xml", "goaml-xml", "fincen-ctr-xml", "summary-text", "summary-csv",
// "summary-svg", or "summary" (CSV or SVG by `out_path`'s extension, else text).
Status ParseReportFormat(const std::string& name, const std::string& out_path, ReportFormat* out);
bool IsSummaryFormat(ReportFormat format);
// The findings a format reports by default: "large_value", "ctr", or "" (every finding).
std::string DefaultReportKind(ReportFormat format);

struct ReportOptions {
  std::string findings_path;                  // findings.jsonl of the run
  InputSpec input;                            // the batch the findings came from (not needed by summaries)
  std::map<std::string, std::string> tables;  // NAME -> FILE, as for a run (usd_rate converts totals)
  std::string institution_path;               // the reporting institution, JSON (not needed by summaries)
  std::string report_kind;                    // findings selected: report == kind or flag == kind; "" every one
  std::string period_start, period_end;       // YYYY-MM-DD; "" = the selected findings' first and last dates
  std::string report_date;                    // "" = period_end
  std::vector<std::string> watch_lists;       // for findings of rules that screen, as for a run
  bool allow_partial_lists = false;
  std::string generator;                      // written into the report; "" = "decree <RuntimeVersion()>"
};

struct ReportSummary {
  uint64_t findings_read = 0;        // lines of the findings file
  uint64_t findings_reported = 0;
  uint64_t transaction_records = 0;  // (finding, transaction) pairs reported
  uint64_t outside_period = 0;       // selected findings left out: all their records outside the period
  std::string period_start, period_end;
};

// Reads the findings, the batch, the tables and the institution and writes the report into
// *report.  An input that cannot be read, or that does not fit the library, is an error naming
// the file and line; nothing is written then.
Status MakeReport(const Library& lib, ReportFormat format, const ReportOptions& options, std::string* report,
                  ReportSummary* summary);

}  // namespace decree
