"""``python -m examqa.cli``: the same as the ``examqa`` command."""

from examqa.cli import main

main()
