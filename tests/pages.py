"""Reading pages as a person does: the text of an element, the cells of a table."""

from html.parser import HTMLParser

# Elements without an end tag: they open no level of nesting.
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class _Element(HTMLParser):
    """The text inside the element with this id, and its table rows by header cell."""

    def __init__(self, element_id: str):
        super().__init__()
        self.element_id, self.depth, self.text = element_id, 0, []
        self.rows: dict[str, list[str]] = {}
        self.row: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        if self.depth or dict(attrs).get("id") == self.element_id:
            self.depth += 1
            if tag == "tr":
                self.row = []
            if tag in ("th", "td"):
                self.row.append("")

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1
            if tag == "tr" and self.row:
                cells = [" ".join(cell.split()) for cell in self.row]
                self.rows[cells[0]] = cells[1:]

    def handle_data(self, data):
        if self.depth:
            self.text.append(data)
            if self.row:
                self.row[-1] += data


def table(html: str, table_id: str) -> dict[str, list[str]]:
    """{first cell of a row: the row's other cells} of the table with this id."""
    parser = _Element(table_id)
    parser.feed(html)
    return parser.rows


def text_of(html: str, element_id: str) -> str:
    """The whitespace-normalised text of the element with this id ("" when absent)."""
    parser = _Element(element_id)
    parser.feed(html)
    return " ".join("".join(parser.text).split())


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
