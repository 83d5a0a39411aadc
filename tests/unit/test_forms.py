"""Task forms as staff meet them: which fields a form has, what each takes, what it refuses and the words it uses."""

from datetime import date

import pytest

from engine.kernel.calendar import WorkingCalendar
from engine.kernel.errors import InvalidInput
from engine.notation import forms

MONDAY = date(2026, 3, 16)  # a working day in Baku
SATURDAY = date(2026, 3, 21)  # Novruz: days off until Tuesday 31 March


def form(*components):
    return {"components": list(components)}


def refused(form_, data, today=MONDAY, calendar=None):
    """The errors per field of a refused submission (it must be refused)."""
    with pytest.raises(InvalidInput) as error:
        forms.validate_data(form_, data, today=today, calendar=calendar)
    return error.value.errors


def taken(form_, data, today=MONDAY, calendar=None):
    return forms.validate_data(form_, data, today=today, calendar=calendar)


# --- the fields of a form ---------------------------------------------------------------------------------------


def test_fields_inside_groups_and_lists_are_fields_of_the_form_in_display_order():
    """Groups and dynamic lists only arrange fields; text, buttons and fields without a key take nothing."""
    nested = form(
        {"type": "text", "text": "Read this first", "key": "intro"},
        {"type": "textfield", "key": "a"},
        {"type": "group", "components": [{"type": "textarea", "key": "b"}, {"type": "group"}]},
        {"type": "dynamiclist", "components": [{"type": "number", "key": "c"}]},
        {"type": "button", "key": "submit"},
        {"type": "checkbox"},
        {"type": "select", "key": ""},
        {"type": "radio", "key": "d"},
    )
    assert [c["key"] for c in forms.components(nested)] == ["a", "b", "c", "d"]
    assert list(forms.components({})) == []


@pytest.mark.parametrize(
    ("kind", "value", "typed"),
    [
        ("textfield", "x", "x"),
        ("textarea", "x\ny", "x\ny"),
        ("number", "2.5", 2.5),
        ("checkbox", "true", True),
        ("radio", "a", "a"),
        ("select", "a", "a"),
        ("checklist", ["a"], ["a"]),
        ("taglist", ["a"], ["a"]),
        ("datetime", "2026-03-16", "2026-03-16"),
    ],
)
def test_every_input_kind_of_form_js_takes_its_value(kind, value, typed):
    """Each of the nine input kinds is a field: its value is taken, typed, not refused as unknown."""
    field = {"type": kind, "key": "f", "values": [{"value": "a"}, {"value": "b"}]}
    assert taken(form(field), {"f": value}) == {"f": typed}


def test_free_text_fields_are_the_text_fields_and_text_areas_only():
    """Only where staff type free text is sealed in the history; a task without a form has none."""
    mixed = form(
        {"type": "textfield", "key": "name"},
        {"type": "select", "key": "mode", "values": []},
        {"type": "group", "components": [{"type": "textarea", "key": "notes"}]},
        {"type": "number", "key": "amount"},
    )
    assert forms.free_text_keys(mixed) == ["name", "notes"]
    assert forms.free_text_keys(None) == []


# --- a form's JSON, checked on upload ---------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [None, [], "form", {"components": None}, {"components": {}}, {}])
def test_a_json_that_is_no_form_js_form_is_refused_with_the_reason(bad):
    assert forms.check_form(bad) == "is not a form-js form (an object with a 'components' list)"


def test_a_hide_condition_outside_the_feel_subset_is_refused_naming_the_field():
    hidden = {"type": "textfield", "key": "why", "conditional": {"hide": "=mode $ 1"}}
    assert forms.check_form(form(hidden)) == "field 'why': condition '=mode $ 1' is not supported"
    no_feel = {"type": "textfield", "key": "why", "conditional": {"hide": "mode = 1"}}
    assert forms.check_form(form(no_feel)) == "field 'why': condition 'mode = 1' is not supported"


def test_a_form_with_supported_or_no_conditions_is_taken():
    assert forms.check_form(form({"type": "textfield", "key": "a", "conditional": {"hide": '=b = "x"'}})) is None
    assert forms.check_form(form({"type": "textfield", "key": "a", "conditional": None})) is None
    assert forms.check_form(form({"type": "textfield", "key": "a", "conditional": {"hide": ""}})) is None
    assert forms.check_form(form()) is None


