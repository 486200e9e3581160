"""Benchmark the e-mail channel: durable inbound SMTP acceptance and IMAP import rates.

Run: python bench/email_channel.py [--messages 400] [--clients 8] [--size 51200] [--repeat 3]
     [--loop uvloop|asyncio]   (uvloop by default, as `standardiste serve` runs)
Prints medians and ratios against references measured in the same run:
aiosmtpd's plain Sink handler (no storage) for SMTP, a bare aioimaplib FETCH loop for IMAP.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named email.py: drop its folder from the path before anything imports the
# standard library's `email` package, or this script would shadow it.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
ROOT = HERE.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests" / "integration" / "email")]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from typing import Any  # noqa: E402

import aioimaplib  # noqa: E402
import aiosmtplib  # noqa: E402
from aiosmtpd.handlers import Sink  # noqa: E402
from aiosmtpd.smtp import SMTP  # noqa: E402
from email_dovecot import Dovecot, free_port  # noqa: E402
from email_stack import EmailStack  # noqa: E402

from standardiste.channels.email.imap import ImapAccount, ImapImporter  # noqa: E402
from standardiste.channels.email.imap_cursor import JsonCursorStore  # noqa: E402
from standardiste.channels.email.smtp_in import ContactHandler, SmtpServer  # noqa: E402
from standardiste.channels.email.spool import Spool  # noqa: E402
from standardiste.domain.clock import SystemClock  # noqa: E402

CONTACT = "contact@impots.example"


def message(n: int, size: int) -> bytes:
    """Return a message of about `size` bytes with a unique Message-ID."""
    line = "Texte du courriel, ligne de soixante-dix caractères environ, pour le bench.\r\n"
    body = line * max(1, size // len(line.encode()))
    return (
        f"From: Contribuable {n} <c{n}@example.org>\r\nTo: {CONTACT}\r\nSubject: Bench {n}\r\n"
        f"Message-ID: <bench-{n}-{time.time_ns()}@example.org>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body
    ).encode()


# -- load generator (runs in its own process so client CPU does not slow the server) -------


async def client_load(port: int, total: int, clients: int, size: int) -> tuple[float, float]:
    """Send `total` messages over `clients` connections; return (start, end) wall times."""
    payloads = [message(n, size) for n in range(total)]

    async def worker(mine: list[bytes]) -> None:
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=60)
        await smtp.connect()
        for raw in mine:
            await smtp.sendmail("bench@example.org", [CONTACT], raw)
        await smtp.quit()

    start = time.time()  # wall clock: compared with the server process's
    await asyncio.gather(*(worker(payloads[i::clients]) for i in range(clients)))
    return start, time.time()


async def measure_smtp(
    start_server: Callable[[int], Any], args: argparse.Namespace
) -> tuple[float, float]:
    """Start a server, drive it from a client process; return (msg/s, msg per server CPU-s).

    Both count until every message is committed, not only acknowledged: where the 250 comes
    once spooled, the clock and the CPU meter run on until the intake backlog is empty.
    """
    port = free_port(12525, 12599)
    stop, settle = await start_server(port)
    cpu = time.process_time()  # every thread of this process: loop, parser pool, log writer
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--client", str(port), "--messages", str(args.messages),
            "--clients", str(args.clients), "--size", str(args.size),
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, _ = await proc.communicate()
        await settle()
        end, cpu = time.time(), time.process_time() - cpu
        start = float(out.decode().split()[0])
        rate = args.messages / (end - start)
    finally:
        worker_cpu = await stop()
    # A parse worker process, when there is one, is charged too.
    return rate, args.messages / (cpu + (worker_cpu or 0.0))


async def _nothing() -> None:
    """Settle at once: the server commits nothing after its 250."""


async def plain_sink(port: int) -> tuple[Callable[[], Any], Callable[[], Any]]:
    """Reference: aiosmtpd's Sink handler (accepts and forgets)."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(Sink(), data_size_limit=40 * 2**20), "127.0.0.1", port
    )

    async def stop() -> None:
        server.close()
        await server.wait_closed()

    return stop, _nothing


def spool_only(tmp: Path) -> Callable[[int], Any]:
    """Our handler with durable spool (fsync + rename) and a sink that only acknowledges."""

    class Ack:
        async def accept(self, path: Path, envelope: Any, raw: bytes | None = None) -> str:
            return envelope.spool_id

    async def start(port: int) -> tuple[Callable[[], Any], Callable[[], Any]]:
        spool = Spool(tmp / f"spool-{port}-{time.time_ns()}")
        handler = ContactHandler(addresses=[CONTACT], spool=spool, sink=Ack(), clock=SystemClock())
        server = SmtpServer(handler, port=port, max_size=40 * 2**20)
        await server.start()

        async def stop() -> None:
            server.close()
            await server.wait_closed()

        return stop, _nothing

    return start


def full_stack(tmp: Path, pool: bool = False, after_commit: bool = False) -> Callable[[int], Any]:
    """Durable spool + parse + thread + commit through the real CentreService (SQLite WAL)."""

    async def start(port: int) -> tuple[Callable[[], Any], Callable[[], Any]]:
        data = tmp / f"stack-{port}-{time.time_ns()}"
        data.mkdir()
        executor = ProcessPoolExecutor(1) if pool else None
        stack = EmailStack(data, smtp_port=port, executor=executor, ack_after_commit=after_commit)
        await stack.start()
        pids: list[int] = []
        if executor is not None:
            executor.submit(int).result()  # start the worker before the clock runs
            pids = list(executor._processes)  # noqa: SLF001 - to charge its CPU to this run
        before = _cpu_of(pids)

        async def stop() -> float:
            await stack.stop()
            used = _cpu_of(pids) - before
            if executor is not None:
                executor.shutdown()
            return used

        return stop, stack.settle

    return start


