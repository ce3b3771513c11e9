from django.urls import path

from kpis import views

app_name = "kpis"

urlpatterns = [
    path("recompute/", views.recompute_now, name="recompute"),
    path("kpis/", views.kpi_list, name="list"),
    path("kpis/<int:kpi_id>/", views.kpi_detail, name="detail"),
    path(
        "department/<int:department_id>/kpis/<int:kpi_id>/edit/",
        views.department_kpi_edit,
        name="department_kpi_edit",
    ),
    path(
        "department/<int:department_id>/kpis/<int:kpi_id>/row/",
        views.department_kpi_row,
        name="department_kpi_row",
    ),
    path(
        "department/<int:department_id>/checkins/",
        views.department_checkin,
        name="department_checkin",
    ),
    path(
        "department/<int:department_id>/reviews/kpis/<int:kpi_id>/",
        views.kpi_reviewed,
        name="kpi_reviewed",
    ),
    path(
        "department/<int:department_id>/reviews/personas/<int:persona_id>/",
        views.persona_reviewed,
        name="persona_reviewed",
    ),
]

urlpatterns += [
    path("board/conclusions/<str:month>/", views.board_conclusion, name="board_conclusion"),
    path("board/pack/<str:month>.pdf", views.board_pack, name="board_pack"),
]

urlpatterns += [path("profile/", views.profile, name="profile")]
