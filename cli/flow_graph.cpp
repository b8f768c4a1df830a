// Fund-flow pictures: DOT text, then Graphviz's libgvc for the layout and the rendering.
#include "flow_graph.h"

#include <fmt/format.h>
#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>

namespace decree::cli {

namespace {

// A DOT string literal; a line break in `s` is a centred line break of the label.
std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

std::string Label(const FlowAccount& a) {
  std::string l = a.name.empty() ? a.account : a.name + "\n" + a.account;
  if (!a.customer.empty()) l += "\n(" + a.customer + ")";
  if (a.flagged) l += "\n⚑ flagged";
  return l;
}

// Amounts compared for folding: the larger transfers are kept.
double Size(const FlowTransfer& t) { return std::strtod(t.amount.c_str(), nullptr); }

}  // namespace

std::string FlowDot(const FlowGraph& g, int fold_above) {
  std::string out = "digraph flow {\n  rankdir=LR;\n  graph [fontname=\"DejaVu Sans,WenQuanYi Zen Hei\", fontsize=12, labelloc=t, label=" + Quote(g.title) + "];\n"
                    "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#f4f6f8\", color=\"#5b6770\", fontname=\"DejaVu Sans,WenQuanYi Zen Hei\", fontsize=10];\n"
                    "  edge [color=\"#9aa5ad\", fontname=\"DejaVu Sans,WenQuanYi Zen Hei\", fontsize=9];\n";
  // Transfers off the path, per account and direction, beyond the largest `fold_above`.
  std::map<std::string, std::vector<const FlowTransfer*>> out_of, into;
  for (const FlowTransfer& t : g.transfers) {
    if (t.on_path) continue;
    out_of[t.from].push_back(&t);
    into[t.to].push_back(&t);
  }
  std::map<const FlowTransfer*, bool> folded;
  int hub = 0;
  auto fold = [&](std::map<std::string, std::vector<const FlowTransfer*>>& by, bool outgoing) {
    for (auto& [account, list] : by) {
      if (static_cast<int>(list.size()) <= fold_above) continue;
      std::stable_sort(list.begin(), list.end(), [](const FlowTransfer* x, const FlowTransfer* y) { return Size(*x) > Size(*y); });
      int more = 0;
      for (size_t i = static_cast<size_t>(fold_above); i < list.size(); ++i) {
        if (!folded[list[i]]) ++more;
        folded[list[i]] = true;
      }
      if (more == 0) continue;
      std::string node = fmt::format("hub{}", hub++);
      out += fmt::format("  {} [label={}, shape=note, fillcolor=\"#ffffff\", style=\"filled,dashed\"];\n", node,
                         Quote(fmt::format("… {} more transfer{} {}", more, more == 1 ? "" : "s", outgoing ? "out" : "in")));
      out += outgoing ? fmt::format("  {} -> {} [style=dashed];\n", Quote(account), node)
                      : fmt::format("  {} -> {} [style=dashed];\n", node, Quote(account));
    }
  };
  fold(out_of, true);
  fold(into, false);
  std::set<std::string> shown;
  for (const FlowTransfer& t : g.transfers) {
    if (!folded[&t]) shown.insert({t.from, t.to});
  }
  for (const FlowAccount& a : g.accounts) {
    if (!a.origin && !shown.count(a.account)) continue;  // every transfer of it folded
    std::string style;
    if (a.flagged) style += ", fillcolor=\"#fde0dd\", color=\"#c0392b\"";
    if (a.origin) style += ", penwidth=2.5";
    out += fmt::format("  {} [label={}{}];\n", Quote(a.account), Quote(Label(a)), style);
  }
  for (const FlowTransfer& t : g.transfers) {
    if (folded[&t]) continue;
    std::string label = fmt::format("{} {}\n{}\n{}", t.amount, t.currency, t.at, t.txn);
    std::string style = t.on_path ? ", color=\"#c0392b\", fontcolor=\"#c0392b\", penwidth=2.5" : "";
    out += fmt::format("  {} -> {} [label={}{}];\n", Quote(t.from), Quote(t.to), Quote(label), style);
  }
  return out + "}\n";
}

Status RenderDot(const std::string& dot, const std::string& format, std::string* out) {
  std::unique_ptr<GVC_t, int (*)(GVC_t*)> gvc(gvContext(), gvFreeContext);
  if (!gvc) return Status::Internal("Graphviz could not start");
  Agraph_t* g = agmemread(dot.c_str());
  if (g == nullptr) return Status::Internal("Graphviz could not read the graph");
  Status st = Status::Ok();
  if (gvLayout(gvc.get(), g, "dot") != 0) {
    st = Status::Internal("Graphviz could not lay the graph out");
  } else {
    char* data = nullptr;
    unsigned int size = 0;
    if (gvRenderData(gvc.get(), g, format.c_str(), &data, &size) != 0 || data == nullptr) {
      st = Status::NotSupported(fmt::format("Graphviz cannot render {} here (is its plugin installed?)", format));
    } else {
      out->assign(data, size);
    }
    gvFreeRenderData(data);
    gvFreeLayout(gvc.get(), g);
  }
  agclose(g);
  return st;
}

}  // namespace decree::cli
