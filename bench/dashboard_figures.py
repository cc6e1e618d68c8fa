"""Milliseconds per staff-dashboard figure, computed in-process (no cache, no
HTTP), on the data of bench/generate_forum_data.py, for this tree and others
(`git worktree`s), rounds interleaved.

    .venv/bin/python bench/dashboard_figures.py [TREE ...] [--database platform_bench]
        [--days 30] [--rounds 3]

Each round runs one Python process per tree (cwd = the tree, so it imports that
tree's code) that computes every registered figure once to warm up, then once
timed. Prints Markdown: the median per figure and of the total. Writes nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, os, sys, time
sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
from staff import dashboard
window = dashboard.Window.last(int(sys.argv[1]))
figures = {**dashboard._series, **dashboard._tables}
timings = {}
for timed in (False, True):
    for key, figure in figures.items():
        start = time.perf_counter()
        figure.compute(window)
        if timed:
            timings[key] = (time.perf_counter() - start) * 1000
print(json.dumps(timings))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("trees", nargs="*", help="other source trees")
    parser.add_argument("--database", default="platform_bench")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/x").rsplit("/", 1)[
        0
    ]
    env = {**os.environ, "DATABASE_URL": f"{server}/{args.database}", "LOG_LEVEL": "WARNING"}
    trees = [BASE_DIR, *(Path(tree).resolve() for tree in args.trees)]
    runs: dict[Path, list[dict]] = {tree: [] for tree in trees}
    for _ in range(args.rounds):
        for tree in trees:
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(args.days)],
                cwd=tree,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            runs[tree].append(json.loads(out.stdout.strip().splitlines()[-1]))
    keys = list(runs[trees[0]][0])
    print(f"load average {os.getloadavg()[0]:.2f}; {args.days} days; {args.rounds} rounds\n")
    print("| figure | " + " | ".join(tree.name for tree in trees) + " |")
    print("| --- |" + " ---: |" * len(trees))
    for key in [*keys, "total"]:
        cells = []
        for tree in trees:
            values = [
                sum(run.values()) if key == "total" else run.get(key, 0.0) for run in runs[tree]
            ]
            cells.append(f"{statistics.median(values):.1f}")
        print(f"| {key} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
