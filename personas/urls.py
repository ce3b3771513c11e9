from django.urls import path

from personas import views

app_name = "personas"

urlpatterns = [
    path("personas/", views.persona_list, name="list"),
    path("personas/new/", views.persona_create, name="create"),
    path("personas/match/", views.persona_match, name="match"),
    path("personas/export/", views.personas_export, name="export"),
    path("personas/import/", views.personas_import, name="import"),
    path("personas/<int:persona_id>/", views.persona_detail, name="detail"),
    path("personas/<int:persona_id>/edit/", views.persona_edit, name="edit"),
    path("personas/<int:persona_id>/reviewed/", views.persona_reviewed, name="reviewed"),
    path("personas/<int:persona_id>/delete/", views.persona_delete, name="delete"),
]
