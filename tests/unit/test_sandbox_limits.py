"""engine.sandbox's limits to the exact value: what a process owner's script may still do at a
limit, what it is refused one step past it, and the message it then shows."""

from __future__ import annotations

import resource
import sys
import types

import pytest

from engine.notation import sandbox
from engine.notation.sandbox import SandboxError, check, evaluate, execute
from engine.notation.sandbox_guards import weight


@pytest.fixture(autouse=True)
def fresh_compile_cache():
    """Each test compiles its scripts itself: none runs code an earlier test left compiled."""
    sandbox._compile.cache_clear()


def refusal(code: str, names: dict | None = None) -> str:
    """The message a script is stopped with; fails the test if it runs through."""
    with pytest.raises(SandboxError) as error:
        execute(code, names or {})
    return str(error.value)


TOO_LONG = "a value of {:,} items exceeds the limit of 100,000"


# --- values of at most 100,000 characters or items -------------------------------------------


@pytest.mark.parametrize(
    "at_limit, over_limit, size",
    [
        ("s = 'x' * 100_000", "s = 'x' * 100_001", 100_001),
        ("s = 100_000 * 'x'", "s = 100_001 * 'x'", 100_001),
        ("l = [0] * 100_000", "l = [0] * 100_001", 100_001),
        ("s = 'x' * 50_000 + 'y' * 50_000", "s = 'x' * 50_000 + 'y' * 50_001", 100_001),
        ("s = 'x' * 60_000\ns += 'y' * 40_000", "s = 'x' * 60_000\ns += 'y' * 40_001", 100_001),
        ("l = [0] * 50_000\nl *= 2", "l = [0] * 50_000\nl *= 3", 150_000),
        ("l = ['x' * 99_996]\ns = f'{l}'", "l = ['x' * 99_997]\ns = f'{l}'", 100_001),
        ("l = ['x' * 99_996]\ns = str(l)", "l = ['x' * 99_997]\ns = str(l)", 100_001),
        ("s = ','.join(['x'] * 50_000)", "s = ','.join(['x'] * 50_001)", 100_002),
        ("s = str.join(',', ['x'] * 50_000)", "s = str.join(',', ['x'] * 50_001)", 100_002),
        ("l = [0] * 99_999\nl.extend([1])", "l = [0] * 99_999\nl.extend([1, 2])", 100_001),
        ("l = [0] * 99_999\nl.extend(i for i in [1])", "l = [0] * 99_999\nl.extend(i for i in [1, 2])", 100_001),
        ("l = [0] * 99_999\nl[0:0] = [1]", "l = [0] * 99_999\nl[0:0] = [1, 2]", 100_001),
        ("s = ('x' * 50_000).replace('x', 'yy')", "s = ('x' * 50_001).replace('x', 'yy')", 100_002),
        ("s = ('x' * 60_000).replace('x', 'yy', 40_000)", "s = ('x' * 60_000).replace('x', 'yy', 40_001)", 100_001),
        ("s = ''.replace('', 'y' * 100_000)", "s = 'x'.replace('', 'y' * 50_000)", 100_001),
        ("s = 'x'.ljust(100_000)", "s = 'x'.ljust(100_001)", 100_001),
        ("s = 'x'.rjust(100_000)", "s = 'x'.rjust(100_001)", 100_001),
        ("s = 'x'.center(100_000)", "s = 'x'.center(100_001)", 100_001),
        ("s = '1'.zfill(100_000)", "s = '1'.zfill(100_001)", 100_001),
        ("s = b'x'.ljust(100_000)", "s = b'x'.ljust(100_001)", 100_001),
        ("s = ('\\t' * 12_500).expandtabs()", "s = ('\\t' * 12_501).expandtabs()", 100_008),
        ("s = '\\t'.expandtabs(tabsize=100_000)", "s = '\\t'.expandtabs(tabsize=100_001)", 100_001),
        ("s = ('x' * 50_000).translate({120: 'yy'})", "s = ('x' * 50_001).translate({120: 'yy'})", 100_002),
        ("b = (1).to_bytes(100_000, 'big')", "b = (1).to_bytes(100_001, 'big')", 100_001),
        ("b = (1).to_bytes(length=100_000)", "b = (1).to_bytes(length=100_001)", 100_001),
        ("r = range(100_000)", "r = range(100_001)", 100_001),
        ("s = '%99992d' % 1", "s = '%99993d' % 1", 100_001),
        ("s = '%.99968f' % 1.0", "s = '%.99969f' % 1.0", 100_001),
        ("s = '%(a)99982d' % {'a': 1}", "s = '%(a)99983d' % {'a': 1}", 100_001),
        ("s = b'%99992d' % 1", "s = b'%99993d' % 1", 100_001),
    ],
)
def test_a_value_may_reach_the_length_limit_but_not_pass_it(at_limit, over_limit, size):
    """Every operator and method that makes a long value: 100,000 passes, one more is refused."""
    execute(at_limit, {})
    assert refusal(over_limit) == TOO_LONG.format(size)


