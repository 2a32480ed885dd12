"""No template reads a name that Django itself puts in the context, and no view passes one.

Inside `{% block %}` Django's BlockNode is the context's `block`, so a view's `block` key was
never seen there: every worker page said BLOCKED. The same trap waits for `forloop` outside a
loop, and for a view key named like what Django's (or this project's) context processors set
(`request`, `user`, `perms`, `messages`, `csrf_token`, ...): one of the two is silently hidden.

Two static scans, both tested on the snippets that held the original bug:
- every template under templates/ and apps/*/templates/ (Django's own lexer);
- every view's context under apps/ (`ast`): the dict given to render(), render_to_string(),
  TemplateResponse() or a template's .render(), followed through the names, `**spreads`,
  `.update()` calls, item assignments and the helper or selector functions that build it.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.template.base import Lexer, TokenType

ROOT = Path(__file__).resolve().parents[1]

# Names Django puts in every context (BlockNode, ForNode, the csrf and built-in processors).
DJANGO_NAMES = {
    "block",
    "forloop",
    "csrf_token",
    "perms",
    "messages",
    "DEFAULT_MESSAGE_LEVELS",
    "request",
    "user",
}

# Tags whose arguments are names of blocks, partials or libraries, not variables.
_NOT_VARIABLES = {
    "block",
    "endblock",
    "load",
    "partialdef",
    "endpartialdef",
    "partial",
    "templatetag",
    "autoescape",
    "now",
    "csrf_token",
}
_STRINGS = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'")
_NAME = re.compile(r"(?<![\w.])([A-Za-z_]\w*)((?:\.\w+)*)")


# --- templates ------------------------------------------------------------------------------


def _read_names(contents: str) -> list[tuple[str, str]]:
    """(name, .attributes) of every variable a tag's or variable's text reads."""
    return [(m.group(1), m.group(2)) for m in _NAME.finditer(_STRINGS.sub('""', contents))]


def template_findings(source: str, origin: str = "<template>") -> list[str]:
    """What a template reads or binds that Django's own context names shadow."""
    findings = []
    loops = 0
    skipping = None  # inside {% comment %} or {% verbatim %}
    for token in Lexer(source).tokenize():
        if token.token_type not in (TokenType.VAR, TokenType.BLOCK):
            continue
        contents = token.contents.strip()
        if skipping and token.token_type == TokenType.VAR:
            continue
        shown = (
            f"{{% {contents} %}}"
            if token.token_type == TokenType.BLOCK
            else f"{{{{ {contents} }}}}"
        )
        where = f"{origin}:{token.lineno}: {shown}"
        if token.token_type == TokenType.BLOCK:
            tag, _, rest = contents.partition(" ")
            if skipping:
                if tag == skipping:
                    skipping = None
                continue
            if tag in {"comment", "verbatim"}:
                skipping = "end" + tag
                continue
            if tag == "endfor":
                loops = max(loops - 1, 0)
                continue
            if tag in _NOT_VARIABLES:
                continue
            if tag == "for":
                targets, _, iterable = rest.partition(" in ")
                for name in re.split(r"[\s,]+", targets.strip()):
                    if name in DJANGO_NAMES:
                        findings.append(f"{where}: a loop variable named {name!r}")
                rest = iterable
            bound = re.findall(r"\bas\s+(\w+)", _STRINGS.sub('""', rest))
            if tag in {"with", "include", "blocktrans", "blocktranslate"}:
                bound += re.findall(r"(\w+)=", _STRINGS.sub('""', rest))
            if bound:
                for name in bound:
                    if name in DJANGO_NAMES:
                        findings.append(f"{where}: binds {name!r}")
            names = _read_names(rest)
        else:
            names = _read_names(contents)
        for name, attributes in names:
            if name == "block" and attributes != ".super":
                findings.append(
                    f"{where}: reads 'block', which inside {{% block %}} is Django's BlockNode"
                )
            elif name == "forloop" and loops == 0:
                findings.append(f"{where}: reads 'forloop' outside a for loop")
        if token.token_type == TokenType.BLOCK and contents.partition(" ")[0] == "for":
            loops += 1
    return findings


