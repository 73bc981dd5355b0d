"""Database-level protection of closed months.

The services already refuse to change a closed month; these triggers make the
database refuse too, so a shell session, a bug or a hand-written UPDATE cannot
rewrite figures that were closed (and perhaps published). Only row-level
INSERT/UPDATE/DELETE are refused: TRUNCATE (PostgreSQL's test flush) is not.
"""

from django.db import migrations

ENTRY_TABLES = ["funds_donation", "funds_expense"]

SQLITE_ENTRY = """
CREATE TRIGGER {t}_closed_insert BEFORE INSERT ON {t}
WHEN EXISTS (SELECT 1 FROM funds_closedperiod p WHERE p.organisation_id = NEW.organisation_id AND p.month = NEW.month)
BEGIN SELECT RAISE(ABORT, 'corridor: this month is closed'); END;
CREATE TRIGGER {t}_closed_update BEFORE UPDATE ON {t}
WHEN EXISTS (SELECT 1 FROM funds_closedperiod p WHERE p.organisation_id = OLD.organisation_id AND p.month = OLD.month)
  OR EXISTS (SELECT 1 FROM funds_closedperiod p WHERE p.organisation_id = NEW.organisation_id AND p.month = NEW.month)
BEGIN SELECT RAISE(ABORT, 'corridor: this month is closed'); END;
CREATE TRIGGER {t}_closed_delete BEFORE DELETE ON {t}
WHEN EXISTS (SELECT 1 FROM funds_closedperiod p WHERE p.organisation_id = OLD.organisation_id AND p.month = OLD.month)
BEGIN SELECT RAISE(ABORT, 'corridor: this month is closed'); END;
CREATE TRIGGER {t}_month_insert BEFORE INSERT ON {t}
WHEN NEW.month IS NOT strftime('%Y-%m-01', NEW.date)
BEGIN SELECT RAISE(ABORT, 'corridor: month does not match date'); END;
CREATE TRIGGER {t}_month_update BEFORE UPDATE ON {t}
WHEN NEW.month IS NOT strftime('%Y-%m-01', NEW.date)
BEGIN SELECT RAISE(ABORT, 'corridor: month does not match date'); END;
"""

SQLITE_OTHER = """
CREATE TRIGGER funds_closedperiod_update BEFORE UPDATE ON funds_closedperiod
BEGIN SELECT RAISE(ABORT, 'corridor: a closed month stays closed'); END;
CREATE TRIGGER funds_closedperiod_delete BEFORE DELETE ON funds_closedperiod
BEGIN SELECT RAISE(ABORT, 'corridor: a closed month stays closed'); END;
CREATE TRIGGER funds_exchangerate_closed_insert BEFORE INSERT ON funds_exchangerate
WHEN strftime('%Y-%m-01', NEW.date) <= (SELECT MAX(p.month) FROM funds_closedperiod p WHERE p.organisation_id = NEW.organisation_id)
BEGIN SELECT RAISE(ABORT, 'corridor: rates of closed months are fixed'); END;
CREATE TRIGGER funds_exchangerate_closed_update BEFORE UPDATE ON funds_exchangerate
WHEN strftime('%Y-%m-01', OLD.date) <= (SELECT MAX(p.month) FROM funds_closedperiod p WHERE p.organisation_id = OLD.organisation_id)
  OR strftime('%Y-%m-01', NEW.date) <= (SELECT MAX(p.month) FROM funds_closedperiod p WHERE p.organisation_id = NEW.organisation_id)
BEGIN SELECT RAISE(ABORT, 'corridor: rates of closed months are fixed'); END;
CREATE TRIGGER funds_exchangerate_closed_delete BEFORE DELETE ON funds_exchangerate
WHEN strftime('%Y-%m-01', OLD.date) <= (SELECT MAX(p.month) FROM funds_closedperiod p WHERE p.organisation_id = OLD.organisation_id)
BEGIN SELECT RAISE(ABORT, 'corridor: rates of closed months are fixed'); END;
"""

