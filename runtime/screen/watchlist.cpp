#include "screen/watchlist.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

#include "decree/sha256.h"
#include "vector/vector.h"
#include "io/csv.h"
#include "common/utf8.h"
#include "screen/index_file.h"
#include "decree/files.h"
#include "common/strings.h"
#include "io/csv_records.h"
#include "io/xml.h"

namespace decree::screen {
namespace {

struct CccCode {
  uint16_t code;
  uint32_t cp;
};
constexpr CccCode kCcc[] = {
#include "ccc_table.inc"
};

// OFAC's null.
std::string OfacField(std::string_view f) {
  f = Trim(f);
  if (f == "-0-") return "";
  return std::string(f);
}

std::string Dirname(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

bool Exists(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  std::fclose(f);
  return true;
}

// An error naming the line of the first byte that is not UTF-8 (lists are UTF-8 text; a name
// that is not would silently never match).
Status CheckUtf8(std::string_view text, const std::string& path) {
  size_t bad;
  if (IsValidUtf8(text, &bad)) return Status::Ok();
  size_t line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + static_cast<long>(bad), '\n'));
  return Status::Corruption(fmt::format("{}:{}: invalid UTF-8 (byte 0x{:02X}): a list must be UTF-8 text", path, line,
                                        static_cast<unsigned char>(text[bad])));
}

}  // namespace

const char* NameSourceName(NameSource s) {
  switch (s) {
    case NameSource::kPrimary: return "primary";
    case NameSource::kAlias: return "alias";
    case NameSource::kOriginalScript: return "original_script";
    case NameSource::kCommercialCode: return "commercial_code";
  }
  return "?";
}

bool DecodeCommercialCode(std::string_view digits, std::string* han) {
  han->clear();
  size_t i = 0;
  while (i < digits.size()) {
    if (digits[i] == ' ') { ++i; continue; }
    size_t j = i;
    while (j < digits.size() && digits[j] >= '0' && digits[j] <= '9') ++j;
    if (j - i != 4) return false;
    uint16_t code = static_cast<uint16_t>(std::stoi(std::string(digits.substr(i, 4))));
    auto it = std::lower_bound(std::begin(kCcc), std::end(kCcc), code, [](const CccCode& c, uint16_t v) { return c.code < v; });
    if (it == std::end(kCcc) || it->code != code) return false;
    AppendUtf8(it->cp, han);
    i = j;
  }
  return !han->empty();
}

std::vector<std::string> CommercialCodeNames(std::string_view remarks) {
  static constexpr std::string_view kMarker = "Chinese Commercial Code";
  std::vector<std::string> out;
  size_t at = 0;
  while ((at = remarks.find(kMarker, at)) != std::string_view::npos) {
    at += kMarker.size();
    size_t end = at;
    while (end < remarks.size() && ((remarks[end] >= '0' && remarks[end] <= '9') || remarks[end] == ' ')) ++end;
    std::string han;
    if (DecodeCommercialCode(remarks.substr(at, end - at), &han)) out.push_back(std::move(han));
    at = end;
  }
  return out;
}

Status DetectListFormat(const std::string& path, ListFormat* format) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return Status::IoError(fmt::format("{}: {}", path, std::strerror(errno)));
  char head[512] = {};
  size_t n = std::fread(head, 1, sizeof(head) - 1, f);
  std::fclose(f);
  std::string_view h(head, n);
  if (h.starts_with("SQLite format 3")) {
    *format = ListFormat::kSavedIndex;
    return Status::Ok();
  }
  if (h.starts_with("\xEF\xBB\xBF")) h.remove_prefix(3);
  h = Trim(h);
  if (h.starts_with("<")) {
    *format = ListFormat::kUnXml;
    return Status::Ok();
  }
  if (h.starts_with("list_id,")) {
    *format = ListFormat::kWatchlistCsv;
    return Status::Ok();
  }
  size_t digits = 0;
  while (digits < h.size() && h[digits] >= '0' && h[digits] <= '9') ++digits;
  if (digits > 0 && digits < h.size() && h[digits] == ',') {
    *format = ListFormat::kOfacSdnCsv;
    return Status::Ok();
  }
  return Status::InvalidArgument(fmt::format(
      "{}: not a watch list this version reads (expected UN consolidated XML, OFAC sdn.csv, or a watchlist.csv whose header starts with list_id)",
      path));
}

