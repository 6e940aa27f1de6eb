"""Differential scenarios where the import system itself changes between runs.

fastrunpy remembers what it resolved; stdlib resolves afresh every time.
These scenarios change what a fresh resolution would find (path hooks,
meta path finders, sys.path order, the working directory, symlinks,
bytecode locations, archives) between repeated runs, with pauses so that
fastrunpy's cache is trusted, and require the same results as stdlib.
"""

import os
import sys

import pytest

from ._harness import DIR, Pyc, Zip, assert_same, call, op, path, probe

pytestmark = pytest.mark.usefixtures("through")  # calls, then prepared handles

needs_symlinks = pytest.mark.skipif(
    not hasattr(os, "symlink") or sys.platform == "win32", reason="symlinks need privileges on Windows")


def script(label, body="value = %r\n"):
    return probe(label) + (body % label if "%r" in body else body)


SCRIPT_PATH_HOOK = """
import sys
class ScriptImporter:
    '''Claims .py files as path entries, as a plugin system might.'''
    def __init__(self, entry):
        if not entry.endswith('.py'):
            raise ImportError('not mine')
        self.entry = entry
    def find_spec(self, name, target=None):
        return None
sys.path_hooks.insert(0, ScriptImporter)
"""


def test_path_hook_added_after_a_cached_run(impl):
    files = {"s.py": script("s")}
    assert_same(impl, files, [
        call("run_path", path("s.py")),
        op("settle"),
        call("run_path", path("s.py")),
        op("exec", SCRIPT_PATH_HOOK),
        call("run_path", path("s.py"), expect="ImportError"),
        op("exec", "import sys\nsys.path_hooks.pop(0)\n"),
        call("run_path", path("s.py"), expect="ImportError"),  # the importer stays in sys.path_importer_cache
        op("exec", "import sys\nsys.path_importer_cache.clear()\n"),
        call("run_path", path("s.py")),
    ])


def test_path_importer_cache_entry_for_a_script(impl):
    files = {"s.py": script("s")}
    assert_same(impl, files, [
        call("run_path", path("s.py")),
        op("settle"),
        op("exec", "import sys, os\nsys.path_importer_cache[os.path.join(TREE, 's.py')] = None\n"),
        call("run_path", path("s.py")),
        call("run_path", path("s.py")),
    ])


META_REDIRECT = """
import sys, os, importlib.util
class Redirect:
    def find_spec(self, name, path=None, target=None):
        if name == 'm':
            return importlib.util.spec_from_file_location('m', os.path.join(TREE, 'other', 'm.py'))
        return None
sys.meta_path.insert(0, Redirect())
"""

ODD_LOADERS = """
import sys
from importlib.machinery import ModuleSpec
class NoCode:
    def create_module(self, spec): return None
    def exec_module(self, module): pass
    def get_code(self, name): return None
class BrokenCode(NoCode):
    def get_code(self, name): raise ImportError('cannot load ' + name, name=name)
class Odd:
    def find_spec(self, name, path=None, target=None):
        if name == 'nocode':
            return ModuleSpec(name, NoCode(), origin='nowhere')
        if name == 'brokencode':
            return ModuleSpec(name, BrokenCode())
        if name == 'noloader':
            return ModuleSpec(name, None)
        if name == 'badfinder':
            raise ValueError('finder exploded')
        return None
sys.meta_path.insert(0, Odd())
"""


def test_meta_path_finder_added_after_a_cached_run(impl):
    files = {"lib/m.py": script("lib.m"), "other/m.py": script("other.m")}
    assert_same(impl, files, [
        op("sys_path_insert", "lib"),
        call("run_module", "m"),
        op("settle"),
        call("run_module", "m"),
        op("exec", META_REDIRECT),
        call("run_module", "m"),
        op("settle"),
        call("run_module", "m"),
        op("exec", "import sys\nsys.meta_path.pop(0)\n"),
        call("run_module", "m"),
    ])