@pytest.mark.parametrize(
    "code, expected",
    [
        ("s = ('x' * 100_000).replace('xx', '')", ""),
        ("s = ('x' * 100_000).replace('x', 'y', -1)", "y" * 100_000),
        ("s = ('x' * 60_000).replace('x', 'yy', 0)", "x" * 60_000),
        ("s = ''.expandtabs(200_000)", ""),
        ("s = str.expandtabs('a\\tb', tabsize=2)", "a b"),
        ("s = 'ab'.replace('', '-')", "-a-b-"),
        ("s = ('x' * 100_000).translate({120: None})", ""),
        ("s = ('x' * 100_000).translate({120: 'y'})", "y" * 100_000),
        ("s = ('x' * 100_000).translate('')", "x" * 100_000),
        ("s = '%5s|%-3d|%.2f|%%' % ('ab', 7, 1.0)", "   ab|7  |1.00|%"),
        ("s = b'\\xff%d' % 1", b"\xff1"),
        ("s = 'a\\tb'.expandtabs(4)", "a   b"),
        ("s = 'ab'.zfill(4) + 'ab'.center(4, '*') + b'ab'.rjust(4).decode()", "00ab*ab*  ab"),
        ("s = (1).to_bytes()", b"\x01"),
        ("s = str(b'\\xff', 'latin-1')", "\xff"),
        ("s = '-'.join(i for i in 'abc')", "a-b-c"),
        ("s = str.replace('a-b', '-', '+')", "a+b"),
        ("s = [1]\ns.extend({2: 0})\ns.extend((3,))", [1, 2, 3]),
    ],
)
def test_methods_that_shrink_or_stay_within_the_limit_work_as_usual(code, expected):
    """The checks refuse only what would grow too long: shrinking and ordinary use give Python's result."""
    assert execute(code, {})["s"] == expected


def test_replacing_past_the_limit_is_refused_whatever_the_count():
    """A negative count means every occurrence, as in Python."""
    assert refusal("s = ('x' * 60_000).replace('x', 'yy', -1)") == TOO_LONG.format(120_000)
    assert refusal("s = ('x' * 1_000).replace('x', 'y' * 101, 1_000)") == TOO_LONG.format(101_000)


def test_joining_items_that_are_not_text_is_python_s_own_error():
    assert refusal("s = ''.join([1])") == "TypeError: sequence item 0: expected str instance, int found"


def test_a_misused_method_gives_python_s_own_error():
    assert refusal("x = 'x'.center([1], [2])") == "TypeError: 'list' object cannot be interpreted as an integer"


def test_mro_is_refused_by_name():
    """str.mro() would hand out the unguarded str type."""
    assert refusal("x = str.mro()") == '"mro" is not allowed in the sandbox'


def test_only_lists_and_dicts_may_be_written_to():
    assert execute("d = {}\nd['a'] = 1\nl = [0]\nl[0] = 1\ndel l[0]", {}) == {"d": {"a": 1}, "l": []}
    assert refusal("def f():\n    return 1\nf.x = 1") == "TypeError: attribute-less object (assign or del)"


def test_growing_methods_are_checked_on_subclass_values_and_only_for_those_types():
    """Only str, bytes, list and int methods that grow are wrapped; others are Python's own."""
    assert execute("ok = True.to_bytes(2, 'big')", {})["ok"] == b"\x00\x01"
    assert refusal("b = True.to_bytes(100_001, 'big')") == TOO_LONG.format(100_001)
    assert execute("d = {1: 2}\nd.update({3: 4})", {})["d"] == {1: 2, 3: 4}


