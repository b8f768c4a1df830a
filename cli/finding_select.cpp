// Choosing findings by --rule and --key (finding_select.h).
#include "finding_select.h"

namespace decree::cli {

std::string JsonText(const JsonValue* v) { return v != nullptr && v->is_string() ? v->text : std::string(); }

int CheckKeyArgs(const std::string& verb, const Args& args) {
  for (const std::string& kv : args.GetAll("key")) {
    if (kv.find('=') == std::string::npos || kv.front() == '=') return UsageError(verb, "--key expects NAME=VALUE");
  }
  return 0;
}

bool FindingSelected(const JsonValue& f, const Args& args) {
  if (args.Has("rule") && JsonText(f.Get("rule")) != args.Get("rule")) return false;
  const JsonValue* key = f.Get("key");
  for (const std::string& kv : args.GetAll("key")) {
    size_t eq = kv.find('=');
    if (key == nullptr || JsonText(key->Get(kv.substr(0, eq))) != kv.substr(eq + 1)) return false;
  }
  return true;
}

}  // namespace decree::cli
