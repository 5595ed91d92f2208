"""Start-up time, idle memory and idle CPU of ``hanbao run`` on the sample configuration.

Starts the daemon on a fresh SQLite database with the sample units and one open case, times
how long until it serves, then samples its CPU time and resident memory from /proc for a while.
A script that prints figures, not a test (Linux only).

    python bench/idle.py              # 60 s of idle sampling
    python bench/idle.py --seconds 20
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def hanbao(*args: str, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "scheduler", *args], env=env, check=True, stdout=subprocess.DEVNULL
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "HANBAO_CONFIG": str(ROOT / "config" / "hanbao.yaml"),
            "HANBAO_DATABASE_URL": f"sqlite:///{folder}/idle.sqlite3",
            "HANBAO_HTTP_PORT": str(free_port()),
            "HANBAO_SMTP_PORT": str(free_port()),
        }
        hanbao("init", env=env)
        hanbao("units", "import", str(ROOT / "config" / "units.sample.yaml"), env=env)
        started = time.perf_counter()
        daemon = subprocess.Popen(
            [sys.executable, "-m", "scheduler", "run"], env=env, stderr=subprocess.PIPE, text=True
        )
        assert daemon.stderr is not None
        for line in daemon.stderr:
            if "action=started" in line:
                break
        ready = time.perf_counter() - started
        print(f"start-up (process spawn to serving): {ready:.2f} s")
        time.sleep(5)  # let the first run of every job finish (this is a measurement, not a test)
        cpu_before, wall_before = cpu_seconds(daemon.pid), time.perf_counter()
        peak = 0.0
        while time.perf_counter() - wall_before < args.seconds:
            peak = max(peak, rss_mib(daemon.pid))
            time.sleep(1)
        cpu = cpu_seconds(daemon.pid) - cpu_before
        wall = time.perf_counter() - wall_before
        print(
            f"idle over {wall:.0f} s: CPU {cpu:.2f} s = {100 * cpu / wall:.2f} % of one core; "
            f"resident memory {rss_mib(daemon.pid):.1f} MiB (peak {peak:.1f} MiB)"
        )
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=60)
        daemon.stderr.close()


if __name__ == "__main__":
    main()
