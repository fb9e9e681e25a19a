"""Render tab-separated table rows so each row reads on its own.

A row cut away from its header is the classic way a retrieval system loses a table's meaning
("£250,000" of what?), so every rendered row carries its column names: ``Header: value``.
"""

from __future__ import annotations

import re

_SEPARATOR_ROW = re.compile(r"^[\s\-|:=]*$")
_KEY_VALUE_MAX = 14
_HEADER_MAX = 40


def split_cells(line: str) -> list[str]:
    return [" ".join(cell.split()) for cell in line.split("\t")]


def render_table(lines: list[str]) -> list[tuple[int, str]]:
    """Return ``(line_index, rendered_row)`` for each data row of a table block.

    The header row itself is not returned: its names are inside every rendered row.
    """
    rows = [
        (index, split_cells(line))
        for index, line in enumerate(lines)
        if not _SEPARATOR_ROW.match(line.replace("\t", ""))
    ]
    rows = [(index, [c for c in cells]) for index, cells in rows if any(cells)]
    if not rows:
        return []
    if len(rows) == 1 or _is_key_value(rows) or max(len(c) for c in rows[0][1]) > _HEADER_MAX:
        return [(index, _render_pairs(cells)) for index, cells in rows]
    header = rows[0][1]
    rendered = []
    for index, cells in rows[1:]:
        parts = []
        for position, cell in enumerate(cells):
            if not cell:
                continue
            name = header[position] if position < len(header) else ""
            parts.append(f"{name}: {cell}" if name and name != cell else cell)
        rendered.append((index, "; ".join(parts)))
    return rendered


def _is_key_value(rows: list[tuple[int, list[str]]]) -> bool:
    """Two-column tables whose values are all short ("Demand\tMedium") are label/value lists."""
    widths = {len([c for c in cells if c]) for _, cells in rows}
    if max(widths) > 2:
        return False
    values = [cells[1] for _, cells in rows if len(cells) > 1 and cells[1]]
    return bool(values) and all(len(value) <= _KEY_VALUE_MAX for value in values)


def _render_pairs(cells: list[str]) -> str:
    """'Where\tNashville\tWhen\t2006' -> 'Where: Nashville; When: 2006'."""
    cells = [cell for cell in cells if cell]
    if len(cells) == 2:
        return f"{cells[0]}: {cells[1]}"
    if len(cells) % 2 == 0 and all(len(cells[i]) <= 25 for i in range(0, len(cells), 2)):
        return "; ".join(f"{cells[i]}: {cells[i + 1]}" for i in range(0, len(cells), 2))
    return " | ".join(cells)
