"""Charts drawn on the server as inline SVG: no JavaScript, no CDN, works offline."""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def bar_chart(
    points: list[dict], *, key: str, label: str, width: int = 640, height: int = 180
) -> SafeString:
    """One bar per day (`points`: [{"date": "YYYY-MM-DD", "value": n}]), the maximum
    on the y axis, first and last dates on the x axis, a <title> per bar."""
    pad_left, pad_bottom, pad_top = 44, 22, 10
    plot_w, plot_h = width - pad_left - 6, height - pad_bottom - pad_top
    values = [float(p["value"]) for p in points]
    top = max(values, default=0) or 1
    step = plot_w / max(1, len(points))
    bar_w = max(1.0, step * 0.8)
    bars = []
    for i, (point, value) in enumerate(zip(points, values, strict=True)):
        h = plot_h * value / top
        x = pad_left + i * step + (step - bar_w) / 2
        y = pad_top + plot_h - h
        bars.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}">'
            f"<title>{escape(point['date'])}: {_fmt(value)}</title></rect>"
        )
    first = escape(points[0]["date"]) if points else ""
    last = escape(points[-1]["date"]) if points else ""
    base = pad_top + plot_h
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-series="{escape(key)}" '
        f'role="img" aria-label="{escape(label)}" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMidYMid meet">'
        f'<line x1="{pad_left}" y1="{base}" x2="{width - 6}" y2="{base}" class="axis"/>'
        f'<text x="{pad_left - 4}" y="{pad_top + 8}" text-anchor="end" class="tick">'
        f"{_fmt(top)}</text>"
        f'<text x="{pad_left - 4}" y="{base}" text-anchor="end" class="tick">0</text>'
        f'<text x="{pad_left}" y="{height - 4}" class="tick">{first}</text>'
        f'<text x="{width - 6}" y="{height - 4}" text-anchor="end" class="tick">{last}</text>'
        + "".join(bars)
        + "</svg>"
    )
    return mark_safe(svg)  # noqa: S308  (every interpolated text is escaped above)
