"""Run the e-mail intake (real service, SQLite log) in its own process: the SIGKILL target."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from email_stack import EmailStack


async def main(data_dir: Path, port: int) -> None:
    stack = EmailStack(data_dir, smtp_port=port)
    await stack.start()
    print(f"READY {stack.smtp.port} orphans={len(stack.orphans)}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2])))
