"""`python -m docgen` is the `docgen` command."""

from docgen.cli import main

main()
