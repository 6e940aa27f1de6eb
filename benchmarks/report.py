"""Turn a pytest-benchmark JSON file into fastrunpy's speed table (Markdown).

    python benchmarks/report.py results.json [more.json ...]

For every scenario (benchmark group) the table gives the median time of the
standard library and of fastrunpy's compiled and pure cores, the speed-ups
(stdlib median / fastrunpy median) and whether each meets the project's
goal.  The compiled one-line ``run_path`` is also compared to the floor (the
cached code run in a new dict holding the dunders, then copied), where the
goal is a ceiling.
Medians, not means: one descheduled round on a busy machine should not move
the verdict.  Given several runs' files, each time is the median of the
runs' medians: on a shared machine a whole run of one benchmark can be
slowed, and one run in three being slow then does not move the table.
"""

import argparse
import json
import statistics
import sys
from collections import OrderedDict

RUNNERS = ("stdlib", "compiled", "pure")
FLOOR_GROUP = "exec floor"
FLOOR_OF = "run_path one-line script"
FLOOR_LIMIT = 4.0

# scenario (benchmark group) -> minimum speed-up for (compiled, pure); None: no goal.
# Groups marked [timestamp] measure validation="timestamp" (stat() on every
# hit); the others the default, "auto" (the kernel reports changes).
GOALS = OrderedDict(
    [
        ("run_path one-line script", (40.0, 10.0)),
        ("run_path one-line script [timestamp]", (18.0, None)),
        ("run_path 1,000-line script", (100.0, None)),
        ("run_path 1,000-line script [timestamp]", (100.0, None)),
        ("run_path directory with __main__", (15.0, None)),
        ("run_module('top')", (18.0, 6.0)),
        ("run_module('top') [timestamp]", (6.0, None)),
        ("run_module('pkg.sub.leaf')", (None, None)),
        ("run_module('pkg', alter_sys=True)", (15.0, None)),
        ("run_module of a module in the 10th of 10 sys.path entries", (40.0, None)),
        ("first run_path, cache cold", (0.97, 0.97)),
        ("first run_module, bytecode on disk, cache cold", (0.97, 0.97)),
        ("first run_module after edit, cache cold", (0.97, 0.97)),
    ]
)


# Prepared handles (test_handles.py): a handle's run against a cache hit of
# the same call (at least this much faster) and against the floor (at most
# this many times it).
HANDLE_PREFIX = "handle: "
HANDLE_FLOOR_GROUP = "handle floor"
HANDLE_OVER_HIT = 1.3
HANDLE_OVER_FLOOR = 3.0


def medians(results):
    """{group: {runner: median seconds}} from a pytest-benchmark JSON document.

    In the handle groups the runner is "<core> <how>", e.g. "compiled handle".
    """
    table = OrderedDict()
    for bench in results.get("benchmarks", []):
        group = bench.get("group") or bench["name"]
        params = bench.get("params") or {}
        runner = params.get("runner", "exec")
        if "how" in params:
            runner = f"{params['core']} {params['how']}"
        elif "core" in params:
            runner = params["core"]
        table.setdefault(group, {})[runner] = bench["stats"]["median"]
    return table


def fmt_time(seconds):
    if seconds is None:
        return "—"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.2f} µs"


def fmt_ratio(ratio):
    return "—" if ratio is None else f"{ratio:.2f}x"


def speedup(times, runner):
    base, mine = times.get("stdlib"), times.get(runner)
    if base is None or mine is None or mine <= 0:
        return None
    return base / mine


def verdict(ratio, goal, at_most=False):
    if goal is None:
        return "—"
    sign = "≤" if at_most else "≥"
    if ratio is None:
        return f"{sign} {goal:g}x: not measured"
    met = ratio <= goal if at_most else ratio >= goal
    return f"{sign} {goal:g}x: {'met' if met else 'NOT MET'}"


def header(results):
    machine = results.get("machine_info", {})
    cpu = machine.get("cpu", {})
    commit = results.get("commit_info", {})
    lines = [
        "# fastrunpy speed report",
        "",
        f"- Python: {machine.get('python_implementation', '?')} "
        f"{machine.get('python_version', '?')} ({machine.get('python_compiler', '?')})",
        f"- Machine: {machine.get('system', '?')} {machine.get('release', '')} "
        f"{machine.get('machine', '')}, {cpu.get('brand_raw', machine.get('processor', '?'))}, "
        f"{cpu.get('count', '?')} CPUs",
        f"- Run: {results.get('datetime', '?')}, pytest-benchmark {results.get('version', '?')}",
    ]
    if results.get("runs"):
        lines.append(f"- Runs: {results['runs']} (each time: the median of the runs' medians)")
    if commit.get("id"):
        dirty = " (uncommitted changes)" if commit.get("dirty") else ""
        lines.append(f"- Commit: {commit['id'][:12]} on {commit.get('branch', '?')}{dirty}")
    lines += [
        "",
        "Times are medians; a ratio is stdlib time / fastrunpy time (higher is faster).",
        "",
    ]
    return lines


