"""`python -m corridor.keyd --socket PATH --keystore PATH ...`"""

from __future__ import annotations

from .server import main

raise SystemExit(main())
