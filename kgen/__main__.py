"""``python -m kgen``: the same as the ``kgen`` command."""

from kgen.entry import console

console()
