"""The ``eval`` and ``bench`` commands, one module per command group (see ``eval/cli.py``)."""
