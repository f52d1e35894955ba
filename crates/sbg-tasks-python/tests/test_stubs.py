"""The type stubs name what the module has, and the module has what they name."""

import ast
import inspect
import pathlib

import sbg_tasks
from sbg_tasks import _sbg_tasks

STUB = pathlib.Path(sbg_tasks.__file__).with_name("_sbg_tasks.pyi")


def stub_tree():
    return ast.parse(STUB.read_text())


def test_the_package_is_typed():
    assert STUB.with_name("py.typed").exists()


def test_every_stubbed_class_and_method_exists():
    for node in stub_tree().body:
        if isinstance(node, ast.ClassDef):
            cls = getattr(_sbg_tasks, node.name)
            for member in node.body:
                if isinstance(member, ast.FunctionDef) and not member.name.startswith("__"):
                    assert hasattr(cls, member.name), f"{node.name}.{member.name}"
                if isinstance(member, ast.AnnAssign):
                    assert member.target.id in dir(cls), f"{node.name}.{member.target.id}"
        elif isinstance(node, ast.FunctionDef):
            assert callable(getattr(_sbg_tasks, node.name)), node.name


def test_every_public_class_of_the_module_is_stubbed():
    stubbed = {n.name for n in stub_tree().body if isinstance(n, (ast.ClassDef, ast.FunctionDef))}
    public = {n for n, v in vars(_sbg_tasks).items() if not n.startswith("_") and (inspect.isclass(v) or callable(v))}
    assert public <= stubbed, public - stubbed


def test_the_stubbed_methods_of_each_class_are_all_its_public_methods():
    for node in stub_tree().body:
        if not isinstance(node, ast.ClassDef):
            continue
        cls = getattr(_sbg_tasks, node.name)
        stubbed = {m.name for m in node.body if isinstance(m, ast.FunctionDef)}
        stubbed |= {m.target.id for m in node.body if isinstance(m, ast.AnnAssign)}
        own = {n for n in vars(cls) if not n.startswith("_")}
        assert own <= stubbed, (node.name, own - stubbed)
