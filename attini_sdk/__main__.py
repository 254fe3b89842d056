import sys

from attini_sdk.cli import main

sys.exit(main())
