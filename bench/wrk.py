"""HTTP load for `make bench`: wrk (a C load generator, Debian's package `wrk`), never Python threads.

A Python client caps near a thousand requests a second on this machine whatever the server does, so a
ratio of two servers measured with it says more about the client than about them. wrk drives the
connections from C; a Lua script of ours, appended to the caller's, counts every answer that is not a
2xx (wrk itself counts only those ≥ 400) and prints the summary as one JSON line, read here rather than
wrk's text for humans.

    from wrk import run_wrk
    result = run_wrk("http://127.0.0.1:8000/api/v1/tranches", headers={"Authorization": "Bearer …"})
    result.requests_per_s, result.p50_ms, result.p99_ms, result.errors

`make bench` installs wrk when it is missing (the Makefile's `wrk` target).
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

#: What our Lua part prints before its JSON summary, so that a caller's own output never confuses it.
_MARKER = "cnum-wrk-summary "

#: Appended to the caller's script. Each wrk thread has its own Lua state: `setup` keeps a handle on every
#: thread so that `done`, run once at the end, can add up their counts. A caller's `response` and `done`
#: still run (ours wraps them). Percentiles are in microseconds, the duration too.
_REPORTING_LUA = """
local cnum_threads = {}
local cnum_caller_setup = setup
setup = function(thread)
  table.insert(cnum_threads, thread)
  if cnum_caller_setup then cnum_caller_setup(thread) end
end
cnum_non_2xx = 0
local cnum_caller_response = response
response = function(status, headers, body)
  if status < 200 or status > 299 then cnum_non_2xx = cnum_non_2xx + 1 end
  if cnum_caller_response then cnum_caller_response(status, headers, body) end
end
local cnum_caller_done = done
done = function(summary, latency, requests)
  local non_2xx = 0
  for _, thread in ipairs(cnum_threads) do non_2xx = non_2xx + (thread:get("cnum_non_2xx") or 0) end
  local e = summary.errors
  io.write(string.format(
    '%s{"requests": %d, "duration_us": %d, "non_2xx": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\\n',
    "__MARKER__", summary.requests, summary.duration, non_2xx, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50.0), latency:percentile(90.0), latency:percentile(99.0), latency.max))
  if cnum_caller_done then cnum_caller_done(summary, latency, requests) end
end
""".replace("__MARKER__", _MARKER)


class WrkMissing(RuntimeError):
    """wrk is not installed (`make bench` installs it; by hand: apt-get install wrk)."""


@dataclass(frozen=True)
class WrkResult:
    """One wrk run: throughput, latencies of the answers, and what went wrong."""

    requests_per_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    #: Answers that are not a 2xx, plus socket errors (connect, read, write, timeout).
    errors: int
    non_2xx: int
    socket_errors: int
    requests: int
    duration_s: float

    def line(self) -> str:
        """One line for the bench's output."""
        return (
            f"{self.requests_per_s:,.0f} req/s, p50 {self.p50_ms:.1f} ms, p99 {self.p99_ms:.1f} ms, "
            f"{self.requests:,} requests, {self.errors} errors"
        )


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise WrkMissing("wrk is not installed: `make bench` installs it, or apt-get install wrk")
    return path


def run_wrk(
    url: str,
    *,
    connections: int = 16,
    threads: int = 2,
    duration_s: float = 10,
    headers: Mapping[str, str] | None = None,
    lua_script: str | None = None,
    timeout_s: float = 10,
) -> WrkResult:
    """Load `url` with wrk for `duration_s` (whole seconds, at least one) over `connections` kept-alive
    connections on `threads` threads; `headers` go with every request, `lua_script` (wrk's Lua API:
    `request`, `response`, `setup`, `init`, `done`…) shapes the requests, e.g. a mix of paths or a POST."""
    script = (lua_script or "") + "\n" + _REPORTING_LUA
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="cnum-wrk-", delete=False) as file:
        file.write(script)
        script_path = Path(file.name)
    command = [
        wrk_path(),
        "--connections",
        str(max(connections, threads)),
        "--threads",
        str(threads),
        "--duration",
        f"{max(1, math.ceil(duration_s))}s",
        "--timeout",
        f"{max(1, math.ceil(timeout_s))}s",
        "--latency",
        "--script",
        str(script_path),
    ]
    for name, value in (headers or {}).items():
        command += ["--header", f"{name}: {value}"]
    command.append(url)
    try:
        # Bounded: wrk stops by itself after the duration; the margin covers its start and its report.
        finished = subprocess.run(
            command, capture_output=True, text=True, timeout=duration_s + timeout_s + 30, check=False
        )
    finally:
        script_path.unlink(missing_ok=True)
    summary = next(
        (line.removeprefix(_MARKER) for line in finished.stdout.splitlines() if line.startswith(_MARKER)),
        None,
    )
    if finished.returncode != 0 or summary is None:
        raise RuntimeError(f"wrk failed ({finished.returncode}): {finished.stderr or finished.stdout}")
    return parse_summary(summary)


def parse_summary(summary: str) -> WrkResult:
    """The WrkResult of our Lua part's JSON line."""
    data = json.loads(summary)
    socket_errors = data["connect"] + data["read"] + data["write"] + data["timeout"]
    duration_s = data["duration_us"] / 1e6
    return WrkResult(
        requests_per_s=data["requests"] / duration_s if duration_s else 0.0,
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        errors=data["non_2xx"] + socket_errors,
        non_2xx=data["non_2xx"],
        socket_errors=socket_errors,
        requests=data["requests"],
        duration_s=duration_s,
    )
