"""The pure parts of delivery: which template, the MIME on the wire, backoff, settings, guard."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from pathlib import Path

import pytest

from scheduler.errors import ConfigError
from scheduler.hierarchy.units import Unit, refusal
from scheduler.mail.mailer import Wire
from scheduler.mail.outbox import Outgoing, backoff
from scheduler.mail.render import Item, Renderer, message_key_id, template_for
from scheduler.mail.settings import parse_mail, parse_smtp
from scheduler.settings import Config
from tests.conftest import vn

SHIPPED_SENDER = "Nhắc hạn báo cáo bảo vệ trẻ em <nhac-han@huyenmau.tinhmau.example>"

HERE = Path("hanbao.yaml")
NOW = "05/03/2027 08:00"


@pytest.mark.parametrize(
    ("kind", "step", "template"),
    [
        ("urgent_report", "new_case", "new_case"),
        ("urgent_report", "due_today", "due_today"),
        ("urgent_report", "overdue", "overdue"),
        ("urgent_report", "late_flag", "late_flag"),
        ("urgent_report", "escalate_district", "escalation"),
        ("support_plan", "before", "reminder"),
        ("six_monthly", "before_10", "periodic"),
        ("adhoc_report", "requested", "reminder"),
    ],
)
def test_each_step_sends_the_mail_it_means(
    config: Config, kind: str, step: str, template: str
) -> None:
    rules_kind = config.rules.kind(kind)
    (rung,) = [s for s in rules_kind.ladder if s.name == step]
    assert template_for(rules_kind, rung) == template


def _outgoing(
    subject: str = "[QUÁ HẠN] VV-1 - Báo cáo nhanh (khẩn) - hạn 04/03/2027 23:59",
) -> Outgoing:
    return Outgoing(
        id=1,
        key="k",
        message_id=message_key_id("k", "huyen.example"),
        template="overdue",
        recipient="treem@xa.huyen.example",
        subject=subject,
        text="Báo cáo đã quá hạn.",
        html="<p>Báo cáo đã <b>quá hạn</b>.</p>",
        thread_ref="<thread.abc@huyen.example>",
        concerned=("X01",),
        attempts=1,
    )


def test_mime_is_utf8_multipart_with_fixed_ids_and_thread() -> None:
    wire = Wire(SHIPPED_SENDER).build(_outgoing(), vn("05/03/2027 08:00"))
    assert wire.isascii()  # headers are RFC 2047 encoded, bodies transfer-encoded
    assert b"Subject: =?utf-8?" in wire
    back = message_from_bytes(wire, policy=policy.default)
    assert back["Subject"] == "[QUÁ HẠN] VV-1 - Báo cáo nhanh (khẩn) - hạn 04/03/2027 23:59"
    sent_from = message_from_bytes(wire, policy=policy.compat32)["From"]  # as on the wire
    assert str(make_header(decode_header(sent_from))) == SHIPPED_SENDER
    assert back["Message-ID"] == message_key_id("k", "huyen.example")
    assert back["In-Reply-To"] == back["References"] == "<thread.abc@huyen.example>"
    assert back["Date"].endswith("+0700")
    assert back.get_content_type() == "multipart/alternative"
    plain = back.get_body(("plain",))
    html = back.get_body(("html",))
    assert plain is not None and html is not None
    assert plain.get_content().strip() == "Báo cáo đã quá hạn."
    assert "<b>quá hạn</b>" in html.get_content()


def test_long_vietnamese_headers_fold_within_78_and_read_back_whole() -> None:
    subject = "[KHẨN] " + "; ".join(f"VV-{n} - Báo cáo nhanh (khẩn)" for n in range(12))
    message = replace(_outgoing(subject=subject), text="một\n.dòng bắt đầu bằng chấm\n")
    wire = Wire(SHIPPED_SENDER).build(message, vn("05/03/2027 08:00"))
    assert max(len(line) for line in wire.split(b"\r\n")) <= 78
    back = message_from_bytes(wire, policy=policy.default)
    assert back["Subject"] == subject
    plain = back.get_body(("plain",))
    assert plain is not None
    assert plain.get_content().replace("\r\n", "\n") == "một\n.dòng bắt đầu bằng chấm\n"


@pytest.mark.parametrize("recipient", ["a b@x.example", "a@x.example\r\nBcc: c@y.example", "tôi@x"])
def test_an_address_the_wire_cannot_carry_is_refused(recipient: str) -> None:
    with pytest.raises(ValueError):
        Wire(SHIPPED_SENDER).build(replace(_outgoing(), recipient=recipient), vn("05/03/2027"))


def test_message_id_depends_only_on_the_key() -> None:
    assert message_key_id("a", "d.example") == message_key_id("a", "d.example")
    assert message_key_id("a", "d.example") != message_key_id("b", "d.example")


def test_backoff_grows_with_jitter_and_stays_under_the_cap() -> None:
    rng = random.Random(1)
    delays = [backoff(n, 30, 900, rng) for n in range(1, 12)]
    assert timedelta(seconds=15) <= delays[0] <= timedelta(seconds=30)
    assert timedelta(seconds=60) <= delays[2] <= timedelta(seconds=120)
    assert all(d <= timedelta(seconds=900) for d in delays)
    assert delays[-1] >= timedelta(seconds=450)


URGENT = Item(
    reminder_id=1,
    obligation_id=1,
    obligation_key="case:VV-1:urgent_report",
    template="overdue",
    kind_name="Báo cáo nhanh (khẩn)",
    how="",
    case_code="VV-1",
    period=None,
    requested_by=None,
    unit_code="X01",
    unit_name="UBND xã A",
    due_at=vn("04/03/2027 23:59"),
    days_late=1,
    submit_to=(),
)


def test_html_escapes_what_it_shows(config: Config) -> None:
    item = replace(
        URGENT,
        obligation_key="case:X<1>:urgent_report",
        kind_name="Báo cáo <script>",
        case_code="X<1>",
    )
    draft = Renderer("huyen.example").items("a@x.example", [item], vn("05/03/2027 08:00"))
    assert "<script>" not in draft.html and "&lt;script&gt;" in draft.html
    assert "Báo cáo <script>" in draft.text


def test_a_bundle_subject_names_each_case_once() -> None:
    plan = replace(URGENT, reminder_id=2, obligation_id=2, template="due_today")
    periodic = replace(
        URGENT,
        reminder_id=3,
        obligation_id=3,
        template="periodic",
        kind_name="Báo cáo 06 tháng",
        case_code=None,
        period="2027-H1",
    )
    draft = Renderer("huyen.example").items("a@x.example", [URGENT, plan, periodic], vn(NOW))
    assert draft.subject == "[QUÁ HẠN] 3 báo cáo cần xử lý: VV-1; Báo cáo 06 tháng 2027-H1"


def test_a_wave_renders_what_several_people_are_told_once_with_each_ones_own_link() -> None:
    rendered: list[str] = []

    class Counting(Renderer):
        def _render(self, template: str, **context: object) -> tuple[str, str]:
            rendered.append(template)
            return super()._render(template, **context)

    plan = replace(URGENT, reminder_id=2, obligation_id=2, template="due_today")

    def signed(item: Item, who: str) -> Item:  # a link with "&": escaped in the HTML only
        return replace(item, ack_url=f"https://hanbao.example/ack/{who}-{item.reminder_id}?a&b")

    mails = [
        ("officer@x.example", [signed(URGENT, "officer"), signed(plan, "officer")]),
        ("leader@x.example", [signed(URGENT, "leader"), signed(plan, "leader")]),
        ("clerk@x.example", [URGENT]),
    ]
    drafts = Counting("huyen.example").wave(mails, vn(NOW))
    assert rendered == ["bundle", "overdue"]  # the two bundles differ only in their links
    assert drafts == [  # as each is rendered alone, with its own links
        Renderer("huyen.example").items(recipient, items, vn(NOW)) for recipient, items in mails
    ]
    assert "leader-1?a&b" in drafts[1].text and "leader-1?a&amp;b" in drafts[1].html
    assert "officer" not in drafts[1].text + drafts[1].html


def test_smtp_settings_from_environment_and_password_file(tmp_path: Path) -> None:
    secret = tmp_path / "smtp-password"
    secret.write_text("bí-mật\n", encoding="utf-8")
    settings = parse_smtp(
        {"smtp": {"host": "relay.example", "port": 2525}},
        HERE,
        {
            "HANBAO_SMTP_HOST": "mail.huyen.gov.vn",
            "HANBAO_SMTP_SECURITY": "tls",
            "HANBAO_SMTP_USERNAME": "hanbao",
            "HANBAO_SMTP_PASSWORD_FILE": str(secret),
        },
    )
    assert (settings.host, settings.port, settings.security) == ("mail.huyen.gov.vn", 2525, "tls")
    assert settings.password == "bí-mật"
    assert "bí-mật" not in repr(settings)
    assert parse_smtp({}, HERE, {"HANBAO_SMTP_SECURITY": "tls"}).port == 465
    assert parse_smtp({}, HERE, {}).security == "starttls"  # encrypted unless told otherwise


@pytest.mark.parametrize(
    ("smtp", "env", "message"),
    [
        ({"host": "relay.example", "security": "none"}, {}, "chỉ dùng cho relay cục bộ"),
        ({"password": "x"}, {}, "HANBAO_SMTP_PASSWORD"),
        ({"security": "ssl"}, {}, "starttls, tls hoặc none"),
        ({}, {"HANBAO_SMTP_PORT": "abc"}, "cần số cổng"),
        ({}, {"HANBAO_SMTP_PASSWORD": "x"}, "thiếu tên đăng nhập"),
        ({}, {"HANBAO_SMTP_PASSWORD_FILE": "/nonexistent/pw"}, "không đọc được tệp mật khẩu"),
    ],
)
def test_bad_smtp_settings_say_what_to_fix(
    smtp: dict[str, object], env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_smtp({"smtp": smtp}, HERE, env)


def test_mail_sender_is_required_and_env_wins() -> None:
    with pytest.raises(ConfigError, match=r"mail\.from"):
        parse_mail({}, HERE, {})
    mail = parse_mail(
        {"mail": {"from": "a@x.example"}}, HERE, {"HANBAO_MAIL_FROM": "B <b@y.example>"}
    )
    assert (mail.sender, mail.domain) == ("B <b@y.example>", "y.example")


def test_the_relays_rate_comes_from_the_environment_too() -> None:
    document = {"mail": {"from": "a@x.example", "rate_per_minute": 60, "lease_seconds": 600}}
    assert parse_mail(document, HERE, {}).rate_per_minute == 60
    env = {"HANBAO_MAIL_RATE_PER_MINUTE": "120"}
    assert parse_mail(document, HERE, env).rate_per_minute == 120
    for wrong in ("0", "fast", "1.5"):
        with pytest.raises(ConfigError, match="HANBAO_MAIL_RATE_PER_MINUTE"):
            parse_mail(document, HERE, {"HANBAO_MAIL_RATE_PER_MINUTE": wrong})
    # the lease must still outlast a batch at the rate the environment sets
    with pytest.raises(ConfigError, match=r"mail\.lease_seconds"):
        parse_mail(document, HERE, {"HANBAO_MAIL_RATE_PER_MINUTE": "1"})


def test_guard_allows_only_contacts_of_concerned_units_in_allowed_domains() -> None:
    x01 = Unit("X01", "x", "commune", "H01", "u@x.example", {"officer": ("o@x.example",)})
    h01 = Unit("H01", "h", "district", None, "h@x.example", {"supervisor": ("s@x.example",)})
    allowed = ["x.example"]
    assert refusal("o@x.example", [x01, h01], allowed) is None
    assert refusal("s@x.example", [x01, h01], allowed) is None
    assert "not a contact" in (refusal("s@x.example", [x01], allowed) or "")
    assert "outside the allowed domains" in (refusal("o@gmail.com", [x01], allowed) or "")