Status LoadWatchLists(const std::string& path, std::vector<WatchList>* out, const ListLoadOptions& options,
                      std::vector<std::string>* notes) {
  ListFormat format;
  Status s = DetectListFormat(path, &format);
  if (!s.ok()) return s;
  if (format == ListFormat::kSavedIndex) return LoadSavedLists(path, out);
  std::string text;
  if (s = ReadWholeFile(path, kMaxWholeFileBytes, &text); !s.ok()) return s;
  switch (format) {
    case ListFormat::kSavedIndex: break;
    case ListFormat::kUnXml: {
      WatchList list;
      if (s = LoadUnXml(text, path, &list); !s.ok()) return s;
      out->push_back(std::move(list));
      return Status::Ok();
    }
    case ListFormat::kOfacSdnCsv: {
      if (s = CheckUtf8(text, path); !s.ok()) return s;
      // alt.csv / add.csv beside sdn.csv, under the same prefix: sdn.csv → alt.csv,
      // ofac_sdn.csv → ofac_alt.csv.
      std::string dir = Dirname(path), base = Basename(path);
      std::string alt, add;
      OfacFile alt_file, add_file;
      size_t at = base.find("sdn");
      if (at != std::string::npos) {
        alt_file.path = dir + "/" + base.substr(0, at) + "alt" + base.substr(at + 3);
        add_file.path = dir + "/" + base.substr(0, at) + "add" + base.substr(at + 3);
      }
      std::vector<std::string> missing;
      for (auto [file, text_out, what] : {std::tuple{&alt_file, &alt, "aliases"}, std::tuple{&add_file, &add, "addresses"}}) {
        if (!file->path.empty() && Exists(file->path)) {
          if (s = ReadWholeFile(file->path, kMaxWholeFileBytes, text_out); !s.ok()) return s;
          if (s = CheckUtf8(*text_out, file->path); !s.ok()) return s;
        } else {
          missing.push_back(file->path.empty() ? fmt::format("its {} file", what) : fmt::format("{} ({})", file->path, what));
        }
      }
      if (!missing.empty()) {
        if (!options.allow_partial) {
          return Status::InvalidArgument(fmt::format(
              "{}: OFAC's SDN list comes in three files, and {} {} not beside it: without them more than half the names "
              "(the aliases) and the countries are missing; put them beside sdn.csv, or waive them explicitly",
              path, fmt::join(missing, " and "), missing.size() == 1 ? "is" : "are"));
        }
        if (notes != nullptr) notes->push_back(fmt::format("{}: loaded without {} (waived)", path, fmt::join(missing, " and ")));
      }
      alt_file.text = alt;
      add_file.text = add;
      WatchList list;
      if (s = LoadOfacSdn({text, path}, alt_file, add_file, &list); !s.ok()) return s;
      out->push_back(std::move(list));
      return Status::Ok();
    }
    case ListFormat::kWatchlistCsv:
      if (s = CheckUtf8(text, path); !s.ok()) return s;
      return LoadWatchlistCsv(text, path, out);
  }
  return Status::Internal("unknown list format");
}

