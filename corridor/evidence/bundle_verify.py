"""This module lives in the standalone verifier distribution (verifier/corridor_verify/bundle.py),
which courts install on their own; Corridor imports the very same module under this name."""

import sys

import corridor_verify.bundle as _module

sys.modules[__name__] = _module