# --- numbers of at most 4,096 bits ---------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "n = 2 ** 2047 * 2 ** 2047",
        "n = 2 ** 2048",
        "n = (-2) ** 2048",
        "n = 1 ** 10 ** 9",
        "n = (-1) ** (10 ** 9 + 1)",
        "n = 0 ** 10 ** 9",
        "n = 2 ** -5000",
        "n = 1 << 4095",
        "a = 2 ** 2047 * 2 ** 2047\nb = a + a\nc = b + b\nn = c ** 1",
        "a = 2 ** 2047 * 2 ** 2047\nb = a + a\nn = pow(b, 2, 7)",
        "n = 2\nn **= 2048",
        "n = 1\nn <<= 4095",
    ],
)
def test_numbers_up_to_the_bit_limit_are_computed(code):
    execute(code, {})


@pytest.mark.parametrize(
    "code",
    [
        "n = 2 ** 2047 * 2 ** 2048",
        "n = -(2 ** 2047) * 2 ** 2048",
        "n = 2 ** 2049",
        "a = 2 ** 2048\nn = a ** 2",
        "n = (-2) ** 2049",
        "n = 2 ** 5000.0",
        "n = 1 << 4096",
        "n = -1 << 4096",
        "a = 2 ** 2047 * 2 ** 2047\nb = a + a\nc = b + b\nn = pow(3, c, 7)",
        "a = 2 ** 2047 * 2 ** 2047\nb = a + a\nc = b + b\nn = pow(c, 3, 7)",
        "a = 2 ** 2047 * 2 ** 2047\nb = a + a\nc = b + b\nn = pow(3, 3, c)",
        "n = 2\nn **= 2049",
        "n = 1\nn <<= 4096",
        "n = pow(2, 2049)",
    ],
)
def test_numbers_past_the_bit_limit_are_refused(code):
    assert refusal(code) == "number too large"


def test_fractions_multiply_as_in_python_even_with_huge_integers():
    assert execute("x = 1.5 * 2\ny = 0.5 * 0.5", {}) == {"x": 3.0, "y": 0.25}
    code = "a = 2 ** 2047 * 2 ** 2047\nb = a + a\nx = 0.5 * b"
    assert refusal(code) == "OverflowError: int too large to convert to float"


def test_pow_with_a_modulus_and_round_give_python_s_results():
    result = execute("a = pow(3, 4, 5)\nb = round(2.567, 1000)\nc = round(2.5)\nd = round(1234, -1000)", {})
    assert (result["a"], result["b"], result["c"], result["d"]) == (1, 2.567, 2, 0)
    assert type(result["c"]) is int


@pytest.mark.parametrize("digits", [1_001, -1_001])
def test_rounding_to_more_than_a_thousand_digits_is_refused(digits):
    assert refusal(f"x = round(1, {digits})") == "number of digits too large"


def test_sum_adds_numbers_from_any_numeric_start():
    assert execute("x = sum([1.5, 2], 1.0)\ny = sum([1, 2])", {}) == {"x": 4.5, "y": 3}
    assert refusal("x = sum([[1]], [])") == "sum() adds numbers only"


# --- %-formatting ----------------------------------------------------------------------------


@pytest.mark.parametrize("template", ["'%999999d' % 1", "'%.999999f' % 1.0"])
def test_a_six_digit_width_counts_towards_the_length(template):
    """Six digits are still a width: the result would exceed the limit, and the message says by how much."""
    assert "exceeds the limit of 100,000" in refusal(f"s = {template}")


@pytest.mark.parametrize("template", ["'%1000000d' % 1", "'%.1000000f' % 1.0", "b'%1000000d' % 1"])
def test_a_seven_digit_width_is_refused_outright(template):
    assert refusal(f"s = {template}") == "format width too large"


@pytest.mark.parametrize("template", ["'%*d' % (5, 1)", "'%.*f' % (2, 1.0)", "b'%*d' % (5, 1)"])
def test_widths_taken_from_the_arguments_are_refused(template):
    assert refusal(f"s = {template}") == "format widths taken from the arguments (*) are not allowed"


# --- what a script leaves behind, and what its errors show -----------------------------------


def test_a_script_may_leave_up_to_a_million_characters_of_data():
    """The result is measured as a list of the variables left: two brackets, two per variable."""
    assert execute("", {"a": "x" * 999_996})["a"] == "x" * 999_996
    assert execute("", {"a": "x" * 999_996, "f": len})["f"] is len  # functions are not data
    assert refusal("", {"a": "x" * 999_997}) == "the script left more data than the limit of 1,000,000 characters"


def test_an_expression_may_give_up_to_a_million_characters():
    assert len(evaluate("a", {"a": "x" * 1_000_000})) == 1_000_000
    with pytest.raises(SandboxError, match=r"^the script left more data than the limit of 1,000,000 characters$"):
        evaluate("a", {"a": "x" * 1_000_001})


