// decree graph: a picture of a fund flow — the paths of a finding, or the neighbourhood of an
// account — as SVG, PNG or DOT, through Graphviz.
#include <fmt/format.h>

#include <fstream>
#include <functional>
#include <map>
#include <set>

#include "cli.h"
#include "compile_common.h"
#include "decree/atomic_file.h"
#include "decree/input.h"
#include "decree/json.h"
#include "finding_select.h"
#include "flow_graph.h"
#include "paths.h"

namespace decree::cli {

namespace {

const VerbSpec kSpec = {
    "graph",
    "decree graph -i BATCH (-f FINDINGS (--line N | --rule ID [--key NAME=VALUE]...) | --account ACCOUNT [--from DATE] "
    "[--to DATE] [--hops N]) -o OUT.svg|OUT.png|OUT.dot",
    "Draw a fund flow: the paths of a finding, or the transfers around an account.",
    "With -f, draws the paths of one finding of a path rule (aml.layering_chain, aml.round_trip):\n"
    "the finding on line N of FINDINGS, or the one of --rule whose key matches every --key.\n"
    "With --account, draws the transfers within --hops (default 2) of an account, in either\n"
    "direction, booked between --from and --to (dates as written in the batch, inclusive).\n"
    "Accounts are labelled with their holder's name and customer id from BATCH (the canonical\n"
    "layout, CSV or JSON Lines); transfers with amount, time and txn_id; the finding's paths are\n"
    "drawn red; accounts any finding of FINDINGS names (by account_id or customer_id) are marked\n"
    "flagged; an account with more than --fold transfers off the path (default 8) is a hub, its\n"
    "smaller transfers folded into one node.  The format follows OUT's extension, or --format.\n\n"
    "Exit status: 0 drawn; 1 no such finding, a finding without paths, or nothing to draw;\n"
    "2 could not start (a bad command line, a missing file).",
    {
        {"input", 'i', "BATCH", "the batch the findings were made from (required)"},
        {"findings", 'f', "FILE", "findings.jsonl written by decree run"},
        {"line", 0, "N", "the finding on line N of FINDINGS"},
        {"rule", 0, "ID", "the finding of this rule (with --key: whose key matches)"},
        {"key", 'k', "NAME=VALUE", "a key value the finding must have, e.g. txn_id=T000000441 (repeatable)", true},
        {"account", 0, "ACCOUNT", "draw the transfers around this account instead of a finding"},
        {"from", 0, "DATE", "--account: transfers booked on or after this date (YYYY-MM-DD)"},
        {"to", 0, "DATE", "--account: transfers booked on or before this date (YYYY-MM-DD)"},
        {"hops", 0, "N", "--account: how many transfers away from it (default 2, at most 6)"},
        {"fold", 0, "N", "fold an account's transfers off the path beyond its N largest (default 8)"},
        {"out", 'o', "OUT", "the picture: OUT.svg, OUT.png or OUT.dot (required; never an input)"},
        {"format", 0, "svg|png|dot", "the output format (default: OUT's extension)"},
    },
    {"decree graph -i transactions.csv -f findings.jsonl --rule aml.round_trip -k txn_id=T000000441 -o trip.svg",
     "decree graph -i transactions.csv -f findings.jsonl --line 12 -o chain.png",
     "decree graph -i transactions.csv --account 62000000000045 --from 2026-03-01 --to 2026-03-07 --hops 2 -o around.svg"},
    0,
    0,
};

std::string Field(const RecordText& r, const char* name) {
  for (const auto& [k, v] : r.fields) {
    if (k == name) return v;
  }
  return "";
}

// What the batch says of accounts and transfers (canonical layout).
struct Batch {
  std::map<std::string, std::pair<std::string, std::string>> holder;  // account -> (name, customer id)
  std::vector<FlowTransfer> transfers;                                  // every record with a counterparty account
};

// `keep`: which transfers are kept (the findings' hops, or the period asked about).
int ReadBatch(const std::string& path, const std::function<bool(const FlowTransfer&)>& keep, Batch* b) {
  InputSpec spec;
  spec.path = path;
  std::set<std::string> seen;  // one institution's out and the other's in are one transfer
  Status st = ForEachRecord(spec, "txn_id", [&](RecordText&& r) {
    std::string account = Field(r, "account_id"), other = Field(r, "counterparty_account");
    b->holder.emplace(account, std::make_pair(Field(r, "customer_name"), Field(r, "customer_id")));
    if (other.empty()) return;
    b->holder.emplace(other, std::make_pair(Field(r, "counterparty_name"), Field(r, "counterparty_id")));
    bool out = Field(r, "direction") != "in";
    FlowTransfer t{r.id, out ? account : other, out ? other : account, Field(r, "amount"), Field(r, "currency"), Field(r, "booked_at")};
    if (keep(t) && seen.insert(t.from + "\n" + t.to + "\n" + t.amount + "\n" + t.at).second) b->transfers.push_back(std::move(t));
  });
  if (!st.ok()) {
    fmt::print(stderr, "decree graph: -i {}\n", st.message());
    return ExitFor(st);
  }
  return 0;
}

// The accounts and customers any finding names (its key's account_id and customer_id).
int ReadFindings(const std::string& path, const Args& args, std::set<std::string>* flagged, JsonValue* chosen, size_t* matches) {
  std::ifstream in(path, std::ios::binary);
  std::string text;
  long long wanted = 0;
  if (args.Has("line") && !args.GetInt("line", 1, INT64_MAX, &wanted)) return kExitUsage;
  for (size_t line = 1; std::getline(in, text); ++line) {
    JsonValue f;
    size_t off;
    std::string error;
    if (!ParseJson(text, &f, &off, &error)) {
      fmt::print(stderr, "decree graph: {}:{}: not a finding (invalid JSON at byte {}: {})\n", path, line, off + 1, error);
      return kExitFailure;
    }
    const JsonValue* key = f.Get("key");
    for (const char* k : {"account_id", "customer_id"}) {
      if (key != nullptr && !JsonText(key->Get(k)).empty()) flagged->insert(JsonText(key->Get(k)));
    }
    bool selected = (args.Has("line") ? line == static_cast<size_t>(wanted) : args.Has("rule")) && FindingSelected(f, args);
    if (selected && (*matches)++ == 0) *chosen = std::move(f);
  }
  return 0;
}

void AddAccount(const std::string& a, const Batch& b, const std::set<std::string>& flagged, FlowGraph* g, std::set<std::string>* added) {
  if (!added->insert(a).second) return;
  FlowAccount x;
  x.account = a;
  if (auto it = b.holder.find(a); it != b.holder.end()) std::tie(x.name, x.customer) = it->second;
  x.flagged = flagged.count(a) > 0 || (!x.customer.empty() && flagged.count(x.customer) > 0);
  g->accounts.push_back(std::move(x));
}

// The finding's paths, highlighted.
// `missing`: how many of its hops the batch does not hold (the wrong batch?).
int FindingGraph(const JsonValue& f, const Batch& b, const std::set<std::string>& flagged, FlowGraph* g, size_t* missing) {
  const JsonValue* paths = f.Get("paths");
  if (paths == nullptr || paths->items.empty()) {
    fmt::print(stderr, "decree graph: the finding of {} has no paths (only path rules' findings do); draw an account's "
                       "neighbourhood with --account\n", JsonText(f.Get("rule")));
    return kExitFailure;
  }
  std::set<std::string> added, drawn;
  const JsonValue* key = f.Get("key");
  g->title = fmt::format("{} — {} from {}, first hop {}", JsonText(f.Get("rule")), paths->items.size() == 1 ? "1 path" : fmt::format("{} paths", paths->items.size()),
                         JsonText(key != nullptr ? key->Get("account_id") : nullptr), JsonText(key != nullptr ? key->Get("txn_id") : nullptr));
  for (const JsonValue& p : paths->items) {
    for (const JsonValue& h : p.items) {
      AddAccount(JsonText(h.Get("from")), b, flagged, g, &added);
      AddAccount(JsonText(h.Get("to")), b, flagged, g, &added);
      if (!drawn.insert(JsonText(h.Get("txn_id"))).second) continue;
      std::string currency;
      for (const FlowTransfer& t : b.transfers) currency = t.txn == JsonText(h.Get("txn_id")) ? t.currency : currency;
      if (currency.empty()) ++*missing;
      g->transfers.push_back({JsonText(h.Get("txn_id")), JsonText(h.Get("from")), JsonText(h.Get("to")), JsonText(h.Get("amount")), currency,
                              JsonText(h.Get("booked_at")), true});
    }
  }
  if (!g->accounts.empty()) g->accounts.front().origin = true;
  return 0;
}

// The transfers within `hops` of `account`, either direction, booked in [from, to].
int AccountGraph(const Args& args, const Batch& b, const std::set<std::string>& flagged, FlowGraph* g) {
  long long hops = 2;
  if (args.Has("hops") && !args.GetInt("hops", 1, 6, &hops)) return kExitUsage;
  const std::string account = args.Get("account"), from = args.Get("from"), to = args.Get("to");
  auto in_period = [&](const FlowTransfer& t) {
    std::string day = t.at.substr(0, 10);
    return (from.empty() || day >= from) && (to.empty() || day <= to);
  };
  std::map<std::string, int> distance{{account, 0}};
  std::set<size_t> chosen;
  for (int d = 0; d < hops; ++d) {
    for (size_t i = 0; i < b.transfers.size(); ++i) {
      const FlowTransfer& t = b.transfers[i];
      if (!in_period(t)) continue;
      auto a = distance.find(t.from), c = distance.find(t.to);
      bool from_near = a != distance.end() && a->second == d, to_near = c != distance.end() && c->second == d;
      if (!from_near && !to_near) continue;
      chosen.insert(i);
      distance.emplace(t.from, d + 1);
      distance.emplace(t.to, d + 1);
    }
  }
  if (chosen.empty()) {
    fmt::print(stderr, "decree graph: no transfer of account {} in the batch{}\n", account, from.empty() && to.empty() ? "" : " in that period");
    return kExitFailure;
  }
  g->title = fmt::format("transfers within {} of account {}{}", hops == 1 ? "1 hop" : fmt::format("{} hops", hops), account,
                         from.empty() && to.empty() ? "" : fmt::format(", {} to {}", from.empty() ? "…" : from, to.empty() ? "…" : to));
  std::set<std::string> added;
  AddAccount(account, b, flagged, g, &added);
  g->accounts.front().origin = true;
  for (size_t i : chosen) {
    AddAccount(b.transfers[i].from, b, flagged, g, &added);
    AddAccount(b.transfers[i].to, b, flagged, g, &added);
    g->transfers.push_back(b.transfers[i]);
  }
  return 0;
}

int Run(const Args& args) {
  if (!args.Has("input")) return UsageError("graph", "missing -i BATCH");
  if (args.Has("account") == args.Has("findings") && !(args.Has("account") && args.Has("findings"))) {
    return UsageError("graph", "give -f FINDINGS with --line or --rule, or --account ACCOUNT");
  }
  if (!args.Has("account") && args.Has("line") == args.Has("rule")) return UsageError("graph", "give --line N or --rule ID (with --key NAME=VALUE)");
  if (int code = CheckKeyArgs("graph", args); code != 0) return code;
  const std::string out = args.Get("out");
  if (out.empty() || out == "-") return UsageError("graph", "give the picture's file: -o OUT.svg, OUT.png or OUT.dot");
  std::string format = args.Has("format") ? args.Get("format") : out.substr(out.rfind('.') == std::string::npos ? out.size() : out.rfind('.') + 1);
  if (format != "svg" && format != "png" && format != "dot") return UsageError("graph", fmt::format("the format is svg, png or dot, not '{}'", format));
  long long fold = 8;
  if (args.Has("fold") && !args.GetInt("fold", 1, 1000, &fold)) return kExitUsage;
  PathGuard guard;
  guard.Input("--input", args.Get("input"));
  if (args.Has("findings")) guard.Input("--findings", args.Get("findings"));
  guard.Output("--out", out);
  if (int code = CheckPaths("graph", guard); code != 0) return code;
  std::set<std::string> flagged;
  JsonValue finding;
  size_t matches = 0;
  if (args.Has("findings")) {
    if (int code = ReadFindings(args.Get("findings"), args, &flagged, &finding, &matches); code != 0) return code;
    if (!args.Has("account") && matches != 1) {
      fmt::print(stderr, "decree graph: {} findings of {} match{}\n", matches, args.Get("findings"),
                 matches == 0 ? "" : ": add --key txn_id=… to choose one");
      return kExitFailure;
    }
  }
  Batch batch;
  std::set<std::string> path_txns;  // a finding's hops: the transfers whose currency is shown
  if (const JsonValue* paths = finding.Get("paths")) {
    for (const JsonValue& p : paths->items) {
      for (const JsonValue& h : p.items) path_txns.insert(JsonText(h.Get("txn_id")));
    }
  }
  const std::string from = args.Get("from"), to = args.Get("to");
  auto keep = [&](const FlowTransfer& t) {
    if (!args.Has("account")) return path_txns.count(t.txn) > 0;
    std::string day = t.at.substr(0, 10);
    return (from.empty() || day >= from) && (to.empty() || day <= to);
  };
  if (int code = ReadBatch(args.Get("input"), keep, &batch); code != 0) return code;
  FlowGraph g;
  size_t missing = 0;
  int code = args.Has("account") ? AccountGraph(args, batch, flagged, &g) : FindingGraph(finding, batch, flagged, &g, &missing);
  if (code != 0) return code;
  if (missing > 0) {
    fmt::print(stderr, "decree graph: note: {} of the finding's transfers are not in {} (is it the batch the findings were made "
                       "from?); drawn from the findings file alone, without holders' names\n",
               Count(missing), args.Get("input"));
  }
  std::string bytes = FlowDot(g, static_cast<int>(fold));
  if (format != "dot") {
    std::string rendered;
    if (Status st = RenderDot(bytes, format, &rendered); !st.ok()) {
      fmt::print(stderr, "decree graph: {}\n", st.message());
      return kExitFailure;
    }
    bytes = std::move(rendered);
  }
  if (Status st = WriteFileAtomically(out, bytes); !st.ok()) {
    fmt::print(stderr, "decree graph: {}\n", st.message());
    return ExitFor(st);
  }
  if (!args.quiet()) {
    fmt::print(stderr, "decree graph: wrote {} ({} accounts, {} transfers)\n", out, Count(g.accounts.size()), Count(g.transfers.size()));
  }
  return kExitOk;
}

}  // namespace

const Verb& GraphVerb() {
  static const Verb v{&kSpec, Run};
  return v;
}

}  // namespace decree::cli
