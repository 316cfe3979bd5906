"""A webhook receiver on a real loopback socket: it records every request and answers each as
scripted (status, delay, headers), served by uvicorn in a thread as in tests/live.py."""

import asyncio
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
import uvicorn


@dataclass(frozen=True)
class Reply:
    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    def json(self) -> Any:
        return orjson.loads(self.body)


class Receiver:
    def __init__(self) -> None:
        self.url = ""
        self.requests: list[Received] = []
        self._replies: deque[Reply] = deque()
        self._default = Reply()
        self._lock = threading.Lock()
        self.in_flight = 0  # requests received and not yet answered
        self.most_in_flight = 0

    def script(self, *replies: Reply, then: Reply | None = None) -> None:
        """Answer the next requests with `replies`, in order, and the later ones with `then`."""
        with self._lock:
            self._replies.extend(replies)
            if then is not None:
                self._default = then

    def ids(self) -> list[str]:
        with self._lock:
            return [request.webhook_id for request in self.requests]

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        with self._lock:
            self.requests.append(Received(scope["path"], headers, body))
            reply = self._replies.popleft() if self._replies else self._default
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if reply.delay:
                await asyncio.sleep(reply.delay)
            raw = [(k.encode(), v.encode()) for k, v in reply.headers.items()]
            await send({"type": "http.response.start", "status": reply.status, "headers": raw})
            await send({"type": "http.response.body", "body": b"ok"})
        finally:
            with self._lock:
                self.in_flight -= 1


@contextmanager
def receiving() -> Iterator[Receiver]:
    receiver = Receiver()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    receiver.url = f"http://127.0.0.1:{sock.getsockname()[1]}/hooks"
    config = uvicorn.Config(
        receiver,
        lifespan="off",
        log_level="critical",
        access_log=False,
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the receiver did not start")
        time.sleep(0.01)
    try:
        yield receiver
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
