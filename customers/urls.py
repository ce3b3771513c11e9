from django.urls import path

from customers import views

app_name = "customers"

urlpatterns = [
    path("customers/", views.customer_list, name="list"),
    path("customers/<int:customer_id>/", views.customer_detail, name="detail"),
    path("imports/", views.imports, name="imports"),
    path("imports/<int:batch_id>/", views.import_detail, name="import_detail"),
    path("imports/<int:batch_id>/confirm/", views.import_confirm, name="import_confirm"),
    path("exports/<slug:kind>.<slug:fmt>", views.export, name="export"),
]
