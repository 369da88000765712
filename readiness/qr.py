"""QR codes drawn on the server as inline SVG: no image from another host, and nothing
they encode (a round's link, an authenticator's secret) leaves the app."""

import segno
from django.utils.html import escape
from django.utils.safestring import mark_safe


def qr_svg(url: str, *, label: str, size: int | None = None) -> str:
    """The QR code of ``url`` as inline SVG, made here (no image from another host), with
    ``label`` as its accessible name. Error correction M at least (segno raises it when
    that costs no size): a smudged or creased print still reads. ``size``: the SVG's
    width and height in pixels; without it, the page's CSS sizes it."""
    code = segno.make_qr(url, error="m")
    options = {"border": 4, "title": label, "svgclass": "qr-code", "dark": "#000", "light": "#fff"}
    if size is None:
        svg = code.svg_inline(omitsize=True, **options)
    else:
        svg = code.svg_inline(scale=max(1, size // code.symbol_size(border=4)[0]), **options)
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)
    return mark_safe(svg)  # noqa: S308 (segno's own markup, numbers and the escaped title)