def test_loaders_without_code(impl):
    assert_same(impl, {}, [
        op("exec", ODD_LOADERS),
        call("run_module", "nocode", expect="ImportError"),
        call("run_module", "brokencode", expect="ImportError"),
        call("run_module", "noloader", expect="ImportError"),
        call("run_module", "badfinder", expect="ImportError"),
        call("_run_module_as_main", "nocode", expect="SystemExit"),
        call("_run_module_as_main", "badfinder", expect="SystemExit"),
    ])


def test_empty_path_entry_follows_cwd(impl):
    files = {"a/m.py": script("a.m"), "b/m.py": script("b.m"), "c": DIR}
    assert_same(impl, files, [
        op("exec", "import sys\nsys.path.insert(0, '')\n"),
        op("chdir", "a"),
        call("run_module", "m"),
        op("settle"),
        call("run_module", "m"),
        op("chdir", "b"),
        call("run_module", "m"),
        op("chdir", "c"),
        call("run_module", "m", expect="ImportError"),
    ])


def test_directory_inserted_in_the_middle_of_sys_path(impl):
    files = {"a": DIR, "b/m.py": script("b.m"), "c/m.py": script("c.m")}
    assert_same(impl, files, [
        op("sys_path_insert", "b"),
        op("sys_path_insert", "a"),
        call("run_module", "m"),
        op("settle"),
        call("run_module", "m"),
        op("exec", "import sys, os\nsys.path.insert(1, os.path.join(TREE, 'c'))\n"),
        call("run_module", "m"),
        op("exec", "import sys\ndel sys.path[1]\n"),
        call("run_module", "m"),
    ])


def test_package_path_extended(impl):
    files = {"lib/pkg/__init__.py": "", "lib/pkg/a.py": script("pkg.a"), "extra/b.py": script("extra.b"),
             "extra/a.py": script("extra.a")}
    assert_same(impl, files, [
        op("sys_path_insert", "lib"),
        call("run_module", "pkg.a"),
        op("settle"),
        call("run_module", "pkg.a"),
        call("run_module", "pkg.b", expect="ImportError"),
        op("import", "pkg"),
        op("exec", "import sys, os\nsys.modules['pkg'].__path__.insert(0, os.path.join(TREE, 'extra'))\n"),
        call("run_module", "pkg.b"),
        call("run_module", "pkg.a"),
    ])


def test_namespace_package_gains_a_portion(impl):
    files = {"a/ns/x.py": script("ns.x"), "b": DIR}
    assert_same(impl, files, [
        op("sys_path_insert", "b"),
        op("sys_path_insert", "a"),
        call("run_module", "ns.x"),
        op("settle"),
        call("run_module", "ns.y", expect="ImportError"),
        op("exec", "import os\nos.makedirs(os.path.join(TREE, 'b', 'ns'))\n"
                   "open(os.path.join(TREE, 'b', 'ns', 'y.py'), 'w').write('value = 1\\n')\n"),
        op("invalidate_caches"),
        call("run_module", "ns.y"),
        call("run_module", "ns.x"),
    ])


def test_module_becomes_package_and_sourceless(impl):
    files = {
        "lib/m.py": script("m"),
        "stash/m.pyc": Pyc(script("m-compiled"), "lib/m.py"),
        "stash/m/__main__.py": script("m-package-main"),
    }
    move = "import os, shutil\nshutil.move(os.path.join(TREE, %r), os.path.join(TREE, %r))\n"
    assert_same(impl, files, [
        op("sys_path_insert", "lib"),
        call("run_module", "m"),
        op("settle"),
        call("run_module", "m"),
        op("remove", "lib/m.py"),
        op("exec", move % ("stash/m.pyc", "lib/m.pyc")),
        op("invalidate_caches"),
        call("run_module", "m"),
        op("settle"),
        call("run_module", "m"),
        op("remove", "lib/m.pyc"),
        op("exec", move % ("stash/m", "lib/m")),
        op("invalidate_caches"),
        call("run_module", "m"),
    ])


