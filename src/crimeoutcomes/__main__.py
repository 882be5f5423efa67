import sys

from crimeoutcomes.cli import main

sys.exit(main())
