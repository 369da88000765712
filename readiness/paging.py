"""One page of a list that can grow without bound (a network's sites, a person's
facilities): PAGE_SIZE rows, so that a page costs the same at 12 rows or 1,000."""

from django.core.paginator import Page, Paginator

PAGE_SIZE = 50


def page_of(rows, number) -> Page:
    """The page asked for (``?page=``); the last one for a number past the end, the first
    for anything that is not a number."""
    return Paginator(rows, PAGE_SIZE).get_page(number)