Status LoadListFiles(const std::vector<std::string>& paths, const ListLoadOptions& options, std::vector<WatchList>* out,
                     std::vector<std::string>* notes) {
  std::map<std::string, std::string> by_content;  // SHA-256 -> the file that had it
  std::map<std::pair<std::string, std::string>, std::string> entries;  // (list, entry) -> file
  for (const std::string& path : paths) {
    std::string hex;
    uint64_t bytes = 0;
    Status st = Sha256File(path, &hex, &bytes);
    if (!st.ok()) return st;
    auto [it, fresh] = by_content.emplace(hex, path);
    if (!fresh) {
      return Status::InvalidArgument(fmt::format("{}: the same list as {} (identical content): a list given twice would double every hit",
                                                 path, it->second));
    }
    const size_t first = out->size();
    if (st = LoadWatchLists(path, out, options, notes); !st.ok()) return st;
    for (size_t l = first; l < out->size(); ++l) {
      for (const WatchEntry& e : (*out)[l].entries) {
        auto [where, added] = entries.emplace(std::make_pair((*out)[l].list_id, e.entry_id), path);
        if (!added) {
          return Status::InvalidArgument(fmt::format("{}: entry {} of list {} is also in {}: the same list given twice?", path,
                                                     e.entry_id, (*out)[l].list_id, where->second));
        }
      }
    }
  }
  return Status::Ok();
}

Status LoadUnXml(std::string_view text, const std::string& source, WatchList* out) {
  out->list_id = "un-sc";
  out->source = source;
  io::XmlReader xml(text);
  std::vector<std::string> path;  // open element names
  std::string chars;              // text of the innermost open element
  WatchEntry* entry = nullptr;
  std::string name_parts[4];      // FIRST_NAME … FOURTH_NAME
  size_t entry_line = 0;
  bool root_checked = false;
  std::map<std::string, size_t> seen_ids;  // REFERENCE_NUMBER -> line
  for (;;) {
    io::XmlReader::Event ev;
    Status s = xml.Next(&ev);
    if (!s.ok()) return Status::Corruption(fmt::format("{}:{}", source, s.message()));
    if (ev == io::XmlReader::Event::kEof) break;
    if (ev == io::XmlReader::Event::kStart) {
      if (!root_checked) {
        if (xml.name() != "CONSOLIDATED_LIST") {
          return Status::Corruption(fmt::format("{}:line {}: root element <{}>, expected <CONSOLIDATED_LIST>", source, xml.line(), xml.name()));
        }
        root_checked = true;
      }
      path.push_back(xml.name());
      chars.clear();
      if ((xml.name() == "INDIVIDUAL" || xml.name() == "ENTITY") && path.size() == 3) {
        out->entries.emplace_back();
        entry = &out->entries.back();
        entry->entry_type = xml.name() == "INDIVIDUAL" ? "individual" : "entity";
        entry->names.emplace_back();
        for (auto& p : name_parts) p.clear();
        entry_line = xml.line();
      }
      continue;
    }
    if (ev == io::XmlReader::Event::kText) {
      chars += xml.text();
      continue;
    }
    // kEnd
    const std::string& name = path.back();
    std::string_view value = Trim(chars);
    const std::string parent = path.size() >= 2 ? path[path.size() - 2] : "";
    if (entry != nullptr) {
      if (path.size() == 4) {
        if (name == "FIRST_NAME") name_parts[0] = value;
        else if (name == "SECOND_NAME") name_parts[1] = value;
        else if (name == "THIRD_NAME") name_parts[2] = value;
        else if (name == "FOURTH_NAME") name_parts[3] = value;
        else if (name == "REFERENCE_NUMBER") entry->entry_id = value;
        else if (name == "UN_LIST_TYPE") entry->program = value;
        else if (name == "NAME_ORIGINAL_SCRIPT" && !value.empty()) entry->names.push_back({std::string(value), NameSource::kOriginalScript});
      } else if (path.size() == 5) {
        if (name == "ALIAS_NAME" && (parent == "INDIVIDUAL_ALIAS" || parent == "ENTITY_ALIAS") && !value.empty()) {
          entry->names.push_back({std::string(value), NameSource::kAlias});
        } else if (name == "VALUE" && parent == "NATIONALITY" && entry->country.empty()) {
          entry->country = value;
        } else if (name == "COUNTRY" && parent == "ENTITY_ADDRESS" && entry->country.empty()) {
          entry->country = value;
        } else if ((name == "DATE" || name == "YEAR") && parent == "INDIVIDUAL_DATE_OF_BIRTH" && entry->birth_date.empty()) {
          entry->birth_date = value;
        }
      } else if (path.size() == 3 && (name == "INDIVIDUAL" || name == "ENTITY")) {
        std::string primary;
        for (const auto& p : name_parts) {
          if (p.empty()) continue;
          if (!primary.empty()) primary += ' ';
          primary += p;
        }
        if (entry->entry_id.empty()) {
          return Status::Corruption(fmt::format("{}:line {}: <{}> without a REFERENCE_NUMBER", source, entry_line, name));
        }
        if (primary.empty()) {
          return Status::Corruption(fmt::format("{}:line {}: <{}> {} has no FIRST_NAME", source, entry_line, name, entry->entry_id));
        }
        entry->names[0].text = std::move(primary);
        if (!seen_ids.emplace(entry->entry_id, entry_line).second) {
          return Status::Corruption(fmt::format("{}:line {}: REFERENCE_NUMBER {} is listed twice (first at line {})", source,
                                                entry_line, entry->entry_id, seen_ids[entry->entry_id]));
        }
        entry = nullptr;
      }
    }
    path.pop_back();
    chars.clear();
  }
  if (!root_checked) return Status::Corruption(fmt::format("{}: no <CONSOLIDATED_LIST>", source));
  if (out->entries.empty()) {
    return Status::Corruption(fmt::format("{}: the list has no INDIVIDUAL or ENTITY entries: an empty list would screen nothing", source));
  }
  return Status::Ok();
}

