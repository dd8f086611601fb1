import sys

from conventions.worker import main

sys.exit(main())
