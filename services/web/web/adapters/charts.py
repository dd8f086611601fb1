"""Bar charts drawn on the server as SVG with matplotlib, for the dashboard (decision 0043).

No JavaScript: the page carries each chart as inline SVG, with a text alternative (`<title>` and `<desc>`,
named by `aria-labelledby`, `role="img"`) and, beside it, the table of its figures. Two things matplotlib
writes are rewritten so that the page keeps its Content-Security-Policy (`default-src 'self'`, no inline
style) and stays valid HTML when several charts share it:

- its `style` attributes become SVG presentation attributes (`fill`, `stroke`…), and its `<style>` sheet
  goes (what it said is set on the root);
- every `id` (glyphs, clip paths) is prefixed with the chart's own, and so is every reference to one.

Text is drawn as paths (matplotlib's default `svg.fonttype`), with the DejaVu Sans matplotlib ships: the
chart looks the same on any machine, and its words are in the text alternative and the table.
"""

from __future__ import annotations

import io
import re
import textwrap
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"

#: The colours of the State's design system (DSFR) the series take, in order.
COLOURS = ("#000091", "#18753c", "#b34000", "#ce0500", "#6a6af4", "#716043")

#: What a `style` attribute of matplotlib's may say, kept as the SVG presentation attribute of that name.
_PRESENTATION = frozenset(
    {
        "clip-path",
        "display",
        "dominant-baseline",
        "fill",
        "fill-opacity",
        "fill-rule",
        "font-family",
        "font-size",
        "font-style",
        "font-weight",
        "opacity",
        "stroke",
        "stroke-dasharray",
        "stroke-dashoffset",
        "stroke-linecap",
        "stroke-linejoin",
        "stroke-miterlimit",
        "stroke-opacity",
        "stroke-width",
        "text-anchor",
        "visibility",
    }
)
_REFERENCE = re.compile(r"url\(#([^)]+)\)")
#: matplotlib's rcParams are process-wide: one chart is drawn at a time.
_DRAWING = threading.Lock()
#: Typed loosely: matplotlib types its rcParams' names one by one.
_STYLE: dict[Any, Any] = {
    "svg.fonttype": "path",
    # The ids matplotlib draws are then the same for the same chart (tests, caches).
    "svg.hashsalt": "cnum",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#666666",
    "axes.labelcolor": "#161616",
    "xtick.color": "#3a3a3a",
    "ytick.color": "#3a3a3a",
}


@dataclass(frozen=True)
class Series:
    """One set of bars: its name in the legend, one value per category, its colour."""

    label: str
    values: Sequence[float]
    colour: str


@dataclass(frozen=True)
class Chart:
    """An accessible SVG chart: `svg` is the element itself, to put in the page as it is."""

    chart_id: str
    title: str
    description: str
    svg: str


def bar_chart(
    chart_id: str,
    *,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    horizontal: bool,
    value_format: Callable[[float], str],
) -> Chart:
    """Bars for each category, one per series side by side (a legend when there are several).

    `chart_id` is the chart's id in the page (letters, digits and dashes); `value_format` writes a value
    axis tick ("1 200 000 €"); `title` and `description` are the text alternative."""
    with _DRAWING, matplotlib.rc_context(_STYLE):
        figure = _draw(categories, series, horizontal, value_format)
        output = io.BytesIO()
        figure.savefig(output, format="svg", metadata={"Date": None, "Creator": None})
    svg = accessible_svg(output.getvalue(), chart_id, title, description)
    return Chart(chart_id, title, description, svg)