def _cpu_of(pids: list[int]) -> float:
    """Return the user+system CPU seconds used so far by these processes (Linux /proc)."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (stat fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


# -- IMAP ----------------------------------------------------------------------------------


async def measure_imap(dovecot: Dovecot, tmp: Path, count: int) -> tuple[Any, Any]:
    """Return ((msg/s, msg per CPU-s) bare FETCH, (same) full import) over one mailbox."""
    client = aioimaplib.IMAP4("127.0.0.1", dovecot.port, timeout=30)
    await client.wait_hello_from_server()
    await client.login("alice", "pw")
    await client.select("INBOX")
    start, cpu = time.perf_counter(), time.process_time()
    for uid in range(1, count + 1):
        await client.uid("fetch", str(uid), "(UID BODY.PEEK[])")
    bare, cpu = count / (time.perf_counter() - start), time.process_time() - cpu
    await client.logout()

    bare_cpu = count / cpu
    data = tmp / f"imap-{time.time_ns()}"
    data.mkdir()
    stack = EmailStack(data, smtp_port=0)
    await stack.start()
    account = ImapAccount("127.0.0.1", dovecot.port, "alice", "pw", contact_address=CONTACT)
    importer = ImapImporter(
        account, Spool(data / "imap"), stack.adapter, JsonCursorStore(data / "cursors"),
        stack.clock, use_idle=False,
    )  # fmt: skip
    start, cpu = time.perf_counter(), time.process_time()
    await importer.start()
    while importer.imported < count:  # noqa: ASYNC110 - the importer exposes a counter only
        await asyncio.sleep(0.01)
    full, cpu = count / (time.perf_counter() - start), time.process_time() - cpu
    importer.close()
    await importer.wait_closed()
    await stack.stop()
    return (bare, bare_cpu), (full, count / cpu)


async def run(args: argparse.Namespace) -> None:
    """Run every measurement `repeat` times and print the table."""
    tmp = Path(tempfile.mkdtemp(prefix="std-bench-email-"))
    variants = {
        "sink": plain_sink,
        "spool": spool_only(tmp),
        "commit": full_stack(tmp, after_commit=True),
        "stack": full_stack(tmp),
        "pool": full_stack(tmp, pool=True),
    }
    rows: dict[str, list[tuple[float, float]]] = {key: [] for key in variants}
    for _ in range(args.repeat):
        for key, start in variants.items():  # interleaved, so background load hits all alike
            rows[key].append(await measure_smtp(start, args))
    dovecot = Dovecot(free_port(11143, 11199), {"alice": "pw"})
    await asyncio.to_thread(dovecot.start)
    imap: dict[str, list[tuple[float, float]]] = {"bare": [], "full": []}
    try:
        for n in range(args.imap_messages):
            await asyncio.to_thread(dovecot.append, "alice", message(n, args.size))
        for _ in range(args.repeat):
            bare, full = await measure_imap(dovecot, tmp, args.imap_messages)
            imap["bare"].append(bare)
            imap["full"].append(full)
    finally:
        await asyncio.to_thread(dovecot.stop)
        dovecot.cleanup()
    kb = args.size // 1024
    print(f"\ninbound SMTP, {args.messages} msgs x {kb} KB, {args.clients} connections, "
          f"median of {args.repeat}, {args.loop} loop")  # fmt: skip
    print("msg/CPU-s: messages per second of server CPU (all its threads and worker processes)")
    labels = {
        "sink": "reference: aiosmtpd Sink (no storage)",
        "spool": "durable spool (fsync+rename) before 250, ack-only sink",
        "commit": "full path, 250 after the log commit (ack_after_commit)",
        "stack": "full path, 250 after the spool, commit behind (default)",
        "pool": "same, parsing in a 1-process ProcessPoolExecutor",
    }
    _table(rows, labels, "sink")
    print(
        f"\nIMAP import from Dovecot, {args.imap_messages} msgs x {kb} KB, median of {args.repeat}"
    )
    _table(imap, {"bare": "reference: bare aioimaplib UID FETCH loop",
                  "full": "ImapImporter: fetch + spool + parse + commit"}, "bare")  # fmt: skip


def _table(rows: dict[str, list[tuple[float, float]]], labels: dict[str, str], ref: str) -> None:
    med = {k: (statistics.median(r for r, _ in v), statistics.median(c for _, c in v))
           for k, v in rows.items()}  # fmt: skip
    print(f"{'variant':56} {'msg/s':>8} {'ratio':>6} {'msg/CPU-s':>10} {'ratio':>6}")
    for key, label in labels.items():
        rate, per_cpu = med[key]
        print(f"{label:56} {rate:8.1f} {rate / med[ref][0]:6.2f} {per_cpu:10.1f} "
              f"{per_cpu / med[ref][1]:6.2f}")  # fmt: skip


def main() -> None:
    """Parse arguments and run the benchmark (or the client load generator)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--imap-messages", type=int, default=300)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--size", type=int, default=50 * 1024)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop")
    parser.add_argument("--client", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        start, end = asyncio.run(client_load(args.client, args.messages, args.clients, args.size))
        print(start, end)
        return
    factory = None
    if args.loop == "uvloop":
        import uvloop

        factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(run(args))


if __name__ == "__main__":
    main()
