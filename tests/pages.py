"""Reading pages as a person does: the text of an element, the cells of a table."""

import json
from html.parser import HTMLParser

# Elements without an end tag: they open no level of nesting.
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class _Element(HTMLParser):
    """The text inside the element with this id."""

    def __init__(self, element_id: str):
        super().__init__()
        self.element_id, self.depth, self.text = element_id, 0, []

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        if self.depth or dict(attrs).get("id") == self.element_id:
            self.depth += 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.text.append(data)


def text_of(html: str, element_id: str) -> str:
    """The whitespace-normalised text of the element with this id ("" when absent)."""
    parser = _Element(element_id)
    parser.feed(html)
    return " ".join("".join(parser.text).split())


def json_script(html: str, element_id: str):
    """The data of the json_script element with this id, as the page's script reads it
    (None when absent)."""
    parser = _Element(element_id)
    parser.feed(html)
    return json.loads("".join(parser.text)) if parser.text else None


class _Cells(HTMLParser):
    """The rows of the table with this id, each a list of its cells as [tag, attributes,
    text]."""

    def __init__(self, table_id: str):
        super().__init__()
        self.table_id, self.depth, self.rows = table_id, 0, []
        self.cell: list | None = None

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        if self.depth or dict(attrs).get("id") == self.table_id:
            self.depth += 1
            if tag == "tr":
                self.rows.append([])
            elif tag in ("th", "td") and self.rows:
                self.cell = [tag, dict(attrs), ""]
                self.rows[-1].append(self.cell)

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1
            if tag in ("th", "td"):
                self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell[2] += data


def cells(html: str, table_id: str) -> list[list[tuple[str, dict, str]]]:
    """Each row of the table with this id, as its cells' (tag, attributes, whitespace-
    normalised text)."""
    parser = _Cells(table_id)
    parser.feed(html)
    return [
        [(tag, attrs, " ".join(text.split())) for tag, attrs, text in row] for row in parser.rows
    ]


def table(html: str, table_id: str) -> dict[str, list[str]]:
    """{first cell of a row: the row's other cells} of the table with this id."""
    return {
        row[0][2]: [text for _tag, _attrs, text in row[1:]] for row in cells(html, table_id) if row
    }


class _ListItems(HTMLParser):
    """The text of each <li> directly inside the element with this id."""

    def __init__(self, element_id: str):
        super().__init__()
        self.element_id, self.depth, self.items = element_id, 0, []

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        if self.depth or dict(attrs).get("id") == self.element_id:
            self.depth += 1
            if tag == "li" and self.depth == 2:
                self.items.append("")

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth >= 2 and self.items:
            self.items[-1] += data


def list_items(html: str, element_id: str) -> list[str]:
    """The whitespace-normalised text of each item of the list with this id."""
    parser = _ListItems(element_id)
    parser.feed(html)
    return [" ".join(item.split()) for item in parser.items]


def assert_valid_figure(figure: dict) -> None:
    """Raises unless the figure, and its narrow variant if it has one, fit plotly's schema."""
    import plotly.graph_objects as go

    for variant in (figure, figure.get("narrow")):
        if variant is not None:
            go.Figure({"data": variant["data"], "layout": variant["layout"]})


class _Charts(HTMLParser):
    """Each chart (an element with data-figure), read as charts.js and a screen reader
    read it: its label, whether its JSON is on the page, and the first table after it,
    with whether that table is folded in a <details> opened after the chart."""

    def __init__(self):
        super().__init__()
        self.charts: dict[str, dict] = {}
        self.scripts: set[str] = set()
        self.waiting: list[dict] = []  # charts whose table has not come yet
        self.opened = 0  # <details> open now
        self.in_summary = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "data-figure" in attrs:
            chart = {"label": attrs.get("aria-label", ""), "role": attrs.get("role")}
            chart.update(table=None, folded=False, summary="", opened_at=self.opened)
            self.charts[attrs["data-figure"]] = chart
            self.waiting.append(chart)
        elif tag == "details":
            self.opened += 1
        elif tag == "summary":
            self.in_summary = True
        elif tag == "script" and attrs.get("type") == "application/json":
            self.scripts.add(attrs.get("id"))
        elif tag == "table":
            for chart in self.waiting:
                chart.update(table=attrs.get("id"), folded=self.opened > chart["opened_at"])
            self.waiting = []

    def handle_endtag(self, tag):
        if tag == "details":
            self.opened -= 1
        elif tag == "summary":
            self.in_summary = False

    def handle_data(self, data):
        for chart in self.waiting:  # the first summary after the chart, before its table
            if self.in_summary and not chart["summary"]:
                chart["summary"] = " ".join(data.split())


def charts(html: str) -> dict[str, dict]:
    """{figure id: {label, role, table (id of the first table after it), folded, summary
    (the text of the first <summary> between them), data}}."""
    parser = _Charts()
    parser.feed(html)
    return {
        figure: {
            "label": chart["label"],
            "role": chart["role"],
            "table": chart["table"],
            "folded": chart["folded"],
            "summary": chart["summary"],
            "data": figure in parser.scripts,
        }
        for figure, chart in parser.charts.items()
    }


class _Elements(HTMLParser):
    """The elements inside (and including) the element with this id, as (tag, attrs)."""

    def __init__(self, element_id: str):
        super().__init__()
        self.element_id, self.depth, self.elements = element_id, 0, []

    def handle_starttag(self, tag, attrs):
        if self.depth or dict(attrs).get("id") == self.element_id:
            self.elements.append((tag, dict(attrs)))
            if tag not in VOID:
                self.depth += 1

    def handle_startendtag(self, tag, attrs):  # <path ... /> in the SVG
        if self.depth or dict(attrs).get("id") == self.element_id:
            self.elements.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1


def elements(html: str, element_id: str) -> list[tuple[str, dict]]:
    parser = _Elements(element_id)
    parser.feed(html)
    return parser.elements


class _Tags(HTMLParser):
    """The attributes of every element of one tag in the page."""

    def __init__(self, tag: str):
        super().__init__()
        self.tag, self.found = tag, []

    def handle_starttag(self, tag, attrs):
        if tag == self.tag:
            self.found.append(dict(attrs))


def tags(html: str | bytes, tag: str, **attrs) -> list[dict]:
    """The attributes of every <tag> element of the page that has these attribute
    values (a response's bytes or its text)."""
    parser = _Tags(tag)
    parser.feed(html.decode() if isinstance(html, bytes) else html)
    return [found for found in parser.found if all(found.get(k) == v for k, v in attrs.items())]


def element(html: str, element_id: str) -> dict | None:
    """The attributes of the element with this id (None when absent)."""
    found = elements(html, element_id)
    return found[0][1] if found else None