def test_a_script_returns_its_variables_and_the_functions_it_was_given_but_no_guards():
    result = execute("x = 1\ndef f():\n    return 2\ny = f()", {"g": len, "a": 3})
    assert set(result) == {"a", "g", "f", "x", "y"}
    assert result["g"] is len and (result["a"], result["x"], result["y"]) == (3, 1, 2)


def test_data_may_be_nested_fifty_levels_deep_and_no_more():
    """The result of an expression is the value itself; a script's variables sit in one more list."""
    evaluate("l", {"l": eval("[" * 51 + "]" * 51)})  # noqa: S307 - building test data
    execute("l = []\nfor _ in range(49):\n    l = [l]", {})
    assert refusal("l = []\nfor _ in range(50):\n    l = [l]") == "data nested more than 50 levels deep"
    with pytest.raises(SandboxError, match=r"^data nested more than 50 levels deep$"):
        evaluate("l", {"l": eval("[" * 52 + "]" * 52)})  # noqa: S307 - building test data


def test_dicts_count_as_levels_too():
    evaluate("d", {"d": eval("{'a': " * 50 + "1" + "}" * 50)})  # noqa: S307 - building test data
    with pytest.raises(SandboxError, match=r"^data nested more than 50 levels deep$"):
        evaluate("d", {"d": eval("{'a': " * 51 + "1" + "}" * 51)})  # noqa: S307 - building test data


def test_an_error_message_of_up_to_a_thousand_characters_is_shown():
    """The message's arguments as a tuple: two brackets, two per argument, then the text."""
    assert refusal("raise ValueError('x' * 996)") == "ValueError: " + "x" * 996
    assert refusal("raise ValueError('x' * 997)") == "ValueError: (message too long to show)"


def test_weight_estimates_the_text_length_of_each_kind_of_value():
    """The estimate the limits use: texts by length, containers by brackets and separators,
    integers by digits (bits / 3), anything else as 24 characters."""
    assert weight("abc", 100) == 3
    assert weight(b"ab", 100) == 2
    assert weight({"a": "bc"}, 100) == 2 + 4 + 1 + 2
    assert weight([1, "ab"], 100) == 2 + 4 + 1 + 2
    assert weight(("a",), 100) == weight({"a"}, 100) == weight(frozenset("a"), 100) == 2 + 2 + 1
    assert weight(2**30, 100) == 11
    assert weight(0, 100) == 1
    assert weight(1.5, 100) == weight(None, 100) == 24
    assert weight({"a": [1, 1.5]}, 100) == 2 + 4 + 1 + (2 + 4 + 1 + 24)
    assert weight([{"a": 1}], 100) == 2 + 2 + (2 + 4 + 1 + 1)


def test_weight_counts_on_until_it_is_past_the_limit_then_stops():
    """A value that reaches the limit exactly is still counted on; counting stops once past it."""
    assert weight(["abc", "d"], 6) == 2 + 4 + 1
    assert weight(["abc", "d"], 5) == 2 + 4
    assert weight(["a" * 10, "b" * 10], 11) == 2 + 4 + 10


def test_a_generator_left_behind_is_refused_with_a_hint():
    assert refusal("g = (i for i in [1])") == "a generator cannot be kept or shown; make a list of it"


# --- compile time: what a deploy hears of ----------------------------------------------------


@pytest.mark.parametrize(
    "code, problem",
    [
        (
            "import os\nimport sys",
            "Line 1: Imports are not allowed in the sandbox.; Line 2: Imports are not allowed in the sandbox.",
        ),
        ("from os import path", "Line 1: Imports are not allowed in the sandbox."),
        ("x = open", 'Line 1: "open" is not allowed in the sandbox.'),
        ("x = property", 'Line 1: "property" is not allowed in the sandbox.'),
        ("x = f'{1:>3}'", "Line 1: Format specifications in f-strings are not allowed."),
        ("def f():\n    yield 1", "Line 2: Generators (yield) are not allowed in the sandbox."),
        ("def f():\n    yield from [1]", "Line 2: Generators (yield) are not allowed in the sandbox."),
        (
            "try:\n    pass\nfinally:\n    pass",
            "Line 1: try ... finally is not allowed in the sandbox; use except Exception.",
        ),
        ("f(*[1])", "Line 1: Calls with *args or **kwargs are not allowed in the sandbox."),
        ("f(**{})", "Line 1: Calls with *args or **kwargs are not allowed in the sandbox."),
        ("return 1", "syntax error: 'return' outside function (line 1)"),
        ("x = 1\nbreak", "syntax error: 'break' outside loop (line 2)"),
        ("s = 'x' * 10**10\na = 1 + 1", "line 1: a value of 10,000,000,000 items exceeds the limit of 100,000"),
        ("x = 1\ns = [('x', 1) * 10**10]", "line 2: a value of 20,000,000,000 items exceeds the limit of 100,000"),
        ("x = 1\n\nn = -2 ** 10 ** 8", "line 3: number too large"),
        ("x = [\n    1,\n    'x' * 10**10,\n]", "line 3: a value of 10,000,000,000 items exceeds the limit of 100,000"),
        ("x = 1 / 0", None),
        ("s = name * 10**10", None),
        ("x = 1\ny = x + 1", None),
    ],
)
def test_check_names_the_problem_a_deploy_reports(code, problem):
    assert check(code, "exec") == problem


