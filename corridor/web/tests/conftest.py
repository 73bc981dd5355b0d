from corridor.web.tests.forms_harness import forms  # noqa: F401  (fixture for the form tests)
