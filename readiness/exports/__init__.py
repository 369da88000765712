"""Downloads: a facility's answers (JSON, CSV, XLSX), a network's answers and its
comparison table, a facility's scores by round. Rows are generated as they are written
and XLSX is written row by row, so a network's millions of answers never sit in memory
at once; answer-level files are written by the task worker (services/downloads/).

Answer-level data follows rule 4 of readiness.disclosure: fresh random respondent ids in
every download (never database or import ids), respondents in a random order, only the
people in the published results unless asked for everyone, small roles merged
(disclosure.answer_level_role), and the round's dates instead of each respondent's.

The package: ``answers`` (who is shown, their rows, the data dictionary),
``facility_json`` (a facility's whole JSON document), ``scores`` (scores by round) and
``files`` (CSV and XLSX, and the downloads made inside a request). Callers use the
names below, through the package, so that a test or the benchmark can replace one
(``exports.answer_rows``) for every caller.
"""

from readiness.exports.answers import (
    answer_rows,
    data_dictionary,
    shown_respondents,
)
from readiness.exports.facility_json import json_chunks
from readiness.exports.files import (
    SPREADSHEET_ROWS,
    XLSX_TYPE,
    csv_stream,
    download,
    write_xlsx,
)
from readiness.exports.scores import score_rows, score_table

__all__ = [
    "SPREADSHEET_ROWS",
    "XLSX_TYPE",
    "answer_rows",
    "csv_stream",
    "data_dictionary",
    "download",
    "json_chunks",
    "score_rows",
    "score_table",
    "shown_respondents",
    "write_xlsx",
]