# --- contacts -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("1234567", True),  # 7 digits: the shortest number
        ("123456", False),
        ("+123456789012345", True),  # 15 digits: the longest E.164 number
        ("1234567890123456", False),
        ("1 2 3 4 5 6 7 8 9 0", True),  # 19 characters
        ("12 34 56 78 90 12 34", True),  # 20 characters: the longest written form
        ("12 34 56 78 90 12 345", False),  # 21 characters
        ("+994 (50) 555-12-34", True),
        ("994+505551234", False),
        ("phone 5551234", False),
    ],
)
def test_a_phone_number_has_7_to_15_digits_in_at_most_20_characters(value, ok):
    phone = form({"type": "textfield", "key": "p", "validate": {"validationType": "phone"}})
    if ok:
        assert taken(phone, {"p": value}) == {"p": value}
    else:
        assert refused(phone, {"p": value}) == {"p": ["Not a valid phone number."]}


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("aysel@example.az", True),
        ("a.b+c@mail.example.az", True),
        ("aysel@example", False),
        ("aysel@@example.az", False),
        (" aysel@example.az", False),
    ],
)
def test_an_e_mail_field_takes_whole_addresses_only(value, ok):
    mail = form({"type": "textfield", "key": "m", "validate": {"validationType": "email"}})
    if ok:
        assert taken(mail, {"m": value}) == {"m": value}
    else:
        assert refused(mail, {"m": value}) == {"m": ["Not a valid e-mail address."]}


def test_a_plain_text_field_does_not_check_contacts():
    assert taken(form({"type": "textfield", "key": "t"}), {"t": "not a phone"}) == {"t": "not a phone"}
    other = {"type": "textfield", "key": "t", "validate": {"validationType": "other"}}
    assert taken(form(other), {"t": "neither@"}) == {"t": "neither@"}


# --- text -------------------------------------------------------------------------------------------------------


def test_text_at_its_maximum_length_is_taken_and_one_character_more_is_refused():
    short = form({"type": "textfield", "key": "t", "validate": {"maxLength": 5}})
    assert taken(short, {"t": "12345"}) == {"t": "12345"}
    assert refused(short, {"t": "123456"}) == {"t": ["Longer than maximum length 5."]}


def test_text_shorter_than_its_minimum_is_refused():
    ranged = form({"type": "textarea", "key": "t", "validate": {"minLength": 2, "maxLength": 5}})
    assert taken(ranged, {"t": "12"}) == {"t": "12"}
    assert refused(ranged, {"t": "1"}) == {"t": ["Length must be between 2 and 5."]}


@pytest.mark.parametrize("rules", [{}, {"maxLength": 20_000}, {"maxLength": 0}])
def test_no_text_field_takes_more_than_10_000_characters_whatever_the_form_says(rules):
    text = form({"type": "textarea", "key": "t", "validate": rules})
    assert taken(text, {"t": "x" * 10_000}) == {"t": "x" * 10_000}
    assert refused(text, {"t": "x" * 10_001}) == {"t": ["Longer than maximum length 10000."]}


def test_a_text_field_is_one_line_and_a_text_area_may_have_many():
    lines = "first\nsecond"
    assert refused(form({"type": "textfield", "key": "t"}), {"t": lines}) == {"t": ["Must be on one line."]}
    assert taken(form({"type": "textarea", "key": "t"}), {"t": lines}) == {"t": lines}


def test_a_pattern_applies_to_the_whole_value():
    coded = form({"type": "textfield", "key": "code", "validate": {"pattern": "[A-Z]{2}[0-9]{3}"}})
    assert taken(coded, {"code": "AZ123"}) == {"code": "AZ123"}
    for wrong in ("AZ1234", "xAZ123", "AZ12"):
        assert refused(coded, {"code": wrong}) == {"code": ["Does not match the expected format."]}
    assert taken(form({"type": "textfield", "key": "c", "validate": {"pattern": ""}}), {"c": "any"}) == {"c": "any"}


# --- required, blank and unknown values ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field",
    [
        {"type": "textfield", "key": "f"},
        {"type": "number", "key": "f"},
        {"type": "datetime", "key": "f"},
        {"type": "select", "key": "f", "values": [{"value": "a"}]},
        {"type": "checklist", "key": "f", "values": [{"value": "a"}]},
    ],
)
def test_a_required_field_left_blank_is_refused_and_an_optional_one_is_left_out(field):
    required = dict(field, validate={"required": True})
    for blank in ({}, {"f": None}, {"f": ""}, {"f": "  \t"}):
        assert refused(form(required), blank) == {"f": ["Missing data for required field."]}
        assert taken(form(field), blank) == {}
    assert taken(form(dict(field, validate={"required": False})), {}) == {}


