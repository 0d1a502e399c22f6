#!/usr/bin/env python3
"""Extract the demo's data from the shared real files (run once; the result is committed).

Usage: python3 data/extract.py ../shared/data
Keeps the source files' formats and columns, filtered to Tarn-et-Garonne (82) for places and
to 82 and its neighbours (12, 31, 32, 46, 47, 81) for the territory referential.
"""
import csv
import io
import json
import os
import sys

SRC = sys.argv[1] if len(sys.argv) > 1 else "../shared/data"
OUT = os.path.dirname(os.path.abspath(__file__))
DEP = "82"
NEIGHBOURS = {"82", "12", "31", "32", "46", "47", "81"}


def out(*parts):
    path = os.path.join(OUT, *parts)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


def copy_csv(src, dst, keep, delimiter=",", encoding="utf-8", newline_out="\n"):
    with open(os.path.join(SRC, src), newline="", encoding=encoding) as f:
        reader = csv.reader(f, delimiter=delimiter)
        header = next(reader)
        rows = [r for r in reader if keep(dict(zip(header, r)))]
    with open(out(dst), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL, lineterminator=newline_out)
        w.writerow(header)
        w.writerows(rows)
    return len(rows)


def dep_of(code):
    code = str(code)
    return code[:3] if code.startswith("97") else code[:2]


counts = {}
# Places of Tarn-et-Garonne from the national sources.
cnfs = json.load(open(os.path.join(SRC, "lieux-mediation-numerique/cnfs-lieux-conseillers-numeriques-2022-12.json")))
cnfs82 = [r for r in cnfs if str(r.get("code_postal", "")).startswith(DEP)]
json.dump(cnfs82, open(out("lieux/cnfs-lieux-conseillers-numeriques-2022-12-82.json"), "w"), ensure_ascii=False, indent=1)
counts["cnfs"] = len(cnfs82)
# France Services: quoted CSV, keep the quoting style of the source (all fields quoted).
for name in ("liste-fs-20240801.csv", "liste-fs-20221201.csv"):
    with open(os.path.join(SRC, "france-services", name), newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        dep_col = "insee_dep" if "insee_dep" in header else None
        rows = []
        for r in reader:
            d = dict(zip(header, r))
            dep = d.get(dep_col) if dep_col else None
            if dep is None:
                dep = dep_of(d.get("insee_com") or d.get("code_insee") or d.get("code_postal", ""))
            if dep == DEP:
                rows.append(r)
    with open(out("lieux", name.replace(".csv", "-82.csv")), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    counts[name] = len(rows)
counts["aidants"] = copy_csv(
    "dispositifs/20240212-aidants-connect-structures.csv",
    "lieux/20240212-aidants-connect-structures-82.csv",
    lambda d: dep_of(d.get("City Insee Code", "")) == DEP,
)

# Territory referential for 82 and its neighbours.
counts["cog"] = copy_csv(
    "communes/cog-2026-communes.csv",
    "referentiel/communes/cog-2026-communes.csv",
    lambda d: d["DEP"] in NEIGHBOURS,
    newline_out="\r\n",
)
counts["pop"] = copy_csv(
    "communes/populations-legales-2023.csv",
    "referentiel/communes/populations-legales-2023.csv",
    lambda d: d["DEP"] in NEIGHBOURS,
    delimiter=";",
    newline_out="\r\n",
)
counts["centroids"] = copy_csv(
    "communes/communes-2024-centroides-population.csv",
    "referentiel/communes/communes-2024-centroides-population.csv",
    lambda d: d["insee_dep"] in NEIGHBOURS,
)
epci = json.load(open(os.path.join(SRC, "communes/epci-membres-population.json")))
epci = [e for e in epci if any(dep_of(m["code"]) in NEIGHBOURS for m in e["membres"])]
json.dump(epci, open(out("referentiel/communes/epci-membres-population.json"), "w"), ensure_ascii=False)
counts["epci"] = len(epci)
epci_codes = {e["code"] for e in epci}
counts["ifn-communes"] = copy_csv(
    "ifn/ifn-communes.csv", "referentiel/ifn/ifn-communes.csv", lambda d: dep_of(d["code"]) in NEIGHBOURS
)
counts["ifn-epci"] = copy_csv("ifn/ifn-epci.csv", "referentiel/ifn/ifn-epci.csv", lambda d: d["code"] in epci_codes)
for name in ("communes-82-tarn-et-garonne.geojson", "departement-82-tarn-et-garonne.geojson"):
    data = open(os.path.join(SRC, "geo", name), encoding="utf-8").read()
    open(out("referentiel/geo", name), "w", encoding="utf-8").write(data)

print(json.dumps(counts, indent=1))