def template_files() -> list[Path]:
    folders = [ROOT / "templates", *sorted((ROOT / "apps").glob("*/templates"))]
    return sorted(p for folder in folders for p in folder.rglob("*") if p.is_file())


# --- views' contexts --------------------------------------------------------------------------


@dataclass
class _Scope:
    """What one function does with its names: assignments, .update() and item assignments."""

    module: str
    node: ast.AST
    assigned: dict[str, list[ast.expr]] = field(default_factory=dict)
    added: dict[str, list[ast.expr]] = field(default_factory=dict)  # dicts merged in
    keys: dict[str, set[str]] = field(default_factory=dict)  # keys set one by one
    returns: list[ast.expr] = field(default_factory=list)


def _scope_of(module: str, node: ast.AST) -> _Scope:
    scope = _Scope(module, node)
    for child in ast.walk(node):
        if isinstance(child, ast.Assign | ast.AnnAssign):
            targets = child.targets if isinstance(child, ast.Assign) else [child.target]
            for target in targets:
                if isinstance(target, ast.Name) and child.value is not None:
                    scope.assigned.setdefault(target.id, []).append(child.value)
                elif (
                    isinstance(target, ast.Subscript)
                    and isinstance(target.value, ast.Name)
                    and isinstance(target.slice, ast.Constant)
                    and isinstance(target.slice.value, str)
                ):
                    scope.keys.setdefault(target.value.id, set()).add(target.slice.value)
        elif (
            isinstance(child, ast.Call)
            and isinstance(child.func, ast.Attribute)
            and isinstance(child.func.value, ast.Name)
            and child.func.attr in {"update", "setdefault"}
        ):
            name = child.func.value.id
            if child.func.attr == "update":
                scope.added.setdefault(name, []).extend(child.args)
                scope.keys.setdefault(name, set()).update(
                    k.arg for k in child.keywords if k.arg is not None
                )
            elif child.args and isinstance(child.args[0], ast.Constant):
                scope.keys.setdefault(name, set()).add(str(child.args[0].value))
        elif isinstance(child, ast.Return) and child.value is not None:
            scope.returns.append(child.value)
    return scope


class ContextScan:
    """Every function of the given modules, to follow a context to the dict literals it is
    built from."""

    def __init__(self, sources: dict[str, str]) -> None:
        self.functions: dict[str, list[_Scope]] = {}
        self.trees: dict[str, ast.Module] = {}
        for module, source in sources.items():
            tree = ast.parse(source)
            self.trees[module] = tree
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    self.functions.setdefault(node.name, []).append(_scope_of(module, node))

    def keys(self, expr: ast.expr | None, scope: _Scope, seen: set | None = None) -> set[str]:
        seen = set() if seen is None else seen
        if expr is None or (id(expr), id(scope)) in seen:
            return set()
        seen.add((id(expr), id(scope)))
        found: set[str] = set()
        if isinstance(expr, ast.Dict):
            for key, value in zip(expr.keys, expr.values, strict=True):
                if key is None:
                    found |= self.keys(value, scope, seen)
                elif isinstance(key, ast.Constant) and isinstance(key.value, str):
                    found.add(key.value)
        elif isinstance(expr, ast.Name):
            for value in scope.assigned.get(expr.id, []):
                found |= self.keys(value, scope, seen)
            for value in scope.added.get(expr.id, []):
                found |= self.keys(value, scope, seen)
            found |= scope.keys.get(expr.id, set())
        elif isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):
            found |= self.keys(expr.left, scope, seen) | self.keys(expr.right, scope, seen)
        elif isinstance(expr, ast.IfExp):
            found |= self.keys(expr.body, scope, seen) | self.keys(expr.orelse, scope, seen)
        elif isinstance(expr, ast.Call):
            name = _call_name(expr)
            if name == "dict":
                found |= {k.arg for k in expr.keywords if k.arg is not None}
                for arg in expr.args:
                    found |= self.keys(arg, scope, seen)
            else:
                callees = self.functions.get(name, [])
                # A helper of the same module, when there is one, is the one called.
                local = [s for s in callees if s.module == scope.module]
                for callee in local or callees:
                    for value in callee.returns:
                        found |= self.keys(value, callee, seen)
        return found

    def render_contexts(self):
        """(module, line, keys) of every context given to a template."""
        for scopes in self.functions.values():
            for scope in scopes:
                for node in ast.walk(scope.node):
                    if isinstance(node, ast.Call):
                        context = _context_argument(node)
                        if context is not None:
                            yield scope.module, node.lineno, self.keys(context, scope)


