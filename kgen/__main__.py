"""``python -m kgen``: the same as the ``kgen`` command."""

from kgen.cli import main

main()
