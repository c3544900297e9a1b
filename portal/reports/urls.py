"""The URL table (see portal/routing.py). The consultation report: answers workspace, the public
report and exports, comments received outside the portal, the final document.
"""
from flask import Blueprint

from portal.reports import final_views, manage_answers, official, offline, views
from portal.routing import add_routes


final_document = Blueprint("final_document", __name__, url_prefix="")
official_report = Blueprint("official_report", __name__)
offline_comments = Blueprint("offline_comments", __name__, url_prefix="/zespol/konsultacje/<slug>/uwagi-spoza-serwisu")
reports = Blueprint("reports", __name__, url_prefix="")
report_workspace = Blueprint("report_workspace", __name__, url_prefix="/zespol")


add_routes(final_document, [
    ("GET POST", "/zespol/konsultacje/<slug>/wersja-koncowa", final_views.manage),
    ("POST", "/zespol/konsultacje/<slug>/wersja-koncowa/paragraf/<int:number>/uwagi", final_views.link_changes),
    ("GET", "/konsultacje/<slug>/zmiany", final_views.changes),
])

add_routes(official_report, [
    ("GET", "/konsultacje/<slug>/raport/sprawozdanie.docx", official.report_docx),
    ("GET", "/konsultacje/<slug>/raport/sprawozdanie.pdf", official.report_pdf),
])

add_routes(offline_comments, [
    ("GET POST", "", offline.entries),
    ("GET POST", "/<int:post_id>", offline.edit),
    ("POST", "/<int:post_id>/usun", offline.remove),
])
offline_comments.add_app_template_global(offline.channel_label)
offline_comments.add_app_template_global(offline.received_date)
offline_comments.add_app_template_global(offline.channel_note)

add_routes(reports, [
    ("GET", "/konsultacje/<slug>/raport", views.report),
    ("GET", "/konsultacje/<slug>/raport.csv", views.report_csv),
    ("GET", "/konsultacje/<slug>/raport.xlsx", views.report_xlsx),
    ("GET", "/konsultacje/<slug>/raport.json", views.report_json),
    ("GET POST", "/zespol/konsultacje/<slug>/raport", views.manage),
    ("POST", "/zespol/konsultacje/<slug>/raport/publikacja", views.publish),
    ("POST", "/zespol/konsultacje/<slug>/raport/wycofanie", views.unpublish),
    ("GET", "/konsultacje/<slug>/raport/wersje/<int:number>", views.version),
])

add_routes(report_workspace, [
    ("GET", "/konsultacje/<slug>/odpowiedzi", manage_answers.workspace),
    ("POST", "/konsultacje/<slug>/odpowiedzi/<int:post_id>", manage_answers.answer),
    ("POST", "/konsultacje/<slug>/odpowiedzi/<int:post_id>/jak-w-uwadze", manage_answers.same_as),
    ("POST", "/konsultacje/<slug>/odpowiedzi/wspolna", manage_answers.answer_together),
])

BLUEPRINTS = (final_document, official_report, offline_comments, reports, report_workspace)
