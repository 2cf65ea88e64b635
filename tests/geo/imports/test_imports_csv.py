"""CSV uploads: columns, kinds, quartiers, coordinates, encodings and every per-row error code."""

from __future__ import annotations

import codecs

import pytest

from geo.errors import InvalidParameter
from geo.planning.imports import ROW_PROBLEMS, parse_upload
from tests.geo.imports.samples import csv_bytes, ll

LON, LAT = ll(500, 500)  # inside Faladjè
LON2, LAT2 = ll(1500, 300)  # inside Niaréla


def parse(data: bytes, quartiers, **kw):
    return parse_upload(data, "sites.csv", quartiers=quartiers, **kw)


def codes(parsed) -> list[tuple[str, str, str]]:
    return [(e.line, e.field, e.problem_code) for e in parsed.errors]


def test_valid_rows_become_editstore_rows(quartiers):
    parsed = parse(csv_bytes([["Pharmacie Kanu", "pharmacy", LAT, LON], ["École A", "school", LAT2, LON2]]), quartiers)
    assert parsed.format == "csv" and parsed.encoding == "utf-8" and parsed.errors == [] and parsed.total == 2
    first = parsed.rows[0]
    assert first["line"] == "line 2" and first["quartier_pcode"] is None
    assert first["lonlat"] == pytest.approx([LON, LAT], abs=1e-7)
    assert first["fields"] == {
        "kind": "pharmacy",
        "name": "Pharmacie Kanu",
        "location_precision": "exact",
        "sources": "import",
        "source_refs": "import:sites.csv:line 2",
    }


@pytest.mark.parametrize(
    "header", ["name,kind,lat,lon", "Nom,Type,Latitude,Longitude", "name,kind,y,x", "NAME,KIND,LAT,LNG"]
)
def test_coordinate_column_spellings(quartiers, header):
    parsed = parse(csv_bytes([["A", "school", LAT, LON]], header=header), quartiers)
    assert len(parsed.rows) == 1 and parsed.errors == []


@pytest.mark.parametrize(
    ("written", "kind"),
    [
        ("cscom", "cscom"),
        ("CSCOM", "cscom"),
        ("Centre de santé communautaire (CSCOM)", "cscom"),
        ("Centre de santé communautaire", "cscom"),
        ("Pharmacie", "pharmacy"),
        ("École", "school"),
        ("ecole", "school"),
        ("Jardin d'enfants", "kindergarten"),
        ("Collège / lycée", "college"),
        ("lycée", "college"),
        ("Terrain de sport", "sports_ground"),
        ("plateau_sportif", "plateau_sportif"),
        ("Plateau sportif", "plateau_sportif"),
        ("Stadium", "stadium"),
        ("health_other", "health_other"),
    ],
)
def test_kinds_accept_keys_and_labels(quartiers, written, kind):
    parsed = parse(csv_bytes([["A", f'"{written}"', LAT, LON]]), quartiers)
    assert [r["fields"]["kind"] for r in parsed.rows] == [kind]


def test_quartier_rows_are_placed_at_the_units_representative_point(quartiers):
    rep = quartiers.set_index("pcode").geometry.representative_point()["ML090101002"]
    data = csv_bytes(
        [["CSCOM X", "cscom", "Niarela"], ["CSCOM Y", "cscom", "ML090102001"], ["CSCOM Z", "cscom", "Faladjè"]],
        header="name,kind,quartier",
    )
    parsed = parse(data, quartiers)
    assert parsed.errors == []
    assert [r["quartier_pcode"] for r in parsed.rows] == ["ML090101002", "ML090102001", "ML090101001"]
    row = parsed.rows[0]
    assert row["lonlat"] == pytest.approx([rep.x, rep.y], abs=1e-7)
    assert row["fields"]["location_precision"] == "quartier"
    assert row["fields"]["quartier_declared"] == "Niarela"  # as written
    assert row["fields"]["commune_declared"] == "Commune I"  # from the located unit


