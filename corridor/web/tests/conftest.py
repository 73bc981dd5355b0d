# Fixtures for the form tests, and the other apps' data fixtures they reuse.
from corridor.evidence.tests.conftest import identity, world  # noqa: F401
from corridor.web.tests.forms_harness import forms  # noqa: F401
