"""The URL table (see portal/routing.py). Registrations: sign-up for working groups and meetings,
private links, data requests, staff lists and exports, retention.
"""
from flask import Blueprint

from portal.registrations import data_requests, manage, manage_retention, materials, recording, resend, views
from portal.routing import add_routes


registration_data = Blueprint("registration_data", __name__)
meeting_materials = Blueprint("meeting_materials", __name__)
registration_links = Blueprint("registration_links", __name__)
retention = Blueprint("retention", __name__, url_prefix="/zespol")
registrations_staff = Blueprint("registrations_staff", __name__, url_prefix="/zespol")
registrations = Blueprint("registrations", __name__)


add_routes(registration_data, [
    ("GET POST", "/moje-zgloszenia/dane", data_requests.request_data),
    ("GET", "/moje-zgloszenia/dane/pobierz", data_requests.download),
])

add_routes(meeting_materials, [
    ("GET", "/konsultacje/<slug>/grupy-robocze/<int:group_id>.ics", materials.group_ics),
])

add_routes(registration_links, [
    ("GET POST", "/zgloszenie/wyslij-link", resend.resend),
])

add_routes(retention, [
    ("GET", "/retencja", manage_retention.overview),
])

add_routes(registrations_staff, [
    ("GET", "/konsultacje/<slug>/zapisy", manage.overview),
    ("GET", "/konsultacje/<slug>/zapisy/grupy/<int:group_id>/oczekujacy", manage.waiting_list),
    ("GET", "/konsultacje/<slug>/zapisy/grupy/<int:group_id>/zakonczone", manage.ended_list),
    ("GET", "/konsultacje/<slug>/zapisy/spotkania/<int:meeting_id>", manage.meeting_list),
    ("POST", "/zgloszenia/<int:registration_id>/potwierdz", manage.confirm),
    ("POST", "/zgloszenia/<int:registration_id>/anuluj", manage.cancel),
    ("POST", "/zgloszenia/<int:registration_id>/przenies", manage.move),
    ("POST", "/spotkania/<int:meeting_id>/link", manage.set_meeting_link),
    ("POST", "/zgloszenia-na-spotkania/<int:registration_id>/potwierdz", manage.confirm_meeting_registration),
    ("POST", "/zgloszenia-na-spotkania/<int:registration_id>/anuluj", manage.cancel_meeting_registration),
    ("POST", "/grupy/<int:group_id>/obecnosc", manage.mark_group_attendance),
    ("POST", "/spotkania/<int:meeting_id>/obecnosc", manage.mark_meeting_attendance),
    ("GET", "/konsultacje/<slug>/zapisy.csv", manage.export_csv),
    ("GET", "/konsultacje/<slug>/zapisy.xlsx", manage.export_xlsx),
    ("GET", "/konsultacje/<slug>/zapisy-spotkania.csv", manage.export_meetings_csv),
    ("GET", "/konsultacje/<slug>/zapisy-spotkania.xlsx", manage.export_meetings_xlsx),
])

add_routes(registrations, [
    ("GET POST", "/konsultacje/<slug>/grupy-robocze/zapis", views.group_signup),
    ("GET POST", "/konsultacje/<slug>/spotkania/<int:meeting_id>/zapis", views.meeting_signup),
    ("GET", "/konsultacje/<slug>/spotkania/<int:meeting_id>.ics", views.meeting_ics),
    ("GET", "/zgloszenie", views.manage),
    ("POST", "/zgloszenie/potwierdz", views.confirm),
    ("GET POST", "/zgloszenie/wycofaj", views.withdraw),
])

registrations.add_app_template_global(recording.participation, "recording_participation")

BLUEPRINTS = (registration_data, meeting_materials, registration_links, retention, registrations_staff, registrations)
