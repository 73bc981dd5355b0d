from django.urls import path

from corridor.intake.views import staff

app_name = "intake"
urlpatterns = [
    path("", staff.queue, name="queue"),
    path("record/", staff.record, name="record"),
    path("<uuid:contact_id>/", staff.contact_detail, name="contact"),
    path("<uuid:contact_id>/status/", staff.set_status, name="status"),
    path("<uuid:contact_id>/flags/", staff.set_flags, name="flags"),
    path("<uuid:contact_id>/vetting/", staff.add_vetting, name="vetting"),
    path("<uuid:contact_id>/notes/", staff.set_notes, name="notes"),
    path("<uuid:contact_id>/reply/", staff.reply, name="reply"),
    path("<uuid:contact_id>/identifiers/", staff.add_identifier, name="identifier"),
    path("<uuid:contact_id>/link/", staff.link, name="link"),
    path("<uuid:contact_id>/provocateurs/", staff.check_provocateurs, name="check_provocateurs"),
    path("<uuid:contact_id>/handled/", staff.mark_handled, name="handled"),
    path("<uuid:contact_id>/open-case/", staff.open_case, name="open_case"),
    path("<uuid:contact_id>/add-to-case/", staff.add_to_case, name="add_to_case"),
    path("files/<uuid:attachment_id>/", staff.attachment, name="attachment"),
    path("files/<uuid:attachment_id>/original/", staff.attachment_original, name="attachment_original"),
]
