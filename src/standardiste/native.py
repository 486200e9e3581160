"""Compiled (mypyc) build of the domain and the simulator core, used only while it is fresh.

`python -m standardiste.native` compiles the modules below into `build/native/`, outside
the source tree, and records the SHA-256 of their sources. A package's `__init__` calls
`enable()`: the compiled directory is put before the sources on the package's `__path__` only
when that digest still matches the sources on disk; otherwise (a module edited since, added or
removed) the pure-Python sources run and a warning says the build is stale. A compiled module
can therefore never stand in for an edited source. STANDARDISTE_PURE=1 forces the sources.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import os
import shutil
import sys
import warnings
from pathlib import Path

SRC = Path(__file__).resolve().parents[1]  # the directory holding the `standardiste` package
BUILD = SRC.parent / "build" / "native"
STAMP = "sources.sha256"
GROUP = "standardiste_native"  # name of the shared library every compiled module imports
# The simulator's hot loop runs with the domain; the rest of sim/ stays interpreted.
SIM_MODULES = ("engine.py", "collector.py", "variates.py")
# errors.py: exceptions stay Python classes (mypyc would drop the subclasses' `status`).
_NOT_COMPILED = ("__init__.py", "errors.py")
_state: dict[str, bool] = {}


def sources() -> list[Path]:
    """Return the modules compiled together, in a stable order."""
    domain = sorted(p for p in (SRC / "standardiste" / "domain").glob("*.py"))
    sim = [SRC / "standardiste" / "sim" / name for name in SIM_MODULES]
    return [p for p in domain if p.name not in _NOT_COMPILED] + sim


def digest() -> str:
    """Return the SHA-256 of the compiled modules' names and contents."""
    h = hashlib.sha256()
    for path in sources():
        h.update(path.relative_to(SRC).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


def _fresh() -> bool:
    """Tell whether a build exists, matches the sources and could be loaded (cached)."""
    if "fresh" in _state:
        return _state["fresh"]
    fresh = False
    stamp = BUILD / STAMP
    if os.environ.get("STANDARDISTE_PURE") or not stamp.is_file():
        pass
    elif stamp.read_text().strip() != digest():
        warnings.warn(
            f"{BUILD} is stale (sources changed since it was compiled): running pure Python; "
            "`make` rebuilds it",
            RuntimeWarning,
            stacklevel=3,
        )
    else:
        fresh = _load_group()
    _state["fresh"] = fresh
    return fresh


def _load_group() -> bool:
    """Import the shared library from the build directory (the compiled modules import it)."""
    name = f"{GROUP}__mypyc"
    if name in sys.modules:
        return True
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = BUILD / f"{name}{suffix}"
        if path.is_file():
            spec = importlib.util.spec_from_file_location(name, path)
            if spec is None or spec.loader is None:
                return False
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
            return True
    return False  # built for another Python version: the sources run


def enable(package: str, path: list[str]) -> bool:
    """Put the package's compiled modules first on its `__path__` if the build is fresh."""
    if not _fresh():
        return False
    compiled = BUILD.joinpath(*package.split("."))
    if compiled.is_dir() and str(compiled) not in path:
        path.insert(0, str(compiled))
    return True


def active() -> bool:
    """Tell whether the compiled build is in use in this process."""
    return _fresh()


def build() -> None:
    """Compile the modules into a fresh build directory, then swap it in atomically."""
    from mypyc.build import mypycify  # build-time only (mypy is a test dependency)
    from setuptools import setup  # type: ignore[import-untyped]

    stamp = digest()  # of the sources as they are when compiling starts
    temp = BUILD.with_name(f"native.tmp{os.getpid()}")
    shutil.rmtree(temp, ignore_errors=True)
    cwd = Path.cwd()
    os.chdir(SRC)  # mypyc names modules after their path relative to the working directory
    try:
        modules = mypycify(
            [p.relative_to(SRC).as_posix() for p in sources()],
            group_name=GROUP,
            target_dir=str(temp / "c"),
        )
        setup(
            name="standardiste-native",
            ext_modules=modules,
            script_args=[
                "-q",
                "build_ext",
                "--build-lib",
                str(temp),
                "--build-temp",
                str(temp / "o"),
            ],
        )
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    finally:
        os.chdir(cwd)
    shutil.rmtree(temp / "c")
    shutil.rmtree(temp / "o")
    (temp / STAMP).write_text(stamp + "\n")
    # Running processes keep their mapped .so files: replace the directory, never the files.
    old = BUILD.with_name(f"native.old{os.getpid()}")
    if BUILD.exists():
        BUILD.rename(old)
    temp.rename(BUILD)
    shutil.rmtree(old, ignore_errors=True)


if __name__ == "__main__":
    build()
