# ruff: noqa: E402  (bench/ must leave sys.path before the imports, see below)
"""Voice: sustained calls per second of full call setup and teardown through `standardiste serve`.

Three systems, measured one after the other in the same run at each offered rate:
  * direct: SIPp UAC -> SIPp UAS (the reference: what SIPp itself sustains here);
  * b2bua:  SIPp UAC -> bare B2BUA (``PassThroughHandler``, SDP passed through, as in
    bench/sip_cps.py, in its own uvloop process) -> SIPp UAS;
  * full:   SIPp UAC -> `standardiste serve --sip ... --rtp-ports ...` (direct entry without IVR
    -> CentreService: created/queued -> routed to a ready agent -> INVITE to the agent's static
    contact, media endpoints on the built-in plane, bridge) -> SIPp UAS auto-answers -> short talk
    -> BYE from the caller -> ended; ``acw.mode = "none"`` so the agent is ready again at once.
Every call of a run must succeed (SIPp UAC and UAS, no failed call, the UAS answered as many
agent legs as the UAC placed calls). CPU per call is the SUT's CPU (all its processes, from
/proc) over the run divided by the successful calls. Then the media figure: concurrent bridged
G.711 calls per media worker, by calling bench/media.py's ``measure`` (builtin vs rtpengine).

    python bench/voice.py [--rates 50,100,150,200] [--seconds 8] [--repeats 3] [--agents 200]
                          [--talk-ms 500] [--media-calls 1000] [--profile] [--modes ...]

"Achieved cps" is successful calls / (wall time from the first INVITE to SIPp's exit, minus the
last call's talk time). A run is clean when SIPp reports no failed call AND every caller reached
an agent (the UAS answered as many agent legs as calls were placed, none abandoned in queue).
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/ holds scripts named like stdlib modules (email.py): keep it off the import path.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse
import asyncio
import csv
import importlib.util
import os
import signal
import sqlite3
import statistics
import tempfile
import time
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import httpx
import tomli_w

HOST = "127.0.0.1"
# This bench's ports: SIP 16400-16499, RTP 32960-32999 and 40000-44999 (clear of the voice tests'
# ranges). 200 cps with calls of a few seconds under load keep a few hundred calls up at once.
SUT_SIP, PASS_SIP, UAC_PORT, HTTP_PORT = 16400, 16410, 16430, 16440
# One agent-phone port per mode: a leg the full server still retransmits to (after a run that
# left calls behind) must not land in the next direct or B2BUA run.
UAS_PORTS = {"full": 16420, "direct": 16421, "b2bua": 16422}
RTP_PORTS = (40000, 44999)
UAS_MEDIA, UAC_MEDIA = 32960, 32980
ENTRY = "4000"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def load_media_bench() -> ModuleType:
    """Import bench/media.py by path (bench/ is not a package and is off sys.path)."""
    spec = importlib.util.spec_from_file_location("bench_media", HERE / "media.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_media"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


# -- SIPp scenarios: the caller waits in queue as long as it takes; the agent talks, hangs up ---

CALLER_XML = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="caller">
  <send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "Caller" <sip:0612345678@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:caller@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=caller 1 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rrs="true"/>
  <send><![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "Caller" <sip:0612345678@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
[routes]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv request="BYE"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
</scenario>
"""

AGENT_XML = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="agent">
  <recv request="INVITE" crlf="true" rrs="true">
    <action>
      <ereg regexp=".*" search_in="hdr" header="From:" assign_to="remote_from"/>
      <ereg regexp=".*" search_in="hdr" header="To:" assign_to="local_to"/>
    </action>
  </recv>
  <send><![CDATA[
SIP/2.0 180 Ringing
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=UDP>
Content-Length: 0

]]></send>
  <send retrans="500"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=UDP>
Content-Type: application/sdp
Content-Length: [len]