def test_check_of_an_expression_refuses_statements():
    assert check("x = 1", "eval") == "Line 1: SyntaxError: invalid syntax at statement: 'x = 1'"


def test_str_as_scripts_see_it_is_str_for_isinstance_and_issubclass():
    script_str = sandbox.BUILTINS["str"]
    assert isinstance("a", script_str) and not isinstance(1, script_str)
    assert issubclass(str, script_str) and not issubclass(int, script_str)


def test_check_of_an_expression_ignores_surrounding_blanks_but_not_of_a_script():
    assert check(" 1 + 1 \n", "eval") is None
    assert evaluate(" 1 + 1 \n", {}) == 2
    assert "unexpected indent" in check(" x = 1", "exec")
    assert check("1 +", "eval") == "Line 1: SyntaxError: invalid syntax at statement: '1 +'"


def test_a_script_s_syntax_error_is_reported_when_it_runs():
    assert refusal("return 1") == "syntax error: 'return' outside function (line 1)"


def test_forbidden_names_are_refused_even_where_they_would_fail_anyway():
    """Names never available at run time are refused by name when a deploy checks the script."""
    for name in sorted(sandbox.FORBIDDEN_NAMES):
        assert check(f"x = {name}", "exec").startswith(f'Line 1: "{name}" is not allowed in the sandbox.')


def test_a_bare_except_catches_the_script_s_errors_only():
    result = execute("try:\n    x = [][1]\nexcept:\n    x = 'caught'", {})
    assert result["x"] == "caught"
    assert refusal("try:\n    x = [][1]\nexcept KeyError:\n    x = 'caught'") == "IndexError: list index out of range"


def test_a_bare_except_does_not_catch_a_stop(monkeypatch):
    fake_clock(monkeypatch, 0.0, 10.0)
    assert refusal("while True:\n    try:\n        pass\n    except:\n        pass") == "stopped after 1 s (time limit)"


# --- running: time, memory and calls ----------------------------------------------------------


def fake_clock(monkeypatch, *readings: float) -> None:
    """The sandbox's clock reads `readings` one after the other, then the last one for ever."""
    values = list(readings)
    monkeypatch.setattr(
        sandbox, "time", types.SimpleNamespace(monotonic=lambda: values.pop(0) if len(values) > 1 else values[0])
    )


def test_a_script_runs_until_its_second_is_over_and_is_stopped_just_after(monkeypatch):
    fake_clock(monkeypatch, 100.0, 101.0)
    execute("x = 1\n" * 100, {})
    fake_clock(monkeypatch, 100.0, 101.001)
    assert refusal("x = 1\n" * 100) == "stopped after 1 s (time limit)"


def test_the_clock_is_looked_at_every_32_lines(monkeypatch):
    """The unit of work between two looks at the limits: a script shorter than it always ends."""
    fake_clock(monkeypatch, 0.0, 10.0)
    execute("x = 1\n" * 31, {})
    fake_clock(monkeypatch, 0.0, 10.0)
    assert refusal("x = 1\n" * 32) == "stopped after 1 s (time limit)"


def test_the_time_limit_shows_in_the_message(monkeypatch):
    monkeypatch.setattr(sandbox, "MAX_SECONDS", 0.2)
    fake_clock(monkeypatch, 0.0, 10.0)
    assert refusal("x = 1\n" * 40) == "stopped after 0.2 s (time limit)"


