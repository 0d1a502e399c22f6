#!/usr/bin/env python3
"""Extract the demo's data from the shared real files (run once; the result is committed).

Usage: python3 data/extract.py ../shared/data
Keeps the source files' formats and columns: the places of Tarn-et-Garonne (82) as plain files
(the tests' fixtures), the national source lists and the national territory referential
gzip-compressed (`maillage demo --departement CODE`, INSEE codes for every département).
"""
import csv
import gzip
import io
import json
import os
import sys

SRC = sys.argv[1] if len(sys.argv) > 1 else "../shared/data"
OUT = os.path.dirname(os.path.abspath(__file__))
DEP = "82"


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

# The national territory referential and the national source lists, gzip-compressed byte for
# byte (the loader and the demo read `.gz` transparently): every département out of the box.
# mtime=0 so that rebuilding the same source gives the same bytes.
def gzip_copy(src, dst):
    with open(os.path.join(SRC, src), "rb") as f:
        data = f.read()
    with open(out(dst), "wb") as f:
        with gzip.GzipFile(filename="", mode="wb", fileobj=f, compresslevel=9, mtime=0) as g:
            g.write(data)
    return os.path.getsize(out(dst))


REFERENTIAL = [
    "communes/cog-2026-communes.csv",
    "communes/populations-legales-2023.csv",
    "communes/communes-2024-centroides-population.csv",
    "communes/epci-membres-population.json",
    "ifn/ifn-communes.csv",
    "ifn/ifn-epci.csv",
]
# Polygons only for the départements of the seed documents (all the shared data has).
REFERENTIAL += [
    "geo/" + n
    for n in sorted(os.listdir(os.path.join(SRC, "geo")))
    if n.startswith("communes-") and n.endswith(".geojson")
]
for rel in REFERENTIAL:
    counts["referentiel/" + rel + ".gz"] = gzip_copy(rel, "referentiel/" + rel + ".gz")
for src in (
    "lieux-mediation-numerique/cnfs-lieux-conseillers-numeriques-2022-12.json",
    "france-services/liste-fs-20240801.csv",
    "dispositifs/20240212-aidants-connect-structures.csv",
):
    dst = "lieux/national/" + os.path.basename(src) + ".gz"
    counts[dst] = gzip_copy(src, dst)

print(json.dumps(counts, indent=1))
