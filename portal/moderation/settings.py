"""Admin: a consultation's moderation setting (who waits for approval) and report threshold."""
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from wtforms import IntegerField, RadioField
from wtforms.validators import InputRequired, NumberRange

from portal import audit, permissions
from portal.consultations.models import ModerationMode
from portal.consultations.lookup import consultation_or_404
from portal.forms import Form, validates_own_csrf


MODE_LABELS = {
    ModerationMode.ALL: _l("Wszystkie uwagi uczestników czekają na zatwierdzenie (moderacja wstępna)"),
    ModerationMode.UNTRUSTED: _l("Czekają tylko uwagi osób, które nie są oznaczone jako zaufane"),
    ModerationMode.NONE: _l("Uwagi pojawiają się od razu (moderatorzy mogą je później ukryć)"),
}


class SettingsForm(Form):
    moderation_mode = RadioField(_l("Moderacja uwag"), choices=[(m.value, label) for m, label in MODE_LABELS.items()],
                                 validators=[InputRequired(_l("Wybierz sposób moderacji."))])
    flag_threshold = IntegerField(_l("Po ilu zgłoszeniach różnych osób ukryć uwagę do decyzji moderatora"),
                                  validators=[InputRequired(_l("Podaj liczbę od 1 do 50.")),
                                              NumberRange(1, 50, _l("Podaj liczbę od 1 do 50."))])


@permissions.require(permissions.is_admin)
@validates_own_csrf
def edit(slug: str):
    consultation = consultation_or_404(slug, public=False)
    form = SettingsForm(moderation_mode=consultation.moderation_mode.value,
                        flag_threshold=consultation.flag_threshold)
    if form.validate_on_submit():
        before = {"moderation_mode": consultation.moderation_mode.value, "flag_threshold": consultation.flag_threshold}
        consultation.moderation_mode = ModerationMode(form.moderation_mode.data)
        consultation.flag_threshold = form.flag_threshold.data
        after = {"moderation_mode": consultation.moderation_mode.value, "flag_threshold": consultation.flag_threshold}
        if after != before:
            audit.record(current_user, "moderation_settings_changed", consultation, "", before=before, after=after)
        flash(_("Zapisano ustawienia moderacji."), "success")
        return redirect(url_for("moderation_settings.edit", slug=slug))
    return render_template("moderation/settings.html", consultation=consultation, form=form), form.status()
