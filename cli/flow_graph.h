// Fund-flow pictures (decree graph): accounts and the transfers between them, as Graphviz DOT
// and rendered through libgvc (SVG, PNG).
#pragma once

#include <string>
#include <vector>

#include "decree/status.h"

namespace decree::cli {

struct FlowAccount {
  std::string account;
  std::string name, customer;  // the holder, when the batch says
  bool flagged = false;        // a finding names this account or its customer
  bool origin = false;         // where the drawn path starts, or the account asked about
};

struct FlowTransfer {
  std::string txn, from, to;
  std::string amount, currency, at;
  bool on_path = false;  // part of the finding's path(s): drawn highlighted
};

struct FlowGraph {
  std::string title;
  std::vector<FlowAccount> accounts;
  std::vector<FlowTransfer> transfers;
};

// The graph as DOT.  An account with more than `fold_above` transfers off the path is a hub:
// those beyond the largest `fold_above` are folded into one node per direction ("… 37 more").
std::string FlowDot(const FlowGraph& g, int fold_above);

// Lays `dot` out with Graphviz's dot and renders it as `format` ("svg", "png").
Status RenderDot(const std::string& dot, const std::string& format, std::string* out);

}  // namespace decree::cli
