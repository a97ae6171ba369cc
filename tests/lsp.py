"""A small Language Server Protocol client for the tests: the standard library only.

It starts a server with ``--stdio`` and speaks JSON-RPC framed by ``Content-Length`` headers
to it. A reader thread takes every message the server sends: replies go to the request
waiting for them, requests from the server are answered at once (``workspace/configuration``
with the settings the client holds: a server such as yaml-language-server pulls its settings
when told they changed), and ``publishDiagnostics`` are kept per document. Every wait is
bounded: a timeout raises ``LspTimeout`` saying what the server did send, and closing the
client ends the server (politely first: ``shutdown``, ``exit``).
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

#: How long one request, or the diagnostics of the documents opened together, may take.
TIMEOUT = 60.0
#: Diagnostics are taken once none has come for this long (yaml-language-server waits
#: 200 ms after a change before it validates, and may publish a document twice).
SETTLE = 0.6


class LspError(RuntimeError):
    """The server answered a request with an error, or it stopped."""


class LspTimeout(LspError):
    """The server did not answer in time."""


@dataclass(frozen=True)
class Diagnostic:
    """One diagnostic, its line counted from 1 (as an editor shows it)."""

    line: int
    message: str
    source: str
    severity: int

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> Diagnostic:
        return cls(
            line=int(raw["range"]["start"]["line"]) + 1,
            message=str(raw.get("message", "")),
            source=str(raw.get("source", "")),
            severity=int(raw.get("severity", 1)),
        )


class LanguageServer:
    """One running language server and the client side of its conversation."""

    def __init__(self, command: Sequence[str], root: Path, *, timeout: float = TIMEOUT) -> None:
        self.root = root
        self.timeout = timeout
        self._process = subprocess.Popen(
            list(command),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self._lock = threading.Condition()
        self._next_id = 0
        self._replies: dict[int, dict[str, Any]] = {}
        self._diagnostics: dict[str, list[dict[str, Any]]] = {}
        self._last_publish = 0.0
        self._versions: dict[str, int] = {}
        self._opened: set[str] = set()
        self._settings: dict[str, Any] = {}
        self._pulls = 0
        self._log: deque[str] = deque(maxlen=40)
        self._stderr: deque[bytes] = deque(maxlen=200)
        self._closed = False
        assert self._process.stdout is not None and self._process.stderr is not None
        threading.Thread(target=self._read, args=(self._process.stdout,), daemon=True).start()
        threading.Thread(target=self._drain, args=(self._process.stderr,), daemon=True).start()

    # --- the conversation ----------------------------------------------------------------

    def initialize(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """``initialize`` with ``root`` as the workspace folder, ``initialized``, then the
        settings (``workspace/didChangeConfiguration``)."""
        uri = self.root.as_uri()
        result = self.request(
            "initialize",
            {
                "processId": None,
                "rootUri": uri,
                "workspaceFolders": [{"uri": uri, "name": self.root.name}],
                "capabilities": {
                    "textDocument": {
                        "publishDiagnostics": {"relatedInformation": False},
                        "synchronization": {"didSave": False},
                    },
                    "workspace": {
                        "workspaceFolders": True,
                        "configuration": True,
                        "didChangeConfiguration": {"dynamicRegistration": False},
                    },
                },
            },
        )
        self.notify("initialized", {})
        self.configure(settings)
        return dict(result)

    def configure(self, settings: Mapping[str, Any]) -> None:
        """New settings (``{"yaml": {...}}``): sent with ``workspace/didChangeConfiguration``,
        and given whenever the server asks for them; returns once it has asked."""
        with self._lock:
            self._settings = dict(settings)
            pulls = self._pulls
        self.notify("workspace/didChangeConfiguration", {"settings": settings})
        self._wait(lambda: True if self._pulls > pulls else None, "a pull of the settings")

    def diagnostics(self, path: Path, text: str | None = None) -> list[Diagnostic]:
        """The diagnostics of one document (see ``diagnose``)."""
        return self.diagnose({path: text})[path]

    def diagnose(self, documents: Mapping[Path, str | None]) -> dict[Path, list[Diagnostic]]:
        """Open every document (its text from the file when None), wait until the server has
        published diagnostics for each and then published nothing for ``SETTLE`` seconds,
        close them, and return the last diagnostics of each, sorted by line.

        A document is opened once per server: what the server publishes when it is closed
        could not be told from its diagnostics if it were opened again."""
        uris = {path: path.as_uri() for path in documents}
        with self._lock:
            again = sorted(uri for uri in uris.values() if uri in self._opened)
            if again:
                raise LspError(f"opened before: {', '.join(again)}")
            for uri in uris.values():
                self._opened.add(uri)
                self._versions[uri] = 1
        for path, given in documents.items():
            uri = uris[path]
            text = path.read_text(encoding="utf-8") if given is None else given
            item = {"uri": uri, "languageId": "yaml", "version": self._versions[uri], "text": text}
            self.notify("textDocument/didOpen", {"textDocument": item})

        def settled() -> bool | None:
            waiting = [uri for uri in uris.values() if uri not in self._diagnostics]
            quiet = time.monotonic() - self._last_publish >= SETTLE
            return True if not waiting and quiet else None

        try:
            self._wait(settled, f"diagnostics for {len(uris)} document(s)")
            with self._lock:
                published = {path: self._diagnostics[uri] for path, uri in uris.items()}
        finally:
            with self._lock:
                for uri in uris.values():
                    self._versions.pop(uri, None)  # what comes now is for the closing
            for uri in uris.values():
                self.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
        return {
            path: sorted((Diagnostic.of(d) for d in raw), key=lambda d: (d.line, d.message))
            for path, raw in published.items()
        }

    def request(self, method: str, params: Any) -> Any:
        with self._lock:
            self._next_id += 1
            ident = self._next_id
        self._send({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
        reply = self._wait(lambda: self._replies.pop(ident, None), f"the reply to {method}")
        if "error" in reply:
            raise LspError(f"{method}: {reply['error']}")
        return reply.get("result")

    def notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def close(self) -> None:
        """``shutdown`` and ``exit``; the server is killed if it does not end in time."""
        if self._closed:
            return
        try:
            if self._process.poll() is None:
                self.request("shutdown", None)
                self.notify("exit", None)
                self._process.wait(timeout=self.timeout)
        except (LspError, OSError, subprocess.TimeoutExpired):
            self._process.kill()
            self._process.wait(timeout=self.timeout)
        finally:
            self._closed = True
            for stream in (self._process.stdin, self._process.stdout, self._process.stderr):
                if stream is not None:
                    stream.close()

    def __enter__(self) -> LanguageServer:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- the wire --------------------------------------------------------------------------

    def _send(self, message: Mapping[str, Any]) -> None:
        body = json.dumps(message).encode("utf-8")
        stdin = self._process.stdin
        if stdin is None or self._process.poll() is not None:
            raise LspError(f"the server has stopped{self._what_was_said()}")
        with self._lock:
            stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            stdin.flush()

    def _wait(self, found: Any, what: str) -> Any:
        deadline = time.monotonic() + self.timeout
        with self._lock:
            while True:
                value = found()
                if value is not None:
                    return value
                if self._process.poll() is not None:
                    raise LspError(f"the server stopped waiting for {what}{self._what_was_said()}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise LspTimeout(f"no {what} within {self.timeout:g}s{self._what_was_said()}")
                self._lock.wait(min(left, 0.1))

    def _what_was_said(self) -> str:
        received = "\n".join(self._log) or "(nothing)"
        stderr = b"".join(self._stderr).decode("utf-8", "replace")[-2000:]
        return f"; it sent:\n{received}\nstderr:\n{stderr or '(nothing)'}"

    def _read(self, stream: IO[bytes]) -> None:
        while True:
            length = None
            while True:
                header = stream.readline()
                if not header:
                    with self._lock:
                        self._lock.notify_all()
                    return
                if header in (b"\r\n", b"\n"):
                    break
                name, _, value = header.decode("ascii").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            if length is None:
                continue
            message = json.loads(stream.read(length).decode("utf-8"))
            self._receive(message)

    def _receive(self, message: dict[str, Any]) -> None:
        method = message.get("method")
        with self._lock:
            self._log.append(json.dumps(message)[:400])
            if method is None and "id" in message:
                self._replies[int(message["id"])] = message
            elif method == "textDocument/publishDiagnostics":
                params = message["params"]
                uri = params["uri"]
                version = params.get("version")
                if uri in self._versions and version in (None, self._versions[uri]):
                    self._diagnostics[uri] = params["diagnostics"]
                    self._last_publish = time.monotonic()
            self._lock.notify_all()
        if method is not None and "id" in message:
            self._send({"jsonrpc": "2.0", "id": message["id"], "result": self._answer(message)})
            if method == "workspace/configuration":
                with self._lock:
                    self._pulls += 1
                    self._lock.notify_all()

    def _drain(self, stream: IO[bytes]) -> None:
        for line in stream:
            self._stderr.append(line)

    def _answer(self, request: Mapping[str, Any]) -> Any:
        """The reply to a request from the server: for ``workspace/configuration`` the
        sections of the settings (null for one the client has not), else null (yes)."""
        if request["method"] == "workspace/configuration":
            with self._lock:
                settings = self._settings
            items = request.get("params", {}).get("items", ())
            return [settings.get(str(item.get("section"))) for item in items]
        return None
