"""Child process of the crash tests: import from a watched folder, then hang where told.

Usage: python mail_crash_child.py DATA_DIR INBOX DB before|after
`before`: hang inside the commit, after the durable copy and before the event log commit.
`after`: hang after the event log committed, before the marker and the move.
The parent kills this process with SIGKILL once `DATA_DIR/reached` exists.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[1] / "unit" / "mail")]

from mail_real import open_centre, real_intake  # noqa: E402

from standardiste.channels.mail.model import LetterReceived  # noqa: E402
from standardiste.channels.mail.watcher import FolderWatcher  # noqa: E402


async def main(data_dir: Path, inbox: Path, db: Path, where: str) -> None:
    centre = await open_centre(db)
    holder: dict[str, object] = {}

    class HangingSink:
        async def commit(self, letter: LetterReceived) -> str:
            if where == "after":
                iid = await holder["adapter"].commit(letter)  # type: ignore[attr-defined]
                assert iid
            (data_dir / "reached").write_text(letter.letter_id)
            await asyncio.sleep(3600)
            raise AssertionError("should have been killed")

    intake, adapter = real_intake(data_dir / "mail", centre.service, sink=HangingSink())
    holder["adapter"] = adapter
    watcher = FolderWatcher(intake, inbox, interval_s=0.05)
    await watcher.start()
    await asyncio.sleep(3600)


if __name__ == "__main__":
    d, i, db, where = sys.argv[1:5]
    asyncio.run(main(Path(d), Path(i), Path(db), where))
