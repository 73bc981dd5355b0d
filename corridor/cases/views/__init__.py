"""HTML views of the cases app, one module per area (see urls.py)."""
