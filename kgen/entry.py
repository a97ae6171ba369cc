"""The ``kgen`` console script. The plain render (``kgen render [PATH...] [-o DIR]
[--check] [--env NAME] [--kube-version X.Y]``, what a pre-commit hook, CI or an editor
runs) goes straight to ``kgen.commands.render``, without loading the option parser: a
cold render pays for what it renders. Every other command line, and any form this reader
does not take as it is (``--help``, ``--format``, ``--``, an option given twice or without
its value, a value that looks like an option), goes to the typer CLI, which renders the
same way (``kgen.cli``).
"""

from __future__ import annotations

import gc
import os
import sys
from typing import NoReturn

from kgen.record import dataclass, field

#: The options of the plain render that take a value, by every spelling the CLI takes.
_VALUED = {"-o": "output", "--output": "output", "--env": "env", "--kube-version": "kube_version"}


@dataclass
class PlainRender:
    """A plain render's command line."""

    paths: list[str] = field(default_factory=list)
    output: str | None = None
    env: str | None = None
    kube_version: str | None = None
    check: bool = False


def plain_render(args: list[str]) -> PlainRender | None:
    """The settings of a plain ``render`` command line, or None for any other."""
    if not args or args[0] != "render":
        return None
    found = PlainRender()
    seen: set[str] = set()
    at = 1
    while at < len(args):
        arg = args[at]
        name, equals, value = arg.partition("=")
        if arg == "--check":
            key, value, at = "check", "", at + 1
        elif equals and name.startswith("--") and name in _VALUED:
            key, at = _VALUED[name], at + 1
        elif arg in _VALUED:
            if at + 1 == len(args) or (args[at + 1].startswith("-") and args[at + 1] != "-"):
                return None  # no value, or one the parser may read otherwise
            key, value, at = _VALUED[arg], args[at + 1], at + 2
        elif arg == "-" or not arg.startswith("-"):
            found.paths.append(arg)
            at += 1
            continue
        else:
            return None
        if key in seen:
            return None  # given twice: the parser's rules decide
        seen.add(key)
        if key == "check":
            found.check = True
        else:
            setattr(found, key, value)
    return found


def main() -> None:
    """Run ``kgen``: the plain render here, anything else through the CLI."""
    plain = plain_render(sys.argv[1:])
    if plain is None:
        from kgen.cli import main as cli

        _imported()
        cli()
        return
    from kgen import commands

    _imported()
    commands.run(
        lambda: commands.render(
            plain.paths or None, plain.output, plain.env, plain.kube_version, check=plain.check
        )
    )


#: Whether the cyclic garbage collector is off while the console script imports kgen.
_IMPORTING = False


#: Allocations between two collections of young objects, in the console script (Python's
#: default is 700). kgen's values are trees, freed by reference counting; collecting
#: every 700 allocations cost about 4% of a 200-blueprint render's CPU, every 10,000
#: about a third of that, with the same peak memory.
YOUNG_OBJECTS = 10_000


def _imported() -> None:
    """After the console script's imports: what they made (modules, classes, functions)
    lives as long as the process, so the collector leaves it alone from here on
    (``gc.freeze``), and it collects what the command makes less often."""
    global _IMPORTING  # noqa: PLW0603 - the one switch of the console script
    if _IMPORTING:
        _IMPORTING = False
        gc.freeze()
        gc.set_threshold(YOUNG_OBJECTS, *gc.get_threshold()[1:])
        gc.enable()


def console() -> NoReturn:
    """The console script and ``python -m kgen``: :func:`main`, then the process ends
    without tearing the interpreter down. Freeing every module and object at exit took
    about 40 ms of a 250 ms cold render (benches/README.md, item 14), and kgen has nothing
    left to do by then: its files are closed and its render processes joined. So the
    streams are flushed and the process leaves with the status ``sys.exit`` would give.

    The collector is off while kgen's modules load (``_imported``): collecting among
    objects that all live on was 3% of a cold render's instructions."""
    global _IMPORTING  # noqa: PLW0603 - the one switch of the console script
    if gc.isenabled():
        _IMPORTING = True
        gc.disable()
    try:
        main()
        code: object = 0
    except SystemExit as exit_:
        code = exit_.code
    try:
        if code is not None and not isinstance(code, int):
            print(code, file=sys.stderr)  # as Python prints a text given to sys.exit
        sys.stdout.flush()
        sys.stderr.flush()
    except (AttributeError, OSError, ValueError):  # a stream closed or gone: Python's way
        sys.exit(code)  # type: ignore[arg-type]
    os._exit(0 if code is None else code if isinstance(code, int) else 1)
