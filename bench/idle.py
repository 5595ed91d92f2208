"""Start-up time, idle memory and idle CPU of ``hanbao run``.

By default on the sample configuration: a fresh SQLite database with the sample units. With
``--data FILE``, on bench/sweep.py's national data (15,563 units, ten closed years, the open year
2027) in that SQLite file, built when missing (bench/simulate.py's ``prepare``) and brought to
15/06/2027 07:00 with every step due by then recorded and mailed (bench/loop.py's
``quiet_mail``); the daemon runs on a copy, its clock starting at that time, with the default
job intervals: outside a wave, nothing is due for an hour. Times how long until it serves, lets
the jobs' first runs finish, then samples its CPU time and resident memory from /proc for a
while, and reads what each job cost from its /metrics (``hanbao_job_duration_seconds``).
A script that prints figures, not a test (Linux only).

    python bench/idle.py              # 60 s of idle sampling
    python bench/idle.py --seconds 20
    python bench/idle.py --data /tmp/national.sqlite3 --seconds 180
    python bench/idle.py --python ../main/.venv/bin/python   # another checkout's daemon
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TICK = os.sysconf("SC_CLK_TCK")
SETTLE_SECONDS = 5
JOB_SERIES = re.compile(r'^hanbao_job_duration_seconds_(sum|count)\{task="(\w+)"\} (\S+)$', re.M)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def rss_mib(pid: int, field: str = "VmRSS") -> float:
    """Resident memory (``RssAnon``: the process's own; ``RssFile``: pages of the files it maps,
    the shared libraries, which other processes may share)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def hanbao(python: str, *args: str, env: dict[str, str]) -> None:
    subprocess.run(
        [python, "-m", "scheduler", *args],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        cwd="/",  # so that ``-m`` finds the interpreter's hanbao, not a checkout in the cwd
    )


def sample_env(folder: str, python: str) -> dict[str, str]:
    env = {
        **os.environ,
        "HANBAO_CONFIG": str(ROOT / "config" / "hanbao.yaml"),
        "HANBAO_DATABASE_URL": f"sqlite:///{folder}/idle.sqlite3",
        "HANBAO_HTTP_PORT": str(free_port()),
        "HANBAO_SMTP_PORT": str(free_port()),
    }
    hanbao(python, "init", env=env)
    hanbao(python, "units", "import", str(ROOT / "config" / "units.sample.yaml"), env=env)
    return env


def national_env(folder: str, data: Path, communes: int) -> dict[str, str]:
    """The national data at ``loop.CLOCK``, quiet (see the docstring), on a copy in ``folder``."""
    sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
    import yaml
    from loop import CLOCK, quiet_mail, settings_file
    from simulate import prepare

    from scheduler.deadlines.vntime import parse_datetime
    from scheduler.settings import load_config
    from scheduler.store.schema import make_engine

    prepare(data, communes)
    engine = make_engine(f"sqlite:///{data}")
    quiet_mail(engine, load_config(ROOT / "config" / "hanbao.yaml", "sqlite://"))
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    run = Path(folder) / "idle.sqlite3"
    shutil.copyfile(data, run)
    settings = settings_file(Path(folder), f"sqlite:///{run}", free_port())
    document = yaml.safe_load(settings.read_text(encoding="utf-8"))
    document["daemon"] = {"http_port": document["daemon"]["http_port"]}  # default intervals
    settings.write_text(yaml.safe_dump(document), encoding="utf-8")
    start = parse_datetime(CLOCK).isoformat(timespec="minutes")
    return {**os.environ, "HANBAO_CONFIG": str(settings), "HANBAO_CLOCK": f"start={start}"}


def job_costs(port: int) -> dict[str, tuple[int, float]]:
    """(runs, seconds in all) of each job so far, from the daemon's /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=120) as answer:
        text = answer.read().decode()
    costs: dict[str, list[float]] = {}
    for field, task, value in JOB_SERIES.findall(text):
        costs.setdefault(task, [0.0, 0.0])[field == "sum"] = float(value)
    return {task: (int(runs), seconds) for task, (runs, seconds) in costs.items()}


def http_port(env: dict[str, str]) -> int:
    if "HANBAO_HTTP_PORT" in env:
        return int(env["HANBAO_HTTP_PORT"])
    text = Path(env["HANBAO_CONFIG"]).read_text(encoding="utf-8")
    return int(re.findall(r"http_port: (\d+)", text)[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--data", type=Path, help="national data in this SQLite file (built once)")
    parser.add_argument("--communes", type=int, default=10_600, help="with --data, when building")
    parser.add_argument("--python", default=sys.executable, help="the interpreter to run hanbao")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if args.data:
            env = national_env(folder, args.data.resolve(), args.communes)
        else:
            env = sample_env(folder, args.python)
        started = time.perf_counter()
        daemon = subprocess.Popen(
            [args.python, "-m", "scheduler", "run"],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
            cwd="/",
        )
        assert daemon.stderr is not None
        for line in daemon.stderr:
            if "action=started" in line:
                break
        # read the rest, so that the daemon never waits on a full pipe
        ready = time.perf_counter() - started
        print(f"start-up (process spawn to serving): {ready:.2f} s")
        threading.Thread(target=daemon.stderr.read, daemon=True).start()
        port = http_port(env)
        time.sleep(SETTLE_SECONDS)  # the first run of every job (a measurement, not a test)
        quiet(daemon.pid)
        before = job_costs(port)
        quiet(daemon.pid)  # the scrape's refresh of the state gauges, in threads of its own
        cpu_before, wall_before = cpu_seconds(daemon.pid), time.perf_counter()
        peak = 0.0
        while time.perf_counter() - wall_before < args.seconds:
            peak = max(peak, rss_mib(daemon.pid))
            time.sleep(1)
        cpu = cpu_seconds(daemon.pid) - cpu_before
        wall = time.perf_counter() - wall_before
        print(
            f"idle over {wall:.0f} s: CPU {cpu:.2f} s = {100 * cpu / wall:.2f} % of one core; "
            f"resident memory {rss_mib(daemon.pid):.1f} MiB (peak {peak:.1f} MiB; anonymous "
            f"{rss_mib(daemon.pid, 'RssAnon'):.1f}, files {rss_mib(daemon.pid, 'RssFile'):.1f})"
        )
        report_jobs(before, job_costs(port), wall)
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=120)


def quiet(pid: int) -> None:
    """Until the daemon has been quiet (under 2 % of a core) for three seconds in a row."""
    seconds = 0
    while seconds < 3:
        before = cpu_seconds(pid)
        time.sleep(1)
        seconds = seconds + 1 if cpu_seconds(pid) - before < 0.02 else 0


def report_jobs(
    before: dict[str, tuple[int, float]], after: dict[str, tuple[int, float]], wall: float
) -> None:
    """Each job's runs while sampling, and its first run's wall time (at start)."""
    parts = []
    for task, (runs, seconds) in sorted(after.items()):
        runs_then, seconds_then = before.get(task, (0, 0.0))
        first = f"first {seconds_then / runs_then:.3f} s" if runs_then == 1 else ""
        during = runs - runs_then
        mean = f"{1000 * (seconds - seconds_then) / during:.1f} ms" if during else "-"
        parts.append(f"{task}: {during} runs, {mean} each (wall){', ' + first if first else ''}")
    print(f"jobs over {wall:.0f} s: " + "; ".join(parts))


if __name__ == "__main__":
    main()
