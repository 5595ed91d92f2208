"""``hanbao run``: the long-running service.

APScheduler (3.x, asyncio) drives a handful of interval jobs from ``jobs/``; it never holds one
job per reminder, and it holds no state: everything durable is in the database, so a restart
(or a machine that was off for days) catches up on the first run of each job, which happens at
start. Jobs never overlap themselves (``max_instances=1``), missed runs coalesce into one, and a
late run is never skipped. SIGTERM or SIGINT stops new runs, lets the running ones finish (the
mail job stops after the message in flight) and exits.

Replicas: the sweep and the mail job run in every daemon on a database (their claims are
compare-and-set, ``SKIP LOCKED`` on PostgreSQL); the once-only jobs (``ONCE``) run only in the
one that holds the lead (``scheduler.store.leader``). Each asks for the lead when it comes due,
so a standby takes over within one interval of the job after the leader dies; taking it runs
the other once-only jobs at once, as a start does.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import socket
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import Any

import anyio.to_thread
import uvicorn
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from jobs import Context, Failed, changes, digest, housekeeping, mail, periodic, sweep
from scheduler.clock import Clock
from scheduler.deadlines.vntime import VN_TZ
from scheduler.errors import ConfigError
from scheduler.mail.settings import LOOPBACK
from scheduler.monitoring.health import Health, Role
from scheduler.monitoring.metrics import Metrics
from scheduler.settings import Config
from scheduler.store.connection import Engine, shown_url
from scheduler.store.leader import Leadership, leadership
from scheduler.web.api import create_app
from scheduler.web.server import Server

log = logging.getLogger(__name__)
Job = Callable[[Context], Awaitable[None]]
SHUTDOWN_GRACE = 60.0
HTTP_THREADS = 8  # as many as a database connection pool serves at once, about
# run only in the leader; the IMAP watch too: its cursor is one per mailbox, not per daemon
ONCE = ("digest", "periodic", "housekeeping", "intake_imap")


class _Jobs:
    """Runs the jobs: timing, health, errors, no overlap, and wake-ups between jobs."""

    def __init__(self, ctx: Context, lead: Leadership) -> None:
        self.ctx = ctx
        self.lead = lead
        self.jobs: dict[str, Callable[[], Coroutine[Any, Any, None]]] = {}
        self.running: dict[str, asyncio.Task[None]] = {}
        self.rerun: set[str] = set()
        self.woken: set[asyncio.Task[None]] = set()

    def wake(self, name: str) -> None:
        """Run ``name`` now, or right after the run in progress ends."""
        if self.ctx.stopping.is_set():
            return
        if name in self.running:
            self.rerun.add(name)
            return
        task = asyncio.get_running_loop().create_task(self.jobs[name]())
        self.woken.add(task)
        task.add_done_callback(self.woken.discard)

    def add(self, name: str, job: Job) -> Callable[[], Coroutine[Any, Any, None]]:
        ctx = self.ctx

        async def run() -> None:
            if ctx.stopping.is_set():
                return
            if name in self.running:  # a wake-up got there first: go again after it
                self.rerun.add(name)
                return
            task = asyncio.current_task()
            assert task is not None
            self.running[name] = task
            started = time.perf_counter()
            try:
                if name in ONCE and not await self.leading(asking=name):
                    return  # a standby: the leader runs it
                await job(ctx)
            except Exception as error:
                ctx.metrics.failures.labels(name).inc()
                if not isinstance(error, Failed):  # a Failed job has said why, in one line
                    log.exception("action=job_failed job=%s", name)
            else:
                if ctx.health.ok(name):
                    ctx.metrics.last_success.labels(name).set_to_current_time()
            finally:
                ctx.metrics.duration.labels(name).observe(time.perf_counter() - started)
                del self.running[name]
            if name in self.rerun:
                self.rerun.discard(name)
                self.wake(name)

        self.jobs[name] = run
        return run

    async def leading(self, asking: str | None = None) -> bool:
        """Whether this process leads now (taking the lead when it is free); a change of role
        is logged and shown on /healthz and /metrics. A standby that takes over runs the other
        once-only jobs at once (at start they all run anyway)."""
        ctx = self.ctx
        leads = await asyncio.to_thread(self.lead.hold)
        role: Role = "leader" if leads else "standby"
        if role != ctx.health.role:
            log.info("action=role role=%s was=%s", role, ctx.health.role)
            if leads and asking is not None:
                for name in ONCE:
                    if name != asking and name in self.jobs:  # intake_imap only when configured
                        self.wake(name)
            ctx.health.role = role
            ctx.metrics.set_role(role)
        return leads


async def run(config: Config, engine: Engine, clock: Clock) -> None:
    """Serve until SIGTERM or SIGINT. On SQLite, refuse a file another daemon serves."""
    lead = leadership(engine)
    try:
        await _serve(config, engine, clock, lead)
    finally:
        lead.release()


def _call_soon(loop: asyncio.AbstractEventLoop, wake: Callable[[str], None], job: str) -> None:
    """Wake ``job`` from a worker thread (the API's handlers run in one)."""
    loop.call_soon_threadsafe(wake, job)


async def _serve(config: Config, engine: Engine, clock: Clock, lead: Leadership) -> None:
    settings = config.daemon
    metrics = Metrics(
        engine,
        clock,
        config.calendar,
        unit_labels=config.metrics.unit_labels,
        refresh_seconds=config.metrics.refresh_seconds,
        rate_per_minute=config.mail.rate_per_minute,
    )
    health = Health(settings.stall_seconds)
    ctx = Context(engine, config, clock, metrics, health)
    runner = _Jobs(ctx, lead)
    ctx.wake = runner.wake
    loop = asyncio.get_running_loop()
    listener = _listen(config)
    app = create_app(  # a case recorded through the API wakes the sweep at once
        engine,
        config,
        clock,
        metrics,
        health,
        on_change=lambda: _call_soon(loop, runner.wake, "sweep"),
    )
    server = Server(uvicorn.Config(app, **http_options(config)))
    scheduler = AsyncIOScheduler(
        timezone=VN_TZ,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )
    jobs: list[tuple[str, Job, float]] = [
        ("changes", changes.run, settings.changes_seconds),
        ("periodic", periodic.run, settings.periodic_seconds),
        ("sweep", sweep.run, settings.sweep_seconds),
        ("deliver", mail.run, settings.deliver_seconds),
        ("digest", digest.run, settings.digest_seconds),
        ("housekeeping", housekeeping.run, settings.housekeeping_seconds),
    ]
    if config.intake.imap.enabled:  # imapclient is loaded only then
        from jobs import intake as intake_job

        jobs.append(("intake_imap", intake_job.run, config.intake.imap.poll_seconds))
    metrics.expect((name for name, _, _ in jobs), config.rules)
    start = datetime.now(VN_TZ)
    for name, job, seconds in jobs:
        scheduler.add_job(
            runner.add(name, job),
            "interval",
            seconds=seconds,
            id=name,
            name=name,
            next_run_time=start,
        )
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    intake = await _intake(config, engine, clock, metrics)  # a port in use stops us here
    await runner.leading()  # the role is known before the first scrape, and logged
    # what start-up built (modules, settings, the app: about 180,000 objects) lives as long as
    # the process: frozen, the collector stops walking it at each full collection, which a
    # wave's composition triggers several times (0.5 s of its 5)
    gc.collect()
    gc.freeze()
    scheduler.start()
    # uvicorn catches SIGTERM/SIGINT while it serves, stops HTTP, then raises the signal again
    # for the handlers above: the jobs stop after the HTTP side
    # the API's handlers run in worker threads: a few, so that forty of them loading units at
    # once cannot starve the event loop (and /healthz, and SIGTERM) of the interpreter
    anyio.to_thread.current_default_thread_limiter().total_tokens = HTTP_THREADS
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    log.info(
        "action=started http=%s:%s database=%s role=%s clock=%s now=%s",
        settings.http_host,
        settings.http_port,
        shown_url(engine),
        health.role,
        type(clock).__name__,
        clock.now().isoformat(),
    )
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
    log.info("action=stopping running_jobs=%s", ",".join(runner.running) or "none")
    ctx.stopping.set()
    if intake is not None:  # no new report mail: the sending server keeps it and tries later
        intake.close()
    # pause, not shut down, while the runs in progress finish: APScheduler's shutdown cancels
    # them, and a mail cancelled between its DATA and the server's 250 went out twice
    scheduler.pause()
    if runner.running:
        await asyncio.wait(set(runner.running.values()), timeout=SHUTDOWN_GRACE)
    scheduler.shutdown(wait=False)
    server.should_exit = True
    await serving
    await stopping
    await asyncio.to_thread(metrics.close)
    log.info("action=stopped now=%s", clock.now().isoformat())


async def _intake(
    config: Config, engine: Engine, clock: Clock, metrics: Metrics
) -> asyncio.Server | None:
    """The SMTP intake, when ``intake.smtp.enabled``; a port in use is a clear message."""
    if not config.intake.smtp.enabled:
        return None
    from scheduler.intake import smtp as smtp_intake  # aiosmtpd is loaded only then

    handler = smtp_intake.IntakeHandler(
        engine,
        config,
        clock,
        on_taken=lambda taken: metrics.intake.labels("smtp", taken.outcome).inc(),
    )
    smtp = config.intake.smtp
    try:
        server = await smtp_intake.serve(handler, config.intake)
    except OSError as exc:
        raise ConfigError(
            f"{config.path}: intake.smtp / HANBAO_INTAKE_SMTP_PORT: không nghe được trên "
            f"{smtp.host}:{smtp.port} / cannot listen there: {exc.strerror}"
        ) from None
    log.info("action=intake_listening source=smtp at=%s:%s", smtp.host, smtp.port)
    return server


def http_options(config: Config) -> dict[str, Any]:
    """uvicorn's settings. ``X-Forwarded-For`` is believed only behind a TLS proxy, and only
    from ``web.proxy_addresses``: otherwise any local client could name itself anew on every
    try and never be slowed (uvicorn believes 127.0.0.1 by default)."""
    web = config.web
    return {
        "log_level": "warning",
        "access_log": False,
        "lifespan": "off",
        "server_header": False,
        "proxy_headers": web.behind_tls_proxy,
        "forwarded_allow_ips": list(web.proxy_addresses) if web.behind_tls_proxy else [],
        "ssl_certfile": str(web.tls_certfile) if web.tls_certfile else None,
        "ssl_keyfile": str(web.tls_keyfile) if web.tls_keyfile else None,
    }


def _listen(config: Config) -> socket.socket:
    """Bind the HTTP port here, so a wrong setting is our clear message, not uvicorn's exit.

    A public address needs TLS: certificates in ``web``, or ``web.behind_tls_proxy: true``
    when a reverse proxy terminates it.
    """
    host, port, web = config.daemon.http_host, config.daemon.http_port, config.web
    if host not in LOOPBACK and not (web.tls_certfile or web.behind_tls_proxy):
        raise ConfigError(
            f"{config.path}: daemon.http_host / HANBAO_HTTP_HOST: không mở cổng {host}:{port} "
            "ra ngoài khi không có TLS / refusing a public address without TLS: đặt / set "
            "web.tls_certfile và web.tls_keyfile, hoặc / or web.behind_tls_proxy: true "
            "(HANBAO_BEHIND_TLS_PROXY=true) khi reverse proxy đã mã hoá / when a reverse proxy "
            "terminates TLS"
        )
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError:
        listener.close()
        raise
    listener.listen(128)
    return listener
