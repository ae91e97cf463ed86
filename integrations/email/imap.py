"""A small IMAP client for polling a help desk mailbox, over the standard library's `imaplib`.

The poller fetches with `BODY.PEEK[]`, which leaves `\\Seen` alone: a worker that dies between
fetching and processing loses nothing, the mail is simply fetched again. Only once a mail is stored
does the poller call `mark_processed` (or `mark_failed`, so a mail we cannot handle is not fetched
forever).
"""

from __future__ import annotations

import base64
import imaplib
import re
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import TracebackType


@dataclass
class MailboxSettings:
    """Where a help desk mailbox lives and what to do with its mail once read."""

    host: str
    port: int
    username: str
    password: str = field(repr=False)
    use_ssl: bool = False
    starttls: bool = False
    folder: str = "INBOX"
    processed_folder: str | None = "Processed"
    failed_folder: str | None = None
    timeout: float = 30


@dataclass(frozen=True)
class FetchedMessage:
    """One mail as the server stores it; (uidvalidity, uid) names it for as long as it exists."""

    uid: int
    uidvalidity: int
    raw: bytes = field(repr=False)
    size: int = -1  # the whole mail's size on the server; more than len(raw) when cut short

    def __post_init__(self) -> None:
        if self.size < 0:
            object.__setattr__(self, "size", len(self.raw))


class MailboxError(Exception):
    """A mailbox could not be reached or used; names the host and user, never the password."""

    CONNECT = "connect"
    TIMEOUT = "timeout"
    TLS = "tls"
    AUTHENTICATION = "authentication"
    FOLDER = "folder"
    PROTOCOL = "protocol"

    def __init__(self, problem: str, *, kind: str, settings: MailboxSettings) -> None:
        if settings.password:
            problem = problem.replace(settings.password, "********")
        self.problem = problem
        self.kind = kind
        self.host = settings.host
        self.port = settings.port
        self.username = settings.username
        super().__init__(f"IMAP {settings.username} at {settings.host}:{settings.port}: {problem}")


