"""Russian dates as people write them: "02.12.2026", "09.2025 – 08.2026"."""

SHORT_DATE_FORMAT = "d.m.Y"
YEAR_MONTH_FORMAT = "m.Y"
