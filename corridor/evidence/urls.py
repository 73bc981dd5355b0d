from __future__ import annotations

from django.urls import path

from corridor.evidence import views

app_name = "evidence"
urlpatterns = [
    path("", views.index, name="index"),
    path("testimonies/", views.testimony_list, name="testimony_list"),
    path("testimonies/new/", views.testimony_create, name="testimony_create"),
    path("testimonies/<uuid:pk>/", views.testimony_detail, name="testimony_detail"),
    path("testimonies/<uuid:pk>/edit/", views.testimony_edit, name="testimony_edit"),
    path("events/", views.event_list, name="event_list"),
    path("events/new/", views.event_create, name="event_create"),
    path("events/<uuid:pk>/", views.event_detail, name="event_detail"),
    path("events/<uuid:pk>/edit/", views.event_edit, name="event_edit"),
    path("events/<uuid:pk>/acts/new/", views.act_create, name="act_create"),
    path("events/<uuid:pk>/sources/new/", views.source_create, name="source_create"),
    path("registry/", views.registry, name="registry"),
    path("registry/places/new/", views.place_create, name="place_create"),
    path("registry/perpetrators/new/", views.perpetrator_create, name="perpetrator_create"),
    path("registry/terms/new/", views.term_create, name="term_create"),
    path("registry/waves/new/", views.wave_create, name="wave_create"),
    path("files/", views.file_list, name="file_list"),
    path("files/upload/", views.file_upload, name="file_upload"),
    path("files/<uuid:pk>/", views.file_detail, name="file_detail"),
    path("files/<uuid:pk>/download/<str:copy>/", views.file_download, name="file_download"),
    path("files/<uuid:pk>/transfer/", views.file_transfer, name="file_transfer"),
    path("filings/", views.filing_list, name="filing_list"),
    path("filings/new/", views.filing_create, name="filing_create"),
    path("filings/<uuid:pk>/", views.filing_detail, name="filing_detail"),
    path("filings/<uuid:pk>/edit/", views.filing_edit, name="filing_edit"),
    path("filings/<uuid:pk>/steps/new/", views.filing_step_create, name="filing_step_create"),
    path("deadlines/", views.deadlines, name="deadlines"),
    path("exports/", views.bundle_list, name="bundle_list"),
    path("exports/new/", views.bundle_create, name="bundle_create"),
    path("exports/<uuid:pk>/", views.bundle_detail, name="bundle_detail"),
    path("exports/<uuid:pk>/approve/", views.bundle_approve, name="bundle_approve"),
    path("exports/<uuid:pk>/refuse/", views.bundle_refuse, name="bundle_refuse"),
    path("exports/<uuid:pk>/rebuild/", views.bundle_rebuild, name="bundle_rebuild"),
    path("exports/<uuid:pk>/download/", views.bundle_download, name="bundle_download"),
    path("exports/<uuid:pk>/as/<str:kind>/", views.bundle_export_as, name="bundle_export_as"),
    path("statistics/", views.aggregate, name="aggregate"),
]
