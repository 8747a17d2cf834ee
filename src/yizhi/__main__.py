"""`python -m yizhi ...` is the `yizhi` command (handy with PYTHONPATH pointing at a checkout)."""

from yizhi.cli import main

main()
