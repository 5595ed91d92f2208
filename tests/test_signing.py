"""The one signing module of cookies and links: strict decoding, one purpose per value, and no
byte string a client can send as a cookie or a link answered with a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from scheduler import links, signing
from scheduler.links import Purpose
from scheduler.settings import Config
from scheduler.store.queries import transaction
from tests.conftest import open_case, vn
from tests.test_api import KEY, NOW, Api, make_api

FIELDS: dict[str, int | str] = {
    "o": 7,
    "r": "treem@anbinh.example",
    signing.EXPIRES: signing.expiry(vn(NOW)),
}
VALUE = signing.sign(KEY, "ack", FIELDS)
# what an HTTP client can put in a header: any byte but CR, LF and NUL; split on dots as ours are
HEADER_BYTES = st.lists(
    st.binary(max_size=60).map(
        lambda b: b.replace(b"\r", b"").replace(b"\n", b"").replace(b"\0", b"")
    ),
    max_size=4,
).map(b".".join)
ANY_BYTES = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def test_a_value_verifies_for_its_purpose_until_it_expires() -> None:
    assert signing.verify(KEY, "ack", VALUE, vn(NOW)) == FIELDS
    with pytest.raises(signing.Expired):
        signing.verify(KEY, "ack", VALUE, vn(NOW) + timedelta(seconds=1))
    for other in ("confirm", "session"):
        with pytest.raises(signing.Invalid):
            signing.verify(KEY, other, VALUE, vn(NOW))
    with pytest.raises(signing.Invalid):
        signing.verify(b"x" * 48, "ack", VALUE, vn(NOW))


@given(suffix=st.text(min_size=1, max_size=5))
def test_nothing_appended_to_a_value_verifies(suffix: str) -> None:
    with pytest.raises(signing.Invalid):
        signing.verify(KEY, "ack", VALUE + suffix, vn(NOW))


@given(index=st.integers(0, len(VALUE) - 1), char=st.characters())
def test_no_changed_character_verifies(index: int, char: str) -> None:
    changed = VALUE[:index] + char + VALUE[index + 1 :]
    if changed != VALUE:
        with pytest.raises(signing.Invalid):
            signing.verify(KEY, "ack", changed, vn(NOW))


@given(text=st.text())
def test_any_text_is_invalid_never_an_exception(text: str) -> None:
    with pytest.raises(signing.Invalid):
        signing.verify(KEY, "session", text, vn(NOW))
    assert signing.matches(KEY, "csrf", VALUE, text) is (text == signing.tag(KEY, "csrf", VALUE))


@pytest.fixture
def api(engine: Engine, config: Config) -> Iterator[Api]:
    made = make_api(engine, config)
    with made.running():
        yield made


@pytest.fixture
def obligation(engine: Engine, config: Config) -> int:
    return open_case(engine, config, "VV-SIGN", "09/03/2027 15:00", "09/03/2027 15:00")


@ANY_BYTES
@given(cookie=HEADER_BYTES)
@pytest.mark.parametrize("path", ["/overview", "/overview/unit/X01", "/overview/export.csv"])
def test_no_cookie_a_client_sends_is_a_server_error(api: Api, path: str, cookie: bytes) -> None:
    response = api.client.get(
        path, headers={b"cookie": b"hanbao_session=" + cookie}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/login"


@ANY_BYTES
@given(genuine=st.booleans(), tail=st.binary(max_size=200), csrf=st.text(max_size=100))
@pytest.mark.parametrize("page", ["ack", "confirm", "dispute"])
def test_no_link_a_client_sends_is_a_server_error(
    api: Api, engine: Engine, obligation: int, page: Purpose, genuine: bool, tail: bytes, csrf: str
) -> None:
    """Any bytes, percent-encoded as a client sends them, alone or after a genuine link; the
    form's csrf any text. Nothing is recorded."""
    start = links.sign(KEY, obligation, "treem@anbinh.example", vn(NOW), 30, page, vn(NOW))
    path = f"/{page}/{start if genuine else ''}{quote(tail, safe='')}"
    with transaction(engine) as store:
        before = store.obligation(obligation)
    assert api.client.get(path).status_code < 500
    posted = api.client.post(path, data={"csrf": csrf, "reason": "not_received"})
    assert posted.status_code < 500
    with transaction(engine) as store:
        assert store.obligation(obligation) == before
