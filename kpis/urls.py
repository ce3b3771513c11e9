from django.urls import path

from kpis import views

app_name = "kpis"

urlpatterns = [
    path("recompute/", views.recompute_now, name="recompute"),
    path("kpis/", views.kpi_list, name="list"),
    path("kpis/<int:kpi_id>/", views.kpi_detail, name="detail"),
]
