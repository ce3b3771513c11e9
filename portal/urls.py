from django.urls import path

from customers.views import portfolio
from kpis import views as kpi_views
from portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("portfolio/", portfolio, name="portfolio"),
    path("department/", kpi_views.department, name="department"),
    path("board/", kpi_views.board, name="board"),
    path("departments/", views.departments, name="departments"),
    path("members/", views.members, name="members"),
    path("glossary/", views.glossary, name="glossary"),
    path("glossary/<int:term_id>/", views.glossary_edit, name="glossary_edit"),
    path("glossary/<int:term_id>/delete/", views.glossary_delete, name="glossary_delete"),
    path("jobs/", views.jobs, name="jobs"),
    path("jobs/<int:job_id>/", views.job_detail, name="job_detail"),
    path("audit/", views.audit, name="audit"),
]
