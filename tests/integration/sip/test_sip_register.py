"""REGISTER with digest over UDP: SIPp (MD5), our own client (SHA-256), baresip as agent phone."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

from sip_harness import HOST, RecordingHandler, free_port, start_sipp

from standardiste.channels.sip.b2bua import B2BUA
from standardiste.channels.sip.digest import build_authorization
from standardiste.channels.sip.message import SipResponse, parse_message
from standardiste.channels.sip.registrar import Registrar

SECRETS = {"1001": "pw-1001", "1002": "pw-1002"}


async def lookup(username: str) -> str | None:
    return SECRETS.get(username)


async def _server(
    algorithms: tuple[str, ...], handler: object | None = None
) -> tuple[B2BUA, Registrar]:
    registrar = Registrar(lookup, realm="standardiste", algorithms=algorithms)
    server = B2BUA(HOST, free_port(), handler or object(), registrar=registrar)
    await server.start()
    return server, registrar


async def test_sipp_registers_with_md5_digest(tmp_path: Path) -> None:
    server, registrar = await _server(("MD5",))
    try:
        port = free_port()
        phone = await start_sipp(
            tmp_path,
            "uac_register",
            port,
            server.port,
            service="1001",
            extra=["-au", "1001", "-ap", "pw-1001"],
        )
        rc, err = await phone.result()
        assert rc == 0, err
        assert [str(u) for u in registrar.lookup("1001")] == [f"sip:1001@{HOST}:{port}"]
        assert "pw-1001" not in phone.trace().split("Authorization")[0]
        bad = await start_sipp(
            tmp_path,
            "uac_register",
            free_port(),
            server.port,
            service="1002",
            extra=["-au", "1002", "-ap", "wrong"],
        )
        rc, err = await bad.result()
        assert rc != 0 and "403" in bad.trace()
        assert registrar.lookup("1002") == []
    finally:
        server.close()
        await server.wait_closed()


class UdpClient(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.queue.put_nowait(data)


def _register(port: int, server_port: int, cseq: int, auth: str | None) -> bytes:
    lines = [
        f"REGISTER sip:{HOST}:{server_port} SIP/2.0",
        f"Via: SIP/2.0/UDP {HOST}:{port};branch=z9hG4bKsha{cseq};rport",
        f"From: <sip:1002@{HOST}>;tag=sha",
        f"To: <sip:1002@{HOST}>",
        "Call-ID: sha-256-reg",
        f"CSeq: {cseq} REGISTER",
        f"Contact: <sip:1002@{HOST}:{port}>",
        "Expires: 120",
    ] + ([f"Authorization: {auth}"] if auth else [])
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def test_sha256_digest_over_udp() -> None:
    server, registrar = await _server(("SHA-256", "MD5"))
    loop = asyncio.get_running_loop()
    transport, client = await loop.create_datagram_endpoint(UdpClient, local_addr=(HOST, 0))
    port = transport.get_extra_info("sockname")[1]
    try:
        transport.sendto(_register(port, server.port, 1, None), (HOST, server.port))
        challenge = parse_message(await asyncio.wait_for(client.queue.get(), 2))
        assert isinstance(challenge, SipResponse) and challenge.status == 401
        offers = challenge.headers.get_all("WWW-Authenticate")
        assert "algorithm=SHA-256" in offers[0] and "algorithm=MD5" in offers[1]
        auth = build_authorization(
            offers[0], "1002", "pw-1002", "REGISTER", f"sip:{HOST}:{server.port}"
        )
        transport.sendto(_register(port, server.port, 2, auth), (HOST, server.port))
        ok = parse_message(await asyncio.wait_for(client.queue.get(), 2))
        assert isinstance(ok, SipResponse) and ok.status == 200
        assert [str(u) for u in registrar.lookup("1002")] == [f"sip:1002@{HOST}:{port}"]
    finally:
        transport.close()
        server.close()
        await server.wait_closed()


class Baresip:
    """baresip driven over ctrl_tcp (netstring-framed JSON)."""

    def __init__(self, tmp: Path, server_port: int) -> None:
        self.dir = tmp / "baresip"
        self.dir.mkdir()
        self.sip_port = free_port()
        self.ctrl_port = free_port()
        tone = self.dir / "tone.wav"  # longer than the test: baresip hangs up at EOF
        subprocess.run(
            [
                "sox",
                "-n",
                "-r",
                "8000",
                "-c",
                "1",
                "-b",
                "16",
                str(tone),
                "synth",
                "30",
                "sine",
                "440",
            ],
            check=True,
        )
        (self.dir / "config").write_text(
            "poll_method epoll\n"
            f"sip_listen {HOST}:{self.sip_port}\nnet_interface {HOST}\n"
            f"audio_source aufile,{tone}\naudio_player aufile,none\naudio_alert aufile,none\n"
            "rtp_ports 30000-31999\nmodule_path /usr/lib/baresip/modules\n"
            "module g711.so\nmodule aufile.so\nmodule_app account.so\nmodule_app menu.so\n"
            f"module_app ctrl_tcp.so\nctrl_tcp_listen {HOST}:{self.ctrl_port}\n"
        )
        (self.dir / "accounts").write_text(
            f"<sip:1001@{HOST}:{server_port}>;auth_pass=pw-1001;regint=60;answermode=auto;"
            "audio_codecs=PCMU,PCMA\n"
        )
        self.log = (self.dir / "log.txt").open("wb")  # SIP trace (-s), read when a test fails
        self.proc: asyncio.subprocess.Process | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            "baresip",
            "-s",
            "-f",
            str(self.dir),
            stdout=self.log,
            stderr=asyncio.subprocess.STDOUT,
        )
        for _ in range(50):
            try:
                _, self.writer = await asyncio.open_connection(HOST, self.ctrl_port)
                return
            except OSError:
                await asyncio.sleep(0.1)
        raise RuntimeError("baresip control port did not open")

    async def command(self, command: str, params: str = "") -> None:
        assert self.writer is not None
        body = json.dumps({"command": command, "params": params, "token": "t"}).encode()
        self.writer.write(str(len(body)).encode() + b":" + body + b",")
        await self.writer.drain()

    async def stop(self) -> None:
        if self.writer is not None:
            self.writer.close()
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            await self.proc.wait()
        self.log.close()


async def test_baresip_registers_answers_and_hangs_up(tmp_path: Path) -> None:
    handler = RecordingHandler()
    # baresip 1.0 (libre 1.1) fails on any non-MD5 challenge, so this realm offers MD5 only
    server, registrar = await _server(("MD5",), handler)
    handler.route = lambda call: (registrar.lookup("1001") or [None])[0]  # type: ignore[assignment]
    phone = Baresip(tmp_path, server.port)
    try:
        await phone.start()
        for _ in range(50):
            if registrar.lookup("1001"):
                break
            await asyncio.sleep(0.1)
        contact = registrar.lookup("1001")
        assert contact and contact[0].port == phone.sip_port
        caller = await start_sipp(tmp_path, "uac_wait_bye", free_port(), server.port)
        answered = await handler.wait_for("answered")
        assert b"PCMU" in answered.sdp or b"RTP/AVP 0" in answered.sdp
        await asyncio.sleep(0.3)
        await phone.command("hangup")
        rc, err = await caller.result()
        assert rc == 0, err
        hangup = await handler.wait_for("hangup")
        assert hangup.side == "agent" and hangup.cause == "bye"
    finally:
        await phone.stop()
        server.close()
        await server.wait_closed()