def test_an_unticked_checkbox_is_false_and_ticks_are_read_as_the_client_sends_them():
    box = form({"type": "checkbox", "key": "urgent"})
    assert taken(box, {}) == {"urgent": False}
    assert taken(box, {"urgent": False}) == {"urgent": False}
    assert taken(box, {"urgent": True}) == {"urgent": True}
    assert taken(box, {"urgent": 0}) == {"urgent": False}


def test_numbers_outside_the_form_s_range_are_refused():
    amount = form({"type": "number", "key": "n", "validate": {"min": 1, "max": 5}})
    assert taken(amount, {"n": 1}) == {"n": 1.0} and taken(amount, {"n": "5"}) == {"n": 5.0}
    message = "Must be greater than or equal to 1 and less than or equal to 5."
    assert refused(amount, {"n": 0.5}) == {"n": [message]}
    assert refused(amount, {"n": 6}) == {"n": [message]}
    assert refused(amount, {"n": "many"}) == {"n": ["Not a valid number."]}


@pytest.mark.parametrize("kind", ["radio", "select"])
def test_a_choice_must_be_one_of_the_form_s_values_even_numeric_ones(kind):
    choice = form({"type": kind, "key": "r", "values": [{"value": 1}, {"value": "b"}]})
    assert taken(choice, {"r": "1"}) == {"r": "1"}
    assert refused(choice, {"r": "c"}) == {"r": ["Must be one of: 1, b."]}
    tags = form({"type": "taglist", "key": "t", "values": [{"value": "a"}, {"value": "b"}]})
    assert taken(tags, {"t": ["b", "a"]}) == {"t": ["b", "a"]}
    assert refused(tags, {"t": ["a", "z"]}) == {"t": ["{1: ['Must be one of: a, b.']}"]}  # the second entry


def test_fields_the_form_does_not_have_are_refused_and_the_message_names_every_field():
    text = form({"type": "textfield", "key": "a", "validate": {"maxLength": 1}})
    with pytest.raises(InvalidInput) as error:
        forms.validate_data(text, {"zeta": "x", "a": "too long"}, today=MONDAY)
    assert str(error.value) == "Please correct: a, zeta."
    assert error.value.errors == {"a": ["Longer than maximum length 1."], "zeta": ["Unknown field."]}


def test_a_task_without_a_form_takes_no_data():
    assert forms.validate_data(None, {}, today=MONDAY) == {}
    with pytest.raises(InvalidInput) as error:
        forms.validate_data(None, {"note": "x"}, today=MONDAY)
    assert str(error.value) == "This task has no form; it takes no data."
    assert error.value.errors == {"_": ["unexpected data"]}


# --- fields hidden by a condition ---------------------------------------------------------------------------------


def conditional(hide, **extra):
    """A form whose `why` text field is required unless `hide` hides it."""
    why = {"type": "textfield", "key": "why", "validate": {"required": True}, "conditional": {"hide": hide}}
    return form(
        {"type": "select", "key": "mode", "values": [{"value": "oral"}, {"value": "letter"}]},
        {"type": "number", "key": "amount"},
        {"type": "checkbox", "key": "done"},
        why,
        **extra,
    )


@pytest.mark.parametrize(
    ("hide", "data", "hidden"),
    [
        ('=mode = "oral"', {"mode": "oral"}, True),
        ('=mode = "oral"', {"mode": "letter"}, False),
        ('=mode != "oral"', {"mode": "letter"}, True),
        ("=amount < 10", {"amount": 9}, True),
        ("=amount < 10", {"amount": 10}, False),
        ("=amount <= 10", {"amount": 10}, True),
        ("=amount > 10", {"amount": 10.5}, True),
        ("=amount >= 10.5", {"amount": 10}, False),
        ('=(mode = "oral") and not (amount > 3)', {"mode": "oral", "amount": 3}, True),
        ('=mode = "oral" or amount = 1', {"mode": "letter", "amount": 1}, True),
        ("=done = true", {"done": "on"}, True),
        ("=done = false", {}, False),  # a checkbox never sent is no fact: the field stays
        ("=mode = null", {}, True),  # a field left blank is null
        ("=mode = null", {"mode": "  "}, True),
        ('= mode = "oral"  ', {"mode": "oral"}, True),
        ('=  mode = "oral"', {"mode": "oral"}, True),
        ("=amount > 3", {}, False),  # null > 3 cannot be worked out: the field is shown
        ("=missing", {}, False),
        ('=mode in ("oral", "letter")', {"mode": "letter"}, True),
        ('=mode in ("oral", "x")', {"mode": "letter"}, False),
    ],
)
def test_a_field_hidden_by_its_feel_condition_is_neither_required_nor_taken(hide, data, hidden):
    """Hidden: its value is dropped, not refused; shown: it is required again."""
    assert forms.check_form(conditional(hide)) is None
    if hidden:
        assert "why" not in taken(conditional(hide), dict(data, why="because"))
        assert "why" not in taken(conditional(hide), data)
    else:
        assert taken(conditional(hide), dict(data, why="because"))["why"] == "because"
        assert refused(conditional(hide), data) == {"why": ["Missing data for required field."]}


