#!/usr/bin/env python3
"""Checks the CI templates users copy: each parses (YAML with PyYAML, the Jenkinsfile with
Groovy when it is installed, else a bracket and quote balance check), each runs pushcheck,
and every flag it passes to `pushcheck run`, `load` or `merge` (or ./ci/suite, which
forwards them to run) is one that the command's --help lists. Prints one line per problem; exit 1 if there is any.
With --expect-error TEXT (repeatable) it checks itself instead: exit 0 only when the
problems found are exactly one per TEXT, each containing its TEXT."""
import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys

import yaml

# A pushcheck command line: the installed or built binary, or ./ci/suite (which runs `run`).
COMMAND = re.compile(r"(?:\bpushcheck\s+(?P<cmd>run|load|merge)|\bci/suite)\b(?P<args>[^\n;|&]*)")
COMMANDS = ("run", "load", "merge")


def run_flags(pushcheck, command="run"):
    """The flags `pushcheck COMMAND --help` lists (CLI11 layout: '  -q,--quiet', '  --target TEXT')."""
    out = subprocess.run([pushcheck, command, "--help"], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        sys.exit(f"check_templates: '{pushcheck} {command} --help' exited {out.returncode}: {out.stderr.strip()}")
    flags = set()
    for line in out.stdout.splitlines():
        m = re.match(r"\s+(-[^\s]+)", line)
        if m:
            for f in m.group(1).split(","):
                flags.add(f.split("=")[0])
    if "--json" not in flags:
        sys.exit(f"check_templates: could not read the flags from 'pushcheck {command} --help':\n" + out.stdout)
    return flags


def flags_in(args_text):
    """The flags of one shell command line (quotes and continuations handled by shlex)."""
    try:
        tokens = shlex.split(args_text.replace("\\\n", " "), comments=True)
    except ValueError as e:
        return None, f"cannot split '{args_text.strip()}': {e}"
    return [t.split("=")[0] for t in tokens if t.startswith("-")], None


def strings(node):
    """Every string in a parsed YAML document, and every list of strings (container args)."""
    if isinstance(node, dict):
        for v in node.values():
            yield from strings(v)
    elif isinstance(node, list):
        if node and all(isinstance(x, str) for x in node):
            yield node
        for v in node:
            yield from strings(v)
    elif isinstance(node, str):
        yield node


def commands_yaml(path, problems):
    try:
        with open(path, encoding="utf-8") as f:
            docs = [d for d in yaml.safe_load_all(f) if d is not None]
    except yaml.YAMLError as e:
        problems.append(f"{path}: not valid YAML: {e}".replace("\n", " "))
        return []
    if not docs:
        problems.append(f"{path}: empty YAML")
    found = []
    for doc in docs:
        for s in strings(doc):
            if isinstance(s, list):
                # A container that runs the pushcheck image: args: ["run", "--target", ...].
                if s[0] in COMMANDS:
                    found.append((s[0], shlex.join(s[1:])))
            else:
                found += [(m.group("cmd") or "run", m.group("args")) for m in COMMAND.finditer(s.replace("\\\n", " "))]
    return found


def check_groovy(path, groovy, problems):
    if groovy:
        script = "new GroovyShell().parse(new File(args[0]))"
        out = subprocess.run([groovy, "-e", script, path], capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            problems.append(f"{path}: not valid Groovy: " + " ".join(out.stderr.split())[:400])
        return
    # No Groovy here: brackets and quotes must balance (comments and strings skipped).
    text = open(path, encoding="utf-8").read()
    # One pass, so a '//' inside a string is not taken for a comment (and vice versa).
    text = re.sub(LITERAL.pattern + r"|//[^\n]*|/\*.*?\*/",
                  lambda m: "" if m.group(0).startswith("/") else "S", text, flags=re.S)
    if "'" in text or '"' in text:
        problems.append(f"{path}: not valid Groovy: unbalanced quote")
        return
    stack, pairs = [], {")": "(", "]": "[", "}": "{"}
    for i, c in enumerate(text):
        if c in "([{":
            stack.append(c)
        elif c in pairs and (not stack or stack.pop() != pairs[c]):
            problems.append(f"{path}: not valid Groovy: unbalanced '{c}' at line {text.count(chr(10), 0, i) + 1}")
            return
    if stack:
        problems.append(f"{path}: not valid Groovy: unclosed '{stack[-1]}'")


# Groovy string literals: ''' ''', """ """, ' ' and " ".
LITERAL = re.compile(r"'''(.*?)'''|\"\"\"(.*?)\"\"\"|'((?:\\.|[^'\\\n])*)'|\"((?:\\.|[^\"\\\n])*)\"", re.S)


def commands_groovy(path):
    """Commands inside the Groovy string literals (the sh steps' scripts)."""
    text = open(path, encoding="utf-8").read()
    found = []
    for lit in LITERAL.finditer(text):
        body = next(g for g in lit.groups() if g is not None).replace("\\\n", " ")
        found += [(m.group("cmd") or "run", m.group("args")) for m in COMMAND.finditer(body)]
    return found


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--pushcheck", required=True)
    p.add_argument("--groovy", default="", help="the groovy command; 'none': bracket/quote check only")
    p.add_argument("--expect-error", action="append", default=[])
    p.add_argument("templates", nargs="+", help="template files, or folders of them (every file)")
    a = p.parse_args()
    files = []
    for t in a.templates:
        files += sorted(os.path.join(t, n) for n in os.listdir(t)) if os.path.isdir(t) else [t]
    known = {c: run_flags(a.pushcheck, c) for c in COMMANDS}
    problems = []
    for path in files:
        name = os.path.basename(path)
        if name.endswith((".yml", ".yaml")):
            cmds = commands_yaml(path, problems)
        else:
            groovy = "" if a.groovy == "none" else a.groovy or shutil.which("groovy")
            check_groovy(path, groovy, problems)
            cmds = commands_groovy(path)
        if not cmds and not any(x.startswith(path + ":") for x in problems):
            problems.append(f"{path}: runs no 'pushcheck run' or ./ci/suite")
        for cmd, c in cmds:
            flags, err = flags_in(c)
            if err:
                problems.append(f"{path}: {err}")
                continue
            print(f"{path}: pushcheck {cmd} {' '.join(flags)}")
            for f in flags:
                if f not in known[cmd]:
                    problems.append(f"{path}: unknown pushcheck {cmd} flag {f}")
    for x in problems:
        print(x)
    if a.expect_error:
        missing = [e for e in a.expect_error if not any(e in x for x in problems)]
        if missing or len(problems) != len(a.expect_error):
            print(f"check_templates: expected {len(a.expect_error)} problems ({a.expect_error}), "
                  f"found {len(problems)}; not found: {missing}")
            return 1
        print(f"check_templates: found the {len(problems)} expected problems")
        return 0
    print(f"check_templates: {len(files)} templates checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
