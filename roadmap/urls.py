from django.urls import path

from roadmap import views

app_name = "roadmap"

urlpatterns = [
    path("roadmap/", views.timeline, name="timeline"),
    path("roadmap/new/", views.item_create, name="create"),
    path("roadmap/export/", views.items_export, name="export"),
    path("roadmap/import/", views.items_import, name="import"),
    path("roadmap/<int:item_id>/", views.item_detail, name="detail"),
    path("roadmap/<int:item_id>/edit/", views.item_edit, name="edit"),
]