v=0
o=agent 1 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
]]></send>
  <recv request="ACK" crlf="true"/>
  <pause/>
  <send retrans="500"><![CDATA[
BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: [$local_to];tag=[pid]SIPpTag01[call_number]
To: [$remote_from]
[routes]
Call-ID: [call_id]
CSeq: 1 BYE
Contact: <sip:[local_ip]:[local_port];transport=UDP>
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200"/>
  <Reference variables="remote_from,local_to"/>
</scenario>
"""


# -- CPU accounting ---------------------------------------------------------------------------


def _tree(pid: int) -> list[int]:
    """Return ``pid`` and its descendants (the server and its media workers)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*/children"):
            todo += [int(c) for c in task.read_text().split()]
    return out


def cpu_seconds(pids: list[int]) -> float:
    """Return user+system CPU seconds of processes (all threads), 0 for those gone."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / CLK_TCK
    return total


# cProfile timed by the main thread's CPU clock: wall time would count the waits for the GIL and
# for a core on a busy machine as if they were work.
PROFILED_SERVE = """
import cProfile, runpy, sys, time
out = sys.argv[1]
sys.argv = ["standardiste", *sys.argv[2:]]
profile = cProfile.Profile(time.thread_time)
profile.enable()
try:
    runpy.run_module("standardiste.cli", run_name="__main__")
except SystemExit:
    pass
finally:
    profile.disable()
    profile.dump_stats(out)
"""


def loop_cpu_seconds(pid: int) -> float:
    """Return the CPU seconds of a process's main thread (the server's event loop)."""
    try:
        fields = Path(f"/proc/{pid}/task/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


# -- systems under test -----------------------------------------------------------------------


def bench_config(folder: Path, agents: int) -> Path:
    """Write a centre with one voice queue (no ACW), ``agents`` agents ringing the SIPp UAS."""
    contacts = {f"{2000 + i}": f"sip:{2000 + i}@{HOST}:{UAS_PORTS['full']}" for i in range(agents)}
    raw = {
        "centre": {"name": "bench", "timezone": "Europe/Paris"},
        "security": {"demo": True},
        "regions": [{"id": "r"}],
        "sites": [{"id": "s", "region": "r"}],
        "teams": [{"id": f"t{i}", "site": "s"} for i in range(max(1, agents // 12))],
        "queues": [
            {
                "id": "bench-voice",
                "channel": "voice",
                "site": "s",
                "skills": {"tax": 1},
                "offer_timeout": 15,
                "acw": {"mode": "none"},
            },
            # the configuration requires a postal-mail queue; nothing goes to it here
            {"id": "post", "channel": "mail", "site": "s", "skills": {"post": 1}},
        ],
        "agents": [
            {
                "id": f"a{i}",
                "team": f"t{i % max(1, agents // 12)}",
                "skills": {"tax": 1},
                "extension": f"{2000 + i}",
            }
            for i in range(agents)
        ],
        "voice": {
            "entries": [{"number": ENTRY, "queue": "bench-voice", "notice": False}],
            "static_contacts": contacts,
        },
    }
    path = folder / "bench-voice.toml"
    path.write_bytes(tomli_w.dumps(raw).encode())
    return path


class FullServer:
    """`standardiste serve` with SIP and media on this bench's ports, agents logged in, ready."""

    def __init__(self, folder: Path, agents: int) -> None:
        self.folder = folder
        self.agents = agents
        self.port = SUT_SIP
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        """Start the server, wait for /healthz, log every agent in and make it ready."""
        cmd = [sys.executable, "-m", "standardiste.cli", "serve"]  # on uvloop, as shipped
        if os.environ.get("BENCH_CPROFILE"):  # the event loop's own CPU time, written at exit
            cmd[1:3] = ["-c", PROFILED_SERVE, os.environ["BENCH_CPROFILE"]]
        cmd += ["--config", str(bench_config(self.folder, self.agents))]
        cmd += ["--db", f"sqlite:///{self.folder / 'sd.db'}", "--data-dir", str(self.folder)]
        cmd += ["--http", f"{HOST}:{HTTP_PORT}", "--sip", f"{HOST}:{SUT_SIP}"]
        cmd += ["--rtp-ports", f"{RTP_PORTS[0]}-{RTP_PORTS[1]}"]
        self.log = (self.folder / "server.log").open("wb")
        self.proc = await asyncio.create_subprocess_exec(
            *cmd, stdout=self.log, stderr=asyncio.subprocess.STDOUT
        )
        url = f"http://{HOST}:{HTTP_PORT}"
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            for _ in range(600):
                if self.proc.returncode is not None:
                    raise RuntimeError((self.folder / "server.log").read_text())
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    await asyncio.sleep(0.1)
            gate = asyncio.Semaphore(16)

            async def ready(i: int) -> None:
                async with gate:
                    body = {"username": f"a{i}", "password": "demo"}
                    token = (await http.post("/api/v1/auth/login", json=body)).json()["token"]
                    r = await http.put(
                        f"/api/v1/agents/a{i}/state",
                        json={"state": "ready"},
                        headers={"authorization": f"Bearer {token}"},
                    )
                    r.raise_for_status()

            await asyncio.gather(*(ready(i) for i in range(self.agents)))

    @property
    def pids(self) -> list[int]:
        assert self.proc is not None
        return _tree(self.proc.pid)

    async def refused(self) -> int:
        """Read how many new calls overload control has refused (Prometheus /metrics)."""
        async with httpx.AsyncClient(base_url=f"http://{HOST}:{HTTP_PORT}", timeout=30) as http:
            text = (await http.get("/metrics")).text
        for line in text.splitlines():
            if line.startswith("standardiste_sip_overload_refused "):
                return int(float(line.split()[1]))
        return 0

    async def quiet(self, idle: float = 1.0, within: float = 60) -> None:
        """Wait until the event log has not moved for ``idle`` seconds (backlog worked off)."""
        loop = asyncio.get_running_loop()
        deadline, last = loop.time() + within, -1
        while loop.time() < deadline:
            seq = await asyncio.to_thread(self.last_seq)
            if seq == last:
                return
            last = seq
            await asyncio.sleep(idle)

    def last_seq(self) -> int:
        """Return the last committed event sequence number."""
        with sqlite3.connect(self.folder / "sd.db") as db:
            return int(db.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0])

    def outcomes(self, since: int) -> tuple[dict[str, int], list[float]]:
        """Count interaction outcomes after ``since``; return the created->connected delays."""
        with sqlite3.connect(self.folder / "sd.db") as db:
            rows = db.execute(
                "SELECT kind, interaction_id, ts FROM events WHERE seq > ? AND kind IN "
                "('interaction.created', 'interaction.connected', 'interaction.ended', "
                "'interaction.abandoned') ORDER BY seq",
                (since,),
            ).fetchall()
        counts: dict[str, int] = {}
        created: dict[str, float] = {}
        delays = []
        for kind, iid, ts in rows:
            counts[kind] = counts.get(kind, 0) + 1
            if kind == "interaction.created":
                created[iid] = ts
            elif kind == "interaction.connected" and iid in created:
                delays.append(ts - created[iid])
        return counts, delays

    async def close(self) -> None:
        """Stop the server (SIGTERM) and wait."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            await asyncio.wait_for(self.proc.wait(), 30)
        self.log.close()


class PassThrough:
    """The bare B2BUA (bench/sip_cps.py's pass-through) in its own uvloop process."""

    port = PASS_SIP

    async def start(self) -> None:
        """Start the child and wait until it listens."""
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--passthrough",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert self.proc.stdout is not None
        await self.proc.stdout.readline()

    @property
    def pids(self) -> list[int]:
        return [self.proc.pid]

    async def close(self) -> None:
        """Close stdin: the child closes the B2BUA and exits."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        await self.proc.wait()


def passthrough_main() -> None:
    """Child process: run the pass-through B2BUA until stdin closes."""
    import uvloop

    from standardiste.channels.sip.b2bua import B2BUA
    from standardiste.channels.sip.passthrough import PassThroughHandler

    async def serve() -> None:
        handler = PassThroughHandler(lambda call: f"sip:agent@{HOST}:{UAS_PORTS['b2bua']}")
        server = B2BUA(HOST, PASS_SIP, handler)
        await server.start()
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        server.close()
        await server.wait_closed()

    uvloop.run(serve())


# -- one run ------------------------------------------------------------------------------------


@dataclass
class Run:
    mode: str
    rate: int
    calls: int
    ok: int
    failed: int
    uas_ok: int
    retrans: int
    elapsed: float
    sut_cpu_ms: float | None
    main_cpu_ms: float | None  # the SUT's main process alone (signalling, domain, log, reports)
    sipp_cpu_ms: float
    load: float
    abandoned: int = 0  # full path: callers who hung up before reaching an agent
    refused: int = 0  # full path: new calls answered 503 by overload control
    loop_cpu_ms: float | None = None  # the SUT's event-loop thread alone, per call
    to_agent_ms: tuple[float, float] | None = None  # full path: created -> connected p50, p95

    @property
    def cps(self) -> float:
        return self.ok / self.elapsed

    @property
    def clean(self) -> bool:
        return self.ok == self.calls == self.uas_ok and self.failed == 0 and self.abandoned == 0


async def _sipp(cwd: Path, args: list[str]) -> asyncio.subprocess.Process:
    await asyncio.to_thread(cwd.mkdir, parents=True, exist_ok=True)
    return await asyncio.create_subprocess_exec(
        "sipp", *args, "-i", HOST, "-nostdin", "-trace_stat", "-fd", "1", cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


def _last_stats(cwd: Path) -> dict[str, str]:
    text = sorted(cwd.glob("*.csv"))[-1].read_text()
    return list(csv.DictReader(text.splitlines(), delimiter=";"))[-1]


async def one_run(sut: FullServer | PassThrough | None, mode: str, rate: int, args: Any) -> Run:
    """Place ``rate * seconds`` calls at ``rate`` cps through ``sut`` (None: SIPp to SIPp)."""
    calls, talk = int(rate * args.seconds), args.talk_ms
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        cwd = Path(tmp)
        (cwd / "caller.xml").write_text(CALLER_XML)
        (cwd / "agent.xml").write_text(AGENT_XML)
        uas = await _sipp(cwd / "uas", ["-sf", str(cwd / "agent.xml"), "-p", str(UAS_PORTS[mode]),
                                        "-mp", str(UAS_MEDIA), "-m", str(calls),
                                        "-d", str(talk)])  # fmt: skip
        await asyncio.sleep(0.3)
        target = UAS_PORTS[mode] if sut is None else sut.port
        pids = sut.pids if sut is not None else []
        since = await asyncio.to_thread(sut.last_seq) if isinstance(sut, FullServer) else 0
        refused0 = await sut.refused() if isinstance(sut, FullServer) else 0
        load = os.getloadavg()[0]
        cpu0, main0, t0 = cpu_seconds(pids), cpu_seconds(pids[:1]), time.monotonic()
        loop0 = loop_cpu_seconds(pids[0]) if pids else 0.0
        uac = await _sipp(
            cwd / "uac",
            ["-sf", str(cwd / "caller.xml"), f"{HOST}:{target}", "-s", ENTRY,
             "-p", str(UAC_PORT), "-mp", str(UAC_MEDIA), "-m", str(calls), "-r", str(rate),
             "-l", str(rate * 4), "-timeout", "120", "-recv_timeout", "15000"],
        )  # fmt: skip
        sipp_pids = [uac.pid, uas.pid]
        sipp0 = cpu_seconds(sipp_pids)
        sipp_cpu = 0.0
        while uac.returncode is None:  # sample SIPp's CPU until it exits (then /proc is gone)
            sipp_cpu = cpu_seconds(sipp_pids) - sipp0
            try:
                await asyncio.wait_for(uac.wait(), 0.5)
            except TimeoutError:
                pass
        elapsed = time.monotonic() - t0 - talk / 1000  # the last call's talk is not throughput
        cpu, main = cpu_seconds(pids) - cpu0, cpu_seconds(pids[:1]) - main0
        loop = loop_cpu_seconds(pids[0]) - loop0 if pids else 0.0
        try:
            await asyncio.wait_for(asyncio.shield(uas.wait()), 10)
            # the agent legs' BYEs end after the caller's: count the SUT's CPU up to here
            cpu, main = cpu_seconds(pids) - cpu0, cpu_seconds(pids[:1]) - main0
            loop = loop_cpu_seconds(pids[0]) - loop0 if pids else 0.0
        except TimeoutError:  # some agent legs never came (abandoned calls): keep the UAC's end
            uas.send_signal(signal.SIGUSR1)  # SIPp: no new calls, exit once the live ones end
            try:
                await asyncio.wait_for(uas.wait(), 40)
            except TimeoutError:
                uas.kill()
                await uas.wait()
        if isinstance(sut, FullServer):
            await sut.quiet()
        a, b = _last_stats(cwd / "uac"), _last_stats(cwd / "uas")
    ok = int(a["SuccessfulCall(C)"])
    extra: dict[str, Any] = {}
    if isinstance(sut, FullServer):
        await asyncio.sleep(0.5)  # the event log commits in batches
        counts, delays = await asyncio.to_thread(sut.outcomes, since)
        extra["abandoned"] = counts.get("interaction.abandoned", 0)
        extra["refused"] = await sut.refused() - refused0
        extra["loop_cpu_ms"] = loop * 1000 / max(ok, 1)
        if delays:
            q = statistics.quantiles(delays, n=20)
            extra["to_agent_ms"] = (1000 * statistics.median(delays), 1000 * q[18])
    return Run(
        mode, rate, calls, ok, int(a["FailedCall(C)"]), int(b["SuccessfulCall(C)"]),
        int(a["Retransmissions(C)"]) + int(b["Retransmissions(C)"]), elapsed,
        cpu * 1000 / max(ok, 1) if sut is not None else None,
        main * 1000 / max(ok, 1) if sut is not None else None,
        sipp_cpu * 1000 / max(ok, 1), load, **extra,
    )  # fmt: skip


# -- report -------------------------------------------------------------------------------------


def _delays(runs: list[Run]) -> str:
    found = [r.to_agent_ms for r in runs if r.to_agent_ms is not None]
    if not found:
        return "-"
    p50, p95 = (statistics.median(d[i] for d in found) for i in (0, 1))
    return f"{p50:.0f} / {p95:.0f}"


def report(runs: list[Run], rates: list[int]) -> str:
    """Return the Markdown table of medians and ratios."""
    out = [
        "| offered cps | mode | calls/run | achieved cps (median) | / direct | clean runs "
        "| failed (total) | of which 503 overload | abandoned (total) "
        "| caller to agent p50 / p95 ms | retrans (total) "
        "| SUT CPU ms/call (median) | of which event loop | SIPp CPU ms/call "
        "| load avg (median) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for rate in rates:
        refs = [r.cps for r in runs if r.rate == rate and r.mode == "direct"]
        ref = statistics.median(refs) if refs else None
        for mode in ("direct", "b2bua", "full"):
            rs = [r for r in runs if r.rate == rate and r.mode == mode]
            if not rs:
                continue
            cps = statistics.median(r.cps for r in rs)
            cpu = [r.sut_cpu_ms for r in rs if r.sut_cpu_ms is not None]
            loops = [r.loop_cpu_ms for r in rs if r.loop_cpu_ms is not None]
            cells = [
                rate, mode, rs[0].calls, f"{cps:.1f}", f"{cps / ref:.3f}" if ref else "-",
                f"{sum(r.clean for r in rs)}/{len(rs)}", sum(r.failed for r in rs),
                sum(r.refused for r in rs) if mode == "full" else "-",
                sum(r.abandoned for r in rs) if mode == "full" else "-", _delays(rs),
                sum(r.retrans for r in rs), f"{statistics.median(cpu):.2f}" if cpu else "-",
                f"{statistics.median(loops):.2f}" if loops else "-",
                f"{statistics.median(r.sipp_cpu_ms for r in rs):.2f}",
                f"{statistics.median(r.load for r in rs):.1f}",
            ]  # fmt: skip
            out.append("| " + " | ".join(str(c) for c in cells) + " |")
    full = [r.sut_cpu_ms for r in runs if r.mode == "full" and r.sut_cpu_ms]
    b2b = [r.sut_cpu_ms for r in runs if r.mode == "b2bua" and r.sut_cpu_ms]
    if full and b2b:
        f, b = statistics.median(full), statistics.median(b2b)
        out.append(
            f"\nCPU per call, median over all rates: full server {f:.2f} ms, bare B2BUA "
            f"{b:.2f} ms (full / B2BUA = {f / b:.1f}); one core at 100 % would carry "
            f"~{1000 / f:.0f} full cps and ~{1000 / b:.0f} B2BUA cps."
        )
    return "\n".join(out)


# -- profile ------------------------------------------------------------------------------------


CATEGORIES = (  # deepest standardiste frame -> where the CPU goes
    ("channels/sip/", "SIP stack (parse, transactions, dialogs, send)"),
    ("channels/voice/", "voice adapter (glue)"),
    ("media/", "media control (JSON IPC to the media worker)"),
    ("store/", "event log (append, on the loop)"),
    ("reports/", "report aggregator (on the loop)"),
    ("web/", "web (hub, metrics)"),
    ("domain/", "centre: domain and routing"),
    ("service.py", "centre: service (commands, publish)"),
)


def _category(frames: list[str]) -> str:
    thread = frames[0]
    if "event-writer" in thread:
        return "event log writer thread (SQLite insert + commit)"
    if "report-aggregator" in thread:
        return "report aggregator thread (SQLite)"
    for frame in reversed(frames):
        if "standardiste/" in frame and "cli.py" not in frame and "commands/" not in frame:
            path = frame.split("standardiste/", 1)[1]
            return next((name for key, name in CATEGORIES if path.startswith(key)), path)
    return "event loop and thread plumbing (no standardiste frame)"


def hot_spots(raw: Path, top: int = 15) -> str:
    """Summarise py-spy's collapsed stacks: share per component, then the hottest leaf frames."""
    cats: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n, frames = int(count), stack.split(";")
        total += n
        cat = _category(frames)
        cats[cat] = cats.get(cat, 0) + n
        own[frames[-1]] = own.get(frames[-1], 0) + n
    lines = [f"samples (all threads, 200 Hz): {total}", "", "where the CPU goes:"]
    for name, n in sorted(cats.items(), key=lambda kv: -kv[1]):
        lines.append(f"  {100 * n / total:5.1f}%  {name}")
    lines += ["", "hottest leaf frames (self time):"]
    for f, n in sorted(own.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"  {100 * n / total:5.1f}%  {f}")
    return "\n".join(lines)


async def profile(server: FullServer, rate: int, args: Any) -> str:
    """Run one full-path load at ``rate`` under py-spy (all threads) and return its hot spots."""
    assert server.proc is not None
    out = Path(args.profile_raw) if args.profile_raw else server.folder / "voice-profile.txt"
    spy = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "py-spy"), "record", "--format", "raw", "--threads",
        "-r", "200", "-o", str(out), "-p", str(server.proc.pid), "-d", str(int(args.seconds + 1)),
        # --native (C frames too) must pause the process at each sample: not with --nonblocking
        *(["--native"] if args.profile_native else ["--nonblocking"]),
        # --gil: only the thread holding the GIL, i.e. what bounds the signalling process
        *(["--gil"] if args.profile_gil else []),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    await asyncio.sleep(1.0)
    run = await one_run(server, "full", rate, args)
    await spy.wait()
    head = f"profiled run: {run.ok}/{run.calls} ok, {run.failed} failed, {run.cps:.1f} cps"
    if not out.exists():
        return head + f"\npy-spy wrote nothing (exit {spy.returncode})"
    return head + "\n" + hot_spots(out)


