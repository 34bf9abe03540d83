"""Assistant of Seoul Startup Hub Ho Chi Minh: retrieval-augmented answers from the programme's documents."""

__version__ = "0.1.0"
