"""An SMTP sink in its own process that counts what it receives, for the mail benchmarks.

`SinkProcess(port).start()` runs aiosmtpd in a child process (so the sink's CPU is not the
benchmark's); `count` and `last_at` (time.monotonic() of the last message, comparable across
processes on Linux) are shared memory. `keys()` asks the child for the X-OrgWell-Outbox-Key of
every message received so far, repeats included, to count duplicates. The sink does not parse
the messages: it only finds that header, so its cost per message stays small and the same
for the baseline and for OrgWell. `smtplib_baseline` is that baseline: a bare smtplib loop.
"""

from __future__ import annotations

import multiprocessing
import smtplib
import socket
import threading
import time
from contextlib import suppress
from email.message import EmailMessage
from email.policy import SMTP

KEY_HEADER = b"\nX-OrgWell-Outbox-Key: "


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _key_of(content: bytes) -> str:
    start = content.find(KEY_HEADER)
    if start < 0:
        return ""
    start += len(KEY_HEADER)
    end = content.find(b"\n", start)
    return content[start:end].decode(errors="replace").strip()


class _Handler:
    def __init__(self, count, last_at, keys: list[str]) -> None:
        self.count = count
        self.last_at = last_at
        self.keys = keys

    async def handle_DATA(self, server, session, envelope):
        self.keys.append(_key_of(envelope.original_content or envelope.content))
        with self.count.get_lock():
            self.count.value += 1
        self.last_at.value = time.monotonic()
        return "250 Message accepted for delivery"


def _serve(port: int, count, last_at, conn) -> None:
    from aiosmtpd.controller import Controller

    keys: list[str] = []
    controller = Controller(
        _Handler(count, last_at, keys),
        hostname="127.0.0.1",
        port=port,
        decode_data=False,
        data_size_limit=None,
    )
    controller.start()
    conn.send("ready")
    try:
        while True:
            command = conn.recv()
            if command == "keys":
                conn.send(list(keys))
            elif command == "clear":
                keys.clear()
                with count.get_lock():
                    count.value = 0
                conn.send("ok")
            else:
                break
    except EOFError:
        pass
    finally:
        controller.stop()


class SinkProcess:
    """An aiosmtpd server on 127.0.0.1:`port` in a child process."""

    host = "127.0.0.1"

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        context = multiprocessing.get_context("spawn")
        self._count = context.Value("q", 0)
        self._last_at = context.Value("d", 0.0, lock=False)
        self._conn, child = context.Pipe()
        self._lock = threading.Lock()
        self._process = context.Process(
            target=_serve, args=(self.port, self._count, self._last_at, child), daemon=True
        )

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def start(self) -> None:
        self._process.start()
        if not self._conn.poll(30) or self._conn.recv() != "ready":
            raise RuntimeError("the SMTP sink did not start")

    @property
    def count(self) -> int:
        return self._count.value

    @property
    def last_at(self) -> float:
        return self._last_at.value

    def _ask(self, command: str):
        with self._lock:
            self._conn.send(command)
            return self._conn.recv()

    def keys(self) -> list[str]:
        return self._ask("keys")

    def clear(self) -> None:
        self._ask("clear")

    def wait_for(self, count: int, timeout: float, stall: float = 90, poll: float = 0.01) -> bool:
        """True once `count` messages arrived; False after `timeout` seconds, or after
        `stall` seconds without a new message."""
        deadline = time.monotonic() + timeout
        seen, seen_at = -1, time.monotonic()
        while self._count.value < count:
            now = time.monotonic()
            if self._count.value != seen:
                seen, seen_at = self._count.value, now
            if now > deadline or now - seen_at > stall:
                return False
            time.sleep(poll)
        return True

    def stop(self) -> None:
        if self._process.is_alive():
            with suppress(OSError):
                self._conn.send("stop")
            self._process.join(10)
            if self._process.is_alive():
                self._process.kill()
                self._process.join()


if __name__ == "__main__":  # a quick look: python bench/smtp_sink.py
    sink = SinkProcess()
    sink.start()
    print(f"sink on {sink.host}:{sink.port}, pid {sink.pid}; Ctrl-C stops it")
    try:
        while True:
            time.sleep(1)
            print(sink.count)
    except KeyboardInterrupt:
        sink.stop()


def smtplib_baseline(
    sink: SinkProcess, n: int, prebuilt: bool, timeout: float = 600, cpu: list | None = None
) -> float:
    """Seconds for a bare smtplib loop to send `n` invitation-sized messages on one connection.

    `cpu`, when given, receives the CPU seconds this process spent in the loop.

    `prebuilt`: the messages are serialised before the clock starts, so the loop measures the
    SMTP transport and the sink alone; otherwise each is built in the loop with EmailMessage,
    as a plain script would.
    """
    text = "Hello Person,\n\nBench Practice asks everyone in your team how they are doing.\n" * 8
    html = "<p>" + text.replace("\n", "</p><p>") * 2 + "</p>"

    def build(i: int) -> EmailMessage:
        email = EmailMessage()
        email["Subject"] = "Bench Practice: a 5-minute check-in"
        email["From"] = "OrgWell <no-reply@orgwell.local>"
        email["To"] = f"person{i}@bench.example"
        email["X-OrgWell-Outbox-Key"] = f"baseline:{i}"
        email.set_content(text + f"http://orgwell.test/s/{'x' * 43}\n")
        email.add_alternative(html, subtype="html")
        return email

    ready = [build(i).as_bytes(policy=SMTP) for i in range(n)] if prebuilt else None
    sink.clear()
    start, start_cpu = time.monotonic(), time.process_time()
    with smtplib.SMTP(sink.host, sink.port) as smtp:
        for i in range(n):
            if ready is None:
                smtp.send_message(build(i))
            else:
                smtp.sendmail("no-reply@orgwell.local", [f"person{i}@bench.example"], ready[i])
    if cpu is not None:
        cpu.append(time.process_time() - start_cpu)
    sink.wait_for(n, timeout)
    seconds = sink.last_at - start
    sink.clear()
    return seconds
