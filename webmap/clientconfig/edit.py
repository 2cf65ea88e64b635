"""What the planners' editing scripts are told: role, API addresses, vocabularies and translated texts.

The map page loads ``webmap/static/edit.js`` only for a planner signed in with a
session (role editor or admin); the import page loads ``imports.js``. Neither
script holds user-visible text: it all comes from here, translated for the
request's language, and reaches the page as JSON through ``|tojson``. The
CSRF token is not in this config: the scripts read ``<meta name="csrf-token">``.

Anonymous map pages are cached for every visitor (webmap/pagecache.py);
:func:`editing_enabled` is False for them, so nothing of this reaches the cache.
"""

from __future__ import annotations

from flask import request, session, url_for
from flask_babel import gettext as _

from geo.planning.edits.validate import CHOICES, NUMERIC_MAX, REASON_MAX, TEXT_MAX
from geo.planning.imports import MAX_BYTES, MAX_ROWS
from geo.vocabulary import CONFIDENCE_LABELS, GROUP_LABELS, KINDS, OPERATOR_LABELS, PRECISION_LABELS, Text
from webmap import auth, edit_messages
from webmap.clientconfig.map import kind_label, language
from webmap.snapshot import snapshot

#: Fields named in the editor's conflict table and the import preview (labels from webmap.edit_messages).
LABELLED_FIELDS = (
    "name", "kind", "location_precision", "lonlat", "lon", "lat", "quartier_pcode", "quartier", "commune",
    "operator_type", "beds", "doctors", "nurses", "pupils", "opening_hours", "confidence", "note", "reason", "file",
)  # fmt: skip
#: Problems the browser finds itself before sending (the server's answers carry their own messages).
CLIENT_PROBLEMS = (
    ("name_required", "name"),
    ("kind_required", "kind"),
    ("position_required", "lonlat"),
    ("bad_coordinates", "lonlat"),
    ("reason_required", "reason"),
    ("file_too_large", "file"),
)


def editing_enabled() -> bool:
    """Return True when a planner (editor or admin) is signed in with a session cookie.

    A Bearer-token request is a script, not a person at the map: it gets the
    public page. The page of an anonymous visitor is never built with editing.
    """
    if auth.bearer_token() is not None or not session.get("user"):
        return False
    user = auth.current_user()
    return user is not None and user.has_role("editor")


def _options(labels: dict[str, Text], allowed: tuple[str, ...]) -> list[dict[str, str]]:
    return [{"key": k, "label": labels[k](language()) if k in labels else k} for k in allowed]


def _kind_options() -> list[dict]:
    groups = []
    for group, label in GROUP_LABELS.items():
        kinds = [{"key": k.key, "label": kind_label(k.key)} for k in KINDS.values() if k.group == group]
        if kinds:
            groups.append({"group": label(language()), "kinds": kinds})
    return groups


def _quartiers() -> list[dict[str, str]]:
    q = snapshot().atlas.layers["quartiers"]
    rows = [
        {"pcode": p, "name": n, "commune": c} for p, n, c in zip(q["pcode"], q["name"], q["commune_name"], strict=True)
    ]
    return sorted(rows, key=lambda r: (r["commune"], r["name"]))


def problems() -> dict[str, str]:
    """Return the texts of the problems the scripts find themselves, in the request's language."""
    return {code: edit_messages.message(code, field) for code, field in CLIENT_PROBLEMS}


def field_labels() -> dict[str, str]:
    """Return the fields' names as planners read them, capitalised, plus ``position`` and ``coordinates``."""
    labels = {f: edit_messages.field_label(f) for f in LABELLED_FIELDS}
    labels["position"] = labels["coordinates"] = labels["lonlat"]  # import rows name their position "coordinates"
    return {k: v[:1].upper() + v[1:] for k, v in labels.items()}


def urls() -> dict[str, str]:
    """Return the addresses the editing scripts call."""
    return {
        "facilities": url_for("edit_api.create_facility"),
        "facility": url_for("edit_api.get_facility", facility_id="ID"),
        "merge": url_for("edit_api.merge_facilities"),
        "imports": url_for("edit_api.create_import"),
        "importCommit": url_for("edit_api.commit_import", import_id="ID"),
        "mapData": url_for("pages.map_data"),
        "map": url_for("pages.index"),
        "facilityPage": url_for("pages.facility", facility_id="ID"),
        "importPage": url_for("imports_page.page"),
        "history": url_for("history.page"),
        "login": url_for("auth.login", next=request.script_root + request.full_path.rstrip("?")),
    }


