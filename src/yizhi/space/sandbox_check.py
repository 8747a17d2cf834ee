"""Does the sandbox work on this host? Checked before Tier B jobs are accepted or run.

A probe program runs in the real sandbox and reports what it can do; the platform refuses Tier B
jobs (with the reason) unless the probe ran, has no capabilities, cannot open an internet socket,
cannot see the platform's data directory, and (when the platform runs as root) runs as the
unprivileged sandbox uid. The answer is kept for ten minutes.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path

from yizhi.config import get_settings
from yizhi.errors import N_, YizhiError
from yizhi.space import runtime, sandbox
from yizhi.space.jobs_settings import SandboxSettings

PROBE = """
import json, os, socket
report = {"uid": os.getuid()}
report["cap_eff"] = [l.split()[1] for l in open("/proc/self/status") if l.startswith("CapEff")][0]
try:
    socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    report["inet_socket"] = True
except OSError:
    report["inet_socket"] = False
report["sees"] = [p for p in %(paths)r if os.path.exists(p)]
report["data"] = os.listdir("/data")
open("/output/ok", "w").write("ok")
print(json.dumps(report))
"""
TTL_SECONDS = 600
_cache: dict = {}


class SandboxUnavailable(YizhiError):
    status = 503
    code = "sandbox_unavailable"


def probe(settings: SandboxSettings | None = None) -> list[str]:
    """Problems found (empty: the sandbox works here)."""
    settings = settings or SandboxSettings()
    if shutil.which(settings.bwrap) is None:
        return [f"bubblewrap ({settings.bwrap}) is not installed; run scripts/system-deps.sh"]
    missing = runtime.missing_packages()
    if missing:
        return [f"runtime packages missing: {', '.join(missing)}"]
    data_dir = str(get_settings().resolved_data_dir())
    with tempfile.TemporaryDirectory(prefix="yizhi-probe-") as tmp:
        root = Path(tmp)
        for name in ("project", "data"):
            (root / name).mkdir()
        (root / "data" / "marker.parquet").write_bytes(b"")
        (root / "project" / "probe.py").write_text(PROBE % {"paths": [data_dir, "/root", "/etc/shadow"]})
        small = settings.model_copy(update={"job_timeout": 60})
        result = sandbox.run(sandbox.python_command("probe.py"), sandbox.Mounts(root / "project", root / "data",
                             root / "output"), root / "logs", small)
        if not result.ok:
            tail = (result.launcher_error or result.stderr.read_text(errors="replace"))[-300:].strip()
            return [f"the probe did not run in the sandbox (exit {result.exit_code}): {tail}"]
        try:
            report = json.loads(result.stdout.read_text().strip().splitlines()[-1])
        except (ValueError, IndexError):
            return ["the probe printed no report"]
        wrote = (root / "output" / "ok").is_file()
    return _judge(report, wrote, settings)


def _judge(report: dict, wrote: bool, settings: SandboxSettings) -> list[str]:
    problems = []
    if int(report.get("cap_eff", "1"), 16) != 0:
        problems.append("the job keeps capabilities")
    if report.get("inet_socket"):
        problems.append("the job can open an internet socket")
    if report.get("sees"):
        problems.append(f"the job sees host paths: {', '.join(report['sees'])}")
    if report.get("data") != ["marker.parquet"]:
        problems.append("the job does not see exactly its data view")
    if not wrote:
        problems.append("the job cannot write to /output")
    return problems


def require_sandbox(settings: SandboxSettings | None = None) -> None:
    """Raise SandboxUnavailable with the reason unless the sandbox works on this host (cached)."""
    now = time.monotonic()
    if not _cache or now - _cache["at"] > TTL_SECONDS:
        _cache.update(at=now, problems=probe(settings))
    if _cache["problems"]:
        raise SandboxUnavailable(N_("Tier B jobs are refused: the sandbox does not work on this host (%(reason)s)"),
                                 params={"reason": "; ".join(_cache["problems"])[:500]})
