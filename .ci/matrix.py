"""Run the nox test matrix a few sessions at a time and judge the result.

    python .ci/matrix.py REPORT_DIR JOBS "REQUIRED PYTHONS" [SECONDS]

Every ``tests-*`` session nox lists (one per interpreter found, see
noxfile.py) runs as its own ``nox -s`` process, JOBS of them at once, so a
two-core machine is kept busy while one session waits on its subprocesses.
Each session's output goes to its own log, printed whole when the session
ends, so the logs never interleave.  Sessions install the package from the
sdist named by ``FASTRUNPY_NOX_INSTALL`` when that is set: each pip build then
unpacks into its own directory instead of sharing the checkout's build tree.

The summary lists every session's result and time, which releases of the
CPython 3.9-3.15 matrix were absent, and fails if a required one is missing
or any session failed.  A session that runs past its limit
(``FASTRUNPY_CI_SESSION_LIMIT`` seconds, 1800 by default) or past SECONDS
from the matrix's start is stopped, with SIGABRT first so that pytest's
faulthandler prints where it was, and fails the matrix.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from typing import Dict, List, Tuple

# What the matrix covers: CPython 3.9-3.15 and the free-threaded 3.14t.
EXPECTED = ["3.%d" % minor for minor in range(9, 16)] + ["3.14t"]
NOX = os.path.join(os.path.dirname(sys.executable), "nox")
# A session normally takes 5-12 minutes here; one far beyond that has hung.
SESSION_LIMIT = float(os.environ.get("FASTRUNPY_CI_SESSION_LIMIT", "1800"))
HEARTBEAT = 300.0  # seconds between the lines that say which sessions still run


def series(label: str) -> str:
    """'3.13.15' -> '3.13', '3.14.7t' -> '3.14t', '3.15.0rc1' -> '3.15'."""
    match = re.fullmatch(r"(\d+\.\d+)\.\d+(?:[a-z]+\d+)?(t?)", label)
    return match.group(1) + match.group(2) if match else label


def list_sessions() -> List[str]:
    listed = subprocess.run([NOX, "-l", "-t", "tests", "--json"], check=True, stdout=subprocess.PIPE)
    return [entry["session"] for entry in json.loads(listed.stdout) if entry["session"].startswith("tests-")]


def stop_session(process: subprocess.Popen) -> None:
    """End a session that ran out of time, asking its processes for their tracebacks first.

    pytest enables faulthandler, so SIGABRT makes a hung test run print every
    thread's Python traceback to the session's log before it dies.
    """
    for sig, grace in ((signal.SIGABRT, 15.0), (signal.SIGKILL, 30.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def run_all(sessions: List[str], report_dir: str, jobs: int, session_limit: float, deadline: float) -> Dict[str, Tuple[str, float]]:
    """Each session's result ("success" or what failed) and its wall time, as the sessions end.

    A session still running after session_limit seconds, or at the monotonic
    deadline, is stopped and counted as failed, so that a hang ends the run
    with its log printed instead of outlasting CI's own time limit.  Sessions
    not started by the deadline are counted as not run.
    """
    waiting = list(sessions)
    running: Dict[str, Tuple[subprocess.Popen, float]] = {}
    results: Dict[str, Tuple[str, float]] = {}
    last_heartbeat = time.monotonic()
    while waiting or running:
        while waiting and len(running) < jobs and time.monotonic() < deadline:
            name = waiting.pop(0)
            log = open(os.path.join(report_dir, name + ".log"), "wb")
            command = [NOX, "--no-color", "-s", name]
            # Its own process group, so that stopping it reaches pytest and every child.
            process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
            )
            log.close()
            running[name] = (process, time.monotonic())
            print("started %s" % name, flush=True)
        if not running:
            break
        time.sleep(1)
        now = time.monotonic()
        if now - last_heartbeat >= HEARTBEAT:
            last_heartbeat = now
            print("still running: %s" % ", ".join("%s (%.0fs)" % (n, now - t) for n, (_, t) in running.items()), flush=True)
        for name, (process, started) in list(running.items()):
            over = None
            if process.poll() is None:
                if now - started > session_limit:
                    over = "its limit of %.0fs" % session_limit
                elif now > deadline:
                    over = "the matrix's deadline"
                else:
                    continue
                print("\n%s is still running after %.0fs: stopping it (%s)" % (name, now - started, over), flush=True)
                stop_session(process)
            del running[name]
            took = time.monotonic() - started
            if over:
                result = "stopped at %s" % over
            else:
                result = "success" if process.returncode == 0 else "failed (nox exit %d)" % process.returncode
            results[name] = (result, took)
            print("\n---------- %s: %s in %.0fs ----------" % (name, result, took), flush=True)
            with open(os.path.join(report_dir, name + ".log"), "rb") as log:
                sys.stdout.buffer.write(log.read())
            sys.stdout.flush()
    for name in waiting:
        results[name] = ("not run: the matrix's deadline came first", 0.0)
    return results


def summarise(results: Dict[str, Tuple[str, float]], required: List[str]) -> int:
    labels = {name[len("tests-"):]: outcome for name, outcome in results.items()}
    passed = [label for label, (result, _) in labels.items() if result == "success"]
    failed = [label for label, (result, _) in labels.items() if result != "success"]
    present = {series(label) for label in labels}
    print("\nnox matrix summary (one session per interpreter found)")
    for label, (result, took) in labels.items():
        print("  %-10s %-44s %5.0fs" % (label, result, took))
    print("  passed: %s" % (" ".join(passed) or "none"))
    print("  failed: %s" % (" ".join(failed) or "none"))
    wanted = EXPECTED + [version for version in required if version not in EXPECTED]
    print("  absent: %s" % (" ".join(v for v in wanted if v not in present) or "none"))
    status = 0
    missing = [version for version in required if version not in present]
    if missing:
        print("  this machine should have every one of: %s; missing: %s" % (" ".join(required), " ".join(missing)))
        status = 1
    if failed:
        print("  every interpreter present must pass")
        status = 1
    if not labels:
        print("  no interpreter ran the suite")
        status = 1
    return status


def main() -> int:
    report_dir, jobs, required = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()
    budget = float(sys.argv[4]) if len(sys.argv) > 4 else float("inf")
    deadline = time.monotonic() + budget
    os.makedirs(report_dir, exist_ok=True)
    sessions = list_sessions()
    print("sessions: %s; %d at a time" % (" ".join(sessions) or "none", jobs), flush=True)
    results = run_all(sessions, report_dir, max(1, jobs), SESSION_LIMIT, deadline)
    # Listed in the matrix's order, not in the order the sessions ended.
    return summarise({name: results[name] for name in sessions}, required)


if __name__ == "__main__":
    sys.exit(main())
