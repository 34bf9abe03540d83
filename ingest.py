#!/usr/bin/env python3
"""Index the knowledge base: `python ingest.py [PATH ...] [--data-dir DIR] [--json]`."""

import sys

from bot.cli import ingest_main

if __name__ == "__main__":
    sys.exit(ingest_main())
