"""A TCP listener standing in for the host an attacker names: it records every connection and
what was sent on it, and answers each request with an HTTP 500 so that a client gives up fast.

Tests point an account at it and assert that nothing connected (the server refused before any
connection), or, as a control, that something did and what it carried.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field

import pytest


@dataclass
class Listener:
    sock: socket.socket
    received: list[bytearray] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    @property
    def port(self) -> int:
        return self.sock.getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def connections(self) -> int:
        return len(self.received)

    def serve(self) -> None:
        self.sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            data = bytearray()
            self.received.append(data)  # counted on connecting, before anything is read
            with conn:
                conn.settimeout(2)
                try:
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    conn.sendall(
                        b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n"
                        b"Connection: close\r\n\r\n"
                    )
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self.sock.close()


@pytest.fixture
def listener():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    server = Listener(sock)
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    yield server
    server.close()
    thread.join(timeout=2)
