"""``python -m examqa.cli``: the same as the ``examqa`` command."""

from examqa.cli import main

if __name__ == "__main__":  # vLLM starts its engine with multiprocessing's spawn, which re-imports this module
    main()
