"""Reproducible evidence synthesis: from raw database exports to an audited rapid review.

One module per stage (``ingest``, ``deduplicate``, ``screen``, ``classify``, ``prisma``,
``tables``, ``figures``, ``reconcile``, ``report``), each with frozen ``Inputs`` and ``Outputs``
dataclasses and a pure ``run(inputs, settings)``, usable as they are from a notebook
(``from pipeline import ingest, deduplicate``); ``stage`` turns those contracts into the
subcommands of ``python -m pipeline`` and does their reading and writing, and ``cli`` adds the
commands around them. Nothing here runs at import time.
"""

__version__ = "0.1.0"
