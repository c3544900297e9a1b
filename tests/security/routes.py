"""Who may open each route: the status each kind of person gets (the access matrix).

Read by tests/security/test_access_matrix.py (every route × every role) and
tests/security/test_bad_input.py (each route called by the least privileged role that gets in).
"""

ROLES = ("anonymous", "unverified", "participant", "moderator", "admin")
LOGIN = 302  # anonymous people are sent to the login page

PUBLIC = dict.fromkeys(ROLES, 200)
SIGNED_IN = {"anonymous": LOGIN, "unverified": 200, "participant": 200, "moderator": 200, "admin": 200}
STAFF = {"anonymous": LOGIN, "unverified": 403, "participant": 403, "moderator": 200, "admin": 200}
ADMIN_ONLY = {"anonymous": LOGIN, "unverified": 403, "participant": 403, "moderator": 403, "admin": 200}
ALWAYS = lambda status: dict.fromkeys(ROLES, status)  # noqa: E731

SLUG = "program-wspolpracy-2021"

# endpoint: (method, url template, {role: status})
MATRIX = {
    "consultations.home": ("GET", "/", PUBLIC),
    "consultations.announcement": ("GET", f"/konsultacje/{SLUG}", PUBLIC),
    "consultations.print_view": ("GET", f"/konsultacje/{SLUG}/druk", PUBLIC),
    "consultations.pdf_view": ("GET", f"/konsultacje/{SLUG}/pdf", PUBLIC),
    "pages.accessibility": ("GET", "/deklaracja-dostepnosci", PUBLIC),
    "pages.privacy": ("GET", "/ochrona-danych-osobowych", PUBLIC),
    "pages.easy_read": ("GET", "/tekst-latwy-do-czytania", PUBLIC),
    "pages.sign_language": ("GET", "/polski-jezyk-migowy", PUBLIC),
    "pages.legal_history": ("GET", "/ochrona-danych-osobowych/wersje", PUBLIC),
    "pages.legal_version": ("GET", "/ochrona-danych-osobowych/wersje/1", ALWAYS(404)),  # nothing published
    "legal_admin.pages": ("GET", "/zespol/strony-prawne", ADMIN_ONLY),
    "legal_admin.edit": ("GET", "/zespol/strony-prawne/deklaracja-dostepnosci", ADMIN_ONLY),
    "pages.set_language": ("POST", "/jezyk", ALWAYS(400)),  # no language chosen
    "pages.healthz": ("GET", "/healthz", PUBLIC),
    "registrations.group_signup": ("GET", f"/konsultacje/{SLUG}/grupy-robocze/zapis", PUBLIC),
    "registrations.meeting_signup": ("GET", f"/konsultacje/{SLUG}/spotkania/{{meeting_id}}/zapis", PUBLIC),
    "registrations.meeting_ics": ("GET", f"/konsultacje/{SLUG}/spotkania/{{meeting_id}}.ics", PUBLIC),
    "registrations.manage": ("GET", "/zgloszenie", ALWAYS(404)),  # no private link
    "meeting_materials.group_ics": ("GET", f"/konsultacje/{SLUG}/grupy-robocze/{{group_id}}.ics", PUBLIC),
    "staff_groups.group_materials": ("GET", f"/zespol/konsultacje/{SLUG}/grupy/{{group_id}}/materialy", ADMIN_ONLY),
    "staff_groups.meeting_materials": (
        "GET", f"/zespol/konsultacje/{SLUG}/spotkania/{{meeting_id}}/materialy", ADMIN_ONLY),
    "news.subscribe": ("GET", "/powiadomienia", PUBLIC),
    "news.confirm": ("GET", "/powiadomienia/potwierdz/zepsuty-link", ALWAYS(404)),
    "news.unsubscribe": ("GET", "/powiadomienia/wypisz/zepsuty-link", ALWAYS(404)),
    "news.atom": ("GET", "/konsultacje.atom", PUBLIC),
    "registrations.confirm": ("POST", "/zgloszenie/potwierdz", ALWAYS(404)),
    "registrations.withdraw": ("GET", "/zgloszenie/wycofaj", ALWAYS(404)),
    "registrations_staff.overview": ("GET", f"/zespol/konsultacje/{SLUG}/zapisy", STAFF),
    "registrations_staff.waiting_list": ("GET", f"/zespol/konsultacje/{SLUG}/zapisy/grupy/{{group_id}}/oczekujacy",
                                         STAFF),
    "registrations_staff.ended_list": ("GET", f"/zespol/konsultacje/{SLUG}/zapisy/grupy/{{group_id}}/zakonczone",
                                       STAFF),
    "registrations_staff.meeting_list": ("GET", f"/zespol/konsultacje/{SLUG}/zapisy/spotkania/{{meeting_id}}", STAFF),
    "registrations_staff.confirm_meeting_registration": (
        "POST", "/zespol/zgloszenia-na-spotkania/{meeting_registration_id}/potwierdz",
        {**STAFF, "moderator": 303, "admin": 303}),
    "registrations_staff.cancel_meeting_registration": (
        "POST", "/zespol/zgloszenia-na-spotkania/{meeting_registration_id}/anuluj", STAFF),  # no reason
    "registrations_staff.mark_group_attendance": (
        "POST", "/zespol/grupy/{group_id}/obecnosc", {**STAFF, "moderator": 303, "admin": 303}),
    "registrations_staff.mark_meeting_attendance": (
        "POST", "/zespol/spotkania/{meeting_id}/obecnosc", {**STAFF, "moderator": 303, "admin": 303}),
    "registrations_staff.export_csv": ("GET", f"/zespol/konsultacje/{SLUG}/zapisy.csv", STAFF),
    "registrations_staff.export_xlsx": ("GET", f"/zespol/konsultacje/{SLUG}/zapisy.xlsx", STAFF),
    "registrations_staff.export_meetings_csv": ("GET", f"/zespol/konsultacje/{SLUG}/zapisy-spotkania.csv", STAFF),
    "registrations_staff.export_meetings_xlsx": ("GET", f"/zespol/konsultacje/{SLUG}/zapisy-spotkania.xlsx",
                                                 STAFF),
    "registrations_staff.confirm": ("POST", "/zespol/zgloszenia/{registration_id}/potwierdz",
                                    {**STAFF, "moderator": 303, "admin": 303}),
    "registrations_staff.cancel": ("POST", "/zespol/zgloszenia/{registration_id}/anuluj", STAFF),  # no reason
    "registrations_staff.move": ("POST", "/zespol/zgloszenia/{registration_id}/przenies", STAFF),  # no group
    "registrations_staff.set_meeting_link": ("POST", "/zespol/spotkania/{meeting_id}/link", STAFF),  # no URL
    "forum.index": ("GET", f"/konsultacje/{SLUG}/forum", PUBLIC),
    "forum.thread": ("GET", f"/konsultacje/{SLUG}/forum/watek/{{thread_id}}", PUBLIC),
    "forum.whole_draft": ("GET", f"/konsultacje/{SLUG}/projekt-dokumentu", PUBLIC),  # says there is no draft yet
    "forum.draft_pdf": ("GET", f"/konsultacje/{SLUG}/projekt-dokumentu.pdf", ALWAYS(404)),  # no draft yet
    "forum.new_thread": ("GET", f"/konsultacje/{SLUG}/forum/nowy-watek", PUBLIC),  # says who may write
    "forum.permalink": ("GET", "/forum/uwagi/{post_id}", ALWAYS(302)),
    "forum.edit": ("GET", "/forum/uwagi/{post_id}/edycja", {**ALWAYS(403), "anonymous": LOGIN}),  # author only
    "forum.revisions": ("GET", "/forum/uwagi/{post_id}/wersje", STAFF),
    "forum.toggle_subscription": ("POST", "/forum/watek/{thread_id}/obserwuj", {**ALWAYS(302), "anonymous": LOGIN}),
    "forum.preview": ("POST", "/forum/podglad", PUBLIC),
    "forum_feeds.search": ("GET", f"/konsultacje/{SLUG}/forum/szukaj", PUBLIC),
    "forum_feeds.atom": ("GET", f"/konsultacje/{SLUG}/forum/atom.xml", PUBLIC),
    "forum_feeds.threads_json": ("GET", f"/api/konsultacje/{SLUG}/forum.json", PUBLIC),
    "forum_feeds.thread_json": ("GET", f"/api/konsultacje/{SLUG}/forum/watki/{{thread_id}}.json", PUBLIC),
    "forum_staff.publish_draft": ("GET", f"/zespol/konsultacje/{SLUG}/projekt", ADMIN_ONLY),
    "moderation_records.log": ("GET", "/moderacja/dziennik", STAFF),
    "moderation_records.log_csv": ("GET", "/moderacja/dziennik.csv", STAFF),
    "moderation_records.transparency": ("GET", f"/konsultacje/{SLUG}/moderacja", PUBLIC),
    "moderation_tools.report": ("GET", "/forum/uwagi/{post_id}/zglos", {**SIGNED_IN, "unverified": 403}),
    "moderation_tools.agree_flags": ("POST", "/moderacja/uwagi/{post_id}/zgloszenia/uznaj", STAFF),  # no version
    "moderation_tools.dismiss_flags": ("POST", "/moderacja/uwagi/{post_id}/zgloszenia/oddal", STAFF),  # no version
    "moderation_tools.thread_tools": ("GET", "/moderacja/watki/{thread_id}/narzedzia", STAFF),
    "moderation_tools.lock_thread": ("POST", "/moderacja/watki/{thread_id}/zamknij", {**STAFF, "moderator": 303, "admin": 303}),
    "moderation_tools.unlock_thread": ("POST", "/moderacja/watki/{thread_id}/otworz", {**STAFF, "moderator": 303, "admin": 303}),
    "moderation_tools.pin_thread": ("POST", "/moderacja/watki/{thread_id}/przypnij", {**STAFF, "moderator": 303, "admin": 303}),
    "moderation_tools.unpin_thread": ("POST", "/moderacja/watki/{thread_id}/odepnij", {**STAFF, "moderator": 303, "admin": 303}),
    "moderation_tools.rename_thread": ("POST", "/moderacja/watki/{thread_id}/tytul", STAFF),  # no title
    "moderation_tools.move_post_form": ("GET", "/moderacja/uwagi/{post_id}/przenies", STAFF),
    "moderation_tools.move_post": ("POST", "/moderacja/uwagi/{post_id}/przenies", STAFF),  # no target
    "moderation_tools.user_tools": ("GET", "/moderacja/uzytkownicy/{user_id}", STAFF),
    "moderation_tools.block_user": ("POST", "/moderacja/uzytkownicy/{user_id}/blokada", STAFF),  # no reason
    "moderation_tools.unblock_user": ("POST", "/moderacja/uzytkownicy/{user_id}/odblokowanie", STAFF),
    "moderation_tools.set_trusted": ("POST", "/moderacja/uzytkownicy/{user_id}/zaufany", STAFF),
    "moderation.queue": ("GET", "/moderacja/kolejka", STAFF),
    "moderation.approve": ("POST", "/moderacja/uwagi/{post_id}/zatwierdz", {**STAFF, "moderator": 303, "admin": 303}),
    "moderation.reject": ("POST", "/moderacja/uwagi/{post_id}/odrzuc", {**STAFF, "moderator": 303, "admin": 303}),
    "moderation.hide": ("POST", "/moderacja/uwagi/{post_id}/ukryj", {**STAFF, "moderator": 303, "admin": 303}),
    "moderation.unhide": ("POST", "/moderacja/uwagi/{post_id}/pokaz", {**STAFF, "moderator": 303, "admin": 303}),
    "moderation.bulk": ("POST", "/moderacja/zbiorczo", {**STAFF, "moderator": 303, "admin": 303}),
    "moderation_settings.edit": ("GET", f"/zespol/konsultacje/{SLUG}/moderacja", ADMIN_ONLY),
    "report_workspace.workspace": ("GET", f"/zespol/konsultacje/{SLUG}/odpowiedzi", STAFF),
    "report_workspace.answer": ("POST", f"/zespol/konsultacje/{SLUG}/odpowiedzi/{{post_id}}", STAFF),  # no decision
    "report_workspace.same_as": ("POST", f"/zespol/konsultacje/{SLUG}/odpowiedzi/{{post_id}}/jak-w-uwadze", STAFF),  # no number
    "report_workspace.answer_together": ("POST", f"/zespol/konsultacje/{SLUG}/odpowiedzi/wspolna", STAFF),  # nothing chosen
    "reports.report": ("GET", f"/konsultacje/{SLUG}/raport", {**ALWAYS(404), "moderator": 200, "admin": 200}),  # unpublished: staff preview
    "reports.report_csv": ("GET", f"/konsultacje/{SLUG}/raport.csv", {**ALWAYS(404), "moderator": 200, "admin": 200}),
    "reports.report_xlsx": ("GET", f"/konsultacje/{SLUG}/raport.xlsx", {**ALWAYS(404), "moderator": 200, "admin": 200}),
    "reports.report_json": ("GET", f"/konsultacje/{SLUG}/raport.json", {**ALWAYS(404), "moderator": 200, "admin": 200}),
    "official_report.report_docx": ("GET", f"/konsultacje/{SLUG}/raport/sprawozdanie.docx", {**ALWAYS(404), "moderator": 200, "admin": 200}),
    "official_report.report_pdf": ("GET", f"/konsultacje/{SLUG}/raport/sprawozdanie.pdf", {**ALWAYS(404), "moderator": 200, "admin": 200}),
    "reports.version": ("GET", f"/konsultacje/{SLUG}/raport/wersje/1", ALWAYS(404)),  # never published
    "reports.manage": ("GET", f"/zespol/konsultacje/{SLUG}/raport", STAFF),
    "offline_comments.entries": ("GET", f"/zespol/konsultacje/{SLUG}/uwagi-spoza-serwisu", STAFF),
    "offline_comments.edit": ("GET", f"/zespol/konsultacje/{SLUG}/uwagi-spoza-serwisu/{{entry_id}}", STAFF),
    "offline_comments.remove": ("POST", f"/zespol/konsultacje/{SLUG}/uwagi-spoza-serwisu/{{entry_id}}/usun",
                                {**STAFF, "moderator": 303, "admin": 303}),  # deleted (before the report)
    "reports.publish": ("POST", f"/zespol/konsultacje/{SLUG}/raport/publikacja", STAFF),  # refused, re-shown: no summary
    "reports.unpublish": ("POST", f"/zespol/konsultacje/{SLUG}/raport/wycofanie", {**STAFF, "moderator": 303, "admin": 303}),
    "final_document.manage": ("GET", f"/zespol/konsultacje/{SLUG}/wersja-koncowa", STAFF),
    "final_document.link_changes": ("POST", f"/zespol/konsultacje/{SLUG}/wersja-koncowa/paragraf/1/uwagi",
                                    {**STAFF, "moderator": 404, "admin": 404}),  # no final version: § 1 not changed
    "final_document.changes": ("GET", f"/konsultacje/{SLUG}/zmiany", {**ALWAYS(404), "moderator": 200, "admin": 200}),  # report not published
    "documents.manage": ("GET", f"/zespol/konsultacje/{SLUG}/dokumenty", ADMIN_ONLY),
    "documents.add_document_link": ("POST", f"/zespol/konsultacje/{SLUG}/dokumenty/link", ADMIN_ONLY),  # no title: form re-shown
    "documents.download": ("GET", f"/konsultacje/{SLUG}/dokumenty/{{document_id}}", ALWAYS(404)),  # the demo's documents are links
    "documents.move": ("POST", f"/zespol/konsultacje/{SLUG}/dokumenty/{{document_id}}/przesun", {**ADMIN_ONLY, "admin": 400}),  # no direction
    "staff_groups.groups": ("GET", f"/zespol/konsultacje/{SLUG}/grupy", ADMIN_ONLY),
    "staff_groups.edit_group": ("GET", f"/zespol/konsultacje/{SLUG}/grupy/{{group_id}}", ADMIN_ONLY),
    "staff_groups.delete_group": ("POST", f"/zespol/konsultacje/{SLUG}/grupy/{{group_id}}/usun", {**ADMIN_ONLY, "admin": 303}),  # refused: has a registration
    "staff_groups.meetings": ("GET", f"/zespol/konsultacje/{SLUG}/spotkania", ADMIN_ONLY),
    "staff_groups.edit_meeting": ("GET", f"/zespol/konsultacje/{SLUG}/spotkania/{{meeting_id}}", ADMIN_ONLY),
    "staff.consultations": ("GET", "/zespol/konsultacje", STAFF),
    "staff.new_consultation": ("GET", "/zespol/konsultacje/nowa", ADMIN_ONLY),
    "staff.edit_consultation": ("GET", f"/zespol/konsultacje/{SLUG}/edycja", ADMIN_ONLY),
    "staff.set_status": ("POST", f"/zespol/konsultacje/{SLUG}/publikacja", {**ADMIN_ONLY, "admin": 400}),  # no status
    "staff.phases": ("GET", f"/zespol/konsultacje/{SLUG}/etapy", ADMIN_ONLY),
    "staff.edit_phase": ("GET", f"/zespol/konsultacje/{SLUG}/etapy/{{phase_id}}", ADMIN_ONLY),
    "retention.overview": ("GET", "/zespol/retencja", ADMIN_ONLY),
    "accounts.sign_up": ("GET", "/rejestracja", {**ALWAYS(302), "anonymous": 200}),
    "accounts.verify_email": ("GET", "/potwierdz-email", ALWAYS(400)),  # no token
    "accounts.login": ("GET", "/logowanie", PUBLIC),
    "accounts.logout": ("POST", "/wyloguj", ALWAYS(302)),
    "accounts.forgot_password": ("GET", "/nie-pamietam-hasla", PUBLIC),
    "accounts.reset_password": ("GET", "/nowe-haslo", ALWAYS(400)),  # no token
    "accounts.profile": ("GET", "/konto", SIGNED_IN),
    "accounts.resend_verification": ("POST", "/konto/wyslij-potwierdzenie", ALWAYS(302)),
    "accounts.change_password": ("GET", "/konto/haslo", SIGNED_IN),
    "accounts.change_email": ("GET", "/konto/email", SIGNED_IN),
    "accounts.export_data": ("GET", "/konto/moje-dane.json", SIGNED_IN),
    "accounts.data_summary": ("GET", "/konto/moje-dane", SIGNED_IN),
    "accounts.my_activity": ("GET", "/konto/moje-uwagi", SIGNED_IN),
    "registration_data.request_data": ("GET", "/moje-zgloszenia/dane", PUBLIC),
    "registration_data.download": ("GET", "/moje-zgloszenia/dane/pobierz", ALWAYS(400)),  # no token
    "registration_links.resend": ("GET", "/zgloszenie/wyslij-link", PUBLIC),
    "accounts.delete_account": ("GET", "/konto/usun", SIGNED_IN),
    "admin_users.list_users": ("GET", "/admin/uzytkownicy", ADMIN_ONLY),
    "admin_users.user_detail": ("GET", "/admin/uzytkownicy/{user_id}", ADMIN_ONLY),
    "admin_users.change_role": ("POST", "/admin/uzytkownicy/{user_id}/rola", ADMIN_ONLY),
    "admin_users.set_trusted": ("POST", "/admin/uzytkownicy/{user_id}/zaufany", ADMIN_ONLY),
    "admin_users.block_user": ("POST", "/admin/uzytkownicy/{user_id}/blokada", ADMIN_ONLY),
    "admin_users.unblock_user": ("POST", "/admin/uzytkownicy/{user_id}/odblokowanie", ADMIN_ONLY),
    "admin_users.verify_organisation": ("POST", "/admin/organizacje/{organisation_id}/weryfikacja", ADMIN_ONLY),
    # keep last: the admin's empty POST really deletes the document / the meeting
    "documents.delete": ("POST", f"/zespol/konsultacje/{SLUG}/dokumenty/{{document_id}}/usun", {**ADMIN_ONLY, "admin": 303}),
    "staff_groups.delete_meeting": ("POST", f"/zespol/konsultacje/{SLUG}/spotkania/{{meeting_id}}/usun", {**ADMIN_ONLY, "admin": 303}),
    "staff.delete_phase": ("POST", f"/zespol/konsultacje/{SLUG}/etapy/{{phase_id}}/usun", {**ADMIN_ONLY, "admin": 303}),
}