POSTGRES = """
CREATE OR REPLACE FUNCTION funds_refuse_closed_entry() RETURNS trigger AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND EXISTS (
      SELECT 1 FROM funds_closedperiod p WHERE p.organisation_id = OLD.organisation_id AND p.month = OLD.month) THEN
    RAISE EXCEPTION 'corridor: this month is closed' USING ERRCODE = '23000';
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    IF NEW.month IS DISTINCT FROM date_trunc('month', NEW.date)::date THEN
      RAISE EXCEPTION 'corridor: month does not match date' USING ERRCODE = '23000';
    END IF;
    IF EXISTS (SELECT 1 FROM funds_closedperiod p WHERE p.organisation_id = NEW.organisation_id AND p.month = NEW.month) THEN
      RAISE EXCEPTION 'corridor: this month is closed' USING ERRCODE = '23000';
    END IF;
    RETURN NEW;
  END IF;
  RETURN OLD;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION funds_refuse_closed_rate() RETURNS trigger AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND date_trunc('month', OLD.date)::date <= (
      SELECT MAX(p.month) FROM funds_closedperiod p WHERE p.organisation_id = OLD.organisation_id) THEN
    RAISE EXCEPTION 'corridor: rates of closed months are fixed' USING ERRCODE = '23000';
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    IF date_trunc('month', NEW.date)::date <= (
        SELECT MAX(p.month) FROM funds_closedperiod p WHERE p.organisation_id = NEW.organisation_id) THEN
      RAISE EXCEPTION 'corridor: rates of closed months are fixed' USING ERRCODE = '23000';
    END IF;
    RETURN NEW;
  END IF;
  RETURN OLD;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION funds_refuse_reopen() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'corridor: a closed month stays closed' USING ERRCODE = '23000';
END $$ LANGUAGE plpgsql;

CREATE TRIGGER funds_donation_closed BEFORE INSERT OR UPDATE OR DELETE ON funds_donation
  FOR EACH ROW EXECUTE FUNCTION funds_refuse_closed_entry();
CREATE TRIGGER funds_expense_closed BEFORE INSERT OR UPDATE OR DELETE ON funds_expense
  FOR EACH ROW EXECUTE FUNCTION funds_refuse_closed_entry();
CREATE TRIGGER funds_exchangerate_closed BEFORE INSERT OR UPDATE OR DELETE ON funds_exchangerate
  FOR EACH ROW EXECUTE FUNCTION funds_refuse_closed_rate();
CREATE TRIGGER funds_closedperiod_frozen BEFORE UPDATE OR DELETE ON funds_closedperiod
  FOR EACH ROW EXECUTE FUNCTION funds_refuse_reopen();
"""

POSTGRES_DROP = """
DROP TRIGGER IF EXISTS funds_donation_closed ON funds_donation;
DROP TRIGGER IF EXISTS funds_expense_closed ON funds_expense;
DROP TRIGGER IF EXISTS funds_exchangerate_closed ON funds_exchangerate;
DROP TRIGGER IF EXISTS funds_closedperiod_frozen ON funds_closedperiod;
DROP FUNCTION IF EXISTS funds_refuse_closed_entry();
DROP FUNCTION IF EXISTS funds_refuse_closed_rate();
DROP FUNCTION IF EXISTS funds_refuse_reopen();
"""


def _statements(script: str) -> list[str]:
    # SQLite trigger bodies end in "END;": split on that, never inside a body.
    parts, current = [], []
    for line in script.strip().splitlines():
        current.append(line)
        if line.rstrip().endswith("END;"):
            parts.append("\n".join(current))
            current = []
    return parts


def install(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "sqlite":
        script = "".join(SQLITE_ENTRY.format(t=t) for t in ENTRY_TABLES) + SQLITE_OTHER
        for statement in _statements(script):
            schema_editor.execute(statement, params=None)
    elif connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES, params=None)
    else:  # pragma: no cover - Corridor supports SQLite and PostgreSQL only
        raise RuntimeError(f"no closed-month triggers for {connection.vendor}")


def remove(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "sqlite":
        names = [f"{t}_{kind}" for t in ENTRY_TABLES for kind in
                 ("closed_insert", "closed_update", "closed_delete", "month_insert", "month_update")]
        names += ["funds_closedperiod_update", "funds_closedperiod_delete", "funds_exchangerate_closed_insert",
                  "funds_exchangerate_closed_update", "funds_exchangerate_closed_delete"]
        for name in names:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}", params=None)
    elif connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("funds", "0001_initial")]

    operations = [migrations.RunPython(install, remove, elidable=False)]
