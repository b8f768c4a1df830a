// Supervisory reports written from findings (docs/reports.md).
//
//   report::ReportInput in;                       // the library, its findings, the batch
//   report::LoadReportInput(lib, spec, &in);      // reads findings, institution, records, rates
//   std::string out;
//   report::WriteReport(report::Format::kPbocLvtrXml, in, &out);
//
// A report depends on nothing but its inputs: no clock, no environment, no thread count.  The
// same findings, batch, rates, institution and options give a byte-identical report.  Records
// are in findings order (rule, key, first txn_id), then txn_id; ids are derived from content
// (a finding's id hashes its rule and key), so they do not change when other findings come or
// go.  Every report records the SHA-256 of the rule library that produced the findings.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "decree/library.h"
#include "decree/report.h"
#include "decree/run.h"
#include "decree/status.h"
#include "exec/tables.h"
#include "common/decimal.h"

namespace decree::report {

// The public types (decree/report.h), under the names the report writers use.
using Format = ReportFormat;
using ReportOptions = decree::ReportOptions;

// The reporting institution (a JSON object; docs/reports.md lists the keys).
struct Institution {
  std::string code;            // PBoC financial-institution code / internal code (required)
  std::string name;            // required
  std::string country;         // ISO 3166-1 alpha-2 (required)
  std::string currency;        // local currency, ISO 4217 (required)
  std::string goaml_rentity_id;
  std::string goaml_report_code = "CTR";
  std::string fincen_tin;      // the filer's EIN
  std::string contact_name;
  std::string contact_phone;
};
Status LoadInstitution(const std::string& path, Institution* out);

// One line of findings.jsonl (data-layouts.md), as read back.
struct InFinding {
  size_t line = 0;
  std::string json;  // the line as read (without its line break)
  std::string rule, citation, ruleset_version;
  std::vector<std::pair<std::string, std::string>> key;
  std::vector<std::string> txn_ids;
  std::string total_amount, total_currency;  // empty when the finding has no total
  std::vector<std::string> actions;
  std::string report, due, flag, message, date, explain;

  const std::string* KeyValue(const std::string& name) const;
};
// Reads findings.jsonl; a malformed line is an error naming it.
Status ReadFindings(const std::string& path, std::vector<InFinding>* out);

// A transaction of the batch, its canonical fields as text (empty when the layout lacks one).
struct Txn {
  std::string txn_id, booked_at, local_time, local_date, customer_id, customer_type, customer_name, account_id,
      direction, channel, cross_border, amount, currency, counterparty_id, counterparty_name, counterparty_account,
      counterparty_type, counterparty_country, purpose;
  i128 amount_m = 0;  // amount, exact, at amount_scale
  int amount_scale = 0;
};


struct ReportInput {
  std::string library_hash;
  std::string generator;                 // "decree 0.1.0"
  const ir::Program* program = nullptr;
  Institution institution;
  std::vector<InFinding> findings;       // the selected findings, in file order (sorted)
  std::map<std::string, Txn> txns;       // every transaction they name
  std::unique_ptr<exec::Tables> tables;  // loaded by the runtime's table loader, as a run loads them
  const exec::TableData* usd_rate = nullptr;  // the rates table (usd_rate) when given
  std::string report_kind, period_start, period_end, report_date;
  uint64_t findings_read = 0;            // lines in findings.jsonl (selected or not)
  uint64_t outside_period = 0;           // selected findings left out: all their records outside the period
};

// Reads everything a report needs.  A report is written only from consistent inputs: a
// finding given twice, a finding of a rule the library does not hold, a finding naming a
// transaction the batch does not hold, a finding the library does not make from that batch
// (an edited total, due date or transaction list), a report date before the period's end, a
// missing rate or a malformed input is an error naming where.  Findings whose records all lie
// outside the period are left out (counted in outside_period); one that straddles the period's
// bounds is an error.
Status LoadReportInput(const Library& lib, const ReportOptions& options, bool need_batch, ReportInput* out);

Status WriteReport(Format format, const ReportInput& in, std::string* out);

// An XML filing in one of the formats decree writes (found by its root element) checked
// against that format's schema; Ok for other XML.  The error names the line.
Status CheckFilingSchema(const std::string& path);

// Content-derived ids (stable while the finding's rule and key are the same).
std::string FindingId(const InFinding& f);
std::string ReportId(const ReportInput& in, const char* prefix);

}  // namespace decree::report
