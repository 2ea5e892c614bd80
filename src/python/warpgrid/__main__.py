"""`python -m warpgrid ...`"""

import sys

from warpgrid.cli import main

sys.exit(main())