def _draw(
    categories: Sequence[str],
    series: Sequence[Series],
    horizontal: bool,
    value_format: Callable[[float], str],
) -> Figure:
    count = max(len(categories), 1)
    bands = max(len(series), 1)
    if horizontal:
        # Long names (an obligation's) on two or three lines, so that the bars keep their width.
        categories = [textwrap.fill(name, 34) for name in categories]
        lines = max((name.count("\n") + 1 for name in categories), default=1)
        size = (7.0, 1.0 + count * max(0.18 * bands + 0.16, 0.17 * lines + 0.08))
    else:
        size = (7.0, 3.4)
    figure = Figure(figsize=size, layout="constrained")
    axes = figure.add_subplot()
    thickness = 0.8 / bands
    positions = range(len(categories))
    for index, one in enumerate(series):
        places = [position - 0.4 + thickness * (index + 0.5) for position in positions]
        if horizontal:
            axes.barh(places, one.values, height=thickness, color=one.colour, label=one.label)
        else:
            axes.bar(places, one.values, width=thickness, color=one.colour, label=one.label)
    formatter = FuncFormatter(lambda value, _: value_format(value))
    if horizontal:
        axes.set_yticks(list(positions), list(categories))
        # The first category at the top, as in the table beside the chart.
        axes.invert_yaxis()
        axes.xaxis.set_major_formatter(formatter)
        axes.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        axes.grid(axis="x", color="#dddddd", linewidth=0.6)
    else:
        axes.set_xticks(list(positions), list(categories), rotation=45, ha="right")
        axes.yaxis.set_major_formatter(formatter)
        axes.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        axes.grid(axis="y", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    if len(series) > 1:
        # Under the chart, never over a bar.
        figure.legend(loc="outside lower center", ncols=len(series), frameon=False, fontsize=8)
    return figure


def accessible_svg(document: bytes, chart_id: str, title: str, description: str) -> str:
    """matplotlib's SVG document as an element for an HTML page: its text alternative first, no style
    attribute nor sheet (CSP), its ids prefixed with `chart_id` (module docstring)."""
    # matplotlib's own output, drawn a moment ago in this process: not untrusted data.
    root = ElementTree.fromstring(document)  # noqa: S314
    parents = {child: parent for parent in root.iter() for child in parent}
    for element in list(root.iter()):
        if element.tag in (f"{{{SVG_NS}}}metadata", f"{{{SVG_NS}}}style"):
            parents[element].remove(element)
    described = ElementTree.Element(f"{{{SVG_NS}}}desc", {"id": "desc"})
    described.text = description
    titled = ElementTree.Element(f"{{{SVG_NS}}}title", {"id": "title"})
    titled.text = title
    root.insert(0, described)
    root.insert(0, titled)
    for element in root.iter():
        # Written without a prefix: ElementTree's prefixes are process-wide (sepaxml registers its own
        # namespace as the default one), and a page expects `<svg>`, `<path>`, `href` (SVG 2).
        element.tag = element.tag.removeprefix(f"{{{SVG_NS}}}")
        if f"{{{XLINK_NS}}}href" in element.attrib:
            element.set("href", element.attrib.pop(f"{{{XLINK_NS}}}href"))
        style = element.attrib.pop("style", None)
        for declaration in (style or "").split(";"):
            name, _, value = (part.strip() for part in declaration.partition(":"))
            if name in _PRESENTATION and value:
                element.set(name, value)
        if "id" in element.attrib:
            element.set("id", f"{chart_id}-{element.attrib['id']}")
        for attribute, value in list(element.attrib.items()):
            if attribute == "href" and value.startswith("#"):
                element.set(attribute, f"#{chart_id}-{value[1:]}")
            elif "url(#" in value:
                element.set(attribute, _REFERENCE.sub(lambda found: f"url(#{chart_id}-{found[1]})", value))
    root.set("xmlns", SVG_NS)
    # What matplotlib's sheet said for every element.
    root.set("stroke-linejoin", "round")
    root.set("stroke-linecap", "butt")
    # Its width and height stay: the page scales it to its column (CSS), in their proportions.
    root.set("class", "chart")
    root.set("role", "img")
    root.set("aria-labelledby", f"{chart_id}-title {chart_id}-desc")
    return ElementTree.tostring(root, encoding="unicode")