Status LoadOfacSdn(const OfacFile& sdn, const OfacFile& alt, const OfacFile& add, WatchList* out) {
  out->list_id = "ofac-sdn";
  out->source = sdn.path;
  std::unordered_map<std::string, size_t> by_id;
  std::vector<std::string_view> f;
  Status error;
  io::CsvRecords records(sdn.text, sdn.path);
  while (records.Next(&f, &error)) {
    if (!error.ok()) return error;
    if (f.size() != 12) {
      return Status::Corruption(fmt::format("{}: {} fields, an sdn.csv record has 12 (ent_num,SDN_Name,SDN_Type,Program,Title,"
                                            "Call_Sign,Vess_type,Tonnage,GRT,Vess_flag,Vess_owner,Remarks)",
                                            records.Where(), f.size()));
    }
    WatchEntry e;
    e.entry_id = OfacField(f[0]);
    if (e.entry_id.empty() || e.entry_id.find_first_not_of("0123456789") != std::string::npos) {
      return Status::Corruption(fmt::format("{}: ent_num '{}' is not a number", records.Where(), f[0]));
    }
    std::string name = OfacField(f[1]);
    if (name.empty()) return Status::Corruption(fmt::format("{}: entry {} has no SDN_Name", records.Where(), e.entry_id));
    e.names.push_back({std::move(name), NameSource::kPrimary});
    e.entry_type = OfacField(f[2]);
    if (e.entry_type.empty()) e.entry_type = "entity";
    e.program = OfacField(f[3]);
    for (std::string& han : CommercialCodeNames(f[11])) e.names.push_back({std::move(han), NameSource::kCommercialCode});
    if (!by_id.emplace(e.entry_id, out->entries.size()).second) {
      return Status::Corruption(fmt::format("{}: ent_num {} listed twice", records.Where(), e.entry_id));
    }
    out->entries.push_back(std::move(e));
  }
  if (out->entries.empty()) return Status::Corruption(fmt::format("{}: no entries: an empty list would screen nothing", sdn.path));
  io::CsvRecords alts(alt.text, alt.path);
  while (alts.Next(&f, &error)) {
    if (!error.ok()) return error;
    if (f.size() != 5) {
      return Status::Corruption(fmt::format("{}: {} fields, an alt.csv record has 5 (ent_num,alt_num,alt_type,alt_name,alt_remarks)",
                                            alts.Where(), f.size()));
    }
    auto it = by_id.find(OfacField(f[0]));
    if (it == by_id.end()) return Status::Corruption(fmt::format("{}: alias of ent_num '{}', which sdn.csv does not list", alts.Where(), f[0]));
    std::string name = OfacField(f[3]);
    if (name.empty()) return Status::Corruption(fmt::format("{}: alias {} has no alt_name", alts.Where(), OfacField(f[1])));
    out->entries[it->second].names.push_back({std::move(name), NameSource::kAlias});
  }
  io::CsvRecords adds(add.text, add.path);
  while (adds.Next(&f, &error)) {
    if (!error.ok()) return error;
    if (f.size() != 6) {
      return Status::Corruption(fmt::format("{}: {} fields, an add.csv record has 6 (ent_num,add_num,address,city,country,add_remarks)",
                                            adds.Where(), f.size()));
    }
    auto it = by_id.find(OfacField(f[0]));
    if (it == by_id.end()) return Status::Corruption(fmt::format("{}: address of ent_num '{}', which sdn.csv does not list", adds.Where(), f[0]));
    WatchEntry& e = out->entries[it->second];
    if (e.country.empty()) e.country = OfacField(f[4]);
  }
  return Status::Ok();
}

