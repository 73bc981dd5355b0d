"""Running totals of cases, kept by the services in the same transaction as the
change they count, so the board and the lists never count the whole table.

`corridor.cases.summaries` maintains them; `corridor cases_recount` checks them
against a full recount and repairs them.
"""

from __future__ import annotations

from django.db import models


class CaseTally(models.Model):
    """How many of an organisation's cases are at `stage` having reached `reached`,
    overall (`dim="all"`), per worker (`dim="worker"`, key = user id or "none") or per
    destination country they applied to (`dim="country"`, key = ISO code)."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    dim = models.CharField(max_length=8)
    key = models.CharField(max_length=36, blank=True)
    stage = models.CharField(max_length=20)
    reached = models.PositiveSmallIntegerField()
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "dim", "key", "stage", "reached"],
                                               name="case_tally_unique")]


class StageDay(models.Model):
    """How many cases entered their current stage on `day`, overall or per worker:
    the board's "waiting in stage" buckets read at most the last 90 days of rows."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    dim = models.CharField(max_length=8)
    key = models.CharField(max_length=36, blank=True)
    stage = models.CharField(max_length=20)
    day = models.DateField()
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "dim", "key", "day", "stage"],
                                               name="stage_day_unique")]


class ApplicationTally(models.Model):
    """Applications per organisation, country, programme and decision, with the sum
    of decided waits, for the country board."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    country = models.CharField(max_length=2)
    programme = models.CharField(max_length=20)
    decision = models.CharField(max_length=10)
    n = models.IntegerField(default=0)
    wait_sum = models.BigIntegerField(default=0)
    wait_n = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "country", "programme", "decision"],
                                               name="application_tally_unique")]
