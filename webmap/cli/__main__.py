"""``python -m webmap.cli``: the same command line as ``bamako-atlas``."""

from webmap.cli import main

main(prog_name="bamako-atlas")
