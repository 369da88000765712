"""Performance tooling: the benchmark (`make bench`) and the load test (`make load`).

Not imported by the application; docs/performance.md holds the results.
"""

from pathlib import Path

RESULTS = Path(__file__).resolve().parents[2] / "docs" / "performance.md"


def write_section(name: str, markdown: str) -> Path:
    """Replace the text between <!-- name:start --> and <!-- name:end --> in the results."""
    text = RESULTS.read_text(encoding="utf-8")
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    before, rest = text.split(start, 1)
    _, after = rest.split(end, 1)
    RESULTS.write_text(f"{before}{start}\n{markdown}\n{end}{after}", encoding="utf-8")
    return RESULTS