@pytest.mark.parametrize(
    ("hide", "data"),
    [("=done = true", {"done": "on"}), ("=done = false", {"done": "off"}), ("=mode = null", {})],
)
def test_feel_literals_stay_literals_whatever_the_fields_are_called(hide, data):
    """true, false and null are values, even in a form with fields named like them (in any case)."""
    namesakes = [{"type": "textfield", "key": k} for k in ("true", "TRUE", "false", "FALSE", "null", "none", "NONE")]
    with_namesakes = conditional(hide)
    with_namesakes["components"] += namesakes
    typed = dict(data, **{c["key"]: "x" for c in namesakes})
    assert "why" not in taken(with_namesakes, typed)


def test_a_condition_may_name_fields_in_any_case():
    upper = form(
        {"type": "textfield", "key": "Mode"},
        {"type": "textfield", "key": "why", "validate": {"required": True}, "conditional": {"hide": "=Mode = null"}},
    )
    assert taken(upper, {}) == {}
    assert refused(upper, {"Mode": "x"}) == {"why": ["Missing data for required field."]}


@pytest.mark.parametrize("tick", ["true", "TRUE", "on", "1", "yes", True])
def test_a_ticked_checkbox_is_true_for_conditions_however_the_client_spells_it(tick):
    assert "why" not in taken(conditional("=done"), {"done": tick})


@pytest.mark.parametrize("no_tick", ["false", "off", "0", "no", False])
def test_an_unticked_checkbox_is_false_for_conditions(no_tick):
    assert refused(conditional("=done"), {"done": no_tick}) == {"why": ["Missing data for required field."]}


@pytest.mark.parametrize(
    "hide",
    ["mode = 1", '=mode = "oral', "=mode $ 1", "=__import__", "=mode(1)", "=mode = 'oral'", "=", "=mode[0]"],
)
def test_an_unsupported_condition_never_hides_a_field(hide):
    """What cannot be read as a condition keeps the field shown (and the upload check refuses it)."""
    assert forms.check_form(conditional(hide)) is not None
    assert refused(conditional(hide), {"mode": "oral"}) == {"why": ["Missing data for required field."]}


# --- dates --------------------------------------------------------------------------------------------------------


def test_a_date_that_happened_lies_between_1_january_2000_and_today():
    happened = form({"type": "datetime", "key": "d"})
    assert taken(happened, {"d": "2000-01-01"}) == {"d": "2000-01-01"}
    assert taken(happened, {"d": "2026-03-16"}) == {"d": "2026-03-16"}
    assert refused(happened, {"d": "1999-12-31"}) == {"d": ["Must be 2000-01-01 or later."]}
    assert refused(happened, {"d": "2026-03-17"}) == {"d": ["Must not lie in the future (after 2026-03-16)."]}
    assert refused(happened, {"d": "16.03.2026"}) == {"d": ["Not a valid date."]}


@pytest.mark.parametrize("allowed", ["true", "True", "TRUE"])
def test_a_planned_date_may_lie_up_to_366_days_ahead(allowed):
    planned = form({"type": "datetime", "key": "d", "properties": {"allowFutureDates": allowed}})
    assert taken(planned, {"d": "2027-03-17"}) == {"d": "2027-03-17"}
    assert refused(planned, {"d": "2027-03-18"}) == {"d": ["Must be 2027-03-17 or earlier."]}
    assert refused(planned, {"d": "1999-12-31"}) == {"d": ["Must be 2000-01-01 or later."]}
    assert forms.date_limits(planned["components"][0], MONDAY) == (date(2000, 1, 1), date(2027, 3, 17))


@pytest.mark.parametrize("properties", [{"allowFutureDates": "false"}, {"allowFutureDates": ""}, {}, None])
def test_only_an_explicit_true_allows_future_dates(properties):
    field = {"type": "datetime", "key": "d", "properties": properties}
    assert forms.date_limits(field, MONDAY) == (date(2000, 1, 1), MONDAY)


