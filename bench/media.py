"""Concurrent bridged G.711 calls per media worker at zero loss, against rtpengine userspace.

Run: ``python bench/media.py [--calls 250,500,1000,1500] [--duration 6]``.

For each call count N, the system under test (SUT) bridges N calls (2N RTP legs): either one
built-in media worker process, or ``rtpengine`` (Debian ``rtpengine-daemon``, userspace only,
``--table=-1 --num-threads=1``, set up over its ng protocol with offer/answer). A separate
generator process sends 20 ms PCMU packets on every leg (50 pps per leg, 100 pps per call) and
counts what comes back. The SUT is pinned to core 0, the generator to core 1. The SUT's CPU is
read from /proc over the measured window; loss is counted over the whole run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import select
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# bench/ holds modules named like stdlib ones (email.py): keep it off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

HOST = "127.0.0.1"
GEN_SOCKETS = 16
PTIME = 0.02
CLK_TCK = os.sysconf("SC_CLK_TCK")
# Clear of the test port ranges (SIP 15060-15999, RTP 30000-31999, ...): both SUTs skip ports
# that an ephemeral socket of another process happens to hold.
BUILTIN_PORTS = (33000, 42999)
RTPENGINE_PORTS = (43000, 52999)
NG_PORT = 22299

# -- generator process ----------------------------------------------------------------------


def generator_main() -> None:
    """Send paced RTP on every leg, count and time what comes back (runs pinned to a core)."""
    cfg = json.loads(sys.stdin.readline())
    if cfg["cpu"] is not None:
        os.sched_setaffinity(0, {cfg["cpu"]})
    socks = []
    for _ in range(GEN_SOCKETS):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        with contextlib.suppress(OSError):  # root may exceed rmem_max
            s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE
        s.bind((HOST, 0))
        s.setblocking(False)
        socks.append(s)
    print(json.dumps({"ports": [s.getsockname()[1] for s in socks]}), flush=True)
    run = json.loads(sys.stdin.readline())
    legs = [(tuple(addr), socks[k]) for addr, k in run["legs"]]
    packets = []
    for i in range(len(legs)):
        pkt = bytearray(172)
        struct.pack_into("!BBHII", pkt, 0, 0x80, 0, 0, 0, 0x10000 + i)
        packets.append(pkt)
    poller = select.epoll()
    by_fd = {s.fileno(): s for s in socks}
    for s in socks:
        poller.register(s.fileno(), select.EPOLLIN)
    buf = bytearray(2048)
    sent = received = send_errors = late_rounds = 0
    latencies: list[int] = []
    start = time.monotonic()
    stop_send = start + run["warmup"] + run["duration"]
    print(json.dumps({"started": True}), flush=True)
    cpu0 = time.process_time()
    n_round = 0
    t_next = start
    pack = struct.pack_into
    while True:
        now = time.monotonic()
        if now >= t_next:
            if now >= stop_send:
                break
            stamp = time.monotonic_ns()
            seq, ts = n_round & 0xFFFF, (n_round * 160) & 0xFFFFFFFF
            for (addr, s), pkt in zip(legs, packets, strict=True):
                pack("!HI", pkt, 2, seq, ts)
                pack("!Q", pkt, 12, stamp)
                try:
                    s.sendto(pkt, addr)
                    sent += 1
                except (BlockingIOError, ConnectionRefusedError):
                    send_errors += 1
            n_round += 1
            t_next = start + n_round * PTIME
            if time.monotonic() > t_next:
                late_rounds += 1
        for fd, _ in poller.poll(max(0.0, t_next - time.monotonic())):
            s = by_fd[fd]
            while True:
                try:
                    n = s.recv_into(buf)
                except (BlockingIOError, ConnectionRefusedError):
                    break
                received += 1
                if received & 63 == 0 and n >= 20:
                    latencies.append(time.monotonic_ns() - struct.unpack_from("!Q", buf, 12)[0])
    cpu = time.process_time() - cpu0
    # Drain until the SUT has been quiet for a second (the generator itself may lag behind).
    quiet_since, give_up = time.monotonic(), time.monotonic() + 15
    while time.monotonic() - quiet_since < 1.0 and time.monotonic() < give_up:
        for fd, _ in poller.poll(0.05):
            quiet_since = time.monotonic()
            s = by_fd[fd]
            while True:
                try:
                    s.recv_into(buf)
                except (BlockingIOError, ConnectionRefusedError):
                    break
                received += 1
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[int(p * (len(latencies) - 1))] / 1e6 if latencies else float("nan")

    print(
        json.dumps(
            {
                "sent": sent,
                "received": received,
                "send_errors": send_errors,
                "late_rounds": late_rounds,
                "rounds": n_round,
                "gen_cpu": cpu / (stop_send - start),
                "p50_ms": pct(0.5),
                "p99_ms": pct(0.99),
            }
        ),
        flush=True,
    )


# -- helpers ------------------------------------------------------------------------------


def udp_drops(ports: set[int] | range) -> int:
    """Sum the kernel receive-buffer drops of the UDP sockets bound to these ports."""
    total = 0
    for line in Path("/proc/net/udp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) in ports:
            total += int(fields[-1])
    return total


def cpu_seconds(pid: int) -> float:
    """Return user+system CPU seconds of a process (all threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


class Generator:
    """Parent-side handle of the generator subprocess."""

    def __init__(self, cpu: int | None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--generator"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._send({"cpu": cpu})
        self.ports: list[int] = self._recv()["ports"]

    def _send(self, obj: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(obj) + "\n")
        self.proc.stdin.flush()

    def _recv(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        return json.loads(self.proc.stdout.readline())

    def run(self, legs: list[tuple[tuple[str, int], int]], warmup: float, duration: float) -> None:
        self._send({"legs": legs, "warmup": warmup, "duration": duration})
        self._recv()  # started

    def result(self) -> dict[str, Any]:
        out = self._recv()
        self.proc.wait()
        return out


# -- systems under test ---------------------------------------------------------------------


class BuiltinSut:
    """One built-in media worker pinned to a core."""

    name = "builtin (1 worker, uvloop)"
    ports = BUILTIN_PORTS

    def __init__(self, cpu: int | None) -> None:
        from standardiste.media.builtin import BuiltinMediaPlane

        cpus = None if cpu is None else [cpu]
        self.plane = BuiltinMediaPlane(ports=BUILTIN_PORTS, workers=1, cpus=cpus, moh=[])

    async def setup(self, n: int, gen_ports: list[int]) -> list[tuple[tuple[str, int], int]]:
        from standardiste.media.plane import Leg

        await self.plane.start()
        self.pid = self.plane.worker_pids[0]
        legs: list[tuple[tuple[str, int], int]] = []

        async def one(i: int) -> list[tuple[tuple[str, int], int]]:
            ka, kb = (2 * i) % GEN_SOCKETS, (2 * i + 1) % GEN_SOCKETS
            ce = await self.plane.create_endpoint(f"c{i}", Leg.CALLER)
            ae = await self.plane.create_endpoint(f"c{i}", Leg.AGENT)
            await self.plane.set_remote(ce.id, HOST, gen_ports[ka], 0, 101)
            await self.plane.set_remote(ae.id, HOST, gen_ports[kb], 0, 101)
            await self.plane.bridge(ce.id, ae.id)
            return [((HOST, ce.local_port), ka), ((HOST, ae.local_port), kb)]

        for base in range(0, n, 100):
            for pair in await asyncio.gather(*(one(i) for i in range(base, min(n, base + 100)))):
                legs.extend(pair)
        return legs

    async def teardown(self) -> None:
        await self.plane.close()
        await self.plane.wait_closed()


def bencode(obj: Any) -> bytes:
    """Encode str/bytes/int/list/dict as bencode (rtpengine ng protocol)."""
    if isinstance(obj, int):
        return b"i%de" % obj
    if isinstance(obj, str):
        obj = obj.encode()
    if isinstance(obj, bytes):
        return b"%d:%s" % (len(obj), obj)
    if isinstance(obj, list):
        return b"l" + b"".join(bencode(x) for x in obj) + b"e"
    items = sorted(obj.items())
    return b"d" + b"".join(bencode(k) + bencode(v) for k, v in items) + b"e"


def bdecode(data: bytes, i: int = 0) -> tuple[Any, int]:
    """Decode one bencoded value starting at ``i``."""
    c = data[i : i + 1]
    if c == b"i":
        end = data.index(b"e", i)
        return int(data[i + 1 : end]), end + 1
    if c in (b"l", b"d"):
        i += 1
        items = []
        while data[i : i + 1] != b"e":
            value, i = bdecode(data, i)
            items.append(value)
        if c == b"l":
            return items, i + 1
        return {items[k].decode(): items[k + 1] for k in range(0, len(items), 2)}, i + 1
    colon = data.index(b":", i)
    length = int(data[i:colon])
    return data[colon + 1 : colon + 1 + length], colon + 1 + length


class RtpengineSut:
    """rtpengine 10.5 in userspace, one media thread, pinned to a core."""

    name = "rtpengine userspace (--num-threads=1)"
    ports = RTPENGINE_PORTS

    def __init__(self, cpu: int | None) -> None:
        self.cpu = cpu
        self.proc: subprocess.Popen[bytes] | None = None
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(2)
        self.cookie = 0

    def ng(self, command: dict[str, Any]) -> dict[str, Any]:
        """Send one ng command and wait for its reply."""
        self.cookie += 1
        cookie = b"%d" % self.cookie
        self.sock.sendto(cookie + b" " + bencode(command), (HOST, NG_PORT))
        while True:
            data = self.sock.recv(65535)
            got, _, body = data.partition(b" ")
            if got == cookie:
                reply, _ = bdecode(body)
                return reply

    @staticmethod
    def sdp(port: int) -> str:
        return (
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            f"m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"
        )

    def _spawn(self) -> subprocess.Popen[bytes]:
        """Start the daemon in the foreground."""
        self.tmp = tempfile.TemporaryDirectory()
        return subprocess.Popen(
            (["taskset", "-c", str(self.cpu)] if self.cpu is not None else [])
            + ["rtpengine", "--foreground", "--log-stderr"]
            + ["--table=-1", f"--interface={HOST}", f"--listen-ng={HOST}:{NG_PORT}"]
            + [f"--port-min={RTPENGINE_PORTS[0]}", f"--port-max={RTPENGINE_PORTS[1]}"]
            + ["--num-threads=1", "--log-level=3", f"--pidfile={self.tmp.name}/pid"],
            stderr=subprocess.DEVNULL,
        )

    async def setup(self, n: int, gen_ports: list[int]) -> list[tuple[tuple[str, int], int]]:
        self.proc = self._spawn()
        self.pid = self.proc.pid
        for _ in range(50):
            with contextlib.suppress(OSError):
                if self.ng({"command": "ping"}).get("result") == b"pong":
                    break
            await asyncio.sleep(0.1)
        legs: list[tuple[tuple[str, int], int]] = []
        for i in range(n):
            ka, kb = (2 * i) % GEN_SOCKETS, (2 * i + 1) % GEN_SOCKETS
            base = {"call-id": f"c{i}", "from-tag": f"a{i}", "replace": ["origin"]}
            offer = self.ng({"command": "offer", "sdp": self.sdp(gen_ports[ka]), **base})
            answer = self.ng(
                {"command": "answer", "to-tag": f"b{i}", "sdp": self.sdp(gen_ports[kb]), **base}
            )
            port_for_callee = int(re.search(rb"m=audio (\d+)", offer["sdp"]).group(1))
            port_for_caller = int(re.search(rb"m=audio (\d+)", answer["sdp"]).group(1))
            legs += [((HOST, port_for_caller), ka), ((HOST, port_for_callee), kb)]
        return legs

    async def teardown(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
        self.tmp.cleanup()


def floor_main() -> None:
    """Minimal uvloop relay (no rewriting, no checks): the event-loop floor for comparison."""
    import uvloop

    cfg = json.loads(sys.stdin.readline())

    class Leg(asyncio.DatagramProtocol):
        def __init__(self, remote: tuple[str, int]) -> None:
            self.remote = remote
            self.peer: Leg | None = None

        def connection_made(self, transport: Any) -> None:
            self.transport = transport

        def datagram_received(self, data: bytes, addr: Any) -> None:
            peer = self.peer
            peer.transport.sendto(data, peer.remote)  # type: ignore[union-attr]

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        ports = []
        port = cfg["base"]
        for ra, rb in cfg["pairs"]:
            a, b = Leg((HOST, ra)), Leg((HOST, rb))
            a.peer, b.peer = b, a
            for leg in (a, b):
                while True:
                    port += 2
                    try:
                        await loop.create_datagram_endpoint(lambda leg=leg: leg, (HOST, port))
                    except OSError:
                        continue  # held by someone else: take the next one
                    ports.append(port)
                    break
        print(json.dumps({"ports": ports}), flush=True)
        await loop.run_in_executor(None, sys.stdin.readline)

    uvloop.run(serve())


class FloorSut:
    """Bare uvloop forwarding in a process of its own: what any Python relay costs at least."""

    name = "floor: bare uvloop forward"
    ports = BUILTIN_PORTS

    def __init__(self, cpu: int | None) -> None:
        self.cpu = cpu

    async def setup(self, n: int, gen_ports: list[int]) -> list[tuple[tuple[str, int], int]]:
        self.proc = await asyncio.create_subprocess_exec(
            *(["taskset", "-c", str(self.cpu)] if self.cpu is not None else []),
            sys.executable,
            __file__,
            "--floor-relay",
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self.pid = self.proc.pid
        pairs = [
            (gen_ports[(2 * i) % GEN_SOCKETS], gen_ports[(2 * i + 1) % GEN_SOCKETS])
            for i in range(n)
        ]
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"pairs": pairs, "base": self.ports[0]}).encode() + b"\n")
        await self.proc.stdin.drain()
        ports = json.loads(await self.proc.stdout.readline())["ports"]
        # Leg k of the relay answers generator socket k mod GEN_SOCKETS, as the pairs above.
        return [((HOST, port), k % GEN_SOCKETS) for k, port in enumerate(ports)]

    async def teardown(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"\n")
        await self.proc.stdin.drain()
        await self.proc.wait()


# -- orchestration ----------------------------------------------------------------------------


@dataclass
class Row:
    sut: str
    calls: int
    pps: float
    loss: float
    sut_drops: int
    gen_drops: int
    late: float
    us_per_packet: float
    cpu: float
    gen_cpu: float
    p50: float
    p99: float

    @property
    def calls_per_core(self) -> float:
        """Calls one core can relay at 100 % CPU: 100 packets per second per call."""
        return 1e6 / (100 * self.us_per_packet) if self.us_per_packet else float("inf")


async def measure(sut: Any, n: int, warmup: float, duration: float, pin: bool) -> Row:
    """Bridge n calls on the SUT, run the load and collect loss and CPU."""
    gen = Generator(cpu=1 if pin else None)
    try:
        legs = await sut.setup(n, gen.ports)
        c_start = cpu_seconds(sut.pid)
        gen.run([[list(addr), k] for addr, k in legs], warmup, duration)
        await asyncio.sleep(warmup)
        c0, t0 = cpu_seconds(sut.pid), time.monotonic()
        await asyncio.sleep(duration)
        c1, t1 = cpu_seconds(sut.pid), time.monotonic()
        res = await asyncio.to_thread(gen.result)
        c_end = cpu_seconds(sut.pid)
        sut_drops = udp_drops({port for (_, port), _ in legs})
        gen_drops = udp_drops(set(gen.ports))
    finally:
        await sut.teardown()
    sent = res["sent"] + res["send_errors"]
    return Row(
        sut=sut.name,
        calls=n,
        pps=sent / (warmup + duration),
        # Packets lost by the SUT: neither received back nor dropped by the generator's sockets.
        loss=(sent - res["received"] - gen_drops) / sent if sent else 1.0,
        sut_drops=sut_drops,
        gen_drops=gen_drops,
        late=res["late_rounds"] / max(1, res["rounds"]),
        us_per_packet=1e6 * (c_end - c_start) / max(1, res["received"]),
        cpu=(c1 - c0) / (t1 - t0),
        gen_cpu=res["gen_cpu"],
        p50=res["p50_ms"],
        p99=res["p99_ms"],
    )


def table(rows: list[Row]) -> str:
    """Format the results as a Markdown table."""
    out = [
        "| SUT | calls | offered pps | SUT loss | SUT socket drops | SUT CPU (cores) "
        "| CPU µs per packet | CPU per call (% core) | calls/core at 100 % "
        "| latency p50 / p99 ms | generator CPU | generator late rounds / drops |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        out.append(
            f"| {r.sut} | {r.calls} | {r.pps:,.0f} | {r.loss:.4%} | {r.sut_drops} | {r.cpu:.3f} "
            f"| {r.us_per_packet:.2f} | {100 / r.calls_per_core:.4f} | {r.calls_per_core:,.0f} "
            f"| {r.p50:.1f} / {r.p99:.1f} | {r.gen_cpu:.2f} | {r.late:.0%} / {r.gen_drops} |"
        )
    return "\n".join(out)


async def main_async(args: argparse.Namespace) -> None:
    """Run the sweep for both SUTs, alternating so background load hits both alike."""
    rows: list[Row] = []
    for n in args.calls:
        for make in (BuiltinSut, RtpengineSut, FloorSut):
            row = await measure(
                make(0 if args.pin else None), n, args.warmup, args.duration, args.pin
            )
            rows.append(row)
            print(
                f"{row.sut:40} N={n:5} loss={row.loss:.4%} sut_drops={row.sut_drops} "
                f"gen_drops={row.gen_drops} cpu={row.cpu:.3f} us/pkt={row.us_per_packet:.2f} "
                f"gen={row.gen_cpu:.2f} "
                f"late_rounds={row.late:.0%}",
                flush=True,
            )
    print()
    print(table(rows))
    print()
    for name in {r.sut for r in rows}:
        ok = [r for r in rows if r.sut == name and r.loss == 0 and r.sut_drops == 0]
        best = max(ok, key=lambda r: r.calls) if ok else None
        med = statistics.median(r.calls_per_core for r in rows if r.sut == name)
        print(
            f"{name}: max zero-loss calls in sweep = {best.calls if best else 0}; "
            f"median extrapolated calls/core = {med:,.0f}"
        )
    b = [r for r in rows if r.sut.startswith("builtin")]
    f = [r for r in rows if r.sut.startswith("floor")]
    floor = statistics.median(x.us_per_packet / y.us_per_packet for x, y in zip(b, f, strict=True))
    print(f"builtin / bare-uvloop CPU per packet (median over N): {floor:.2f}")
    e = [r for r in rows if r.sut.startswith("rtpengine")]
    ratios = [x.calls_per_core / y.calls_per_core for x, y in zip(b, e, strict=True)]
    ratio = statistics.median(ratios)
    print(f"builtin / rtpengine calls-per-core ratio (median over N): {ratio:.2f}")


def main() -> None:
    """Parse arguments and run."""
    if "--generator" in sys.argv:
        generator_main()
        return
    if "--floor-relay" in sys.argv:
        floor_main()
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", default="250,500,1000,1500")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--duration", type=float, default=6.0)
    parser.add_argument(
        "--pin", action="store_true", help="pin the SUT to core 0 and the generator to core 1"
    )
    args = parser.parse_args()
    args.calls = [int(x) for x in args.calls.split(",")]
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
