"""Server-side SVG chart geometry. Templates draw the shapes with CSS classes (the
content security policy forbids inline styles), and every chart has a table
beside it, so nothing needs JavaScript and screen readers get the numbers."""

from __future__ import annotations

from datetime import date

BAR_H = 26
GAP = 8
LABEL_W = 250
WIDTH = 640


def hbars(rows: list[dict], *, value: str, ghost: str | None = None, width: int = WIDTH,
          label_w: int = LABEL_W) -> dict:
    """Horizontal bars, one per row; `ghost` draws a second, inner bar (e.g. cases
    now at a stage inside the bar of cases that ever reached it)."""
    top = max([r[value] for r in rows] + [1])
    room = width - label_w - 60
    bars = []
    for i, row in enumerate(rows):
        w = round(room * row[value] / top, 1)
        bar = {"y": i * (BAR_H + GAP), "w": w, "x": label_w, "text_x": label_w + w + 6, "row": row,
               "mid": i * (BAR_H + GAP) + BAR_H / 2 + 5}
        if ghost is not None:
            bar["ghost_w"] = round(room * row[ghost] / top, 1)
        bars.append(bar)
    return {"bars": bars, "width": width, "height": max(len(rows) * (BAR_H + GAP), BAR_H), "bar_h": BAR_H,
            "label_x": label_w - 8}


def stacked(rows: list[dict], *, keys: list[str], width: int = WIDTH, label_w: int = LABEL_W) -> dict:
    """Horizontal stacked bars: each row split into `keys` segments."""
    top = max([sum(r[k] for k in keys) for r in rows] + [1])
    room = width - label_w - 60
    out = []
    for i, row in enumerate(rows):
        x = float(label_w)
        segments = []
        for n, key in enumerate(keys):
            w = room * row[key] / top
            if w > 0:
                segments.append({"x": round(x, 1), "w": round(w, 1), "cls": f"seg{n}", "key": key, "n": row[key]})
            x += w
        out.append({"y": i * (BAR_H + GAP), "mid": i * (BAR_H + GAP) + BAR_H / 2 + 5, "segments": segments,
                    "row": row, "text_x": round(x + 6, 1), "total": sum(row[k] for k in keys)})
    return {"rows": out, "width": width, "height": max(len(rows) * (BAR_H + GAP), BAR_H), "bar_h": BAR_H,
            "label_x": label_w - 8}


def area(series: list[tuple[date, int]], *, capacity: int | None = None, width: int = WIDTH,
         height: int = 180) -> dict:
    """A filled line over time (occupancy), with an optional capacity line."""
    pad_l, pad_b, pad_t = 40, 24, 10
    top = max([v for _d, v in series] + [capacity or 0, 1])
    inner_w, inner_h = width - pad_l - 10, height - pad_b - pad_t
    n = max(len(series) - 1, 1)

    def xy(i: int, v: int) -> tuple[float, float]:
        return round(pad_l + inner_w * i / n, 1), round(pad_t + inner_h * (1 - v / top), 1)

    points = [xy(i, v) for i, (_d, v) in enumerate(series)]
    line = " ".join(f"{'M' if i == 0 else 'L'}{x},{y}" for i, (x, y) in enumerate(points))
    base = pad_t + inner_h
    fill = f"{line} L{points[-1][0]},{base} L{points[0][0]},{base} Z" if points else ""
    ticks = []
    for i in range(0, len(series), max(1, len(series) // 6)):
        x, _y = xy(i, 0)
        ticks.append({"x": x, "label": series[i][0].strftime("%d.%m")})
    y_ticks = [{"y": xy(0, v)[1] + 4, "label": v} for v in sorted({0, top // 2, top})]
    cap_y = xy(0, capacity)[1] if capacity else None
    return {"line": line, "fill": fill, "width": width, "height": height, "ticks": ticks, "y_ticks": y_ticks,
            "base": base, "left": pad_l, "right": width - 10, "cap_y": cap_y, "tick_y": height - 6,
            "last": series[-1][1] if series else 0}
