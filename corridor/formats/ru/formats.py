"""Russian dates as people write them: "02.12.2026" for a day.

Months: one style in both languages, the month by name with the year
(«Сентябрь 2025 – Август 2026», "September 2025 – August 2026"), for every month or
period a page, report or message shows; templates and code ask for
YEAR_MONTH_FORMAT, never a pattern of their own. A name reads at once and cannot
be mistaken for a day ("09.2025" looks like a date cut short, and "12/02" differs
between countries); Django's "F" is the nominative («сентябрь», not «сентября»),
right for a heading, a table cell or a period's ends. Form fields still accept and
show "2025-09" (an <input type=month>), which is input, not display."""

SHORT_DATE_FORMAT = "d.m.Y"
# A day with its month stands inside a sentence: «8 марта», the genitive in lower
# case ("E"), not Django's «8 Март» ("j F").
MONTH_DAY_FORMAT = "j E"
YEAR_MONTH_FORMAT = "F Y"