void AddAliases(std::string_view aliases, WatchEntry* e) {
  size_t start = 0;
  while (start <= aliases.size() && !aliases.empty()) {
    size_t bar = aliases.find('|', start);
    std::string_view a = Trim(aliases.substr(start, bar == std::string_view::npos ? std::string_view::npos : bar - start));
    if (!a.empty()) e->names.push_back({std::string(a), NameSource::kAlias});
    if (bar == std::string_view::npos) break;
    start = bar + 1;
  }
}

Status LoadWatchlistCsv(std::string_view text, const std::string& source, std::vector<WatchList>* out) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  static const char* const kColumns[] = {"list_id", "entry_id", "entry_type", "name", "aliases", "country", "birth_date", "program"};
  std::vector<std::string_view> f;
  Status error;
  io::CsvRecords records(text, source);
  if (!records.Next(&f, &error)) return Status::Corruption(fmt::format("{}: empty file (expected a header row)", source));
  if (!error.ok()) return error;
  int column[8];
  for (int c = 0; c < 8; ++c) {
    auto it = std::find(f.begin(), f.end(), kColumns[c]);
    if (it == f.end() && c <= 3) {
      return Status::Corruption(fmt::format("{}: header has no '{}' column (columns: list_id,entry_id,entry_type,name,aliases,"
                                            "country,birth_date,program)",
                                            records.Where(), kColumns[c]));
    }
    column[c] = it == f.end() ? -1 : static_cast<int>(it - f.begin());
  }
  const size_t width = f.size();
  std::map<std::string, size_t> list_index;
  std::set<std::pair<std::string, std::string>> seen;
  while (records.Next(&f, &error)) {
    if (!error.ok()) return error;
    if (f.size() != width) return Status::Corruption(fmt::format("{}: {} fields, the header has {}", records.Where(), f.size(), width));
    auto get = [&](int c) { return column[c] < 0 ? std::string() : std::string(Trim(f[static_cast<size_t>(column[c])])); };
    std::string list_id = get(0);
    WatchEntry e;
    e.entry_id = get(1);
    e.entry_type = get(2);
    std::string name = get(3);
    if (list_id.empty() || e.entry_id.empty()) return Status::Corruption(fmt::format("{}: empty list_id or entry_id", records.Where()));
    if (name.empty()) return Status::Corruption(fmt::format("{}: entry {} has an empty name", records.Where(), e.entry_id));
    if (!seen.emplace(list_id, e.entry_id).second) {
      return Status::Corruption(fmt::format("{}: entry {} of list {} listed twice", records.Where(), e.entry_id, list_id));
    }
    e.names.push_back({std::move(name), NameSource::kPrimary});
    AddAliases(get(4), &e);
    e.country = get(5);
    e.birth_date = get(6);
    e.program = get(7);
    auto [it, fresh] = list_index.emplace(list_id, out->size());
    if (fresh) {
      out->emplace_back();
      out->back().list_id = list_id;
      out->back().source = source;
    }
    (*out)[it->second].entries.push_back(std::move(e));
  }
  if (list_index.empty()) return Status::Corruption(fmt::format("{}: no entries", source));
  return Status::Ok();
}

}  // namespace decree::screen
