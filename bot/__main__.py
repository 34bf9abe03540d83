"""`python -m bot`: serve (default), ask, chat, eval."""

import sys

from bot.cli import main

if __name__ == "__main__":
    sys.exit(main())
