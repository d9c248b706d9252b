import sys

from coopnet.cli import main

sys.exit(main())