def test_coordinates_win_over_a_quartier(quartiers):
    data = csv_bytes([["A", "school", LAT2, LON2, "Faladjè"]], header="name,kind,lat,lon,quartier")
    row = parse(data, quartiers).rows[0]
    assert row["quartier_pcode"] is None and row["fields"]["location_precision"] == "exact"
    assert row["fields"]["quartier_declared"] == "Faladjè"


def test_unknown_and_ambiguous_quartiers(quartiers):
    quartiers = quartiers.copy()
    quartiers.loc[quartiers["pcode"] == "ML090102001", "alt_name"] = "Niaréla"  # the name now exists in 2 communes
    data = csv_bytes(
        [["A", "school", "Nulle Part", ""], ["B", "school", "Niarela", ""], ["C", "school", "Niarela", "Commune II"]],
        header="name,kind,quartier,commune",
    )
    parsed = parse(data, quartiers)
    assert codes(parsed) == [
        ("line 2", "quartier", "unknown_quartier"),
        ("line 3", "quartier", "ambiguous_quartier"),
    ]
    assert [r["quartier_pcode"] for r in parsed.rows] == ["ML090102001"]


def test_every_row_error_code_names_line_and_field(quartiers):
    rows = [
        ["", "school", LAT, LON],  # line 2
        ["X" * 201, "school", LAT, LON],  # line 3
        ["A", "dispensaire", LAT, LON],  # line 4
        ["A", "school", "douze", LON],  # line 5
        ["A", "school", LON, LAT],  # line 6: swapped
        ["A", "school", 1_400_500, 600_500],  # line 7: UTM metres, no CRS
        ["A", "school", 14.0, -8.0],  # line 8: Mali but outside the District
        ["A", "school", "", ""],  # line 9: no position at all
        ["A", "school", LAT, ""],  # line 10: half a position
        ["A", "school", 95, LON],  # line 11: a latitude typo, not projected metres
        ["A", "school", LAT, -181],  # line 12
    ]
    parsed = parse(csv_bytes(rows), quartiers)
    assert codes(parsed) == [
        ("line 2", "name", "missing_name"),
        ("line 3", "name", "name_too_long"),
        ("line 4", "kind", "unknown_kind"),
        ("line 5", "coordinates", "unparseable_coordinates"),
        ("line 6", "coordinates", "swapped_coordinates"),
        ("line 7", "coordinates", "projected_without_crs"),
        ("line 8", "coordinates", "outside_district"),
        ("line 9", "coordinates", "missing_coordinates"),
        ("line 10", "coordinates", "unparseable_coordinates"),
        ("line 11", "coordinates", "coordinates_out_of_range"),
        ("line 12", "coordinates", "coordinates_out_of_range"),
    ]
    assert parsed.rows == []
    assert {e.problem_code for e in parsed.errors} <= set(ROW_PROBLEMS)
    assert "dispensaire" in parsed.errors[2].message and "cscom" in parsed.errors[2].message
    assert parsed.errors[4].message.startswith("latitude")
    assert parsed.errors[9].message == "latitude 95.0 is beyond ±90°" and "projected" not in parsed.errors[9].message
    assert parsed.errors[10].message == "longitude -181.0 is beyond ±180°"


def test_a_row_reports_all_its_problems_and_is_left_out_whole(quartiers):
    parsed = parse(csv_bytes([["", "??", "abc", "def"], ["Ok", "school", LAT, LON]]), quartiers)
    assert codes(parsed) == [
        ("line 2", "name", "missing_name"),
        ("line 2", "kind", "unknown_kind"),
        ("line 2", "coordinates", "unparseable_coordinates"),
    ]
    assert [r["line"] for r in parsed.rows] == ["line 3"]


