"""Generated differential scenarios: random package trees and random calls into them.

Hypothesis draws a tree of packages (with or without ``__init__``, with or
without ``__main__``) and modules (that succeed, raise, exit, import
relatively, fail to compile or start a nested run), optionally zipped, then
a short sequence of run_module / run_path / _run_module_as_main calls with
random arguments, interleaved with pre-imports and pauses that let
fastrunpy's cache serve repeats.  The whole sequence runs in one child per
side, so each example costs two interpreter starts.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ._harness import Zip, assert_same, call, fresh_dict, op, path, probe

pytestmark = pytest.mark.usefixtures("through")  # calls, then prepared handles

# Short names that no stdlib or site-packages module uses.
NAMES = ("qa", "qb", "qc")
MODULE_KINDS = ("ok", "ok", "raises", "exit", "relative", "syntax", "nested", "argv")
MAX_DEPTH = 3

EXAMPLES = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,  # same examples on every run and machine
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def module_source(kind, dotted):
    head = probe(dotted)
    if kind == "ok":
        return head + "value = %r\ndef func():\n    return value\n" % dotted
    if kind == "raises":
        return head + "def fail():\n    raise LookupError(%r)\nfail()\n" % dotted
    if kind == "exit":
        return head + "import sys\nsys.exit(%r)\n" % dotted
    if kind == "relative":
        return head + "from . import qa\nfrom .qb import value\n"
    if kind == "syntax":
        return "x = 1\nclass (:\n"
    if kind == "nested":
        return head + "import _diffprobe\ninner = _diffprobe.runpy.run_path(_diffprobe.path('leaf.py'))\n"
    if kind == "argv":
        return head + "import sys\nsys.argv.append(__name__)\n"
    raise AssertionError(kind)


@st.composite
def package(draw, depth):
    node = {
        "init": draw(st.booleans()),
        "main": draw(st.none() | st.sampled_from(MODULE_KINDS)),
        "children": {},
    }
    names = draw(st.lists(st.sampled_from(NAMES), max_size=3, unique=True))
    for name in names:
        if depth < MAX_DEPTH and draw(st.booleans()):
            node["children"][name] = draw(package(depth + 1))
        else:
            node["children"][name] = draw(st.sampled_from(MODULE_KINDS))
    return node


def _layout(node, prefix, rel, files, targets):
    """Files of a package node; ``targets`` collects (dotted name, tree path, is package)."""
    if node["init"]:
        files[rel + "/__init__.py"] = probe(prefix + ".__init__") + "initialised = True\n"
    if node["main"] is not None:
        files[rel + "/__main__.py"] = module_source(node["main"], prefix + ".__main__")
        targets.append((prefix + ".__main__", rel + "/__main__.py", False))
    if not node["children"] and not node["init"] and node["main"] is None:
        files[rel + "/.keep"] = ""  # an empty namespace package still needs its directory
    for name, child in sorted(node["children"].items()):
        dotted, child_rel = prefix + "." + name, rel + "/" + name
        if isinstance(child, dict):
            targets.append((dotted, child_rel, True))
            _layout(child, dotted, child_rel, files, targets)
        else:
            files[child_rel + ".py"] = module_source(child, dotted)
            targets.append((dotted, child_rel + ".py", False))


@st.composite
def scenarios(draw):
    top = draw(st.dictionaries(st.sampled_from(NAMES), package(1) | st.sampled_from(MODULE_KINDS),
                               min_size=1, max_size=3))
    lib = {}
    targets = []
    for name, node in sorted(top.items()):
        if isinstance(node, dict):
            targets.append((name, name, True))
            _layout(node, name, name, lib, targets)
        else:
            lib[name + ".py"] = module_source(node, name)
            targets.append((name, name + ".py", False))
    zipped = draw(st.booleans()) and draw(st.booleans())  # a quarter of the trees live in a zip
    files = {"leaf.py": probe("leaf") + "leaf = True\n"}
    if zipped:
        files["lib.zip"] = Zip(lib)
        entry = "lib.zip"
    else:
        files.update(("lib/" + rel, content) for rel, content in lib.items())
        entry = "lib"

    names = [t[0] for t in targets] + ["qz", targets[0][0] + ".qz"]
    paths = [] if zipped else ["lib/" + t[1] for t in targets]
    paths += ["leaf.py", entry, "missing.py"]
    run_names = st.sampled_from([None, "__main__", "gen.run", "<generated>"])
    init_globals = st.sampled_from([None, {}, {"k": 1}, {"__name__": "init", "__file__": "init.py", "z": []}])

    def as_dict(value):
        return None if value is None else fresh_dict(**value)

    module_call = st.builds(
        lambda name, g, run_name, alter: call("run_module", name, as_dict(g), run_name, alter, expect=None),
        st.sampled_from(names), init_globals, run_names, st.booleans())
    path_call = st.builds(
        lambda rel, g, run_name: call("run_path", path(rel), as_dict(g), run_name, expect=None),
        st.sampled_from(paths), init_globals, run_names)
    main_call = st.builds(lambda name: call("_run_module_as_main", name, expect=None), st.sampled_from(names))
    actions = st.one_of(
        st.builds(lambda name: op("import", name), st.sampled_from(names)),
        st.just(op("settle")),
    )
    step = st.one_of(module_call, module_call, path_call, path_call, main_call, actions)
    steps = draw(st.lists(step, min_size=2, max_size=7))
    if draw(st.booleans()):
        steps.append(steps[0])  # a repeat, which fastrunpy may serve from its cache
    return files, [op("sys_path_insert", entry)] + steps


@EXAMPLES
@given(scenario=scenarios())
def test_generated_trees_and_calls(impl, scenario):
    files, steps = scenario
    assert_same(impl, files, steps, argv=["generated", "--arg"])
