"""A real Dovecot IMAP server on 127.0.0.1 for the whole session, and our sample mails.

Dovecot runs as root from a self-contained config in a temporary folder (see
docs in /work/shared/ENVIRONMENT.md): mail belongs to nobody:nogroup because Dovecot refuses uid 0.
Besides the full server on 127.0.0.1, the same Dovecot answers on 127.0.0.2 without MOVE and on
127.0.0.3 without MOVE and UIDPLUS, as older servers do, so each way of moving mail is exercised.
After a failed login Dovecot delays the next login from the same address by about 4 s, so tests of
wrong passwords connect over ::1 and leave 127.0.0.1 undelayed for everyone else.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from helpdesk.tenancy import tenant_context
from integrations.email.imap import MailboxSettings
from integrations.models import Mailbox

MAIL = Path(__file__).parent / "mail"
# The second password is not ASCII: IMAP LOGIN cannot carry it, so the client must use SASL PLAIN.
USERS = {"support@acme.example": "acme-imap-secret", "help@globex.example": "glöbex-ímap-secret"}
LEGACY_HOSTS = {
    "127.0.0.2": "IMAP4rev1 LITERAL+ UIDPLUS NAMESPACE",
    "127.0.0.3": "IMAP4rev1 LITERAL+ NAMESPACE",
}


def sample(name: str) -> bytes:
    """The raw bytes of tests/integrations/mail/<name>."""
    return (MAIL / name).read_bytes()


@dataclass
class ImapServer:
    """The running Dovecot: where it listens, who may log in, and doveadm helpers."""

    host: str
    port: int
    users: dict[str, str]
    config: Path
    doveadm: str
    imaps_port: int | None = None
    cafile: Path | None = None
    legacy_hosts: list[str] = field(default_factory=list)
    auth_failure_host: str = "127.0.0.1"

    def settings(self, user: str, **overrides: object) -> MailboxSettings:
        """Mailbox settings for `user` on this server (plain IMAP unless overridden)."""
        values = {"host": self.host, "port": self.port, "username": user}
        values["password"] = self.users[user]
        return MailboxSettings(**{**values, **overrides})

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cafile))

    def deliver(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        """Put a mail into `user`'s folder, unseen, as the MTA would."""
        self._doveadm("save", "-u", user, "-m", folder, input=raw)

    def create_folder(self, user: str, folder: str) -> None:
        self._doveadm("mailbox", "create", "-u", user, folder)

    def clear(self, user: str) -> None:
        """Empty `user`'s INBOX and delete every other folder."""
        self._doveadm("expunge", "-u", user, "mailbox", "*", "all")
        folders = [f for f in self.folders(user) if f != "INBOX"]
        if folders:
            self._doveadm("mailbox", "delete", "-u", user, "-s", "-r", *folders)

    def folders(self, user: str) -> list[str]:
        out = self._doveadm("-f", "json", "mailbox", "list", "-u", user)
        return [row["mailbox"] for row in json.loads(out or "[]")]

    def messages(self, user: str, folder: str = "INBOX") -> list[dict]:
        """uid, flags (a set, without the per-session \\Recent) and subject of each mail."""
        out = self._doveadm(
            "-f", "json", "fetch", "-u", user, "uid flags hdr.subject", "mailbox", folder, "all"
        )
        rows = json.loads(out or "[]")
        for row in rows:
            row["flags"] = set(row["flags"].split()) - {"\\Recent"}
        return rows

    def _doveadm(self, *args: str, input: bytes | None = None) -> str:
        result = subprocess.run(
            [self.doveadm, "-c", str(self.config), *args],
            input=input,
            capture_output=True,
            check=False,
            timeout=30,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"doveadm {' '.join(args)}: {result.stderr.decode(errors='replace')}"
            )
        return result.stdout.decode()


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must provide it)")
    pytest.skip(reason)


def _free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _bindable(host: str) -> bool:
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.bind((host, 0))
    except OSError:
        return False
    return True


