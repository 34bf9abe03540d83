"""The core: loading, chunking, indexing, retrieval and answering. Knows nothing of channels."""