class ImapMailbox:
    """A logged-in IMAP session on one folder; use it as a context manager."""

    def __init__(
        self, settings: MailboxSettings, *, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        self.settings = settings
        self.ssl_context = ssl_context
        self.capabilities: frozenset[str] = frozenset()
        self.uidvalidity = 0
        self._connection: imaplib.IMAP4 | None = None
        self._folders: dict[str, str] = {}

    def __enter__(self) -> ImapMailbox:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def open(self) -> None:
        """Connect, log in and select the folder to poll."""
        connection = self._connect()
        try:
            self._log_in(connection)
            # imaplib keeps the capabilities it read before login; servers add some (MOVE) after.
            with self._talking("reading capabilities"):
                typ, data = connection.capability()
            self.capabilities = frozenset(_capabilities(data) if typ == "OK" else ())
            with self._talking(f"selecting {self.settings.folder}"):
                typ, data = connection.select(_mailbox_name(self.settings.folder))
                if typ != "OK":
                    raise self._error(
                        f"folder {self.settings.folder!r} cannot be opened: {_text(data)}",
                        MailboxError.FOLDER,
                    )
                self.uidvalidity = _uidvalidity(connection)
        except BaseException:
            _shut(connection)
            raise
        self._connection = connection

    def close(self) -> None:
        """Log out; never raises. LOGOUT, not CLOSE: CLOSE would expunge others' deleted mail."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.logout()
        except Exception:
            _shut(connection)

    def fetch_unseen(self, limit: int = 100) -> list[FetchedMessage]:
        """The oldest `limit` unseen mails, without marking them seen."""
        return list(self.unseen(limit))

    def unseen(self, limit: int = 100, max_bytes: int | None = None) -> Iterator[FetchedMessage]:
        """The oldest `limit` unseen mails one at a time, so only one is in memory at once.

        Of a mail larger than `max_bytes` only its first `max_bytes` are fetched.
        """
        connection = self._open_connection()
        with self._talking("searching unseen mail"):
            typ, data = connection.uid("SEARCH", "UNSEEN UNDELETED")
            self._check(typ, data, "UID SEARCH UNSEEN")
        uids = sorted(int(uid) for uid in b" ".join(d for d in data if d).split() if uid.isdigit())
        for uid in uids[: max(limit, 0)]:
            size = self._size(uid) if max_bytes is not None else None
            if size is not None and size > max_bytes:
                raw = self._fetch(uid, part=f"<0.{max_bytes}>")
            else:
                raw = self._fetch(uid)
            if raw is not None:  # expunged meanwhile by another client
                yield FetchedMessage(
                    uid=uid, uidvalidity=self.uidvalidity, raw=raw, size=size or len(raw)
                )

    def mark_processed(self, uid: int) -> None:
        """Mark a stored mail seen and move it to the processed folder, if there is one."""
        self._add_flags(uid, r"(\Seen)")
        if self.settings.processed_folder:
            self._move(uid, self.settings.processed_folder)

    def mark_failed(self, uid: int) -> None:
        """Flag a mail that could not be handled, so no poll fetches it again; move it if asked."""
        self._add_flags(uid, r"(\Flagged \Seen)")
        if self.settings.failed_folder:
            self._move(uid, self.settings.failed_folder)

    def _connect(self) -> imaplib.IMAP4:
        s = self.settings
        with self._talking(f"connecting to {s.host}:{s.port}"):
            if s.use_ssl:
                context = self.ssl_context or ssl.create_default_context()
                connection = imaplib.IMAP4_SSL(
                    s.host, s.port, ssl_context=context, timeout=s.timeout
                )
            else:
                connection = imaplib.IMAP4(s.host, s.port, timeout=s.timeout)
        if s.starttls and not s.use_ssl:
            try:
                with self._talking("starting TLS"):
                    connection.starttls(self.ssl_context or ssl.create_default_context())
            except BaseException:
                _shut(connection)
                raise
        return connection

    def _log_in(self, connection: imaplib.IMAP4) -> None:
        s = self.settings
        try:
            if (s.username + s.password).isascii():
                connection.login(s.username, s.password)
            else:  # LOGIN is ASCII only; SASL PLAIN carries UTF-8
                credentials = f"\0{s.username}\0{s.password}".encode()
                connection.authenticate("PLAIN", lambda _: credentials)
        except imaplib.IMAP4.abort as exc:
            raise self._error(
                f"connection lost while logging in: {exc}", MailboxError.CONNECT
            ) from None
        except imaplib.IMAP4.error as exc:
            # Built from the server's answer only: the exception's context would hold our command.
            raise self._error(
                f"authentication failed: {_text(exc.args)}", MailboxError.AUTHENTICATION
            ) from None
        except (TimeoutError, OSError) as exc:
            raise self._error(_network_problem(exc, s.timeout), _network_kind(exc)) from None

    def _size(self, uid: int) -> int | None:
        with self._talking(f"asking the size of message {uid}"):
            typ, data = self._open_connection().uid("FETCH", str(uid), "(RFC822.SIZE)")
            self._check(typ, data, f"UID FETCH {uid} RFC822.SIZE")
        for item in data:
            line = item[0] if isinstance(item, tuple) else item
            found = re.search(rb"\bUID (\d+)", line or b"", re.IGNORECASE)
            size = re.search(rb"\bRFC822\.SIZE (\d+)", line or b"", re.IGNORECASE)
            if size and (found is None or int(found.group(1)) == uid):
                return int(size.group(1))
        return None

    def _fetch(self, uid: int, part: str = "") -> bytes | None:
        with self._talking(f"fetching message {uid}"):
            typ, data = self._open_connection().uid("FETCH", str(uid), f"(BODY.PEEK[]{part})")
            self._check(typ, data, f"UID FETCH {uid}")
        for item in data:
            # Unsolicited FETCH responses (another client changing flags) come back here too.
            if isinstance(item, tuple) and b"BODY[]" in item[0].upper():
                found = re.search(rb"\bUID (\d+)", item[0], re.IGNORECASE)
                if found is None or int(found.group(1)) == uid:
                    return item[1]
        return None

    def _add_flags(self, uid: int, flags: str) -> None:
        with self._talking(f"flagging message {uid}"):
            typ, data = self._open_connection().uid("STORE", str(uid), "+FLAGS.SILENT", flags)
            self._check(typ, data, f"UID STORE {uid} {flags}")

    def _move(self, uid: int, folder: str) -> None:
        connection = self._open_connection()
        target = self._folder(folder)
        with self._talking(f"moving message {uid} to {folder}"):
            if "MOVE" in self.capabilities:
                typ, data = connection.uid("MOVE", str(uid), target)
                self._check(typ, data, f"UID MOVE {uid}")
                return
            typ, data = connection.uid("COPY", str(uid), target)
            self._check(typ, data, f"UID COPY {uid}")
            typ, data = connection.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Deleted \Seen)")
            self._check(typ, data, f"UID STORE {uid} \\Deleted")
            if "UIDPLUS" in self.capabilities:
                typ, data = connection.uid("EXPUNGE", str(uid))
            else:  # plain EXPUNGE also removes mail others marked deleted; nothing finer exists
                typ, data = connection.expunge()
            self._check(typ, data, "EXPUNGE")

    def _folder(self, folder: str) -> str:
        """The wire name of `folder`, created (and subscribed) if it does not exist yet."""
        if folder in self._folders:
            return self._folders[folder]
        connection = self._open_connection()
        with self._talking(f"creating folder {folder}"):
            candidates = [folder]
            prefix = self._personal_prefix()
            if prefix and not folder.startswith(prefix):
                candidates.append(prefix + folder)  # servers that keep every folder under INBOX.
            problem = ""
            for candidate in candidates:
                name = _mailbox_name(candidate)
                typ, data = connection.list('""', name)
                if typ == "OK" and any(data):
                    self._folders[folder] = name
                    return name
                typ, data = connection.create(name)
                if typ == "OK":
                    connection.subscribe(name)
                    self._folders[folder] = name
                    return name
                problem = _text(data)
        raise self._error(f"folder {folder!r} cannot be created: {problem}", MailboxError.FOLDER)

    def _personal_prefix(self) -> str:
        if "NAMESPACE" not in self.capabilities:
            return ""
        typ, data = self._open_connection().namespace()
        found = re.match(rb'\(\("([^"]*)"', data[0] or b"") if typ == "OK" and data else None
        return found.group(1).decode("ascii", "replace") if found else ""

    def _open_connection(self) -> imaplib.IMAP4:
        if self._connection is None:
            raise self._error("mailbox is not open", MailboxError.PROTOCOL)
        return self._connection

    def _check(self, typ: str, data: list, command: str) -> None:
        if typ != "OK":
            raise self._error(f"{command} refused: {_text(data)}", MailboxError.PROTOCOL)

    def _error(self, problem: str, kind: str) -> MailboxError:
        return MailboxError(problem, kind=kind, settings=self.settings)

    @contextmanager
    def _talking(self, doing: str) -> Iterator[None]:
        """Turn whatever the network or imaplib raises while `doing` into a MailboxError."""
        try:
            yield
        except MailboxError:
            raise
        except imaplib.IMAP4.abort as exc:
            raise self._error(
                f"connection lost while {doing}: {exc}", MailboxError.CONNECT
            ) from exc
        except imaplib.IMAP4.error as exc:
            raise self._error(f"{doing} failed: {exc}", MailboxError.PROTOCOL) from exc
        except (TimeoutError, OSError) as exc:
            kind = _network_kind(exc)
            problem = _network_problem(exc, self.settings.timeout)
            raise self._error(f"{doing}: {problem}", kind) from exc


def _network_kind(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLError):
        return MailboxError.TLS
    if isinstance(exc, TimeoutError):
        return MailboxError.TIMEOUT
    return MailboxError.CONNECT


def _network_problem(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, socket.gaierror):
        return f"unknown host ({exc.strerror})"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc}"
    return f"network error: {exc}"


def _shut(connection: imaplib.IMAP4) -> None:
    try:
        connection.shutdown()
    except Exception:  # already gone; there is nothing left to release
        return


def _capabilities(data: list) -> set[str]:
    words: set[str] = set()
    for line in data:
        if isinstance(line, bytes):
            words.update(line.decode("ascii", "replace").upper().split())
    return words


def _uidvalidity(connection: imaplib.IMAP4) -> int:
    _, data = connection.response("UIDVALIDITY")
    for value in data or ():
        if value and value.strip().isdigit():
            return int(value)
    return 0


def _text(data: object) -> str:
    """A server answer (bytes, lists of them, exception args) as one readable line."""
    if isinstance(data, list | tuple):
        return " ".join(_text(d) for d in data if d is not None)
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return str(data)


def _mailbox_name(name: str) -> str:
    """A folder name as IMAP wants it: modified UTF-7 (RFC 3501 5.1.3), quoted."""
    encoded = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            data = base64.b64encode("".join(pending).encode("utf-16-be")).rstrip(b"=")
            encoded.append("&" + data.decode("ascii").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            encoded.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    quoted = "".join(encoded).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}"'
