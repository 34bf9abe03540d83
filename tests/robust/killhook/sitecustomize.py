"""Loaded by the ingest subprocess of test_kill_ingest (via PYTHONPATH) to mark a kill point.

After the N-th store write (``ROBUST_PAUSE_AFTER_WRITES``; the indexer writes once per
embedding batch, every document the batch completed), it tells the test on stderr and blocks
reading stdin, so the test's SIGKILL lands at a known point of the run: some documents
written, the rest not, without any sleep or timing guess.
"""

from __future__ import annotations

import os
import sys

_LIMIT = int(os.environ.get("ROBUST_PAUSE_AFTER_WRITES", "0") or 0)

if _LIMIT > 0:
    from bot.rag import store as _store

    _original_add = _store.KnowledgeStore.add
    _writes = 0

    def _add(self, ids, texts, metadatas, embeddings) -> None:
        """The real add, then a pause at the N-th write."""
        global _writes
        _original_add(self, ids, texts, metadatas, embeddings)
        _writes += 1
        if _writes == _LIMIT:
            sys.stderr.write(f"ROBUST-PAUSED after {_writes} writes\n")
            sys.stderr.flush()
            sys.stdin.read()  # the test never writes: wait here for SIGKILL

    _store.KnowledgeStore.add = _add
