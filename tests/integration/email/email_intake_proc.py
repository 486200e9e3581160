"""Run the e-mail intake (real service, SQLite log) in its own process: the SIGKILL target.

Arguments: data directory, SMTP port, and optionally `hold`: acknowledge mail (spool, 250) but
never commit it, so that when the process is killed only the spool holds what was accepted.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from email_stack import EmailStack


async def main(data_dir: Path, port: int, hold: bool) -> None:
    stack = EmailStack(data_dir, smtp_port=port)
    await stack.start()
    if hold:

        async def never(*_args: Any, **_kw: Any) -> str:
            await asyncio.Event().wait()
            raise AssertionError("unreachable")

        stack.adapter.accept = never  # type: ignore[method-assign]
    print(f"READY {stack.smtp.port} orphans={len(stack.orphans)}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3:] == ["hold"]))