def _call_name(call: ast.Call) -> str:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return ""


def _context_argument(call: ast.Call) -> ast.expr | None:
    name = _call_name(call)
    keyword = next((k.value for k in call.keywords if k.arg == "context"), None)
    if name in {"render", "TemplateResponse"}:
        # render(request, name, context) the shortcut; template.render(context, request) not.
        shortcut = isinstance(call.func, ast.Name) or (
            len(call.args) > 1 and isinstance(call.args[1], ast.Constant | ast.JoinedStr)
        )
        position = 2 if (shortcut or name == "TemplateResponse") else 0
        if len(call.args) > position:
            return call.args[position]
        return keyword
    if name == "render_to_string":
        return call.args[1] if len(call.args) > 1 else keyword
    return None


def project_sources() -> dict[str, str]:
    return {
        str(path.relative_to(ROOT)): path.read_text()
        for path in sorted((ROOT / "apps").rglob("*.py"))
        if "migrations" not in path.parts
    } | {
        str(path.relative_to(ROOT)): path.read_text()
        for path in sorted((ROOT / "mturkdash").rglob("*.py"))
    }


def processor_names(scan: ContextScan) -> set[str]:
    """The keys this project's own context processors put in every context."""
    names = set()
    for engine in settings.TEMPLATES:
        for dotted in engine.get("OPTIONS", {}).get("context_processors", []):
            module, _, function = dotted.rpartition(".")
            if not module.startswith(("apps.", "mturkdash.")):
                continue
            path = module.replace(".", "/") + ".py"
            for scope in scan.functions.get(function, []):
                if scope.module == path:
                    for value in scope.returns:
                        names |= scan.keys(value, scope)
    return names


def view_context_findings(sources: dict[str, str], reserved: set[str]) -> list[str]:
    scan = ContextScan(sources)
    return [
        f"{module}:{line}: the context passes {sorted(keys & reserved)}"
        for module, line, keys in scan.render_contexts()
        if keys & reserved
    ]


# --- the tests --------------------------------------------------------------------------------


def test_it_finds_no_template_reading_a_name_django_shadows():
    files = template_files()
    assert len(files) > 30  # the walk found the templates
    findings = [
        f for p in files for f in template_findings(p.read_text(), str(p.relative_to(ROOT)))
    ]
    assert findings == []


def test_it_finds_no_view_passing_a_name_django_or_a_context_processor_sets():
    sources = project_sources()
    scan = ContextScan(sources)
    reserved = DJANGO_NAMES | processor_names(scan)
    assert {"current_requester", "memberships"} <= reserved  # the project's processor was read
    assert sum(1 for _ in scan.render_contexts()) > 50  # the scan found the views' contexts
    assert view_context_findings(sources, reserved) == []


# The worker page as it was: every worker read as blocked.
OLD_DETAIL = """{% extends "base.html" %}
{% block content %}
<h1>Worker {% if block %}<span class="badge">blocked</span>{% endif %}</h1>
{% if block %}<p>Blocked: {{ block.reason }}</p>{% endif %}
{% endblock %}"""


