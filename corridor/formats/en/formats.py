"""English dates without the US/UK ambiguity of "12/02/2026": "2 Dec 2026", and
months by name as the reports write them ("September 2025 – August 2026", Django's
YEAR_MONTH_FORMAT). Staff pages show days this way too; ISO ("2026-12-02") is kept
for machines only: exports, feeds, the API and form input values (docs/translation.md)."""

DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "j M Y"
# Months by name in both languages: the reason is in corridor/formats/ru/formats.py.
YEAR_MONTH_FORMAT = "F Y"
