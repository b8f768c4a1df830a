#!/usr/bin/env python3
"""Writes tests/screening/variants.csv: name variants built from real UN and OFAC entries.

    tests/screening/make_variants.py [WATCHLIST_DIR]   (default ../shared/data/watchlists)

Each row is a query written from one list entry the way names reach a bank, and whether that
entry must be hit (`hit`) or must not be (`no_hit`).  Only that entry is judged: another entry
may carry the same name.  The set is deterministic (seeded) and checked into the repository,
so the test runs without this script; run it again only to rebuild the set.

Positive categories (the entry must be hit):
  middle_omitted   an individual of 3+ name parts with one middle part left out
  transliteration  one part respelled: Mohammed/Muhammad/Mohamed, Ahmed/Ahmad, Hassan/Hasan,
                   Hussein/Husayn, Abdul/Abd al, Abdel/Abd el, Youssef/Yusuf, Osama/Usama
                   (the respellings named in issue 17), both directions
  transposition    two adjacent letters of one part (4+ letters) swapped
  word_order       the family name moved to the other end
  lower_case       lower case, punctuation dropped
Hard non-matches (the entry must not be hit):
  patronymic_swap      "A bin B" written "B bin A"
  contradicting_given  the first given name replaced by another common given name
  other_family         the family name replaced by another family name
"""
import csv
import os
import random
import re
import sys
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.abspath(__file__))
LISTS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "..", "..", "shared", "data", "watchlists")

RESPELL = [("MOHAMMED", "MUHAMMAD"), ("MUHAMMAD", "MOHAMED"), ("MOHAMED", "MOHAMMED"), ("MOHAMMAD", "MUHAMMAD"),
           ("AHMED", "AHMAD"), ("AHMAD", "AHMED"), ("HASSAN", "HASAN"), ("HASAN", "HASSAN"), ("HUSSEIN", "HUSAYN"),
           ("HUSAYN", "HUSSEIN"), ("HUSSAIN", "HUSSEIN"), ("ABDUL", "ABD AL"), ("ABD AL", "ABDUL"), ("ABDEL", "ABD EL"),
           ("ABD EL", "ABDEL"), ("YOUSSEF", "YUSUF"), ("YUSUF", "YOUSSEF"), ("YOUSEF", "YUSUF"), ("OSAMA", "USAMA"),
           ("USAMA", "OSAMA")]
# Given names for contradictions, none an equivalent spelling of another.
GIVEN = ["IBRAHIM", "KHALID", "TARIQ", "NABIL", "WALID", "SAMIR", "RASHID", "FAISAL", "JAMAL", "KARIM", "MAHMOUD",
         "IVAN", "SERGEY", "DMITRY", "PAVEL", "JOHN", "PETER", "MARIA", "ANNA", "CARLOS", "JOSE", "WEI", "MING"]
FAMILY = ["HADDAD", "NASSAR", "KHOURY", "SALEH", "OTHMAN", "PETROV", "IVANOV", "SMIRNOV", "GARCIA", "MARTINEZ",
          "JOHNSON", "WILLIAMS", "NAKAMURA", "DUBOIS", "SCHMIDT", "ROSSI"]
CHAIN = {"BIN", "IBN", "BEN", "BINT", "OULD"}


