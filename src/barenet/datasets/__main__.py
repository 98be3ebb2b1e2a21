"""`python -m barenet.datasets fetch|info`: fetch MNIST into the cache, or show what is cached."""

import sys

from . import main

sys.exit(main())
