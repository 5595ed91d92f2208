"""A real IMAP server for tests: Debian's dovecot on loopback, from a configuration in a
temporary folder, with trustme certificates for IMAPS and STARTTLS.

Any user name logs in with ``PASSWORD`` (a static passdb: no system accounts, no password file),
so each test takes a user, hence a mailbox, of its own. Mail goes in by IMAP APPEND at a chosen
INTERNALDATE (dovecot keeps a date only when it is in the past). Dovecot logs to its stderr,
which a thread reads: every session ends with a line counting what it fetched (``hdr_count``,
``body_count``, ``body_bytes``…), so a test can prove what a client asked for. Waits are
conditions with a deadline, never sleeps.

Failed logins cost nothing here: dovecot's growing delay for an address that keeps failing (the
"auth penalty", kept by its anvil process) is turned off by closing anvil's penalty socket to
the auth process, so a wrong-password test does not slow down the tests after it.

Dovecot refuses to run its login processes or to touch mail as root. Run by root (as in CI),
logins run as Debian's ``dovenull`` and mail as ``nobody``, chrooted into the mail folder (the
chroot happens before the switch of user, so the private temporary folders above it stay
closed); run by anyone else, everything runs as that user, without chroots.
"""

from __future__ import annotations

import grp
import itertools
import os
import pwd
import re
import shutil
import ssl
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import trustme
from imapclient import IMAPClient

from scheduler.intake.settings import IntakeImap
from tests.mailsink import free_port