def test_optional_attributes_use_the_editors_rules(quartiers):
    header = "name,kind,lat,lon,beds,operator_type,opening_hours,note"
    data = csv_bytes(
        [
            ["A", "clinic", LAT, LON, "12", "privé", "Mo-Fr 08:00-18:00", "ok"],
            ["B", "clinic", LAT, LON, "-1", "", "", ""],
            ["C", "clinic", LAT, LON, "2.5", "", "", ""],
            ["D", "clinic", LAT, LON, "", "martien", "", ""],
            ["E", "clinic", LAT, LON, "", "", "x" * 201, ""],
        ],
        header=header,
    )
    parsed = parse(data, quartiers)
    assert parsed.rows[0]["fields"] | {} == {
        "kind": "clinic",
        "name": "A",
        "location_precision": "exact",
        "sources": "import",
        "source_refs": "import:sites.csv:line 2",
        "beds": 12,
        "operator_type": "private",
        "opening_hours": "Mo-Fr 08:00-18:00",
        "note": "ok",
    }
    assert {e.problem_code for e in parsed.errors} <= set(ROW_PROBLEMS)
    assert codes(parsed) == [
        ("line 3", "beds", "negative"),
        ("line 4", "beds", "not_integer"),
        ("line 5", "operator_type", "unknown_value"),
        ("line 6", "opening_hours", "text_too_long"),
    ]


def test_control_characters_in_a_name_are_refused_like_the_editor_does(quartiers):
    parsed = parse(csv_bytes([["Bad\x07name", "school", LAT, LON]]), quartiers)
    assert codes(parsed) == [("line 2", "name", "control_characters")]


def test_names_are_kept_as_typed_and_markup_is_not_interpreted(quartiers):
    name = '"<script>alert(1)</script>"'
    parsed = parse(csv_bytes([[name, "school", LAT, LON]]), quartiers)
    assert parsed.rows[0]["fields"]["name"] == "<script>alert(1)</script>"


def test_unknown_columns_are_ignored_and_never_copied(quartiers):
    header = "name,kind,lat,lon,deviceid,phonenumber,Name of data collector"
    parsed = parse(
        csv_bytes([["A", "school", LAT, LON, "356938035643809", "+22376000000", "Moussa"]], header), quartiers
    )
    assert parsed.ignored_columns == ["deviceid", "phonenumber", "Name of data collector"]
    text = repr(parsed.to_dict()["rows"])
    assert "356938035643809" not in text and "+22376000000" not in text and "Moussa" not in text


@pytest.mark.parametrize("sep", [";", "\t", ","])
def test_delimiters_and_decimal_commas(quartiers, sep):
    lat, lon = f"{LAT:.6f}", f"{LON:.6f}"
    if sep == ";":
        lat, lon = lat.replace(".", ","), lon.replace(".", ",")
    parsed = parse(csv_bytes([["A", "school", lat, lon]], sep=sep), quartiers)
    assert parsed.errors == [] and parsed.rows[0]["lonlat"] == pytest.approx([LON, LAT], abs=1e-6)


def test_degrees_minutes_seconds_are_read(quartiers):
    def dms(value: float, pos: str, neg: str) -> str:
        hemi = pos if value >= 0 else neg
        value = abs(value)
        d, m = int(value), int(value * 60 % 60)
        s = value * 3600 - d * 3600 - m * 60
        return f"{d}°{m}'{s:.3f}\"{hemi}"

    data = csv_bytes([["A", "school", dms(LAT, "N", "S"), dms(LON, "E", "W")]], sep=";")
    parsed = parse(data, quartiers)
    assert parsed.errors == [] and parsed.rows[0]["lonlat"] == pytest.approx([LON, LAT], abs=1e-5)


def test_declared_crs_reprojects_xy(quartiers):
    data = csv_bytes([["A", "school", 1_400_500, 600_500]], header="name,kind,y,x")
    parsed = parse(data, quartiers, crs="EPSG:32629")
    assert parsed.errors == [] and parsed.source_crs == "EPSG:32629"
    assert parsed.rows[0]["lonlat"] == pytest.approx(list(ll(500, 500)), abs=1e-7)


def test_unknown_declared_crs_is_a_clear_error(quartiers):
    with pytest.raises(InvalidParameter) as info:
        parse(csv_bytes([["A", "school", 1, 2]]), quartiers, crs="EPSG:999999")
    assert info.value.code == "unknown_crs"