def strings() -> dict[str, str]:
    """Return the editing scripts' texts, translated."""
    return {
        "edit": _("Modifier"),
        "merge": _("Fusionner"),
        "new_title": _("Nouvel équipement"),
        "edit_title": _("Modifier l'équipement"),
        "merge_title": _("Fusionner un doublon"),
        "merge_intro": _(
            "Ces deux fiches décrivent probablement le même lieu. Choisissez celle à garder : "
            "l'autre est retirée et ses sources sont ajoutées à celle gardée."
        ),
        "saving": _("Enregistrement…"),
        "created": _("Équipement ajouté."),
        "saved": _("Modifications enregistrées."),
        "retired": _("Équipement retiré."),
        "merged": _("Fiches fusionnées."),
        "nothing": _("Aucune modification à enregistrer."),
        "reloaded_failed": _("Enregistré, mais la carte n'a pas pu être redessinée : rechargez la page."),
        "network": _("Le serveur n'a pas répondu. Vérifiez la connexion et réessayez."),
        "session_lost": _("Votre session a expiré : reconnectez-vous (vos saisies seront perdues)."),
        "login": _("Se connecter"),
        "check_fields": _("Corrigez les champs signalés."),
        "conflict": _(
            "Quelqu'un a modifié cet équipement pendant que vous l'éditiez. Voici ses valeurs actuelles : "
            "réappliquez vos modifications ou reprenez les valeurs actuelles."
        ),
        "conflict_field": _("Champ"),
        "conflict_current": _("Valeur actuelle"),
        "conflict_mine": _("Votre saisie"),
        "reapply": _("Réappliquer mes modifications"),
        "take_current": _("Reprendre les valeurs actuelles"),
        "retired_gone": _("Cet équipement a été retiré entre-temps."),
        "empty": _("(vide)"),
        "unnamed": _("(sans nom)"),
        "version": _("version"),
        "not_found": _("Équipement introuvable : il a peut-être été retiré."),
        "center_set": _("Position mise au centre de la carte."),
    }


def editor_config() -> dict | None:
    """Return the map page's editing config, or None when the visitor may not edit (see :func:`editing_enabled`)."""
    if not editing_enabled():
        return None
    user = auth.current_user()
    return {
        "user": user.name,
        "role": user.role,
        "lang": language(),
        "urls": urls(),
        "kinds": _kind_options(),
        "precisions": _options(PRECISION_LABELS, CHOICES["location_precision"]),
        "operators": _options(OPERATOR_LABELS, CHOICES["operator_type"]),
        "confidences": _options(CONFIDENCE_LABELS, CHOICES["confidence"]),
        "fieldLabels": field_labels(),
        "quartiers": _quartiers(),
        "limits": {"text": TEXT_MAX, "numbers": NUMERIC_MAX, "reason": REASON_MAX},
        "problems": problems(),
        "t": strings(),
    }


def import_config() -> dict:
    """Return the import page's config (the page itself checks the role)."""
    return {
        "lang": language(),
        "urls": urls(),
        "maxBytes": MAX_BYTES,
        "maxRows": MAX_ROWS,
        "kinds": {k: kind_label(k) for k in KINDS},
        "precisions": {k: v(language()) for k, v in PRECISION_LABELS.items()},
        "fieldLabels": field_labels(),
        "problems": problems(),
        "t": import_strings(),
    }


def import_strings() -> dict[str, str]:
    """Return the import page script's texts, translated."""
    return {
        "choose_file": _("Choisissez un fichier."),
        "line_n": _("ligne %(n)s"),
        "feature_n": _("objet %(n)s"),
        "uploading": _("Envoi et analyse du fichier…"),
        "committing": _("Ajout des équipements…"),
        "network": _("Le serveur n'a pas répondu. Vérifiez la connexion et réessayez."),
        "session_lost": _("Votre session a expiré : reconnectez-vous."),
        "summary_read": _("Lignes lues"),
        "summary_add": _("À ajouter"),
        "summary_dup": _("Doublons probables"),
        "summary_err": _("Lignes en erreur"),
        "format": _("Format"),
        "crs": _("Système de coordonnées"),
        "encoding": _("Encodage"),
        "licence": _("Licence"),
        "ignored": _("Colonnes ignorées"),
        "rows_title": _("Équipements à ajouter"),
        "roads_title": _("Voies de la couche de routes"),
        "highway": _("Classe (highway)"),
        "points": _("Points"),
        "commit_roads": _("Remplacer la couche de routes par ces voies"),
        "committed_roads": _("Import validé : la couche de routes compte %(n)s voie(s)."),
        "dups_title": _("Doublons probables d'équipements existants"),
        "dups_note": _(
            "Ces lignes ressemblent à un équipement existant (à moins de 50 m, nom proche) : "
            "elles ne sont ajoutées que si vous cochez la case ci-dessous."
        ),
        "errors_title": _("Erreurs par ligne"),
        "errors_note": _("Les lignes en erreur ne sont pas ajoutées : corrigez le fichier et importez-le de nouveau."),
        "line": _("Ligne"),
        "field": _("Champ"),
        "problem": _("Problème"),
        "value": _("Valeur"),
        "name": _("Nom"),
        "kind": _("Type"),
        "position": _("Position"),
        "matches": _("Équipement existant"),
        "meters": _("m"),
        "more_rows": _("… et %(n)s autres lignes (non affichées)."),
        "include_dups": _("Ajouter aussi les doublons probables"),
        "commit": _("Ajouter ces équipements (tout ou rien)"),
        "commit_none": _("Aucune ligne à ajouter."),
        "committed": _("Import validé : %(n)s équipement(s) ajouté(s)."),
        "see_map": _("Voir la carte"),
        "see_history": _("Voir l'historique"),
        "no_errors": _("Aucune erreur."),
        "none": _("Aucun."),
    }
