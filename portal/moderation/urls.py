"""The URL table (see portal/routing.py). Moderation: the queue, tools for comments, threads and
accounts, flags, the log, settings.
"""
from flask import Blueprint

from portal.moderation import manage, records, settings, tools
from portal.routing import add_routes


moderation_records = Blueprint("moderation_records", __name__)
moderation_settings = Blueprint("moderation_settings", __name__)
moderation_tools = Blueprint("moderation_tools", __name__)
moderation = Blueprint("moderation", __name__)


add_routes(moderation_records, [
    ("GET", "/moderacja/dziennik", records.log),
    ("GET", "/moderacja/dziennik.csv", records.log_csv),
    ("GET", "/konsultacje/<slug>/moderacja", records.transparency),
])

add_routes(moderation_settings, [
    ("GET POST", "/zespol/konsultacje/<slug>/moderacja", settings.edit),
])

add_routes(moderation_tools, [
    ("GET POST", "/forum/uwagi/<int:post_id>/zglos", tools.report),
    ("POST", "/moderacja/uwagi/<int:post_id>/zgloszenia/uznaj", tools.agree_flags),
    ("POST", "/moderacja/uwagi/<int:post_id>/zgloszenia/oddal", tools.dismiss_flags),
    ("GET", "/moderacja/watki/<int:thread_id>/narzedzia", tools.show_thread_tools, "thread_tools"),
    ("POST", "/moderacja/watki/<int:thread_id>/zamknij", tools.lock_thread),
    ("POST", "/moderacja/watki/<int:thread_id>/otworz", tools.unlock_thread),
    ("POST", "/moderacja/watki/<int:thread_id>/przypnij", tools.pin_thread),
    ("POST", "/moderacja/watki/<int:thread_id>/odepnij", tools.unpin_thread),
    ("POST", "/moderacja/watki/<int:thread_id>/tytul", tools.rename_thread),
    ("GET", "/moderacja/uwagi/<int:post_id>/przenies", tools.move_post_form),
    ("POST", "/moderacja/uwagi/<int:post_id>/przenies", tools.move_post),
    ("GET", "/moderacja/uzytkownicy/<int:user_id>", tools.user_tools),
    ("POST", "/moderacja/uzytkownicy/<int:user_id>/blokada", tools.block_user),
    ("POST", "/moderacja/uzytkownicy/<int:user_id>/odblokowanie", tools.unblock_user),
    ("POST", "/moderacja/uzytkownicy/<int:user_id>/zaufany", tools.set_trusted),
])

add_routes(moderation, [
    ("GET", "/moderacja/kolejka", manage.queue),
    ("POST", "/moderacja/uwagi/<int:post_id>/zatwierdz", manage.approve),
    ("POST", "/moderacja/uwagi/<int:post_id>/odrzuc", manage.reject),
    ("POST", "/moderacja/uwagi/<int:post_id>/ukryj", manage.hide),
    ("POST", "/moderacja/uwagi/<int:post_id>/pokaz", manage.unhide),
    ("POST", "/moderacja/zbiorczo", manage.bulk),
])
moderation.record_once(manage._template_globals)

BLUEPRINTS = (moderation_records, moderation_settings, moderation_tools, moderation)
