"""The exceptions kgen raises. They carry data and never print; ``report`` formats them."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from kgen.model import Problem


class KgenError(Exception):
    """Root of every error kgen raises on purpose."""

    exit_code = 3

    def __reduce__(self) -> tuple[object, ...]:
        """Its fields, keyword by keyword: an error raised in a worker process of
        ``--jobs`` reaches the main process whole."""
        return (_rebuild, (type(self), dict(vars(self))))


def _rebuild(cls: type[KgenError], fields: dict[str, object]) -> KgenError:
    error = cls.__new__(cls)
    Exception.__init__(error, *_message_of(cls, fields))
    vars(error).update(fields)
    return error


def _message_of(cls: type[KgenError], fields: dict[str, object]) -> tuple[str, ...]:
    if cls is InvalidInput or issubclass(cls, InvalidInput):
        problems = fields.get("problems")
        return (f"{len(problems) if isinstance(problems, tuple) else 0} problem(s)",)
    if "template" in fields:
        return (f"{fields['template']}:{fields.get('line')}: {fields.get('message')}",)
    if "path" in fields and isinstance(fields["path"], Path):
        return (f"{fields['path'].as_posix()}: {fields.get('reason')}",)
    return (str(fields.get("message", "")),)


class InvalidInput(KgenError):
    """The blueprints, the rendered output or the output folder failed a check."""

    exit_code = 1

    def __init__(self, *, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(sorted(set(problems), key=Problem.sort_key))
        super().__init__(f"{len(self.problems)} problem(s)")


class UsageError(KgenError):
    """The command line asked for something that cannot be done (unknown version, no paths)."""

    exit_code = 2

    def __init__(self, *, message: str) -> None:
        self.message = message
        super().__init__(message)


class OutputError(KgenError):
    """The output folder cannot be read or written (permissions, a full disk, a bad path)."""

    exit_code = 1

    def __init__(self, *, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path.as_posix()}: {reason}")


class TemplateBug(KgenError):
    """A kind's template failed or produced something that is not a YAML mapping."""

    exit_code = 3

    def __init__(self, *, template: str, line: int | None, message: str, blueprint: str) -> None:
        self.template = template
        self.line = line
        self.message = message
        self.blueprint = blueprint
        super().__init__(f"{template}:{line}: {message}")


class InternalError(KgenError):
    """kgen caught itself about to do something its checks should have made impossible."""

    exit_code = 3

    def __init__(self, *, message: str) -> None:
        self.message = message
        super().__init__(message)
