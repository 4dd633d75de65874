#!/usr/bin/env python3
"""Checks the module layering of crates/server and crates/domain (docs/ARCHITECTURE.md):
no import circle between modules, nothing outside `http/` imports `http`, and the file that
defines AppState imports no handler. Prints each violation and exits 1 if there is one."""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
# The composition root wires the layers together and may import any of them.
COMPOSITION_ROOT = {"lib", "main", "router", "startup"}


def modules(src):
    """Each .rs file under src as a module path (`http::pages::costs`)."""
    for dirpath, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(dirpath, f), src)[:-3].split(os.sep)
            if rel[-1] == "mod":
                rel = rel[:-1]
            yield "::".join(rel), os.path.join(dirpath, f)


def uses(path):
    """The crate paths a file names (`crate::a::b`), and `super::` paths made absolute."""
    text = open(path).read()
    text = re.sub(r"#\[cfg\(test\)\]\s*mod tests\s*\{.*", "", text, flags=re.S)
    found = set()
    for m in re.finditer(r"\bcrate::([a-z_][a-z0-9_]*(?:::[a-z_][a-z0-9_]*)*)", text):
        found.add(m.group(1))
    for m in re.finditer(r"use crate::\{([^}]*)\}", text):
        for part in m.group(1).split(","):
            name = part.strip().split("::")[0]
            if re.fullmatch(r"[a-z_][a-z0-9_]*", name):
                found.add(name)
    return found


def graph(src, depth):
    """Module → modules it imports, both cut to `depth` path segments."""
    mods = dict(modules(src))
    names = set(mods)
    edges = {}
    for mod, path in mods.items():
        me = "::".join(mod.split("::")[:depth])
        for used in uses(path):
            parts = used.split("::")
            # the longest prefix that is a module
            target = None
            for i in range(len(parts), 0, -1):
                if "::".join(parts[:i]) in names:
                    target = "::".join(parts[:i])
                    break
            if target is None:
                continue
            them = "::".join(target.split("::")[:depth])
            if them != me and not them.startswith(me + "::") and not me.startswith(them + "::"):
                edges.setdefault(me, set()).add(them)
    return edges


def cycles(edges):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in list(edges):
        if v not in index:
            visit(v)
    return out


def main():
    problems = []
    for crate in ("server", "domain"):
        src = os.path.join(ROOT, "crates", crate, "src")
        for depth in (1, 2):
            for comp in cycles(graph(src, depth)):
                problems.append(f"crates/{crate}: import circle: {' ↔ '.join(comp)}")
    server = os.path.join(ROOT, "crates", "server", "src")
    for mod, path in modules(server):
        top = mod.split("::")[0]
        if top in ("http",) or top in COMPOSITION_ROOT:
            continue
        if any(u == "http" or u.startswith("http::") for u in uses(path)):
            problems.append(f"{os.path.relpath(path, ROOT)}: imports http from outside http/")
    state = os.path.join(server, "state.rs")
    if any(u.startswith(("http", "router", "startup")) for u in uses(state)):
        problems.append("crates/server/src/state.rs imports the HTTP edge")
    for p in sorted(set(problems)):
        print(p)
    if problems:
        sys.exit(1)
    print("layers: no import circle in crates/server or crates/domain; http imported only by http/ and the composition root")


if __name__ == "__main__":
    main()
