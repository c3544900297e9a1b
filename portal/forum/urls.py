"""The URL table (see portal/routing.py). The forum: section threads, comments and replies, feeds;
staff publish the draft.
"""
from flask import Blueprint

from portal.forum import document, feeds, manage, views
from portal.routing import add_routes


forum_feeds = Blueprint("forum_feeds", __name__)
forum_staff = Blueprint("forum_staff", __name__, url_prefix="/zespol")
forum = Blueprint("forum", __name__)


add_routes(forum_feeds, [
    ("GET", "/konsultacje/<slug>/forum/szukaj", feeds.search),
    ("GET", "/konsultacje/<slug>/forum/atom.xml", feeds.atom),
    ("GET", "/api/konsultacje/<slug>/forum.json", feeds.threads_json),
    ("GET", "/api/konsultacje/<slug>/forum/watki/<int:thread_id>.json", feeds.thread_json),
])

add_routes(forum_staff, [
    ("GET POST", "/konsultacje/<slug>/projekt", manage.publish_draft),
])

add_routes(forum, [
    ("GET", "/konsultacje/<slug>/projekt-dokumentu", document.whole_draft),
    ("GET", "/konsultacje/<slug>/projekt-dokumentu.pdf", document.draft_pdf),
    ("GET", "/konsultacje/<slug>/forum", views.index),
    ("GET POST", "/konsultacje/<slug>/forum/watek/<int:thread_id>", views.thread),
    ("GET POST", "/konsultacje/<slug>/forum/nowy-watek", views.new_thread),
    ("GET", "/forum/uwagi/<int:post_id>", views.permalink),
    ("GET POST", "/forum/uwagi/<int:post_id>/edycja", views.edit),
    ("GET", "/forum/uwagi/<int:post_id>/wersje", views.revisions),
    ("POST", "/forum/watek/<int:thread_id>/obserwuj", views.toggle_subscription),
    ("POST", "/forum/podglad", views.preview),
])

BLUEPRINTS = (forum_feeds, forum_staff, forum)
