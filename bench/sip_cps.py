"""Calls per second through the B2BUA: SIPp UAC -> B2BUA -> SIPp UAS, full setup and teardown.

Reference measured in the same run: the same SIPp UAC calling the SIPp UAS directly.
Usage: python bench/sip_cps.py [--rates 200,400] [--seconds 8] [--repeats 3] [--loop uvloop]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from standardiste.channels.sip.b2bua import B2BUA
from standardiste.channels.sip.passthrough import PassThroughHandler

HOST = "127.0.0.1"
B2BUA_PORT, UAS_PORT, UAC_PORT = 15960, 15970, 15980


@dataclass
class Run:
    mode: str
    rate: int
    calls: int
    ok: int
    failed: int
    retrans: int
    elapsed: float
    cpu_ms_per_call: float | None

    @property
    def cps(self) -> float:
        return self.ok / self.elapsed


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _sipp(args: list[str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        "sipp",
        *args,
        "-i",
        HOST,
        "-nostdin",
        cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


def _stats(cwd: Path) -> tuple[int, int, int]:
    files = sorted(cwd.glob("uac_*.csv"))
    rows = list(csv.DictReader(files[-1].open(), delimiter=";"))
    last = rows[-1]
    return (
        int(last["SuccessfulCall(C)"]),
        int(last["FailedCall(C)"]),
        int(last["Retransmissions(C)"]),
    )


async def one_run(mode: str, rate: int, seconds: float) -> Run:
    calls = int(rate * seconds)
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        server: B2BUA | None = None
        target = UAS_PORT
        if mode == "b2bua":
            handler = PassThroughHandler(lambda call: f"sip:agent@{HOST}:{UAS_PORT}")
            server = B2BUA(HOST, B2BUA_PORT, handler)
            await server.start()
            target = B2BUA_PORT
        uas = await _sipp(
            ["-sn", "uas", "-p", str(UAS_PORT), "-m", str(calls), "-timeout", "90"], cwd
        )
        await asyncio.sleep(0.3)
        cpu0, t0 = _cpu(), time.monotonic()
        uac = await _sipp(
            [
                "-sn",
                "uac",
                f"{HOST}:{target}",
                "-p",
                str(UAC_PORT),
                "-m",
                str(calls),
                "-r",
                str(rate),
                "-l",
                str(rate * 4),
                "-d",
                "0",
                "-timeout",
                "90",
                "-recv_timeout",
                "10000",
                "-trace_stat",
                "-fd",
                "1",
            ],
            cwd,
        )
        await uac.wait()
        elapsed = time.monotonic() - t0
        cpu = _cpu() - cpu0
        await asyncio.wait_for(uas.wait(), 40)
        if server is not None:
            server.close()
            await server.wait_closed()
        ok, failed, retrans = _stats(cwd)
    cpu_ms = cpu * 1000 / max(ok, 1) if mode == "b2bua" else None
    return Run(mode, rate, calls, ok, failed, retrans, elapsed, cpu_ms)


async def main(rates: list[int], seconds: float, repeats: int) -> None:
    runs: list[Run] = []
    for rate in rates:
        for _ in range(repeats):
            for mode in ("direct", "b2bua"):
                run = await one_run(mode, rate, seconds)
                runs.append(run)
                print(
                    f"  {mode:6} {rate} cps offered: {run.cps:7.1f} achieved, "
                    f"{run.failed} failed, {run.retrans} retrans",
                    file=sys.stderr,
                )
    print(
        "\n| offered cps | calls/run | direct cps (median) | B2BUA cps (median) | ratio "
        "| B2BUA failed (total) | B2BUA retrans (total) | B2BUA CPU ms/call (median) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for rate in rates:
        direct = [r for r in runs if r.rate == rate and r.mode == "direct"]
        b2b = [r for r in runs if r.rate == rate and r.mode == "b2bua"]
        d_cps = statistics.median(r.cps for r in direct)
        b_cps = statistics.median(r.cps for r in b2b)
        cpu = statistics.median(r.cpu_ms_per_call or 0 for r in b2b)
        print(
            f"| {rate} | {b2b[0].calls} | {d_cps:.1f} | {b_cps:.1f} | {b_cps / d_cps:.3f} "
            f"| {sum(r.failed for r in b2b)} | {sum(r.retrans for r in b2b)} | {cpu:.2f} |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rates", default="200,400")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="uvloop")
    opts = parser.parse_args()
    if opts.loop == "uvloop":
        import uvloop

        uvloop.install()
    print(f"loop={opts.loop} python={sys.version.split()[0]}", file=sys.stderr)
    asyncio.run(main([int(r) for r in opts.rates.split(",")], opts.seconds, opts.repeats))
