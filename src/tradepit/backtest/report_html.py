"""Self-contained HTML pages from plotly figures and tables.

plotly.js is inlined once in the page head, so a report opens offline, with no request to
a CDN; each figure is a div plus the script that draws it.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; }
th { background: #f4f4f4; } td.l, th.l { text-align: left; }
p.note { color: #666; font-size: 0.85rem; max-width: 60rem; }
.flag { color: #b00; font-weight: bold; } .ok { color: #070; font-weight: bold; }
"""


class Page:
    """An HTML page under construction: headings, notes, tables and figures in order."""

    def __init__(self, title: str) -> None:
        self.title = title
        self._parts: list[str] = [f"<h1>{html.escape(title)}</h1>"]
        self._figures = 0

    def heading(self, text: str) -> None:
        self._parts.append(f"<h2>{html.escape(text)}</h2>")

    def note(self, text: str, css: str = "note") -> None:
        self._parts.append(f'<p class="{css}">{html.escape(text)}</p>')

    def figure(self, fig: go.Figure, height: int = 500) -> None:
        self._figures += 1
        fig.update_layout(height=height, margin={"l": 60, "r": 20, "t": 40, "b": 40})
        self._parts.append(
            fig.to_html(
                full_html=False,
                include_plotlyjs=False,
                div_id=f"figure-{self._figures}",
                default_width="100%",
                default_height=f"{height}px",
            )
        )

    def table(self, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
        body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows)
        self._parts.append(f"<table><tr>{head}</tr>{body}</table>")

    def mapping(self, values: Mapping[str, Any], header: tuple[str, str] = ("", "")) -> None:
        self.table(header, values.items())

    def render(self) -> str:
        return (
            '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
            f"<title>{html.escape(self.title)}</title><style>{_STYLE}</style>"
            f'<script type="text/javascript">{get_plotlyjs()}</script></head>'
            f"<body>{''.join(self._parts)}</body></html>\n"
        )

    def write(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.render(), encoding="utf-8")
        return path


def fmt(value: Any) -> str:
    """Numbers for tables: 4 significant digits for small ones, thousands separators."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "∞" if value > 0 else "-∞" if value < 0 else "-"
        return f"{value:,.2f}" if abs(value) >= 100 else f"{value:.4g}"
    return str(value)


def _cell(value: Any) -> str:
    css = "" if isinstance(value, int | float) and not isinstance(value, bool) else ' class="l"'
    return f"<td{css}>{html.escape(fmt(value))}</td>"