def test_line_numbers_count_physical_lines(quartiers):
    text = f'name,kind,lat,lon,note\n\nA,school,{LAT},{LON},"deux\nlignes"\n,school,{LAT},{LON},\n'
    parsed = parse(text.encode(), quartiers)
    assert parsed.rows[0]["line"] == "line 3" and parsed.rows[0]["fields"]["note"] == "deux\nlignes"
    assert codes(parsed) == [("line 5", "name", "missing_name")]


@pytest.mark.parametrize(
    ("encoding", "label"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8 (BOM)"), ("cp1252", "cp1252"), ("utf-16", "utf-16")],
)
def test_encodings_are_detected_and_reported(quartiers, encoding, label):
    parsed = parse(csv_bytes([["Faladjè Écoles – “A”", "école", LAT, LON]], encoding=encoding), quartiers)
    assert parsed.encoding == label
    assert parsed.rows[0]["fields"]["name"] == "Faladjè Écoles – “A”"
    assert parsed.rows[0]["fields"]["kind"] == "school"


def test_single_byte_text_is_read_as_windows_1252(quartiers):
    data = f"name,kind,lat,lon\nA\xa0B – Ségou,school,{LAT},{LON}\n".encode("cp1252")
    parsed = parse(data, quartiers)
    assert parsed.encoding == "cp1252" and parsed.rows[0]["fields"]["name"] == "A\xa0B – Ségou"


@pytest.mark.parametrize(
    "data",
    [
        b"name,kind,lat,lon\n\x00\x01\x02\x03binary",  # binary junk
        "name,kind,lat,lon\n".encode("utf-16-le"),  # UTF-16 without its BOM
        codecs.BOM_UTF16_LE + b"\x00\xd8",  # broken UTF-16
        b"name,kind\n\x81\x8d\x8f",  # control bytes in every single-byte reading
    ],
)
def test_wrong_encodings_are_refused_clearly(quartiers, data):
    with pytest.raises(InvalidParameter) as info:
        parse(data, quartiers)
    assert info.value.parameter == "file" and info.value.code == "bad_encoding"
    assert "sites.csv" in info.value.message


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty_file"),
        (b"\n\n  \n", "empty_file"),
        (b"nom;quartier_pcode\nA;B\n", "missing_columns"),
        (b"name,kind,comment\nA,school,x\n", "missing_columns"),
        (b'name,kind,lat,lon\n"unterminated,school,1,2\n' + b"x" * 200_000, "bad_csv"),
    ],
)
def test_malformed_csv_files(quartiers, data, code):
    with pytest.raises(InvalidParameter) as info:
        parse(data, quartiers)
    assert info.value.code == code


def test_header_only_gives_no_rows(quartiers):
    parsed = parse(b"name,kind,lat,lon\n", quartiers)
    assert parsed.rows == [] and parsed.errors == [] and parsed.total == 0


def test_ragged_rows_are_padded(quartiers):
    parsed = parse(f"name,kind,lat,lon,note\nA,school,{LAT},{LON}\n".encode(), quartiers)
    assert len(parsed.rows) == 1 and "note" not in parsed.rows[0]["fields"]


def test_district_argument_narrows_the_area(quartiers):
    import geopandas as gpd
    from shapely.geometry import box

    from tests.conftest import X0, Y0

    west = gpd.GeoSeries([box(X0, Y0, X0 + 1000, Y0 + 1000)], crs="EPSG:32629")
    parsed = parse(csv_bytes([["A", "school", LAT, LON], ["B", "school", LAT2, LON2]]), quartiers, district=west)
    assert [r["line"] for r in parsed.rows] == ["line 2"]
    assert codes(parsed) == [("line 3", "coordinates", "outside_district")]


def test_parsed_import_is_json_serialisable(quartiers):
    import json

    parsed = parse(csv_bytes([["A", "school", LAT, LON], ["", "x", "", ""]]), quartiers)
    back = json.loads(json.dumps(parsed.to_dict()))
    assert back["rows"][0]["fields"]["name"] == "A" and back["errors"][0]["problem_code"] == "missing_name"
