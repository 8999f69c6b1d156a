"""A run is one transaction: every output is written into a staging folder beside ``out/`` and swapped in only
when the whole run succeeded.

``OutputFolder(out)`` stages a folder (``cdisckit run``, ``sdtm``, ``adam``): the staging folder
``.<out>.cdisckit-tmp-<pid>-<random>`` sits beside ``out/`` (same file system, so the swap is two renames), starts
as a hard-linked snapshot of the previous ``out/`` (files this run does not produce are kept; hard links cost no
space) and replaces ``out/`` on success. Anything that goes wrong (an error, a check failure, Ctrl-C) removes the
staging folder and leaves ``out/`` exactly as it was. ``OutputFiles()`` does the same for single files
(``check --json/--junit/--html``, ``report --out``). Staging folders left by a killed run (their process is gone)
are removed by the next run; they never sit inside ``out/``, so they are never read as output.

Adding an output to a run is one line inside the ``with`` block: ``write_x(txn.path("sdtm/x.html"))`` (a file,
created fresh) or ``txn.dir("sdtm")`` (a folder, emptied).

>>> import pathlib, tempfile
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> with OutputFolder(root / "out") as txn:
...     _ = txn.path("sdtm/dm.xpt").write_text("new")
>>> (root / "out" / "sdtm" / "dm.xpt").read_text()
'new'
>>> try:
...     with OutputFolder(root / "out") as txn:
...         _ = txn.path("sdtm/dm.xpt").write_text("half-written")
...         raise KeyboardInterrupt
... except KeyboardInterrupt:
...     pass
>>> (root / "out" / "sdtm" / "dm.xpt").read_text(), sorted(p.name for p in root.iterdir())
('new', ['out'])
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from pathlib import Path

from .errors import InputError

TMP_TAG = ".cdisckit-tmp-"
OLD_TAG = ".cdisckit-old-"
FAILED_SUFFIX = "-failed"  # <out>-failed/: what a failed run kept for the user to read (its check reports)
_FAILED_MARK = ".cdisckit-failed-run"
_STAGE = re.compile(r"^\.(?P<name>.+?)(?P<tag>\.cdisckit-tmp-|\.cdisckit-old-)(?P<pid>\d+)-[0-9a-f]+$")
# staging folders of the stage-level writer inside a folder (io.staged_dir), left by a killed run
_INNER_STAGE = re.compile(r"^\..+\.(tmp|old)-[A-Za-z0-9_]+$")


def _alive(pid: int, path: Path) -> bool:
    """Whether the run that made staging folder ``path`` may still be running."""
    if pid == os.getpid():
        return True
    if os.name == "nt":  # os.kill would terminate the process there: a day-old leftover is stale
        import time

        return time.time() - path.stat().st_mtime < 86400
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def remove_stale(parent: Path, name: str) -> list[Path]:
    """Remove the staging leftovers of killed runs for ``parent/name`` (processes that no longer exist).

    A run killed between the two renames of its swap leaves ``out/`` missing and the previous output in its
    ``.out.cdisckit-old-*`` folder: that folder is put back as ``out/``. Returns what was removed or restored.
    """
    found: list[Path] = []
    if not parent.is_dir():
        return found
    for p in parent.iterdir():
        m = _STAGE.match(p.name)
        if not m or m["name"] != name or _alive(int(m["pid"]), p):
            continue
        final = parent / name
        if m["tag"] == OLD_TAG and not final.exists():
            os.replace(p, final)
        else:
            _remove(p)
        found.append(p)
    return found


def ensure_folder(folder: Path, what: str = "output folder") -> Path:
    """Create ``folder`` (and parents); a parent that is a file or an unwritable place is a located InputError."""
    folder = Path(folder)
    for p in [folder, *folder.parents]:
        if p.exists() and not p.is_dir():
            raise InputError(f"cannot create the {what}: {p} is a file, not a folder", file=folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the {what}: {exc.strerror}", file=folder) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"cannot write to the {what}: permission denied", file=folder)
    return folder


def _snapshot(src: Path, dst: Path) -> None:
    """``dst`` = a copy of ``src`` made of hard links (a real copy where links are not possible)."""

    def link(s, d):
        try:
            os.link(s, d)
        except OSError:
            shutil.copy2(s, d)

    shutil.copytree(
        src,
        dst,
        copy_function=link,
        symlinks=True,
        ignore=lambda _d, names: [n for n in names if _INNER_STAGE.match(n)],
    )


class OutputFolder:
    """Stage every output of a run for folder ``out``; swap it in on success (see the module docstring)."""

    def __init__(self, out: Path):
        self.out = Path(out).absolute()
        if self.out.is_symlink():  # swap the folder the link points to, keep the link
            self.out = self.out.resolve()
        self.root: Path = self.out  # the staging folder once entered
        self.failed = self.out.parent / (self.out.name + FAILED_SUFFIX)

    def __enter__(self) -> OutputFolder:
        if self.out.exists() and not self.out.is_dir():
            raise InputError("the output folder is a file, not a folder", file=self.out)
        cwd = Path.cwd().absolute()
        if self.out == cwd or self.out in cwd.parents:
            raise InputError(
                "the output folder is replaced as a whole when a run succeeds, so it cannot be the current folder "
                "or one that contains it; name a subfolder such as ./out",
                file=self.out,
            )
        parent = ensure_folder(self.out.parent)
        remove_stale(parent, self.out.name)
        self.root = parent / f".{self.out.name}{TMP_TAG}{os.getpid()}-{secrets.token_hex(4)}"
        try:
            if self.out.is_dir():
                _snapshot(self.out, self.root)
            else:
                self.root.mkdir()
        except BaseException:
            _remove(self.root)
            raise
        return self

    def path(self, rel: str | Path) -> Path:
        """A fresh file path inside the staged output (its folder created, a file of the previous run unlinked)."""
        p = self.root / rel
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink(missing_ok=True)  # a hard link to the previous output: never write through it
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def dir(self, rel: str | Path) -> Path:
        """An empty folder inside the staged output (what the previous run had there is dropped)."""
        p = self.path(rel)
        p.mkdir()
        return p

    def shown(self, rel: str | Path = "") -> Path:
        """Where ``rel`` will be once the run succeeded (for messages)."""
        return self.out / rel if str(rel) else self.out

    def keep_on_failure(self, rel: str | Path) -> Path:
        """Where ``rel`` (e.g. the check reports) will be if this run fails: ``<out>-failed/rel``."""
        return self.failed / rel

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self._commit()
            return
        try:
            self._save_failed(list(getattr(exc, "keep", ()) or ()))
        finally:
            _remove(self.root)

    def _save_failed(self, rels: list) -> None:
        """Move ``rels`` of the staging folder to ``<out>-failed/`` (replacing an earlier failed run's)."""
        rels = [r for r in rels if (self.root / r).exists()]
        if not rels:
            return
        if (self.failed / _FAILED_MARK).exists():
            shutil.rmtree(self.failed, ignore_errors=True)
        if self.failed.exists():  # a folder of the user's with that name: leave it alone
            return
        self.failed.mkdir(parents=True)
        (self.failed / _FAILED_MARK).write_text("check reports of the last failed cdisckit run\n", encoding="utf-8")
        for rel in rels:
            (self.failed / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.root / rel, self.failed / rel)

    def _commit(self) -> None:
        old = None
        if self.out.exists():
            old = self.out.parent / f".{self.out.name}{OLD_TAG}{os.getpid()}-{secrets.token_hex(4)}"
            os.replace(self.out, old)
        os.replace(self.root, self.out)
        if old is not None:
            _remove(old)
        if (self.failed / _FAILED_MARK).exists():  # the last failure is fixed: its reports are out of date
            shutil.rmtree(self.failed, ignore_errors=True)


class OutputFiles:
    """Stage single output files anywhere (``check --json A --html B``): all are replaced, or none.

    >>> import pathlib, tempfile
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> with OutputFiles() as txn:
    ...     _ = txn.path(root / "a.json").write_text("{}")
    >>> sorted(p.name for p in root.iterdir())
    ['a.json']
    """

    def __init__(self):
        self.staged: list[tuple[Path, Path]] = []

    def __enter__(self) -> OutputFiles:
        return self

    def path(self, target: str | Path) -> Path:
        target = Path(target).absolute()
        if target.is_dir():
            raise InputError("the output file is a folder", file=target)
        parent = ensure_folder(target.parent)
        remove_stale(parent, target.name)
        tmp = parent / f".{target.name}{TMP_TAG}{os.getpid()}-{secrets.token_hex(4)}"
        self.staged.append((tmp, target))
        return tmp

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            for tmp, target in self.staged:
                os.replace(tmp, target)
        else:
            for tmp, _ in self.staged:
                _remove(tmp)
