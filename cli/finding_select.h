// Choosing findings of a findings.jsonl file by --rule and --key NAME=VALUE (decree explain,
// decree graph): one reading of those options for every verb that has them.
#pragma once

#include <string>

#include "cli.h"
#include "decree/json.h"

namespace decree::cli {

// A JSON string's text; "" for anything else or nothing.
std::string JsonText(const JsonValue* v);

// 0 when every --key is NAME=VALUE; otherwise the usage error's exit code, reported for `verb`.
int CheckKeyArgs(const std::string& verb, const Args& args);

// Whether finding `f` is of --rule (when given) and has every --key value.
bool FindingSelected(const JsonValue& f, const Args& args);

}  // namespace decree::cli
