"""Views of the KPI app, by page (STYLE.md: a module past ~400 lines becomes a package)."""

from kpis.views.board import board, board_conclusion, board_pack
from kpis.views.department import (
    department,
    department_checkin,
    department_kpi_edit,
    department_kpi_row,
    kpi_reviewed,
    persona_reviewed,
)
from kpis.views.kpi import kpi_detail, kpi_list, profile, recompute_now

__all__ = [
    "board",
    "board_conclusion",
    "board_pack",
    "department",
    "department_checkin",
    "department_kpi_edit",
    "department_kpi_row",
    "kpi_detail",
    "kpi_list",
    "kpi_reviewed",
    "persona_reviewed",
    "profile",
    "recompute_now",
]
