"""The parts of the ``deduplicate`` stage: prep -> block -> match -> cluster -> merge.

Each module is a set of pure DataFrame functions; :mod:`pipeline.deduplicate` chains them.
Records are addressed internally by their position in the prep frame, which is sorted by
``record_id`` so that every step is independent of the order of the input rows.
"""
