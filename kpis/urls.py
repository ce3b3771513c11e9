from django.urls import path

from kpis import views

app_name = "kpis"

urlpatterns = [
    path("recompute/", views.recompute_now, name="recompute"),
]
