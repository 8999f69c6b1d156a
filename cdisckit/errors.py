"""One exception type for problems a user can fix, with a message written for people.

The CLI turns :class:`CdiscKitError` into a one-paragraph message and an exit code;
anything else is a bug and shows a traceback only with ``--debug``.
"""

from __future__ import annotations


class CdiscKitError(Exception):
    """A problem in the inputs or the environment, reported as ``file, row, column: what is wrong``.

    >>> str(CdiscKitError("AESTDAT is not a date", file="ae.csv", row=12, column="AESTDAT"))
    'ae.csv, row 12, column AESTDAT: AESTDAT is not a date'
    """

    exit_code = 2

    def __init__(self, message: str, *, file=None, row=None, column=None, key=None, line=None):
        self.message = message
        self.file, self.row, self.column, self.key, self.line = file, row, column, key, line
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.file is not None:
            where.append(str(self.file))
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        if self.key is not None:
            where.append(f"key {self.key}")
        return (", ".join(where) + ": " + self.message) if where else self.message


class InputError(CdiscKitError):
    """Bad raw data or an unreadable input file (exit code 1: the data must be fixed)."""

    exit_code = 1


class SpecError(CdiscKitError):
    """A mapping spec or params file that does not validate (exit code 2)."""

    exit_code = 2


class ChecksFailed(CdiscKitError):
    """Conformance checks found errors and output was blocked (exit code 1)."""

    exit_code = 1