def un_people():
    root = ET.parse(os.path.join(LISTS, "un_consolidated.xml")).getroot()
    for ind in root.find("INDIVIDUALS"):
        parts = [(ind.findtext(t) or "").strip() for t in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")]
        words = " ".join(p for p in parts if p).split()
        if words and all(re.fullmatch(r"[A-Za-z'\-]+", w) for w in words):
            yield "un-sc:" + ind.findtext("REFERENCE_NUMBER").strip(), words[:-1], words[-1]  # given, family (last)


def ofac_people():
    with open(os.path.join(LISTS, "ofac_sdn.csv"), newline="", encoding="utf-8") as f:
        for row in csv.reader(f):
            if len(row) < 3 or row[2].strip() != "individual" or "," not in row[1]:
                continue
            family, given = (s.strip() for s in row[1].split(",", 1))
            words = given.split()
            if words and re.fullmatch(r"[A-Za-z' \-]+", given + " " + family):
                yield "ofac-sdn:" + row[0].strip(), words, family


def ofac_aliases():
    aliases = {}
    with open(os.path.join(LISTS, "ofac_alt.csv"), newline="", encoding="utf-8") as f:
        for row in csv.reader(f):
            if len(row) >= 4:
                aliases.setdefault("ofac-sdn:" + row[0].strip(), []).append(row[3].upper())
    return aliases


def equivalents():
    groups = {}
    with open(os.path.join(ROOT, "..", "..", "runtime", "screen", "name_equivalents.txt"), encoding="utf-8") as f:
        for n, line in enumerate(f):
            if line.strip() and not line.startswith("#"):
                for w in line.split():
                    groups.setdefault(w.upper(), n)
    return groups


def transpose(word, rng):
    spots = [i for i in range(1, len(word) - 1) if word[i] != word[i + 1] and word[i].isalpha() and word[i + 1].isalpha()]
    if len(word) < 4 or not spots:
        return None
    i = rng.choice(spots)
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def main():
    rng = random.Random(17)
    people = list(un_people()) + list(ofac_people())
    aliases, groups = ofac_aliases(), equivalents()
    rng.shuffle(people)
    rows, seen = [], set()

    def add(query, entry, category, expect):
        if (query, entry) not in seen:
            seen.add((query, entry))
            rows.append((query, entry, category, expect))

    counts = {}

    def room(category, cap):
        counts[category] = counts.get(category, 0)
        if counts[category] >= cap:
            return False
        counts[category] += 1
        return True

    for entry, given, family in people:
        name = " ".join(given + [family])
        upper = name.upper()
        chain = [i for i, w in enumerate(given) if w.upper() in CHAIN]
        if len(given) >= 3 and not chain and room("middle_omitted", 140):
            drop = rng.randrange(1, len(given))
            add(" ".join(given[:drop] + given[drop + 1:] + [family]), entry, "middle_omitted", "hit")
        for a, b in RESPELL:
            if re.search(r"\b%s\b" % a, upper) and room("transliteration", 130):
                add(re.sub(r"\b%s\b" % a, b, upper, count=1), entry, "transliteration", "hit")
                break
        longest = max(given + [family], key=len)
        swapped = transpose(longest, rng)
        if swapped and len(given) >= 1 and room("transposition", 130):
            add(name.replace(longest, swapped, 1), entry, "transposition", "hit")
        if given and room("word_order", 110):
            add(" ".join([family] + given), entry, "word_order", "hit")
        if room("lower_case", 100):
            add(name.replace("'", "").replace("-", " ").lower(), entry, "lower_case", "hit")
        # A swap of two spellings of one name is the same name; an entry with an alias holding
        # both parts (OFAC writes some chains in both orders) may carry the swapped name.
        swap_ok = chain and 0 < chain[0] < len(given) - 1
        if swap_ok:
            a, b = given[0].upper(), given[chain[0] + 1].upper()
            swap_ok = a != b and (a not in groups or groups.get(a) != groups.get(b)) and not any(
                a in alias and b in alias for alias in aliases.get(entry, []))
        if swap_ok and room("patronymic_swap", 60):
            c = chain[0]
            add(" ".join([given[c + 1]] + given[1:c] + [given[c]] + [given[0]] + given[c + 2:] + [family]), entry, "patronymic_swap",
                "no_hit")
        if given and room("contradicting_given", 70):
            other = rng.choice([g for g in GIVEN if g != given[0].upper()])
            add(" ".join([other] + given[1:] + [family]), entry, "contradicting_given", "no_hit")
        if given and room("other_family", 60):
            other = rng.choice([f for f in FAMILY if f != family.upper()])
            add(" ".join(given + [other]), entry, "other_family", "no_hit")
    out = os.path.join(ROOT, "variants.csv")
    with open(out, "w", newline="", encoding="utf-8") as f:
        f.write("# Generated by tests/screening/make_variants.py from the UN and OFAC lists (see its header).\n")
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["query", "entry", "category", "expect"])
        w.writerows(rows)
    print(f"{out}: {len(rows)} rows; " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


if __name__ == "__main__":
    main()
