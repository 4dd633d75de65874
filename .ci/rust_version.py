"""Fails when a locked dependency declares a newer rust-version than the workspace's.

Reads `cargo metadata --filter-platform HOST` on stdin: the packages built on this platform.
"""

import json
import sys


def version(s):
    return tuple(int(x) for x in (s.split(".") + ["0", "0"])[:3])


def main():
    meta = json.load(sys.stdin)
    members = set(meta["workspace_members"])
    ours = {p["rust_version"] for p in meta["packages"] if p["id"] in members}
    if len(ours) != 1 or None in ours:
        sys.exit(f"every crate takes rust-version from the workspace; found {sorted(map(str, ours))}")
    ours = ours.pop()
    newer = sorted(
        f'{p["name"]} {p["version"]} needs {p["rust_version"]}'
        for p in meta["packages"]
        if p.get("rust_version") and version(p["rust_version"]) > version(ours)
    )
    if newer:
        sys.exit(f"rust-version is {ours}, but " + "; ".join(newer)
                 + " (cargo update -p NAME picks the newest version that fits)")
    print(f"rust-version {ours}: every locked dependency fits")


main()
