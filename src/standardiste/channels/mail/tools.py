"""Run external tools (pdftoppm, pdfinfo, tesseract) as subprocesses, off the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass


class ToolMissing(Exception):
    """The executable is not installed."""


class ToolTimeout(Exception):
    """The tool ran longer than allowed and was killed."""


@dataclass(frozen=True)
class ToolResult:
    """Exit status and captured output of a tool run."""

    returncode: int
    stdout: bytes
    stderr: bytes


def resolve(executable: str) -> str:
    """Return the absolute path of an executable, or raise ToolMissing."""
    found = shutil.which(executable)
    if found is None:
        raise ToolMissing(executable)
    return found


async def run_tool(
    argv: list[str], *, timeout_s: float, env: Mapping[str, str] | None = None
) -> ToolResult:
    """Run `argv` without a shell and return its output; kill it after `timeout_s`."""
    exe = resolve(argv[0])
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    proc = await asyncio.create_subprocess_exec(
        exe,
        *argv[1:],
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=full_env,
    )
    try:
        stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout_s)
    except BaseException:
        # Timeout or cancellation: never leave an orphan OCR process eating a core.
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        raise
    return ToolResult(proc.returncode or 0, stdout, stderr)


async def run_tool_checked(
    argv: list[str], *, timeout_s: float, env: Mapping[str, str] | None = None
) -> ToolResult:
    """Like run_tool, but translate a timeout into ToolTimeout."""
    try:
        return await run_tool(argv, timeout_s=timeout_s, env=env)
    except TimeoutError as err:
        raise ToolTimeout(f"{argv[0]} exceeded {timeout_s:g} s") from err