def test_stale_bytecode_is_used_exactly_when_stdlib_uses_it(impl):
    # Same size and same mtime: the import system trusts the old .pyc, and so must fastrunpy.
    files = {"app/__main__.py": script("v1", "value = 111\n"), "lib/m.py": script("v1", "value = 111\n")}
    assert_same(impl, files, [
        op("sys_path_insert", "lib"),
        call("run_path", path("app")),
        call("run_module", "m"),
        op("settle"),
        call("run_path", path("app")),
        call("run_module", "m"),
        op("rewrite_keep_mtime", ["app/__main__.py", script("v2", "value = 222\n")]),
        op("rewrite_keep_mtime", ["lib/m.py", script("v2", "value = 222\n")]),
        call("run_path", path("app")),
        call("run_module", "m"),
        op("write", ["lib/m.py", script("v3", "value = 3333\n")]),
        call("run_module", "m"),
    ])


def test_pycache_prefix_change(impl):
    files = {"lib/m.py": script("m")}
    assert_same(impl, files, [
        op("sys_path_insert", "lib"),
        call("run_module", "m"),
        op("settle"),
        call("run_module", "m"),
        op("exec", "import sys, os\nsys.pycache_prefix = os.path.join(TREE, 'prefix')\n"),
        call("run_module", "m"),
        op("settle"),
        call("run_module", "m"),
        op("exec", "import sys\nsys.pycache_prefix = None\n"),
        call("run_module", "m"),
    ])


def test_zip_replaced_at_the_same_path(impl):
    files = {
        "app.zip": Zip({"__main__.py": script("zip-one"), "z.py": script("z-one")}),
        "stash/app.zip": Zip({"__main__.py": script("zip-two", "value = 'two, longer'\n")}),
    }
    assert_same(impl, files, [
        call("run_path", path("app.zip")),
        op("settle"),
        call("run_path", path("app.zip")),
        op("exec", "import os\nos.replace(os.path.join(TREE, 'stash', 'app.zip'), os.path.join(TREE, 'app.zip'))\n"),
        call("run_path", path("app.zip"), expect=None),
        op("settle"),
        call("run_path", path("app.zip"), expect=None),
    ])


@needs_symlinks
def test_symlink_retargeted(impl):
    files = {"real_a.py": script("a"), "real_b.py": script("b"), "lib": DIR}
    link = ("import os\np = os.path.join(TREE, %r)\nif os.path.lexists(p): os.remove(p)\n"
            "os.symlink(os.path.join(TREE, %r), p)\n")
    # Bytecode records its source's mtime in whole seconds and its size, and
    # the two targets have the same size: dated the same second, the module's
    # bytecode from real_a stays valid for real_b.  Each side writes its own
    # tree, so leaving the dates to the clock made the sides disagree whenever
    # a second ended between the two writes on one side only.
    dated = ("import os\nfor name, when in (('real_a.py', 1600000000), ('real_b.py', 1600000100)):\n"
             "    os.utime(os.path.join(TREE, name), (when, when))\n")
    assert_same(impl, files, [
        op("exec", dated),
        op("exec", link % ("link.py", "real_a.py")),
        op("exec", link % ("lib/m.py", "real_a.py")),
        op("sys_path_insert", "lib"),
        call("run_path", path("link.py")),
        call("run_module", "m"),
        op("settle"),
        call("run_path", path("link.py")),
        call("run_module", "m"),
        op("exec", link % ("link.py", "real_b.py")),
        op("exec", link % ("lib/m.py", "real_b.py")),
        call("run_path", path("link.py")),
        call("run_module", "m"),
    ])


def test_module_forgotten_and_reimported_between_runs(impl):
    files = {"lib/pkg/__init__.py": script("pkg"), "lib/pkg/mod.py": script("pkg.mod")}
    assert_same(impl, files, [
        op("sys_path_insert", "lib"),
        call("run_module", "pkg.mod"),
        op("settle"),
        call("run_module", "pkg.mod"),
        op("import", "pkg.mod"),
        call("run_module", "pkg.mod"),
        op("forget", "pkg"),
        call("run_module", "pkg.mod"),
        op("exec", "import sys\nsys.modules['pkg'] = None\n"),
        call("run_module", "pkg.mod", expect="ImportError"),
    ])