def test_it_fails_on_the_worker_page_as_it_was():
    findings = template_findings(OLD_DETAIL, "workers/detail.html")
    assert len(findings) == 3
    assert "workers/detail.html:3: {% if block %}: reads 'block'" in findings[0]
    assert "{{ block.reason }}" in findings[2]


def test_the_old_page_really_read_djangos_block():
    """The trap itself, so the scan stays about a real failure: a view's `block` key is not
    what `{% if block %}` sees inside a block."""
    from django.template import engines

    engine = engines["django"]
    page = engine.from_string(
        "{% block content %}{% if block %}BLOCKED{% else %}not blocked{% endif %}"
        "{% if worker_block %}BLOCKED{% else %}not blocked{% endif %}{% endblock %}"
    )
    assert page.render({"block": None, "worker_block": None}) == "BLOCKEDnot blocked"


def test_it_allows_block_super_and_forloop_inside_a_loop():
    ok = (
        "{% block content %}{{ block.super }}{% for x in xs %}{{ forloop.counter }}"
        "{% if forloop.last %}.{% endif %}{% endfor %}{% endblock %}"
        "{% comment %}{{ block }}{% endcomment %}{% url 'workers-block' worker_id %}"
    )
    assert template_findings(ok) == []


def test_it_finds_forloop_outside_a_loop_and_a_shadowing_binding():
    bad = (
        "{% for x in xs %}{{ forloop.counter }}{% endfor %}{{ forloop.counter }}"
        "{% for user in users %}{{ user }}{% endfor %}{% with request=r %}{% endwith %}"
        "{{ x|default:block }}{% include '_row.html' with user=u only %}"
    )
    findings = template_findings(bad)
    assert len(findings) == 5
    assert "reads 'forloop' outside a for loop" in findings[0]
    assert "a loop variable named 'user'" in findings[1]
    assert "binds 'request'" in findings[2]
    assert "reads 'block'" in findings[3]
    assert "{% include '_row.html' with user=u only %}: binds 'user'" in findings[4]


OLD_SELECTOR = """
def worker_profile(requester, worker_id):
    return {
        "worker": Worker.objects.first(),
        "block": WorkerBlock.objects.first(),
    }
"""
OLD_VIEW = """
def worker_detail(request, worker_id):
    profile = selectors.worker_profile(requester, worker_id)
    return render(request, "workers/detail.html", {**profile, "worker_id": worker_id})
"""


def test_it_fails_on_the_worker_view_as_it_was():
    findings = view_context_findings(
        {"apps/workers/selectors.py": OLD_SELECTOR, "apps/workers/views.py": OLD_VIEW},
        DJANGO_NAMES,
    )
    assert findings == ["apps/workers/views.py:4: the context passes ['block']"]


def test_it_follows_a_context_through_names_updates_and_helpers():
    source = """
def _context(thing):
    extra = {"user": thing}
    return {"thing": thing, **extra}

def one(request):
    context = {"a": 1}
    context.update({"messages": []})
    context["forloop"] = 2
    context.update(perms=3)
    return render(request, "x.html", context)

def two(request):
    return render(request, "x.html", _context(1) | {"b": 2})

def three():
    return render_to_string("x.html", dict(csrf_token="x"))

def four():
    return TemplateResponse(request, "x.html", {"ok": 1})

def five(req):
    get_template("x.html").render({"block": 1}, req)
    return shortcuts.render(req, "x.html", {"user": 1})
"""
    findings = view_context_findings({"apps/x/views.py": source}, DJANGO_NAMES)
    assert findings == [
        "apps/x/views.py:11: the context passes ['forloop', 'messages', 'perms']",
        "apps/x/views.py:14: the context passes ['user']",
        "apps/x/views.py:17: the context passes ['csrf_token']",
        "apps/x/views.py:23: the context passes ['block']",
        "apps/x/views.py:24: the context passes ['user']",
    ]
