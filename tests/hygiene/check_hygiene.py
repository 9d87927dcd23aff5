#!/usr/bin/env python3
"""Build hygiene of the source tree (and of a configured build, when given):
  self-contained  no build or test file refers to the sibling shared folder or another path outside the tree
  subdirs         every CMakeLists.txt in the tree is reached by plain add_subdirectory calls
                  from the top (a folder that silently drops out would lose its tests)
  werror          the configure preset that ./ci/test builds turns warnings into errors
  catch-pch       every test source that includes Catch2 compiles with the shared Catch2 PCH
                  (needs the build's compile_commands.json)
Usage: check_hygiene.py SOURCE_DIR [BUILD_DIR] [--only CHECK]... Prints every problem; exit 1
if there is any."""
import argparse
import json
import os
import re
import sys

SKIP_DIRS = {".git", "build", "out", "node_modules", "__pycache__", ".cache"}
# References that leave the tree: the sibling shared/ folder, or a climb above the source dir.
OUTSIDE = re.compile(r"\.\./shared\b|/work/shared\b|\$\{(?:CMAKE|PROJECT)_SOURCE_DIR\}/\.\.")


def walk(root, sub=""):
    for dirpath, dirnames, filenames in os.walk(os.path.join(root, sub)):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.startswith("build")]
        for f in filenames:
            yield os.path.join(dirpath, f)


def check_self_contained(src):
    problems = []
    files = [os.path.join(src, f) for f in ("CMakeLists.txt", "CMakePresets.json")]
    files += [f for f in walk(src) if f.endswith((".cmake", "CMakeLists.txt"))]
    files += list(walk(src, "tests")) + list(walk(src, "ci"))
    for path in sorted(set(files)):
        try:
            text = open(path, encoding="utf-8").read()
        except (UnicodeDecodeError, FileNotFoundError):
            continue
        for n, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line) and "check_hygiene" not in path:
                problems.append(f"{os.path.relpath(path, src)}:{n}: refers outside the source tree: {line.strip()}")
    return problems


def strip_comments(text):
    return "\n".join(l.split("#", 1)[0] for l in text.splitlines())


def check_subdirs(src):
    problems, reached, todo = [], set(), [src]
    while todo:
        d = todo.pop()
        reached.add(os.path.normpath(d))
        text = strip_comments(open(os.path.join(d, "CMakeLists.txt"), encoding="utf-8").read())
        if re.search(r"\bif\s*\(\s*(NOT\s+)?EXISTS\b[^)]*CMakeLists\.txt", text):
            problems.append(f"{os.path.relpath(d, src)}/CMakeLists.txt: adds a folder only if it exists")
        for m in re.finditer(r"\badd_subdirectory\s*\(\s*([^\s)]+)", text):
            arg = m.group(1).replace("${PROJECT_SOURCE_DIR}", src).replace("${CMAKE_SOURCE_DIR}", src)
            arg = arg.replace("${CMAKE_CURRENT_SOURCE_DIR}", d)
            if "${" in arg:
                problems.append(f"{os.path.relpath(d, src)}/CMakeLists.txt: add_subdirectory({m.group(1)}) "
                                "with a variable; name the folder")
                continue
            sub = os.path.normpath(os.path.join(d, arg))
            if not os.path.isfile(os.path.join(sub, "CMakeLists.txt")):
                problems.append(f"{os.path.relpath(d, src)}/CMakeLists.txt: add_subdirectory({arg}): no such folder")
            elif sub not in reached:
                todo.append(sub)
    for f in walk(src):
        if os.path.basename(f) == "CMakeLists.txt" and os.path.normpath(os.path.dirname(f)) not in reached:
            problems.append(f"{os.path.relpath(f, src)}: never added (no add_subdirectory reaches it)")
    return problems


def check_werror(src):
    presets = {p["name"]: p for p in json.load(open(os.path.join(src, "CMakePresets.json")))["configurePresets"]}
    ci_test = open(os.path.join(src, "ci", "test"), encoding="utf-8").read()
    names = re.findall(r"cmake\s+--preset\s+(\S+)", ci_test)
    if not names:
        return ["ci/test: configures no preset (cmake --preset NAME)"]

    def cache(name):
        p = presets[name]
        inherits = p.get("inherits", [])
        values = {}
        for parent in ([inherits] if isinstance(inherits, str) else inherits)[::-1]:
            values.update(cache(parent))
        values.update(p.get("cacheVariables", {}))
        return values

    problems = []
    for name in names:
        if name not in presets:
            problems.append(f"ci/test: configure preset '{name}' is not in CMakePresets.json")
        elif str(cache(name).get("PUSHCHECK_WERROR", "OFF")).upper() not in ("ON", "TRUE", "1", "YES"):
            problems.append(f"CMakePresets.json: preset '{name}' (built by ./ci/test) does not set PUSHCHECK_WERROR=ON")
    return problems


def check_catch_pch(src, build):
    db = os.path.join(build, "compile_commands.json")
    if not os.path.isfile(db):
        return [f"{db}: missing (configure with CMAKE_EXPORT_COMPILE_COMMANDS=ON, as the presets do)"]
    problems, seen = [], 0
    for entry in json.load(open(db)):
        path = os.path.normpath(entry["file"])
        rel = os.path.relpath(path, src)
        if not rel.startswith("tests" + os.sep) or rel.endswith("catch_main.cpp") or not os.path.isfile(path):
            continue
        if "catch2/catch.hpp" not in open(path, encoding="utf-8").read():
            continue
        seen += 1
        cmd = entry.get("command") or " ".join(entry.get("arguments", []))
        if not re.search(r"-include\s+\S*pushcheck_catch_main\.dir\S*cmake_pch\.hxx", cmd):
            problems.append(f"{rel}: compiled without the shared Catch2 PCH (call pushcheck_use_catch_pch)")
    if seen == 0:
        problems.append(f"{db}: no test source that includes Catch2")
    return problems


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source")
    p.add_argument("build", nargs="?")
    p.add_argument("--only", action="append", choices=["self-contained", "subdirs", "werror", "catch-pch"])
    a = p.parse_args()
    src = os.path.abspath(a.source)
    checks = a.only or ["self-contained", "subdirs", "werror"] + (["catch-pch"] if a.build else [])
    problems = []
    for c in checks:
        found = {"self-contained": lambda: check_self_contained(src), "subdirs": lambda: check_subdirs(src),
                 "werror": lambda: check_werror(src), "catch-pch": lambda: check_catch_pch(src, a.build)}[c]()
        print(f"{c}: {'ok' if not found else f'{len(found)} problems'}")
        problems += found
    for x in problems:
        print("  " + x)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
