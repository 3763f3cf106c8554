"""Reproducible evidence synthesis: from raw database exports to an audited rapid review.

The package is organised as one module per pipeline stage (``ingest``, ``deduplicate``,
``screen``, ``classify``, ``prisma``, ``tables``, ``figures``, ``reconcile``); ``cli`` wires
each stage to ``python -m pipeline <stage>``. Nothing here runs at import time.
"""

__version__ = "0.1.0"
