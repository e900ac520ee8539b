#!/usr/bin/python3
"""Sums the results of every part of `make test` into one closing line.

Reads, from the directory given as argument: meson test logs (*.json, one
JSON object per line), pytest JUnit reports (*.xml) and extra.txt
("pass NAME" / "fail NAME" lines). Prints the failures by name, then
"N passed, N failed, N skipped" and exits 1 when anything failed."""
import glob
import json
import os
import sys
import xml.etree.ElementTree as ET

d = sys.argv[1]
passed = failed = skipped = 0
failures = []

for path in sorted(glob.glob(os.path.join(d, "*.json"))):
    label = os.path.basename(path)[:-5]
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            t = json.loads(line)
            res = t.get("result")
            if res in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif res == "SKIP":
                skipped += 1
            else:
                failed += 1
                failures.append(f"{label}: {t.get('name')} ({res})")

for path in sorted(glob.glob(os.path.join(d, "*.xml"))):
    label = os.path.basename(path)[:-4]
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        failed += 1
        failures.append(f"{label}: unreadable report")
        continue
    for case in root.iter("testcase"):
        name = f"{case.get('classname')}.{case.get('name')}"
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
            failures.append(f"{label}: {name}")
        elif case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1

extra = os.path.join(d, "extra.txt")
if os.path.exists(extra):
    with open(extra) as f:
        for line in f:
            res, _, name = line.strip().partition(" ")
            if res == "pass":
                passed += 1
            else:
                failed += 1
                failures.append(name)

print()
for f in failures:
    print("FAILED:", f)
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