DOVECOT = shutil.which("dovecot", path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin"]))
PASSWORD = "mat-khau-hop-thu"
_users = itertools.count(1)
_COUNTERS = re.compile(r"\b(\w+)=(\d+)\b")


@dataclass
class Dovecot:
    process: subprocess.Popen[str]
    imap_port: int  # STARTTLS
    imaps_port: int  # implicit TLS
    ca_file: Path  # the CA that signed the server's certificate
    lines: list[str] = field(default_factory=list)
    condition: threading.Condition = field(default_factory=threading.Condition)
    reader: threading.Thread | None = None

    def _read_log(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self.condition:
                self.lines.append(line.rstrip("\n"))
                self.condition.notify_all()
        with self.condition:  # it exited: wake the waiters, who will say so
            self.condition.notify_all()

    def wait_for(self, found: Callable[[list[str]], bool], timeout: float = 10.0) -> list[str]:
        """The log once ``found`` holds for it; fails when dovecot exits or time is up."""
        with self.condition:
            self.condition.wait_for(
                lambda: found(self.lines) or self.process.poll() is not None, timeout
            )
            if not found(self.lines):
                tail = "\n".join(self.lines[-20:])
                raise AssertionError(f"dovecot (exit status {self.process.poll()}):\n{tail}")
            return list(self.lines)

    def sessions(self, user: str, count: int) -> list[dict[str, int]]:
        """The counters of ``user``'s finished sessions, once there are ``count`` of them."""
        pattern = re.compile(rf"imap\({re.escape(user)}\).*: Disconnected: (.*)")

        def ended(lines: list[str]) -> list[dict[str, int]]:
            found = [pattern.search(line) for line in lines]
            return [{k: int(v) for k, v in _COUNTERS.findall(m[1])} for m in found if m]

        return ended(self.wait_for(lambda lines: len(ended(lines)) >= count))

    def mailbox(self, folder: str = "INBOX") -> Mailbox:
        """A mailbox of its own: a new user, with ``folder`` created."""
        box = Mailbox(self, f"hopthu{next(_users)}@huyenmau.tinhmau.example", folder)
        if folder != "INBOX":
            with box.connect() as client:
                client.create_folder(folder)
        return box


@dataclass(frozen=True)
class Mailbox:
    server: Dovecot
    user: str
    folder: str

    def connect(self) -> Any:
        """A logged-in IMAPClient over IMAPS, trusting the test CA (use it in ``with``)."""
        context = ssl.create_default_context(cafile=str(self.server.ca_file))
        client = IMAPClient("127.0.0.1", self.server.imaps_port, ssl_context=context, timeout=10)
        client.login(self.user, PASSWORD)
        return client

    def append(self, message: bytes, at: datetime) -> None:
        with self.connect() as client:
            client.append(self.folder, message, msg_time=at)

    def flags(self) -> dict[int, tuple[bytes, ...]]:
        """Each message's flags, by UID, looked at read-only."""
        with self.connect() as client:
            client.select_folder(self.folder, readonly=True)
            answer = client.fetch(client.search(["ALL"]), ["FLAGS"])
        return {uid: tuple(item[b"FLAGS"]) for uid, item in answer.items()}

    def rebuild(self) -> None:
        """Delete the folder and make it again: a new UIDVALIDITY, an empty folder."""
        with self.connect() as client:
            client.delete_folder(self.folder)
            client.create_folder(self.folder)

    def settings(
        self,
        security: Literal["tls", "starttls"] = "tls",
        password: str = PASSWORD,
        ca_file: Path | None = None,
    ) -> IntakeImap:
        """How hanbao reads this mailbox; ``ca_file`` defaults to the test CA."""
        port = self.server.imaps_port if security == "tls" else self.server.imap_port
        return IntakeImap(
            host="127.0.0.1",
            port=port,
            security=security,
            username=self.user,
            password=password,
            folder=self.folder,
            ca_file=ca_file or self.server.ca_file,
        )


def _as_root(mail: Path) -> str:
    nobody = pwd.getpwnam("nobody")
    os.chown(mail, nobody.pw_uid, nobody.pw_gid)
    return f"""
default_login_user = dovenull
default_internal_user = dovecot
default_internal_group = dovecot
valid_chroot_dirs = {mail}
userdb {{
  driver = static
  args = uid={nobody.pw_uid} gid={nobody.pw_gid} home={mail}/./%u
}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
"""


def _as_user(mail: Path) -> str:
    user, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
    return f"""
default_login_user = {user}
default_internal_user = {user}
default_internal_group = {group}
userdb {{
  driver = static
  args = uid={os.getuid()} gid={os.getgid()} home={mail}/%u
}}
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  chroot =
"""


def start(folder: Path) -> Dovecot:
    """Dovecot serving IMAP (STARTTLS) and IMAPS on free loopback ports, logging to a pipe."""
    assert DOVECOT is not None
    ca = trustme.CA()
    issued = ca.issue_cert("localhost", "127.0.0.1")
    issued.private_key_pem.write_to_path(folder / "key.pem")
    (folder / "cert.pem").write_bytes(b"".join(pem.bytes() for pem in issued.cert_chain_pems))
    ca.cert_pem.write_to_path(folder / "ca.pem")
    mail = folder / "mail"
    mail.mkdir()
    imap_port, imaps_port = free_port(), free_port()
    who = _as_root(mail) if os.geteuid() == 0 else _as_user(mail)
    (folder / "dovecot.conf").write_text(
        f"""
base_dir = {folder}/run
state_dir = {folder}/state
log_path = /dev/stderr
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{folder}/cert.pem
ssl_key = <{folder}/key.pem
ssl_min_protocol = TLSv1.2
auth_mechanisms = plain
auth_failure_delay = 0
mail_location = maildir:~/Maildir
passdb {{
  driver = static
  args = password={PASSWORD}
}}
{who}
  inet_listener imap {{
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = {imaps_port}
    ssl = yes
  }}
}}
""",
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(folder / "dovecot.conf")],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
    )
    server = Dovecot(process, imap_port, imaps_port, folder / "ca.pem")
    server.reader = threading.Thread(target=server._read_log, daemon=True)
    server.reader.start()
    try:
        server.wait_for(lambda lines: any("starting up for imap" in line for line in lines))
    except AssertionError:
        stop(server)
        raise
    return server


def stop(server: Dovecot) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
    if server.reader is not None:
        server.reader.join(timeout=10)
    assert server.process.stderr is not None
    server.process.stderr.close()
