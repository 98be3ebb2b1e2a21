"""`python -m barenet`: the same as the `barenet` command."""

from .cli import main

raise SystemExit(main())
