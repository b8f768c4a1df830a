// The report writers behind WriteReport (report.h), one per family of formats, and the
// pieces they share.
#pragma once

#include <string>
#include <string_view>

#include "decree/status.h"
#include "report/report.h"

namespace decree::report {

enum class SummaryStyle { kText, kCsv, kSvg };

Status WritePbocLvtr(const ReportInput& in, bool xml, std::string* out);
Status WriteGoaml(const ReportInput& in, std::string* out);
Status WriteFincenCtr(const ReportInput& in, std::string* out);
Status WriteSummary(const ReportInput& in, SummaryStyle style, std::string* out);

// What a transaction contributes to its finding's total: the amount itself when the total is
// in the transaction's currency (or there is no total), else its USD value at the rate of its
// local date — exactly, as the rule computed it (`amount in USD using usd_rate`).  *rate is
// the rate used ("" when none).
Status CountedAmount(const ReportInput& in, const InFinding& f, const Txn& t, std::string* amount,
                     std::string* currency, std::string* rate);

// USD per unit of `currency` on `date`, or an error naming both.
Status UsdRate(const ReportInput& in, const std::string& date, const std::string& currency, i128* m, int* scale);

// The text of a compiled-in schema ("pboc-lvtr.xsd"), or null.
const char* SchemaText(const char* name);
// An error unless `xml` is valid against the named schema: every XML report is checked before
// it is written.
Status CheckAgainstSchema(std::string_view xml, const char* schema);

// <name>value</name> on its own line at `indent` spaces.
void AppendXmlElement(std::string* out, int indent, std::string_view name, std::string_view value);
void AppendCsvField(std::string* out, std::string_view s);

// A person's name split for forms that want first and last names: "Dubois, Silva" (last,
// first), "张伟" (a Han name: the first character is the family name), "Jane Q. Doe" (the last
// word); a name that cannot be split is all last name.
void SplitPersonName(const std::string& name, std::string* first, std::string* last);

}  // namespace decree::report
