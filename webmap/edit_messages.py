"""Messages in the request's language for the stable problem codes of planner edits and imports.

``geo.planning.edits`` and ``geo.planning.imports`` raise :class:`geo.errors.InvalidParameter`
with a stable ``code`` (``name_required``, ``outside_district``, ``bad_csv`` …)
and an English message; import previews list :class:`geo.planning.imports.RowError`
records with a ``problem_code``. This module turns those codes into French
sentences (the source strings, English in the catalog), filled with the field's
label and the limit that applies. The library's own message stays available as
``detail``: it names the file, the line or the value.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from geo.errors import InvalidParameter
from geo.planning.edits.validate import CHOICES, ENVELOPE, NUMERIC_MAX, REASON_MAX, TEXT_MAX
from geo.planning.imports import MAX_BYTES, MAX_ROWS

#: Fields (body keys and facility columns) as named to planners.
FIELD_LABELS = {
    "kind": _l("type"),
    "name": _l("nom"),
    "location_precision": _l("précision de la position"),
    "commune_declared": _l("commune déclarée"),
    "quartier_declared": _l("quartier déclaré"),
    "operator_type": _l("gestionnaire"),
    "beds": _l("lits"),
    "doctors": _l("médecins"),
    "nurses": _l("infirmiers"),
    "opening_hours": _l("horaires"),
    "pupils": _l("élèves"),
    "confidence": _l("fiabilité de la position"),
    "note": _l("note"),
    "note_fr": _l("note en français"),
    "sources": _l("sources"),
    "source_refs": _l("références des sources"),
    "lon": _l("longitude"),
    "lat": _l("latitude"),
    "lonlat": _l("position"),
    "quartier_pcode": _l("quartier"),
    "quartier": _l("quartier"),
    "commune": _l("commune"),
    "confirm_outside": _l("confirmation hors du District"),
    "reason": _l("motif"),
    "status": _l("état"),
    "retired_reason": _l("motif du retrait"),
    "version": _l("version"),
    "keep_version": _l("version de l'équipement gardé"),
    "drop_version": _l("version de l'équipement retiré"),
    "keep_id": _l("équipement gardé"),
    "drop_id": _l("équipement retiré"),
    "file": _l("fichier"),
    "since": _l("depuis le"),
    "until": _l("jusqu'au"),
    "limit": _l("nombre de lignes"),
    "offset": _l("décalage"),
    "facility": _l("équipement"),
    "user": _l("utilisateur"),
    "action": _l("action"),
    "take": _l("valeur retenue"),
    "field": _l("champ"),
    "body": _l("corps de la requête"),
    "include_duplicates": _l("doublons inclus"),
    "feature": _l("objet"),
    "import": _l("import"),
}

#: Problem code → message. Placeholders: ``field`` (label), ``limit``, ``allowed``, ``mb``, ``rows``, ``lon``, ``lat``.
MESSAGES = {
    # geo.planning.edits.validate: fields
    "not_text": _l("%(field)s : du texte est attendu."),
    "control_characters": _l("%(field)s : les caractères de contrôle ne sont pas acceptés."),
    "name_too_long": _l("Le nom est trop long : %(limit)s caractères au plus."),
    "text_too_long": _l("%(field)s : texte trop long, %(limit)s caractères au plus."),
    "not_a_number": _l("%(field)s : un nombre est attendu."),
    "negative": _l("%(field)s : la valeur doit être positive ou nulle."),
    "not_integer": _l("%(field)s : un nombre entier est attendu."),
    "too_large": _l("%(field)s : valeur invraisemblable, %(limit)s au plus."),
    "unknown_kind": _l("Type d'équipement inconnu. Types possibles : %(allowed)s."),
    "unknown_precision": _l("Précision de la position inconnue. Valeurs possibles : %(allowed)s."),
    "unknown_value": _l("%(field)s : valeur non admise. Valeurs possibles : %(allowed)s."),
    "unknown_field": _l("%(field)s : ce champ n'existe pas ou ne peut pas être modifié."),
    "kind_required": _l("Le type d'équipement est obligatoire."),
    "name_required": _l("Le nom est obligatoire."),
    "reason_required": _l("Un motif est obligatoire."),
    "reason_too_long": _l("Le motif est trop long : %(limit)s caractères au plus."),
    "bad_coordinates": _l("Coordonnées illisibles : donnez la longitude et la latitude en degrés décimaux."),
    "coordinates_incomplete": _l("Donnez à la fois la longitude et la latitude."),
    "swapped_coordinates": _l("La longitude et la latitude semblent inversées."),
    "outside_district": _l(
        "Ce point est hors du District de Bamako. Confirmez pour le garder : il sera signalé comme hors du District."
    ),
    "unknown_quartier": _l("Quartier inconnu dans le District de Bamako."),
    "outside_envelope": _l(
        "Ce point est trop loin de Bamako (longitude %(lon)s, latitude %(lat)s au plus) : vérifiez les coordonnées."
    ),
    # geo.planning.edits.store, geo.planning.edits.state, geo.planning.edits.history
    "user_required": _l("L'auteur de la modification est obligatoire."),
    "bad_version": _l("%(field)s : un numéro de version (nombre entier, 1 ou plus) est attendu."),
    "version_required": _l(
        "%(field)s : la version modifiée est obligatoire (elle évite d'écraser une autre modification)."
    ),
    "facility_retired": _l("Cet équipement est retiré : il ne peut plus être modifié."),
    "position_required": _l("Une position est obligatoire : des coordonnées ou un quartier."),
    "same_facility": _l("Un équipement ne peut pas être fusionné avec lui-même."),
    "import_required": _l("L'identifiant de l'import est obligatoire."),
    "nothing_to_revert": _l("Rien à annuler : l'équipement est déjà retiré."),
    "no_conflict": _l("Aucun conflit sur ce champ."),
    "bad_date": _l("%(field)s : date attendue au format AAAA-MM-JJ."),
    "unknown_action": _l("Action inconnue. Valeurs possibles : %(allowed)s."),
    "out_of_range": _l("%(field)s : valeur hors des limites admises."),
    "too_many_planner_rows": _l(
        "La limite d'équipements ajoutés par les planificateurs est atteinte : retirez-en ou relevez la limite."
    ),
    # the web layer
    "bad_json": _l("Le corps de la requête n'est pas un objet JSON valide."),
    "body_too_large": _l("Le corps de la requête est trop volumineux."),
    "unsupported_media_type": _l("Envoyez le corps de la requête en JSON (Content-Type: application/json)."),
    "not_boolean": _l("%(field)s : true ou false est attendu."),
    "id_required": _l("%(field)s : un identifiant est attendu."),
    "file_required": _l("Aucun fichier reçu : envoyez-le dans le champ « file »."),
    # geo.planning.imports: the whole file
    "file_too_large": _l("Fichier trop volumineux : %(mb)s Mo au plus. Découpez-le."),
    "too_many_rows": _l("Trop de lignes : %(rows)s au plus par import. Découpez le fichier."),
    "empty_file": _l("Le fichier est vide."),
    "unknown_format": _l("Type de fichier inconnu : CSV, GeoJSON, GeoPackage ou OpenStreetMap (.osm, .osm.pbf)."),
    "bad_encoding": _l("Encodage du texte illisible : enregistrez le fichier en UTF-8."),
    "bad_csv": _l("Fichier CSV mal formé."),
    "missing_columns": _l("Colonnes manquantes : il faut le nom, le type et la latitude/longitude ou le quartier."),
    "invalid_json": _l("Le fichier n'est pas du JSON valide."),
    "invalid_geojson": _l("Le fichier n'est pas du GeoJSON valide (FeatureCollection ou Feature attendu)."),
    "unknown_crs": _l("Système de coordonnées inconnu."),
    "unreadable_geopackage": _l("GeoPackage illisible (fichier tronqué ou abîmé)."),
    "unsafe_geopackage": _l(
        "GeoPackage refusé : il contient des vues SQL ou des tables virtuelles. Enregistrez la couche en table simple."
    ),
    "geopackage_too_slow": _l("GeoPackage refusé : sa vérification a dépassé le temps accordé."),
    "unknown_layer": _l("Cette couche n'existe pas dans le GeoPackage."),
    "unreadable_osm": _l("Fichier OpenStreetMap illisible (fichier tronqué ou abîmé)."),
    "roads_need_osm": _l("Une couche de routes s'importe d'un extrait OpenStreetMap (.osm ou .osm.pbf)."),
    "no_roads": _l("Le fichier ne contient aucune voie highway=* dans le District."),
    "import_too_slow": _l("Import refusé : la lecture du fichier a dépassé le temps accordé. Découpez-le."),
    "import_too_large_in_memory": _l(
        "Import refusé : la lecture du fichier demande plus de mémoire que permis. Découpez-le."
    ),
    "import_reader_crashed": _l("Import refusé : la lecture du fichier s'est arrêtée (fichier abîmé ou trop lourd)."),
    "already_committed": _l("Cet import a déjà été validé."),
    "already_discarded": _l("Cet import a été abandonné."),
    "commit_running": _l("Cet import est en cours de validation."),
    # geo.planning.imports: one row (RowError.problem_code)
    "missing_name": _l("Le nom est vide."),
    "missing_coordinates": _l("Ni coordonnées ni quartier."),
    "unparseable_coordinates": _l("Coordonnées illisibles."),
    "projected_without_crs": _l("Coordonnées projetées sans système de coordonnées déclaré."),
    "coordinates_out_of_range": _l("Longitude au-delà de ±180° ou latitude au-delà de ±90°."),
    "ambiguous_quartier": _l("Ce nom de quartier existe dans plusieurs communes : ajoutez une colonne commune."),
    "invalid_feature": _l("Objet GeoJSON invalide (Feature attendu)."),
    "invalid_geometry": _l("Voie sans tracé (moins de deux nœuds)."),
}

#: History actions as shown to planners.
ACTION_LABELS = {
    "create": _l("ajout"),
    "update": _l("modification"),
    "move": _l("déplacement"),
    "retire": _l("retrait"),
    "merge": _l("fusion"),
    "revert": _l("annulation"),
    "resolve": _l("conflit réglé"),
}

#: Problems of :meth:`geo.planning.edits.EditStore.conflicts` entries.
CONFLICT_LABELS = {
    "source_changed": _l("la source a changé une valeur corrigée"),
    "vanished": _l("l'équipement a disparu des sources"),
}

_ROW_PREFIX = re.compile(r"^rows\[\d+\]\.")
_LINE = re.compile(r"^(line|feature) (\d+)$")


def base_field(field: str | None) -> str:
    """Return ``field`` without the ``rows[i].`` prefix of a bulk write."""
    return _ROW_PREFIX.sub("", field or "")


def field_label(field: str | None) -> str:
    """Return the planner-facing name of ``field`` (the key itself when unknown)."""
    key = base_field(field)
    label = FIELD_LABELS.get(key)
    return str(label) if label is not None else key


def _allowed(code: str, field: str) -> str:
    if code == "unknown_kind":
        return ", ".join(CHOICES["kind"])
    if code == "unknown_precision":
        return ", ".join(CHOICES["location_precision"])
    if code == "unknown_action":
        from geo.planning.edits.history import ACTIONS

        return ", ".join(ACTIONS)
    if code == "unknown_value" and field == "take":
        return "planner, source"
    return ", ".join(v for v in CHOICES.get(field, ()) if v)


def _limit(code: str, field: str) -> Any:
    if code == "name_too_long":
        return TEXT_MAX["name"]
    if code == "reason_too_long":
        return REASON_MAX
    if code == "text_too_long":
        return TEXT_MAX.get(field, "")
    if code == "too_large":
        return NUMERIC_MAX.get(field, "")
    return ""


def message(code: str, field: str | None = None, *, default: str = "") -> str:
    """Return the message for problem ``code`` about ``field`` in the request's language.

    Unknown codes return ``default`` (the library's English message), so a new
    code shows something readable before it is translated.
    """
    template = MESSAGES.get(code)
    if template is None:
        return default
    key = base_field(field)
    values = {
        "field": field_label(field),
        "limit": _limit(code, key),
        "allowed": _allowed(code, key),
        "mb": MAX_BYTES // (1024 * 1024),
        "rows": f"{MAX_ROWS:,}".replace(",", " "),
        "lon": f"{ENVELOPE[0]:g}…{ENVELOPE[2]:g}",
        "lat": f"{ENVELOPE[1]:g}…{ENVELOPE[3]:g}",
    }
    text = str(template) % values
    return text[:1].upper() + text[1:]


def describe(exc: InvalidParameter) -> dict[str, str]:
    """Return the JSON description of a validation error: code, field, message and the library's detail."""
    return {
        "code": exc.code,
        "field": exc.parameter,
        "message": message(exc.code, exc.parameter, default=str(exc)),
        "detail": str(exc),
    }


def line_label(line: str) -> str:
    """Return a row reference of an import ("line 12", "feature 3", "osm:node/1") in the request's language."""
    found = _LINE.match(line or "")
    if found is None:
        return line
    if found.group(1) == "line":
        return _("ligne %(n)s", n=found.group(2))
    return _("objet %(n)s", n=found.group(2))


def row_error(error: dict[str, Any]) -> dict[str, Any]:
    """Return an import row error (``RowError.to_dict()``) with its message in the request's language."""
    code, field = error.get("problem_code", ""), error.get("field", "")
    return {
        **error,
        "line_label": line_label(error.get("line", "")),
        "field_label": field_label(field),
        "message": message(code, field, default=error.get("message", "")),
        "detail": error.get("message", ""),
    }


def action_label(action: str) -> str:
    """Return a history action (``create``, ``retire`` …) in the request's language."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def conflict_label(problem: str) -> str:
    """Return a conflict problem (``source_changed``, ``vanished``) in the request's language."""
    label = CONFLICT_LABELS.get(problem)
    return str(label) if label is not None else problem
