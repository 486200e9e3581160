"""SIGKILL during a burst of 500 inbound mails: every 250 is committed exactly once.

The 250 is sent once the message is in the durable spool; the commit follows. The `held` run
keeps every commit from happening before the kill, so what got 250 is only in the spool and
must be committed from there at restart.
"""

from __future__ import annotations

import collections
import os
import signal
import smtplib
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from email_dovecot import free_port

from standardiste.channels.email import events as ev
from standardiste.store.engine import make_engine
from standardiste.store.log import read_events

HERE = Path(__file__).parent
TOTAL, CLIENTS, KILL_AFTER = 500, 4, 150


def _mail(n: int) -> bytes:
    body = "Ligne de texte pour grossir le message.\r\n" * 50
    return (
        f"From: Contribuable <c{n}@example.org>\r\nTo: contact@impots.example\r\n"
        f"Subject: Rafale {n}\r\nMessage-ID: <burst-{n}@example.org>\r\n\r\n{body}"
    ).encode()


def _start(data_dir: Path, port: int, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), *sys.path])}
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "email_intake_proc.py"), str(data_dir), str(port), *extra],
        stdout=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("READY"), line
    return proc


def _committed(data_dir: Path) -> collections.Counter[str]:
    engine = make_engine(f"sqlite:///{data_dir / 'centre.db'}")
    try:
        return collections.Counter(
            str(e.data["message_id"]) for e in read_events(engine, kinds=[ev.EMAIL_RECEIVED])
        )
    finally:
        engine.dispose()


def _burst(port: int, numbers: list[int], acked: set[int], stop: threading.Event) -> None:
    lock = threading.Lock()

    def worker(mine: list[int]) -> None:
        client: smtplib.SMTP | None = None
        for n in mine:
            if stop.is_set():
                return
            try:
                if client is None:
                    client = smtplib.SMTP("127.0.0.1", port, timeout=10)
                client.sendmail(f"c{n}@example.org", ["contact@impots.example"], _mail(n))
            except (smtplib.SMTPException, OSError):
                client = None  # the server died under us: this mail got no 250
                continue
            with lock:
                acked.add(n)

    threads = [threading.Thread(target=worker, args=(numbers[i::CLIENTS],)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


@pytest.mark.slow
@pytest.mark.parametrize("held", [False, True], ids=["committing", "held"])
def test_sigkill_during_burst(tmp_path: Path, held: bool) -> None:
    port = free_port(12525, 12559)
    proc = _start(tmp_path, port, *(["hold"] if held else []))
    acked: set[int] = set()
    stop = threading.Event()
    sender = threading.Thread(target=_burst, args=(port, list(range(TOTAL)), acked, stop))
    sender.start()
    deadline = time.monotonic() + 60
    while len(acked) < KILL_AFTER and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stop.set()
    sender.join()
    assert KILL_AFTER <= len(acked) < TOTAL
    before_restart = _committed(tmp_path)
    if held:
        assert not before_restart  # every acknowledged mail is only in the spool
    inbound = tmp_path / "mail" / "inbound"
    spooled = len(list(inbound.glob("*.eml")))
    assert spooled >= len(acked)

    proc = _start(tmp_path, port)  # recovery is committed before it says READY
    try:
        committed = _committed(tmp_path)
        ids = {n: f"<burst-{n}@example.org>" for n in range(TOTAL)}
        # Every mail that got 250 is there exactly once.
        assert all(committed[ids[n]] == 1 for n in acked)
        assert max(committed.values()) == 1
        # A mail without 250 may only be committed if it was in flight when the process died
        # (committed, then killed before the 250 left): at most one per client connection.
        unacked_but_committed = set(committed) - {ids[n] for n in acked}
        assert len(unacked_but_committed) <= CLIENTS
        # The spool holds exactly the committed files: nothing was set aside or lost.
        assert len(list(inbound.glob("*.eml"))) == len(committed) == spooled
        assert list((inbound / "orphans").iterdir()) == []
        assert list((inbound / "tmp").iterdir()) == []
        # Senders retry what got no 250 (RFC 5321 §4.5.4.1): then all 500 are there once.
        retry_acked: set[int] = set()
        _burst(port, sorted(set(range(TOTAL)) - acked), retry_acked, threading.Event())
        assert retry_acked == set(range(TOTAL)) - acked
        final = _committed(tmp_path)
        deadline = time.monotonic() + 10
        while len(final) < TOTAL and time.monotonic() < deadline:
            time.sleep(0.05)  # the commit follows the 250 by a few milliseconds
            final = _committed(tmp_path)
        assert sorted(final) == sorted(ids.values()) and set(final.values()) == {1}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait()
