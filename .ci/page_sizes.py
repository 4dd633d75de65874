#!/usr/bin/env python3
"""Page sizes and what the islands add to them, on a running tokentally (docs/BENCHMARKS.md).

    .ci/page_sizes.py http://127.0.0.1:8080 admin@demo.tokentally tokentally-demo / /teams/search ...

Signs in, fetches each page and prints its size, gzipped size, and the bytes the islands add:
their wrappers (<leptos-island>, <leptos-children>, the island's own <div>, the chart's
read-out), any serialised island state (data-props) and the loader's <script> tag."""
import gzip
import re
import sys
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

ISLAND_MARKUP = [
    r'<leptos-island data-component="[^"]*">',
    r"</leptos-island>",
    r"<leptos-children>",
    r"</leptos-children>",
    r'<div class="table-island">(<!>)?',
    r'<div class="chart-island">',
    r'<div class="form-island">(<!>)?',
    r'<div class="filter-island">',
    r'<p class="chart-readout" aria-live="polite"> </p>',
    r'<script type="module" src="/pkg/[0-9a-f]+/islands.js"></script>',
]
PROPS = r' data-props="[^"]*"'


def main(base, email, password, *paths):
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = urllib.parse.urlencode({"email": email, "password": password, "next": "/"}).encode()
    req = urllib.request.Request(base + "/login", data=form, headers={"Origin": base})
    opener.open(req).read()
    print(f"| page | bytes | gzipped | island markup | of which state (data-props) | share |")
    print("|---|---:|---:|---:|---:|---:|")
    for path in paths:
        html = opener.open(base + path).read().decode()
        islands = sum(len(m) for p in ISLAND_MARKUP for m in re.findall(p, html))
        # Each island <div> closes with a </div> of 6 bytes.
        islands += 6 * (html.count('<div class="table-island">') + html.count('<div class="chart-island">'))
        state = sum(len(m) for m in re.findall(PROPS, html))
        islands += state
        size = len(html.encode())
        print(f"| `{path}` | {size:,} | {len(gzip.compress(html.encode(), 9)):,} | {islands:,} "
              f"| {state:,} | {100 * islands / (size - islands):.1f}% |")


if __name__ == "__main__":
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
