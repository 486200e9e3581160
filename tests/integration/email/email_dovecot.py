"""A real Dovecot IMAP server in a temp dir, on 127.0.0.1, for the import tests."""

from __future__ import annotations

import contextlib
import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def free_port(low: int, high: int) -> int:
    """Return a free TCP port on 127.0.0.1 in [low, high]."""
    for port in range(low, high + 1):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {low}-{high}")


class Dovecot:
    """Start/stop an unprivileged-config Dovecot (passwd-file auth, maildir)."""

    def __init__(self, port: int, users: dict[str, str]) -> None:
        self.port = port
        # Not under pytest's 0700 tmp dir: Dovecot's login processes run as another user.
        self.root = Path(tempfile.mkdtemp(prefix="std-dovecot-"))
        os.chmod(self.root, 0o755)
        self.users = users

    def _config(self) -> str:
        r = self.root
        if os.geteuid() == 0:
            # Dovecot refuses to run login/mail processes as root: use its own accounts.
            mail = pwd.getpwnam("dovecot")
            internal, login = "dovecot", "dovenull"
            uid, gid = mail.pw_uid, mail.pw_gid
        else:
            me = pwd.getpwuid(os.geteuid())
            internal = login = me.pw_name
            uid, gid = me.pw_uid, me.pw_gid
        os.chown(r / "mail", uid, gid)
        return f"""
protocols = imap
listen = 127.0.0.1
base_dir = {r}/run
state_dir = {r}/state
instance_name = std-{self.port}
log_path = {r}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 0
mail_location = maildir:{r}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {r}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={r}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""

    def start(self) -> None:
        """Write the config and start the daemon; wait until it answers."""
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir(exist_ok=True)
        (self.root / "users").write_text(
            "".join(f"{u}:{{PLAIN}}{p}\n" for u, p in self.users.items())
        )
        (self.root / "dovecot.conf").write_text(self._config())
        subprocess.run([DOVECOT, "-c", str(self.root / "dovecot.conf")], check=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock,
            ):
                if sock.recv(100).startswith(b"* OK"):
                    return
            time.sleep(0.05)
        raise RuntimeError("dovecot did not start: " + self.log())

    def _pids(self) -> list[int]:
        """Return the master's pid and all its descendants (only processes this test started)."""
        try:
            master = int((self.root / "run" / "master.pid").read_text())
        except (OSError, ValueError):
            return []
        pids, todo = [], [master]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                with contextlib.suppress(OSError):
                    todo.extend(int(c) for c in task.read_text().split())
        return pids

    def stop(self) -> None:
        """Kill the daemon and its sessions (as a crash would) and wait until the port closes."""
        # `dovecot stop` leaves running imap sessions alive for seconds: kill them all so the
        # client sees the server go away at once.
        for pid in self._pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        (self.root / "run" / "master.pid").unlink(missing_ok=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            except OSError:
                return
            time.sleep(0.05)

    def cleanup(self) -> None:
        """Remove the temp dir."""
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        """Return the server log (for failure messages)."""
        path = self.root / "dovecot.log"
        return path.read_text() if path.exists() else ""

    def append(self, user: str, raw: bytes, mailbox: str = "INBOX") -> int:
        """Append a message as `user` (a real IMAP APPEND) and return its UID."""
        client = imaplib.IMAP4("127.0.0.1", self.port)
        try:
            client.login(user, self.users[user])
            typ, data = client.append(mailbox, None, None, raw)
            assert typ == "OK", data
            return int(data[0].split()[2].rstrip(b"]"))
        finally:
            client.logout()
