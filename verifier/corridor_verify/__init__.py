"""corridor-verify: check a Corridor evidence bundle or audit-log checkpoint offline.

Depends only on `cryptography` and `pyrage`; writes nothing to disk.
"""

__version__ = "0.1.0"