def test_a_promised_date_lies_between_today_and_366_days_ahead():
    promised = form({"type": "datetime", "key": "d", "disallowPassedDates": True})
    assert taken(promised, {"d": "2026-03-16"}) == {"d": "2026-03-16"}
    assert taken(promised, {"d": "2027-03-17"}) == {"d": "2027-03-17"}
    assert refused(promised, {"d": "2026-03-15"}) == {"d": ["Must be today (2026-03-16) or later."]}
    assert refused(promised, {"d": "2027-03-18"}) == {"d": ["Must be 2027-03-17 or earlier."]}
    assert taken(promised, {"d": "2026-03-21"}) == {"d": "2026-03-21"}  # without a calendar, any day


def test_a_promised_date_must_be_a_working_day_when_a_calendar_is_given():
    promised = form({"type": "datetime", "key": "d", "disallowPassedDates": True})
    baku = WorkingCalendar()
    says = "2026-03-21 is not a working day; the next working day is 2026-03-31."
    assert refused(promised, {"d": "2026-03-21"}, calendar=baku) == {"d": [says]}
    assert taken(promised, {"d": "2026-03-31"}, calendar=baku) == {"d": "2026-03-31"}
    happened = form({"type": "datetime", "key": "d"})  # what happened may have happened on a Saturday
    assert taken(happened, {"d": "2026-03-14"}, calendar=baku) == {"d": "2026-03-14"}


def test_the_same_form_on_the_same_day_checks_working_days_only_with_a_calendar():
    promised = form({"type": "datetime", "key": "d", "disallowPassedDates": True})
    assert taken(promised, {"d": "2026-03-21"}) == {"d": "2026-03-21"}
    assert list(refused(promised, {"d": "2026-03-21"}, calendar=WorkingCalendar())) == ["d"]
    assert taken(promised, {"d": "2026-03-21"}) == {"d": "2026-03-21"}


def test_the_range_a_page_offers_starts_on_the_next_working_day_only_for_promised_dates():
    baku = WorkingCalendar()
    both = form(
        {"type": "datetime", "key": "promised", "disallowPassedDates": True},
        {"type": "datetime", "key": "happened"},
        {"type": "textfield", "key": "note"},
    )
    assert forms.date_ranges(both, MONDAY, baku) == {
        "promised": (MONDAY, date(2027, 3, 17)),  # today is a working day: today
        "happened": (date(2000, 1, 1), MONDAY),  # a holiday, and still the first date taken
    }
    assert forms.date_ranges(both, SATURDAY, baku)["promised"] == (date(2026, 3, 31), date(2027, 3, 22))
    assert forms.date_ranges(None, MONDAY, baku) == {}


# --- the schema cache -------------------------------------------------------------------------------------------


def test_a_new_form_that_reuses_a_dead_form_s_identity_gets_its_own_checks():
    """Schemas are cached by the form's id; an id Python gives again to a new form must not bring old rules."""
    new = form({"type": "textfield", "key": "b"})
    stale = forms._schema(form({"type": "textfield", "key": "a"}), ("a",), MONDAY, None)
    forms._schemas[(id(new), ("b",), MONDAY, id(None))] = ({"components": []}, stale)
    assert taken(new, {"b": "x"}) == {"b": "x"}


def test_the_schema_cache_stays_bounded():
    """Hundreds of days and forms later, at most 513 schemas are kept."""
    text = form({"type": "textfield", "key": "t"})
    forms._schemas.clear()
    sizes = set()
    for day in range(600):
        forms._schema(text, ("t",), date.fromordinal(MONDAY.toordinal() + day), None)
        sizes.add(len(forms._schemas))
    assert max(sizes) == 513 and min(sizes) == 1


def test_each_form_s_schema_is_built_once_per_day_and_kept_beside_the_others():
    """Costly to build: the same form on the same day reuses its schema, even with other forms checked in between."""
    forms._schemas.clear()  # far from the bound, whatever ran before
    strict, lax = (
        form({"type": "textfield", "key": "t", "validate": {"maxLength": 1}}),
        form({"type": "textfield", "key": "t"}),
    )
    first_strict, first_lax = forms._schema(strict, ("t",), MONDAY, None), forms._schema(lax, ("t",), MONDAY, None)
    assert forms._schema(strict, ("t",), MONDAY, None) is first_strict
    assert forms._schema(lax, ("t",), MONDAY, None) is first_lax
    assert forms._schema(strict, ("t",), SATURDAY, None) is not first_strict  # another day, another schema