def _make_certificate(folder: Path) -> Path | None:
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-nodes", "-days", "2", "-subj", "/CN=localhost"),
            *("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
            *("-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"),
            *("-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return folder / "cert.pem"


def _config(folder: Path, port: int, imaps_port: int | None, extra_hosts: list[str]) -> str:
    hosts = ", ".join(["127.0.0.1", *extra_hosts])
    lines = [
        "protocols = imap",
        f"listen = {hosts}",
        f"base_dir = {folder}/run",
        f"state_dir = {folder}/state",
        f"log_path = {folder}/dovecot.log",
        f"info_log_path = {folder}/dovecot.log",
        f"instance_name = helpdesk-tests-{port}",
        "disable_plaintext_auth = no",
        "auth_mechanisms = plain login",
        "auth_failure_delay = 0",
        "default_internal_user = dovecot",
        "default_login_user = dovenull",
        f"mail_location = maildir:{folder}/mail/%u",
        "passdb {",
        "  driver = passwd-file",
        f"  args = scheme=PLAIN username_format=%u {folder}/users",
        "}",
        "userdb {",
        "  driver = passwd-file",
        f"  args = username_format=%u {folder}/users",
        f"  default_fields = uid=nobody gid=nogroup home={folder}/mail/%u",
        "}",
        "service imap-login {",
        "  inet_listener imap {",
        f"    address = {hosts}",
        f"    port = {port}",
        "  }",
        "  inet_listener imaps {",
        "    address = 127.0.0.1",
        f"    port = {imaps_port or 0}",
        "  }",
        "}",
    ]
    if imaps_port:
        lines += [
            "ssl = yes",
            f"ssl_cert = <{folder}/cert.pem",
            f"ssl_key = <{folder}/key.pem",
            "ssl_min_protocol = TLSv1.2",
        ]
    else:
        lines.append("ssl = no")
    for host in (h for h in extra_hosts if h in LEGACY_HOSTS):
        lines += [
            f"local {host} {{",
            "  protocol imap {",
            f"    imap_capability = {LEGACY_HOSTS[host]}",
            "  }",
            "}",
        ]
    return "\n".join(lines) + "\n"


def _wait_for_port(process: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.02)
    process.kill()
    process.wait()
    text = log.read_text(errors="replace") if log.exists() else ""
    pytest.fail(f"dovecot did not start on port {port}:\n{text[-2000:]}")


@pytest.fixture(scope="session")
def imap_server() -> Iterator[ImapServer]:
    search_path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    dovecot = shutil.which("dovecot", path=search_path)
    doveadm = shutil.which("doveadm", path=search_path)
    if dovecot is None or doveadm is None:
        _unavailable("dovecot is not installed (apt-get install -y dovecot-imapd)")
    if os.geteuid() != 0:
        _unavailable("the test IMAP server runs Dovecot as root, and these tests are not root")

    folder = Path(tempfile.mkdtemp(prefix="helpdesk-dovecot-"))
    folder.chmod(0o711)  # mail processes run as nobody and must reach mail/ below
    users = "".join(f"{user}:{{PLAIN}}{password}::::::\n" for user, password in USERS.items())
    (folder / "users").write_text(users, encoding="utf-8")
    (folder / "mail").mkdir()
    shutil.chown(folder / "mail", user="nobody", group="nogroup")
    cafile = _make_certificate(folder)
    port = _free_port()
    imaps_port = _free_port() if cafile else None
    legacy_hosts = [host for host in LEGACY_HOSTS if _bindable(host)]
    auth_failure_host = "::1" if _bindable("::1") else "127.0.0.1"
    extra_hosts = [*legacy_hosts, *([auth_failure_host] if auth_failure_host == "::1" else [])]
    config = folder / "dovecot.conf"
    config.write_text(_config(folder, port, imaps_port, extra_hosts))
    log = folder / "dovecot.log"
    process = subprocess.Popen(
        [dovecot, "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=log.open("ab")
    )
    try:
        _wait_for_port(process, port, log)
        yield ImapServer(
            host="127.0.0.1",
            port=port,
            users=dict(USERS),
            config=config,
            doveadm=doveadm,
            imaps_port=imaps_port,
            cafile=cafile,
            legacy_hosts=legacy_hosts,
            auth_failure_host=auth_failure_host,
        )
    finally:
        process.terminate()  # Dovecot takes 1-3 s to let its children go and free the port
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def mailbox_user(imap_server: ImapServer) -> Iterator[str]:
    """support@acme.example, with an empty INBOX and no other folders."""
    user = "support@acme.example"
    imap_server.clear(user)
    yield user


@pytest.fixture
def acme_mailbox(acme, imap_server):
    """Acme's support mailbox on the test IMAP server, empty."""
    user = "support@acme.example"
    imap_server.clear(user)
    with tenant_context(acme):
        return Mailbox.objects.create(
            name="Support", host=imap_server.host, port=imap_server.port, username=user,
            password=imap_server.users[user], use_ssl=False,
        )  # fmt: skip