def table(results):
    times_by_group = medians(results)
    rows = [
        "| scenario | stdlib | compiled | pure | compiled ratio | pure ratio | compiled goal | pure goal |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    scenarios = list(GOALS) + [
        g
        for g in times_by_group
        if g not in GOALS and g not in (FLOOR_GROUP, HANDLE_FLOOR_GROUP) and not g.startswith(HANDLE_PREFIX)
    ]
    all_met = True
    for scenario in scenarios:
        times = times_by_group.get(scenario, {})
        goal_compiled, goal_pure = GOALS.get(scenario, (None, None))
        ratio_compiled, ratio_pure = speedup(times, "compiled"), speedup(times, "pure")
        cells = [verdict(ratio_compiled, goal_compiled), verdict(ratio_pure, goal_pure)]
        all_met = all_met and not any("NOT" in c or "not measured" in c for c in cells)
        rows.append(
            f"| {scenario} | {fmt_time(times.get('stdlib'))} | {fmt_time(times.get('compiled'))} "
            f"| {fmt_time(times.get('pure'))} | {fmt_ratio(ratio_compiled)} | {fmt_ratio(ratio_pure)} "
            f"| {cells[0]} | {cells[1]} |"
        )
    floor = times_by_group.get(FLOOR_GROUP, {}).get("exec")
    one_line = times_by_group.get(FLOOR_OF, {})
    over = {r: (one_line[r] / floor if floor and one_line.get(r) else None) for r in ("compiled", "pure")}
    floor_cell = verdict(over["compiled"], FLOOR_LIMIT, at_most=True)
    all_met = all_met and "NOT" not in floor_cell and "not measured" not in floor_cell
    rows.append(
        f"| one-line run_path / floor (exec in a dict of dunders, copied) | {fmt_time(floor)} (floor) "
        f"| {fmt_time(one_line.get('compiled'))} | {fmt_time(one_line.get('pure'))} "
        f"| {fmt_ratio(over['compiled'])} of floor | {fmt_ratio(over['pure'])} of floor "
        f"| {floor_cell} | — |"
    )
    handle_rows, handles_met = handle_table(times_by_group)
    return rows + handle_rows, all_met and handles_met


def handle_table(times_by_group):
    """Rows for the prepared-handle groups: hit, handle, handle speed-up over the hit, handle / floor."""
    groups = [g for g in times_by_group if g.startswith(HANDLE_PREFIX)]
    if not groups:
        return [], True
    floor = times_by_group.get(HANDLE_FLOOR_GROUP, {}).get("exec")
    rows = [
        "",
        f"Prepared handles (floor: exec in a new dict holding the dunders: {fmt_time(floor)})",
        "",
        "| scenario | core | cache hit | handle | handle speed-up over the hit | handle / floor |",
        "| --- | --- | ---: | ---: | --- | --- |",
    ]
    all_met = True
    for group in groups:
        times = times_by_group[group]
        for core in ("compiled", "pure"):
            hit, handle = times.get(f"{core} hit"), times.get(f"{core} handle")
            if hit is None and handle is None:
                continue
            over_hit = hit / handle if hit and handle else None
            over_floor = handle / floor if handle and floor else None
            cells = [
                verdict(over_hit, HANDLE_OVER_HIT),
                verdict(over_floor, HANDLE_OVER_FLOOR, at_most=True),
            ]
            all_met = all_met and not any("NOT" in c or "not measured" in c for c in cells)
            rows.append(
                f"| {group[len(HANDLE_PREFIX):]} | {core} | {fmt_time(hit)} | {fmt_time(handle)} "
                f"| {fmt_ratio(over_hit)} ({cells[0]}) | {fmt_ratio(over_floor)} ({cells[1]}) |"
            )
    return rows, all_met


def merged(runs):
    """One results document whose medians are the medians of the runs' medians."""
    if len(runs) == 1:
        return runs[0]
    seen = OrderedDict()
    for results in runs:
        for bench in results.get("benchmarks", []):
            key = (bench.get("group") or bench["name"], json.dumps(bench.get("params") or {}, sort_keys=True))
            seen.setdefault(key, []).append(bench)
    benchmarks = []
    for samples in seen.values():
        middle = statistics.median(bench["stats"]["median"] for bench in samples)
        benchmarks.append(dict(samples[0], stats=dict(samples[0]["stats"], median=middle)))
    return dict(runs[0], benchmarks=benchmarks, runs=len(runs))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", help="file(s) written by pytest --benchmark-json")
    parser.add_argument(
        "--check", action="store_true", help="exit with status 1 when a goal is not met"
    )
    args = parser.parse_args(argv)
    runs = []
    for path in args.results:
        with open(path, encoding="utf-8") as stream:
            runs.append(json.load(stream))
    results = merged(runs)
    rows, all_met = table(results)
    print("\n".join(header(results) + rows))
    print()
    print("All goals met." if all_met else "Some goals are not met.")
    return 1 if args.check and not all_met else 0


if __name__ == "__main__":
    sys.exit(main())
