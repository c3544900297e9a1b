"""The URL table (see portal/routing.py). The back office of a consultation: its page, phases,
documents, groups and meetings, materials.
"""
from flask import Blueprint

from portal.staff import documents as document_pages, groups, manage, materials
from portal.routing import add_routes


documents = Blueprint("documents", __name__, url_prefix="")
staff_groups = Blueprint("staff_groups", __name__, url_prefix="/zespol")
staff = Blueprint("staff", __name__, url_prefix="/zespol")


add_routes(documents, [
    ("GET POST", "/zespol/konsultacje/<slug>/dokumenty", document_pages.manage),
    ("POST", "/zespol/konsultacje/<slug>/dokumenty/link", document_pages.add_document_link),
    ("POST", "/zespol/konsultacje/<slug>/dokumenty/<int:document_id>/przesun", document_pages.move),
    ("POST", "/zespol/konsultacje/<slug>/dokumenty/<int:document_id>/usun", document_pages.delete),
    ("GET", "/konsultacje/<slug>/dokumenty/<int:document_id>", document_pages.download),
])

add_routes(staff_groups, [
    ("GET POST", "/konsultacje/<slug>/grupy", groups.groups),
    ("GET POST", "/konsultacje/<slug>/grupy/<int:group_id>", groups.edit_group),
    ("POST", "/konsultacje/<slug>/grupy/<int:group_id>/usun", groups.delete_group_action, "delete_group"),
    ("GET POST", "/konsultacje/<slug>/spotkania", groups.meetings),
    ("GET POST", "/konsultacje/<slug>/spotkania/<int:meeting_id>", groups.edit_meeting),
    ("POST", "/konsultacje/<slug>/spotkania/<int:meeting_id>/usun", groups.delete_meeting_action, "delete_meeting"),
])

add_routes(staff_groups, [
    ("GET POST", "/konsultacje/<slug>/grupy/<int:group_id>/materialy", materials.group_materials),
    ("GET POST", "/konsultacje/<slug>/spotkania/<int:meeting_id>/materialy", materials.meeting_materials),
])

add_routes(staff, [
    ("GET", "/konsultacje", manage.consultations),
    ("GET POST", "/konsultacje/nowa", manage.new_consultation),
    ("GET POST", "/konsultacje/<slug>/edycja", manage.edit_consultation),
    ("POST", "/konsultacje/<slug>/publikacja", manage.set_status),
    ("GET POST", "/konsultacje/<slug>/etapy", manage.phases),
    ("GET POST", "/konsultacje/<slug>/etapy/<int:phase_id>", manage.edit_phase),
    ("POST", "/konsultacje/<slug>/etapy/<int:phase_id>/usun", manage.delete_phase),
])

BLUEPRINTS = (documents, staff_groups, staff)