def fake_memory(monkeypatch, *readings: int) -> None:
    values = list(readings)
    monkeypatch.setattr(sandbox, "_memory", lambda: values.pop(0) if len(values) > 1 else values[0])


def test_a_run_may_add_256_megabytes_and_not_a_byte_more(monkeypatch):
    """The memory the process had at the run's first check, plus 256 MB."""
    start = 1_000_000
    fake_memory(monkeypatch, start, start + 256 * 2**20)
    execute("x = 1\n" * 100, {})
    fake_memory(monkeypatch, start, start + 256 * 2**20 + 1)
    assert refusal("x = 1\n" * 100) == "stopped: more than 256 MB of memory (memory limit)"


def test_memory_is_read_in_bytes_from_the_peak_where_proc_is_missing(monkeypatch):
    def no_proc(*args, **kwargs):
        raise FileNotFoundError("/proc/self/statm")

    monkeypatch.setattr(sandbox, "open", no_proc, raising=False)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    reading = sandbox._memory()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert before * 1024 <= reading <= after * 1024


def test_memory_is_the_resident_size_in_bytes_not_the_peak():
    """Memory an earlier run used and gave back does not count against the next one."""
    big = bytearray(96 * 2**20)
    del big
    with open("/proc/self/status") as status:
        rss = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))
    assert abs(sandbox._memory() - rss) < 8 * 2**20


def test_script_functions_may_nest_a_hundred_calls_deep_and_no_more():
    """The script itself is the first call: 98 nested calls of f below its first one pass."""
    recurse = "def f(n):\n    return 0 if n == 0 else f(n - 1)\nx = f({})"
    assert execute(recurse.format(98), {})["x"] == 0
    assert refusal(recurse.format(99)) == "stopped: functions call each other too deeply"


def test_a_call_that_returned_leaves_the_depth_of_its_caller():
    """g returns at each level on the way down: the depth is still that of the chain of f."""
    recurse = "def g():\n    return 0\ndef f(n):\n    g()\n    return 0 if n == 0 else f(n - 1)\nx = f({})"
    assert execute(recurse.format(97), {})["x"] == 0
    assert refusal(recurse.format(98)) == "stopped: functions call each other too deeply"


def test_calls_that_returned_do_not_count_towards_the_depth():
    assert execute("def f():\n    return 1\nx = 0\nfor _ in range(300):\n    x += f()", {})["x"] == 300


def test_engine_functions_a_script_calls_do_not_count_towards_the_depth():
    def nested(n):
        return 0 if n == 0 else nested(n - 1)

    assert execute("x = nested(200)", {"nested": nested})["x"] == 0


class _Recorder:
    def __init__(self) -> None:
        self.seen: list[object] = []

    def record(self, value: object) -> None:
        self.seen.append(value)


def test_functions_handed_to_a_script_act_on_the_engine_s_own_objects():
    """Data is copied so a script cannot change it; functions are not, so their effects are kept."""
    recorder = _Recorder()
    execute("record(1)", {"record": recorder.record})
    assert recorder.seen == [1]


def test_a_script_cannot_change_data_nested_in_what_it_was_given():
    case = {"case": {"tags": ["late"]}}
    result = execute("case['tags'].append('urgent')", case)
    assert result["case"] == {"tags": ["late", "urgent"]}
    assert case == {"case": {"tags": ["late"]}}


@pytest.mark.parametrize(
    "error, message",
    [
        (MemoryError, "stopped: out of memory"),
        (RecursionError, "stopped: functions call each other too deeply"),
        (SandboxError("a value of 7 items exceeds the limit of 6"), "a value of 7 items exceeds the limit of 6"),
    ],
)
def test_running_out_of_memory_or_stack_anywhere_in_a_run_is_a_stop(error, message):
    def fail():
        raise error

    assert refusal("fail()", {"fail": fail}) == message


def test_a_stop_is_reported_as_such_even_if_engine_code_turned_it_into_another_error(monkeypatch):
    def attempt(function):
        try:
            return function()
        except BaseException:
            raise ValueError("failed") from None

    fake_clock(monkeypatch, 0.0, 10.0)
    code = "def spin():\n    while True:\n        pass\nattempt(spin)"
    assert refusal(code, {"attempt": attempt}) == "stopped after 1 s (time limit)"


def test_a_debugger_s_or_coverage_s_trace_is_back_in_place_after_a_run():
    def tracer(frame, event, arg):
        return None

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        execute("x = 1", {})
        after = sys.gettrace()
    finally:
        sys.settrace(previous)
    assert after is tracer
