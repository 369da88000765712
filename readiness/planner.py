"""Fresh statistics for the database's query planner after rows are written in bulk.

PostgreSQL plans from statistics that autovacuum refreshes only after a while. Right after
an import or a seed of millions of answers, it still believes the tables small and their
values spread evenly: an export of one facility's 6,000 answers then read all 2 million
(260 ms instead of 14 ms at the benchmark's size, docs/performance.md), and worse as the
database grows. So the commands that write in bulk end by refreshing them.
"""

from django.db import connection

from readiness.models import Answer, DeterminantScore, Respondent, Round, RoundRelease

# What bulk writes fill: the tables whose sizes decide the exports' and pages' plans.
BULK_TABLES = (Answer, DeterminantScore, Respondent, Round, RoundRelease)


def refresh_statistics(tables=BULK_TABLES) -> None:
    """ANALYZE these models' tables on PostgreSQL (it samples them). Not on SQLite: its
    planner chooses from the indexes without statistics, and its ANALYZE would hold the
    database's one write lock while it reads them, keeping respondents' saves waiting."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
