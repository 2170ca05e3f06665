"""Small utilities below every stage of tifa: files (atomic writes, locks, data files), hashing, tables.

Nothing here imports another tifa module except ``config`` and ``errors``.
"""