# -- main ---------------------------------------------------------------------------------------


async def main(args: Any) -> None:
    """Run the rates x repeats x modes sweep, then the media figure and the profile."""
    media = load_media_bench()
    print(f"# {media_machine()}", file=sys.stderr)
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        server, bare = FullServer(Path(tmp), args.agents), PassThrough()
        t0 = time.monotonic()
        await server.start()
        print(f"  server up, {args.agents} agents ready in {time.monotonic() - t0:.1f} s",
              file=sys.stderr)  # fmt: skip
        await bare.start()
        c0 = cpu_seconds(server.pids)
        await asyncio.sleep(3.0)
        idle = (cpu_seconds(server.pids) - c0) / 3.0
        print(f"  idle server CPU: {idle:.3f} cores", file=sys.stderr)
        try:
            for _ in range(args.repeats):
                for rate in args.rates:
                    for mode, sut in (("direct", None), ("b2bua", bare), ("full", server)):
                        if mode not in args.modes:
                            continue
                        run = await one_run(sut, mode, rate, args)
                        runs.append(run)
                        await asyncio.sleep(1.0)  # let the last teardowns and commits settle
                        print(
                            f"  {mode:6} {rate:4} cps offered: {run.cps:7.1f} achieved, "
                            f"{run.ok}/{run.calls} ok, {run.failed} failed, uas {run.uas_ok}, "
                            f"{run.retrans} retrans, SUT {run.sut_cpu_ms or 0:.2f} ms/call "
                            f"(main {run.main_cpu_ms or 0:.2f}), "
                            f"abandoned {run.abandoned}, to agent {run.to_agent_ms}, "
                            f"load {run.load:.1f}",
                            file=sys.stderr,
                            flush=True,
                        )
            spots = await profile(server, max(args.rates), args) if args.profile else None
        finally:
            await bare.close()
            await server.close()
    print(
        f"\n{media_machine()}; talk {args.talk_ms} ms, {args.seconds:g} s per run, "
        f"{args.repeats} repeats, {args.agents} agents; idle server CPU {idle:.3f} cores\n"
    )
    print(report(runs, args.rates))
    if spots:
        print("\n```\n" + spots + "\n```")
    if args.media_calls:
        rows = []
        for make in (media.BuiltinSut, media.RtpengineSut):
            rows.append(await media.measure(make(None), args.media_calls, 2.0, 6.0, False))
        print("\nMedia plane (bench/media.py, same run):\n")
        print(media.table(rows))


def media_machine() -> str:
    """Describe the machine and its load now."""
    lines = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("model name")), "")
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{os.cpu_count()} x {cpu}, Python {sys.version.split()[0]}, load avg {load}"


if __name__ == "__main__":
    if "--passthrough" in sys.argv:
        passthrough_main()
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rates", default="50,100,150,200")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--talk-ms", type=int, default=500)
    parser.add_argument("--media-calls", type=int, default=0, help="0: skip (see media.md)")
    parser.add_argument("--profile", action="store_true", help="py-spy one full run at max rate")
    parser.add_argument("--modes", default="direct,b2bua,full")
    parser.add_argument("--profile-gil", action="store_true", help="py-spy --gil")
    parser.add_argument("--profile-native", action="store_true", help="py-spy --native")
    parser.add_argument("--profile-raw", default=None, help="keep py-spy's collapsed stacks here")
    parser.add_argument("--tmp", default=None, help="folder for the server's files")
    opts = parser.parse_args()
    opts.rates = [int(r) for r in opts.rates.split(",")]
    asyncio.run(main(opts))
