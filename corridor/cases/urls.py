"""Mounted at /staff/cases/. Cases are addressed by pseudonym code, never by row id."""

from django.urls import path, register_converter

from corridor.cases.views import (
    cases,
    coordination,
    destinations,
    erasure,
    locks,
    records,
    referrals,
    transfers,
)


class CaseCode:
    regex = r"[A-Za-z]{1,3}-\d{1,7}"

    def to_python(self, value: str) -> str:
        return value.upper()

    def to_url(self, value: str) -> str:
        return str(value)


register_converter(CaseCode, "casecode")

app_name = "cases"
urlpatterns = [
    path("", cases.case_list, name="list"),
    path("new/", cases.case_new, name="new"),
    path("open/", cases.open_by_code, name="open_by_code"),
    path("board/", coordination.dashboard, name="dashboard"),
    path("alerts/", coordination.alerts, name="alerts"),
    path("alerts/<uuid:pk>/resolve/", coordination.alert_resolve, name="alert_resolve"),
    path("access/", coordination.access_log, name="access_log"),
    path("access/seen/", coordination.access_log_seen, name="access_log_seen"),
    path("exports/", coordination.exports, name="exports"),
    path("exports/<uuid:pk>/decide/", coordination.export_decide, name="export_decide"),
    path("exports/<uuid:pk>/download/", coordination.export_download, name="export_download"),
    path("erasures/", erasure.erasures, name="erasures"),
    path("erasures/<uuid:pk>/decide/", erasure.erasure_decide_view, name="erasure_decide"),
    path("erasures/<uuid:pk>/legal-hold/", erasure.erasure_hold_view, name="erasure_hold"),
    path("referrals/", referrals.referral_list, name="referrals"),
    path("referrals/<uuid:pk>/", referrals.referral_detail, name="referral"),
    path("referrals/<uuid:pk>/decide/", referrals.referral_decide, name="referral_decide"),
    path("locks/", locks.lock_list, name="locks"),
    path("locks/<uuid:pk>/request/", locks.lock_request, name="lock_request"),
    path("locks/<uuid:pk>/approve/", locks.lock_approve, name="lock_approve"),
    path("locks/<uuid:pk>/cancel/", locks.lock_cancel, name="lock_cancel"),
    path("partners/", transfers.partners, name="partners"),
    path("transfers/", transfers.transfer_list, name="transfers"),
    path("transfers/import/", transfers.transfer_import, name="transfer_import"),
    path("transfers/<uuid:pk>/decide/", transfers.transfer_decide, name="transfer_decide"),
    path("transfers/<uuid:pk>/download/", transfers.transfer_download, name="transfer_download"),
    path("countries/", destinations.countries, name="countries"),
    path("countries/<str:code>/", destinations.country_detail, name="country"),
    path("embassies/new/", destinations.embassy_edit, name="embassy_new"),
    path("embassies/<uuid:pk>/", destinations.embassy_edit, name="embassy_edit"),
    path("embassies/<uuid:pk>/contact/", destinations.embassy_contact, name="embassy_contact"),
    path("<casecode:code>/", cases.case_detail, name="detail"),
    path("<casecode:code>/break-glass/", cases.break_glass, name="break_glass"),
    path("<casecode:code>/person/", cases.person_edit, name="person_edit"),
    path("<casecode:code>/erase/", erasure.erase_request, name="erase_request"),
    path("<casecode:code>/edit/", cases.case_edit, name="case_edit"),
    path("<casecode:code>/stage/", cases.transition, name="transition"),
    path("<casecode:code>/assign/", cases.assign, name="assign"),
    path("<casecode:code>/refer/", referrals.refer, name="refer"),
    path("<casecode:code>/transfer/", transfers.transfer, name="transfer"),
    path("<casecode:code>/transfer/consent/", transfers.transfer_consent, name="transfer_consent"),
    path("<casecode:code>/transfer/request/", transfers.transfer_request, name="transfer_request"),
    path("<casecode:code>/notes/", records.note_add, name="note_add"),
    path("<casecode:code>/checklist/", records.checklist, name="checklist"),
    path("<casecode:code>/checkins/schedule/", records.schedule, name="schedule"),
    path("<casecode:code>/checkins/", records.checkin, name="checkin"),
    path("<casecode:code>/services/", records.service_add, name="service_add"),
    path("<casecode:code>/services/<uuid:pk>/", records.service_update, name="service_update"),
    path("<casecode:code>/documents/", records.document_add, name="document_add"),
    path("<casecode:code>/documents/<uuid:pk>/", records.document_update, name="document_update"),
    path("<casecode:code>/wanted/", records.wanted, name="wanted"),
    path("<casecode:code>/applications/", records.application_add, name="application_add"),
    path("<casecode:code>/applications/<uuid:pk>/", records.application_decide, name="application_decide"),
    path("<casecode:code>/relatives/", records.relative_add, name="relative_add"),
    path("<casecode:code>/identifiers/", records.identifier_add, name="identifier_add"),
    path("<casecode:code>/identifiers/<uuid:pk>/remove/", records.identifier_remove, name="identifier_remove"),
    path("<casecode:code>/household/", records.household_create, name="household_create"),
    path("<casecode:code>/household/members/", records.member_add, name="member_add"),
]
