"""Mail: one pass of composing and sending, the outbox, and a test message."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from scheduler.cli.common import AsOfOpt, ConfigOpt, DbOpt, JsonOpt, record_id
from scheduler.cli.environment import open_env, writing
from scheduler.cli.output import print_json, print_table
from scheduler.deadlines.vntime import iso
from scheduler.errors import ConfigError, DeliveryError, InvalidInput
from scheduler.records import MESSAGE_STATES

if TYPE_CHECKING:
    from scheduler.settings import Config

outbox_app = typer.Typer(no_args_is_help=True, help="Hộp thư đi / the outbox")


def mail_drain(loaded: Config) -> dict[str, Any]:
    """The relay's rate and, when the database is there, how long its backlog takes at it (for
    ``check-config``). A database that is not there is not created."""
    from scheduler.cli.db import missing
    from scheduler.mail import outbox
    from scheduler.store.connection import SQLAlchemyError
    from scheduler.store.queries import transaction
    from scheduler.store.schema import make_engine

    rate = loaded.mail.rate_per_minute
    found: dict[str, Any] = {"rate_per_minute": rate}
    engine = make_engine(loaded.database_url)
    try:
        missing(engine)  # a SQLite file that is not there is not created by looking
        with transaction(engine) as store:
            counts = outbox.counts(store)
    except (ConfigError, SQLAlchemyError):  # no database, or not initialised: the settings
        return found  # are still checked
    finally:
        engine.dispose()
    found["waiting"] = counts.get("pending", 0) + counts.get("sending", 0)
    found["drain_seconds_estimate"] = outbox.drain_seconds(counts, rate)
    return found


def deliver_command(
    once: Annotated[bool, typer.Option("--once", help="một lượt rồi thoát / one pass")] = False,
    as_of: AsOfOpt = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Soạn thư cho các bậc nhắc đã ghi nhận, bản tổng hợp hằng ngày, rồi gửi thư đến hạn."""
    if not once:
        raise InvalidInput(
            "hanbao deliver chạy một lượt: thêm --once (chạy liên tục: hanbao run) / "
            "deliver makes one pass: add --once (to keep running: hanbao run)"
        )
    import asyncio

    from scheduler.clock import SystemClock
    from scheduler.mail.deliver import run_once  # aiosmtplib: only for the commands that mail

    env = open_env(config, db, as_of)
    clock = (lambda: env.now) if as_of else SystemClock().now
    queued, report = asyncio.run(run_once(env.engine, env.config, clock))
    result = {
        "queued": queued,
        "sent": report.sent,
        "retrying": report.retrying,
        "failed": report.failed,
        "refused": report.refused,
        "cancelled": report.cancelled,
        "errors": report.errors,
    }
    if json_out:
        print_json(result)
        return
    print(
        f"Soạn {queued} thư; đã gửi {report.sent}, chờ gửi lại {report.retrying}, "
        f"lỗi {report.failed}, bị chặn {report.refused}, huỷ vì đã nộp {report.cancelled}"
    )
    for error in dict.fromkeys(report.errors):
        print(f"  - {error}")


@outbox_app.command("list")
def outbox_list(
    state: Annotated[str | None, typer.Option("--state", help="|".join(MESSAGE_STATES))] = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Các thư trong hộp thư đi (mới nhất trước)."""
    from scheduler.mail import outbox

    env = open_env(config, db)
    with writing(env) as store:
        messages = outbox.listing(store, state)
    rows: list[dict[str, Any]] = [
        {
            "id": m.id,
            "state": m.state,
            "template": m.template,
            "recipient": m.recipient,
            "subject": m.subject,
            "attempts": m.attempts,
            "created_at": iso(m.created_at),
            "next_attempt_at": iso(m.next_attempt_at),
            "finished_at": iso(m.finished_at) if m.finished_at else None,
            "last_error": m.last_error,
        }
        for m in messages
    ]
    if json_out:
        print_json(rows)
        return
    print_table(
        rows,
        (
            ("id", "Mã"),
            ("state", "Trạng thái"),
            ("recipient", "Người nhận"),
            ("attempts", "Lần thử"),
            ("subject", "Tiêu đề"),
            ("last_error", "Lỗi"),
        ),
    )


@outbox_app.command("retry")
def outbox_retry(
    message_id: Annotated[
        int,
        typer.Argument(
            help="mã thư (outbox list) / the message's id",
            parser=record_id("thư", "message", "hanbao outbox list"),
        ),
    ],
    as_of: AsOfOpt = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Gửi lại một thư lỗi (failed) hoặc bị chặn (refused), sau khi đã sửa địa chỉ."""
    from scheduler.mail import outbox

    env = open_env(config, db, as_of)
    with writing(env) as store:
        outbox.retry(store, message_id, env.now)
        store.audit(env.now, "cli", "message_retry", message=message_id)
    print_json({"id": message_id, "state": "pending"}) if json_out else print(
        f"Thư {message_id} sẽ được gửi lại ở lượt gửi tới"
    )


def send_test_command(
    address: Annotated[
        str, typer.Argument(help="địa chỉ liên hệ của một đơn vị / a unit's contact address")
    ],
    as_of: AsOfOpt = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Gửi một thư kiểm tra tới địa chỉ liên hệ đã cấu hình, qua máy chủ thư thật."""
    import asyncio

    env = open_env(config, db, as_of)
    with writing(env) as store:
        concerned = [
            u
            for u in store.units().values()
            if any(address in values for values in u.contacts.values())
        ]
    try:
        from scheduler.mail.deliver import send_test

        answer = asyncio.run(send_test(env.config, address, concerned, env.now))
    except DeliveryError as error:
        raise InvalidInput(f"gửi thử thất bại / test failed: {error.answer}") from None
    with writing(env) as store:
        store.audit(env.now, "cli", "send_test", recipient=address, answer=answer)
    smtp = env.config.smtp
    result = {
        "recipient": address,
        "relay": f"{smtp.host}:{smtp.port}",
        "security": smtp.security,
        "answer": answer,
    }
    print_json(result) if json_out else print(
        f"Đã gửi thư thử tới {address} qua {smtp.host}:{smtp.port} ({smtp.security}): {answer}"
    )
