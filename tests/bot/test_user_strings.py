"""No words reach a member without the catalogues: a check of the source, not of what one run happens to show.

It reads every module of bot/ and cogs/ and finds string literals with words in them passed straight to what a
member reads: an answer (`reply`, `update`, `send`, `send_message`, `send_ephemeral`...), an embed or card
(`Embed`, `Card`, `add_field`, `set_footer`, a card's `add`), a component (`Button`, `Select`, `SelectOption`:
`label=`, `placeholder=`...), looking through f-strings, `+`, `%` and `.format`. A literal is fine inside `_()`,
`ngettext()`, `_l()`, `N_()`; what is allowed outside them is only what has no words (emoji, punctuation,
`**{x}**`-style formats, `#`).

Text that reaches a member by other routes is checked too:
- every message the code asks the catalogues for is in the template (`messages.pot`): a `_()` inside an f-string
  is invisible to `pybabel extract`, so it was never translated;
- a catalogue record's words (a dataclass field or property a member reads, such as a release's `title` or
  `status`) are the fact sheet's, or marked for the catalogues: never a phrase built in English in the code;
- an identifier is never shown as words (`manage_guild`.replace("_", " ").title() is English in every language);
- a word that agrees with what it qualifies ("unknown", "none") always carries a gettext context, so each language
  can give it the gender and number of that thing.

An exception whose message a member reads is held to more: it is built only from a translated message, never
from a string literal, an f-string, `%`, `.format`, `+` or an `N_` constant shown as it is. Which exceptions
those are is read from the source too: `Refusal` and `UserError` and their subclasses, and every exception
caught where its text goes into one of them or into an answer (the reminders' parser errors, `PollRuleError`,
`ReleaseError`...), and their subclasses.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).parents[2]
SCANNED = ("bot", "cogs")
# Features whose strings are not in the catalogues yet (none left: every feature is converted).
NOT_YET_CONVERTED: tuple[str, ...] = ()
# Operator-facing modules: the command line, overlays and imports speak to whoever runs the bot, in English.
OPERATOR_ONLY = ("bot/__main__.py", "bot/overlays.py", "bot/musicbrainz.py", "bot/settings.py", "bot/demo/")

ANSWERS = {"reply", "update", "send", "send_message", "edit_message", "edit_original_response", "send_ephemeral"}
SHOWN_EXCEPTIONS = {"UserError", "Refusal"}  # shown to the member as they are (`bot.errors.describe_failure`)
# What the issue named, and what a change must not silently drop from the exceptions found to be shown.
KNOWN_SHOWN = {"ZoneError", "LeadTimeError", "DateTimeError", "ScheduleError", "TemplateError", "PollRuleError"}
KNOWN_SHOWN |= {"ReleaseError", "DatabaseBusy", "PlanError", "ChangeRefused"} | SHOWN_EXCEPTIONS
EMBEDS = {"Embed", "Card", "add_field", "set_footer", "set_author", "insert_field_at", "set_field_at"}
COMPONENTS = {"Button", "Select", "SelectOption", "TextInput", "Modal", "File"}
SINKS = ANSWERS | EMBEDS | COMPONENTS
SHOWN_KEYWORDS = {"content", "title", "description", "label", "placeholder", "name", "value", "text", "footer"}
CATALOGUE = {"_", "ngettext", "pgettext", "_l", "_nl", "_lp", "N_", "gettext"}
CONTEXTUAL = {"pgettext", "_lp"}  # their first argument is the context, the second the message
TEMPLATE = ROOT / "bot" / "locales" / "messages.pot"
AGREEING = {"unknown", "none"}  # words whose form follows what they qualify: only ever asked for with a context
WORD = re.compile(r"[^\W\d_]{2,}")  # two letters in a row: a word, in any script


def modules(*, operator: bool = False) -> Iterator[Path]:
    """The modules whose text members read; with `operator`, the operator's too (an exception defined or
    caught there may still reach a member)."""
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if operator or not relative.startswith(NOT_YET_CONVERTED + OPERATOR_ONLY):
                yield path


@functools.cache
def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text("utf-8"), str(path))


def name_of(node: ast.expr) -> str:
    """`x` for `x` and `a.b.x`; "" for anything else."""
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""


def called(node: ast.Call) -> str:
    return name_of(node.func)


def marked_constants() -> set[str]:
    """Module constants marked `X = N_("...")`: English until translated where used, `_(X)`."""
    names: set[str] = set()
    for path in modules():
        for node in ast.walk(parsed(path)):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and called(node.value) == "N_":
                names.update(target.id for target in node.targets if isinstance(target, ast.Name))
    return names


MARKED: set[str] = set()


def words_outside_the_catalogue(node: ast.expr) -> Iterator[str]:
    """The literal text with words in an expression shown as it is, looking through f-strings, `+`, `%`, `a if c
    else b`, `"sep".join(...)` and `"...".format(...)`, but not into calls (a call to the catalogue is the point); and an `N_`
    constant shown as it is (it is English until `_()` translates it)."""
    if isinstance(node, ast.Name | ast.Attribute) and (node.id if isinstance(node, ast.Name) else node.attr) in MARKED:
        yield node.id if isinstance(node, ast.Name) else node.attr
    elif isinstance(node, ast.FormattedValue):
        yield from words_outside_the_catalogue(node.value)
    elif isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = re.sub(r"\{[^}]*\}", "", node.value)  # a str.format placeholder is not a word
        if WORD.search(text):
            yield node.value
    elif isinstance(node, ast.JoinedStr):
        for part in node.values:
            yield from words_outside_the_catalogue(part)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        yield from words_outside_the_catalogue(node.left)
        yield from words_outside_the_catalogue(node.right)
    elif isinstance(node, ast.IfExp):
        yield from words_outside_the_catalogue(node.body)
        yield from words_outside_the_catalogue(node.orelse)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):  # "Round %d" % n
        yield from words_outside_the_catalogue(node.left)
    elif isinstance(node, ast.Call) and called(node) in {"join", "format"} and isinstance(node.func, ast.Attribute):
        yield from words_outside_the_catalogue(node.func.value)


def shown_arguments(node: ast.Call) -> Iterator[ast.expr]:
    name = called(node)
    if name not in SINKS or name in CATALOGUE:
        return
    if name == "File":  # a file's name and its description (alt text) are shown; its bytes are not
        yield from (k.value for k in node.keywords if k.arg == "description")
        return
    yield from node.args
    yield from (k.value for k in node.keywords if k.arg in SHOWN_KEYWORDS)


def card_fields(node: ast.Call) -> Iterator[ast.expr]:
    """`card.add(name, value)`: a card's field (`set.add` takes one argument, so it never matches)."""
    if called(node) == "add" and len(node.args) >= 2:
        yield from node.args[:2]


def bypasses(path: Path, root: Path = ROOT) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Call):
            for argument in (*shown_arguments(node), *card_fields(node)):
                for text in words_outside_the_catalogue(argument):
                    found.append(f"{path.relative_to(root)}:{node.lineno}: {text!r}")
    return found


# -- exceptions whose message a member reads --------------------------------------------------------------


def caught(handler: ast.ExceptHandler) -> set[str]:
    """The exception classes an `except` clause names."""
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type] if handler.type else []
    return {name_of(kind) for kind in kinds} - {""}


def mentions(node: ast.AST, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))


def shown_exceptions(trees: list[ast.Module]) -> set[str]:
    """Every exception class whose message a member reads: `SHOWN_EXCEPTIONS`, their subclasses, and whatever is
    caught where the caught error goes into building one of them or an answer, and its subclasses, and so on."""
    classes = [node for tree in trees for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    handlers = [node for tree in trees for node in ast.walk(tree) if isinstance(node, ast.ExceptHandler)]
    shown = set(SHOWN_EXCEPTIONS)
    while True:
        found = {c.name for c in classes if any(name_of(base) in shown for base in c.bases)}
        for handler in handlers:
            calls = [n for statement in handler.body for n in ast.walk(statement) if isinstance(n, ast.Call)]
            name = handler.name
            if name and any(called(call) in shown | SINKS and mentions(call, name) for call in calls):
                found |= caught(handler)
        if found <= shown:
            return shown
        shown |= found


def untranslated(node: ast.expr, scope: dict[str, list[ast.expr]], seen: frozenset[str] = frozenset()) -> Iterator[str]:
    """How `node`, an exception's message, was made outside the catalogues, if it was: looking through
    `a if c else b`, local variables (`scope`: what each name is assigned in the function) and the module's own
    helper functions (`scope`'s `name()`: what they return); a call to anything else is trusted."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and WORD.search(node.value):
        yield f"a string literal {node.value!r}"
    elif isinstance(node, ast.JoinedStr):
        yield "an f-string"
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        yield "% formatting" if isinstance(node.op, ast.Mod) else "a concatenation"
    elif isinstance(node, ast.IfExp):
        yield from untranslated(node.body, scope, seen)
        yield from untranslated(node.orelse, scope, seen)
    elif isinstance(node, ast.Call) and called(node) in {"format", "N_"}:
        yield ".format()" if called(node) == "format" else "N_() shown untranslated"
    elif name_of(node) in MARKED:
        yield f"the N_ constant {name_of(node)} shown untranslated"
    elif isinstance(node, ast.Name | ast.Call):
        key = f"{called(node)}()" if isinstance(node, ast.Call) else node.id
        for value in [] if key in seen else scope.get(key, []):
            yield from untranslated(value, scope, seen | {key})


def assignments(node: ast.AST) -> dict[str, list[ast.expr]]:
    """What each name is assigned within `node` (`x += y` counts as `x + y`); `f()`: what function f returns."""
    found: dict[str, list[ast.expr]] = {}
    for n in ast.walk(node):
        if isinstance(n, ast.Assign | ast.AnnAssign) and n.value is not None:
            for target in n.targets if isinstance(n, ast.Assign) else [n.target]:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, []).append(n.value)
        elif isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
            found.setdefault(n.target.id, []).append(ast.BinOp(n.target, n.op, n.value))
        elif isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef):
            returns = [r.value for r in ast.walk(n) if isinstance(r, ast.Return) and r.value is not None]
            found.setdefault(f"{n.name}()", []).extend(returns)
    return found


def messages(node: ast.Call, shown: set[str], inside: str | None) -> list[ast.expr]:
    """The arguments a shown exception is built from: `Shown(...)`, or `super().__init__(...)` in its class."""
    if called(node) in shown:
        return list(node.args)
    func = node.func
    on_super = isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call) and called(func.value) == "super"
    return list(node.args) if inside in shown and on_super and called(node) == "__init__" else []


def untranslated_messages(path: Path, shown: set[str], root: Path = ROOT) -> set[str]:
    """Each shown exception built, in `path`, from a message outside the catalogues."""
    tree = parsed(path)
    helpers = {k: v for k, v in assignments(tree).items() if k.endswith("()")}
    owners = {id(n): c.name for c in ast.walk(tree) if isinstance(c, ast.ClassDef) for n in ast.walk(c)}
    found = set()
    for function in [tree, *(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef))]:
        scope = {**helpers, **(assignments(function) if function is not tree else {})}
        for node in ast.walk(function):
            if isinstance(node, ast.Call):
                for argument in messages(node, shown, owners.get(id(node))):
                    for how in untranslated(argument, scope):
                        found.add(f"{path.relative_to(root)}:{node.lineno}: {called(node)}(...) from {how}")
    return found


def test_no_words_reach_a_member_without_the_catalogues() -> None:
    MARKED.update(marked_constants())
    assert {"FOOTER", "INTERNAL_ERROR", "TIE_NOTE"} <= MARKED
    found = [line for path in modules() for line in bypasses(path)]
    assert found == [], "user-visible text outside the catalogues (wrap it in _() or ngettext()):\n" + "\n".join(found)


def test_every_exception_a_member_reads_carries_a_translated_message() -> None:
    MARKED.update(marked_constants())
    shown = shown_exceptions([parsed(path) for path in modules(operator=True)])
    assert shown >= KNOWN_SHOWN, f"no longer found to be shown: {KNOWN_SHOWN - shown}"
    found = sorted(line for path in modules(operator=True) for line in untranslated_messages(path, shown))
    assert found == [], "a member would read this untranslated (build it with _(), _l() or ngettext()):\n" + "\n".join(
        found
    )


def test_the_check_finds_what_it_is_meant_to(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "async def f(interaction, card, n):\n"
        "    await reply(interaction, 'Saved.')\n"
        "    await reply(interaction, f'Round {n} is open')\n"
        "    card.add('Composer', value)\n"
        "    Button(label='Next')\n"
        "    Select(placeholder='Choose ' + name)\n"
        "    await reply(interaction, 'Round {n} is open'.format(n=n))\n"
        "    await reply(interaction, 'Round %d is open' % n)\n"
        "    await reply(interaction, _('Saved.'))\n"
        "    await reply(interaction, f'**{n}** · ✅')\n"
        "    card.add(_('Composer'), '\\n'.join(lines))\n"
        "    seen.add('word')\n"
        "    Button(label=f'#{n}', custom_id='hr:poll:mine')\n"
        "    Card(title=_('Sources'), footer=FOOTER)\n"
        "    await reply(interaction, f'{x}\\n{FOOTER}')\n"
        "    await reply(interaction, _('Round {n} is open').format(n=n))\n"
        "    Card(title=_('Sources'), footer=_(FOOTER))\n",
        "utf-8",
    )
    MARKED.add("FOOTER")
    found = [line.split(": ", 1)[1] for line in bypasses(sample, tmp_path)]
    assert sorted(found) == sorted(
        [
            "'Saved.'",
            "'Round '",
            "' is open'",
            "'Composer'",
            "'Next'",
            "'Choose '",
            "'Round {n} is open'",
            "'Round %d is open'",
            "'FOOTER'",
            "'FOOTER'",
        ]
    )


def test_the_exception_check_finds_what_it_is_meant_to(tmp_path: Path) -> None:
    """Run on a module beside the bot's own (which make `ZoneError` shown: `/reminders timezone` shows it)."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "class MoonError(ZoneError):\n"
        "    def __init__(self, moon):\n"
        "        super().__init__(f'{moon} has no time zone')\n"
        "class OrbitError(ValueError):\n"
        "    pass\n"
        "def hint(n):\n"
        "    return 'Try UTC+' + str(n)\n"
        "def parse(typed, n, error):\n"
        "    raise ZoneError('Mars has no time zone')\n"
        "    raise LeadTimeError(f'{typed} is not a lead time')\n"
        "    raise DateTimeError('%s is not a date' % typed)\n"
        "    raise ScheduleError('{typed} has passed'.format(typed=typed))\n"
        "    raise TemplateError(_('The template is empty.') + ' Give some text.')\n"
        "    raise PollRuleError(CLOSED)\n"
        "    raise UserError(_('fine') if n else 'No such track')\n"
        "    message = 'Nothing was changed'\n"
        "    message += '.'\n"
        "    raise ChangeRefused(message)\n"
        "    raise ZoneError(hint(n))\n"
        "    raise OrbitError('Pluto is too far')\n"
        "    raise ValueError('operators read this one')\n"
        "    raise ZoneError(_('{typed} is not a time zone I know.', typed=typed))\n"
        "    raise LeadTimeError(ngettext('{n} day', '{n} days', n, n=n))\n"
        "    raise DatabaseBusy(_l(BUSY))\n"
        "    raise PollRuleError(_(CLOSED))\n"
        "    raise UserError(str(error))\n"
        "    raise UserError(error.text)\n"
        "    raise PlanError(release, zone.key)\n"
        "    text = _('Nothing was changed.')\n"
        "    raise ChangeRefused(text)\n"
        "def shown_orbit():\n"
        "    try:\n"
        "        pass\n"
        "    except OrbitError as error:\n"
        "        raise UserError(_('`zone`: {problem}', problem=str(error))) from error\n",
        "utf-8",
    )
    MARKED.update(marked_constants() | {"CLOSED"})
    shown = shown_exceptions([*(parsed(path) for path in modules(operator=True)), parsed(sample)])
    assert {"MoonError", "OrbitError"} <= shown and "ValueError" not in shown
    found = sorted(line.split(": ", 1)[1] for line in untranslated_messages(sample, shown, tmp_path))
    assert found == sorted(
        [
            "__init__(...) from an f-string",
            "ZoneError(...) from a string literal 'Mars has no time zone'",
            "LeadTimeError(...) from an f-string",
            "DateTimeError(...) from % formatting",
            "ScheduleError(...) from .format()",
            "TemplateError(...) from a concatenation",
            "PollRuleError(...) from the N_ constant CLOSED shown untranslated",
            "UserError(...) from a string literal 'No such track'",
            "ChangeRefused(...) from a string literal 'Nothing was changed'",
            "ChangeRefused(...) from a concatenation",
            "ZoneError(...) from a concatenation",  # the module's helper `hint` returns one
            "OrbitError(...) from a string literal 'Pluto is too far'",
        ]
    )


# -- messages the template lacks, record phrases, identifiers as words, agreement -------------------------------


def asked(tree: ast.Module) -> Iterator[tuple[ast.Call, str | None, str]]:
    """Each call asking the catalogues for a literal message: (call, context, message id)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and called(node) in CATALOGUE:
            contextual = called(node) in CONTEXTUAL
            literals = [
                arg.value for arg in node.args[:2] if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            ]
            if contextual and len(literals) == 2:
                yield node, literals[0], literals[1]
            elif not contextual and node.args and isinstance(node.args[0], ast.Constant) and literals:
                yield node, None, literals[0]


def missing_from_the_template(path: Path, template: set[tuple[str | None, str]], root: Path = ROOT) -> list[str]:
    return [
        f"{path.relative_to(root)}:{call.lineno}: {message!r}" + (f" (context {context!r})" if context else "")
        for call, context, message in asked(parsed(path))
        if (context, message) not in template
    ]


def template_messages(path: Path = TEMPLATE) -> set[tuple[str | None, str]]:
    with path.open("rb") as file:
        catalog = read_po(file)
    return {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in catalog if m.id}


def without_context(path: Path, root: Path = ROOT) -> list[str]:
    return [
        f"{path.relative_to(root)}:{call.lineno}: {message!r}"
        for call, context, message in asked(parsed(path))
        if context is None and message in AGREEING
    ]


def enclosing_scopes(tree: ast.Module) -> Iterator[tuple[ast.AST, dict[str, list[ast.expr]]]]:
    """The module and each function, with what each name is assigned there (module constants too)."""
    module: dict[str, list[ast.expr]] = {}
    for statement in tree.body:  # the module's constants, not what its functions assign
        if isinstance(statement, ast.Assign | ast.AnnAssign):
            for name, values in assignments(statement).items():
                module.setdefault(name, []).extend(values)
    yield tree, module
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node, {**module, **assignments(node)}


def shown_expressions(tree: ast.Module) -> Iterator[tuple[ast.expr, dict[str, list[ast.expr]]]]:
    """Everything a member reads: what goes to an answer, a card or a component, and the values a message is
    filled with; each with the assignments of its function (to look through a local variable)."""
    for scope_node, scope in enclosing_scopes(tree):
        body = scope_node.body if isinstance(scope_node, ast.Module) else [scope_node]
        for node in (n for statement in body for n in ast.walk(statement)):
            if isinstance(node, ast.Call):
                yield from ((argument, scope) for argument in (*shown_arguments(node), *card_fields(node)))
                if called(node) in CATALOGUE:
                    yield from ((k.value, scope) for k in node.keywords)


def shown_attributes(trees: list[ast.Module]) -> set[str]:
    """The attribute names a member reads (`release.title` in an answer, directly or through a local variable)."""
    names: set[str] = set()
    for tree in trees:
        for expression, scope in shown_expressions(tree):
            values = through_locals(expression, scope)
            names |= {n.attr for value in values for n in ast.walk(value) if isinstance(n, ast.Attribute)}
    return names


def through_locals(expression: ast.expr, scope: dict[str, list[ast.expr]]) -> list[ast.expr]:
    """`expression` and what the names in it are assigned (one step: `text = ...; reply(interaction, text)`)."""
    return [expression, *(v for n in ast.walk(expression) if isinstance(n, ast.Name) for v in scope.get(n.id, []))]


def phrases(node: ast.expr, scope: dict[str, list[ast.expr]], seen: frozenset[str] = frozenset()) -> Iterator[str]:
    """The English phrases (words with a space between them) a value is built from outside the catalogues, looking
    through f-strings, `+`, `a or b`, `a if c else b`, local variables and module constants (a dict's values)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = re.sub(r"\{[^}]*\}", "", node.value)
        if WORD.search(text) and " " in text:
            yield node.value
    elif isinstance(node, ast.JoinedStr | ast.Dict):
        for part in node.values:
            if part is not None:
                yield from phrases(part.value if isinstance(part, ast.FormattedValue) else part, scope, seen)
    elif isinstance(node, ast.FormattedValue):
        yield from phrases(node.value, scope, seen)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        yield from phrases(node.left, scope, seen)
        yield from phrases(node.right, scope, seen)
    elif isinstance(node, ast.BoolOp):
        for value in node.values:
            yield from phrases(value, scope, seen)
    elif isinstance(node, ast.IfExp):
        yield from phrases(node.body, scope, seen)
        yield from phrases(node.orelse, scope, seen)
    elif isinstance(node, ast.Subscript):
        yield from phrases(node.value, scope, seen)
    elif isinstance(node, ast.Name) and node.id not in seen:
        for value in scope.get(node.id, []):
            yield from phrases(value, scope, seen | {node.id})


def is_dataclass(node: ast.ClassDef) -> bool:
    return any(name_of(d.func if isinstance(d, ast.Call) else d) == "dataclass" for d in node.decorator_list)


def record_phrases(path: Path, records: set[str], shown: set[str], root: Path = ROOT) -> list[str]:
    """English phrases given to a record field a member reads (`Release(title=f"... on {format}")`), or returned by
    a record's property a member reads (`Song.label`)."""
    tree = parsed(path)
    found = []
    for scope_node, scope in enclosing_scopes(tree):
        body = scope_node.body if isinstance(scope_node, ast.Module) else [scope_node]
        for node in (n for statement in body for n in ast.walk(statement)):
            if isinstance(node, ast.Call) and called(node) in records:
                for keyword in node.keywords:
                    if keyword.arg in shown:
                        found += [f"{called(node)}({keyword.arg}={text!r})" for text in phrases(keyword.value, scope)]
            elif isinstance(node, ast.ClassDef) and node.name in records:
                for method in node.body:
                    if isinstance(method, ast.FunctionDef) and method.name in shown:
                        local = {**scope, **assignments(method)}
                        returns = [r.value for r in ast.walk(method) if isinstance(r, ast.Return) and r.value]
                        found += [f"{node.name}.{method.name}: {t!r}" for r in returns for t in phrases(r, local)]
    return sorted({f"{path.relative_to(root)}: {line}" for line in found})


def identifiers_as_words(path: Path, root: Path = ROOT) -> list[str]:
    """`name.replace("_", " ")` or `.title()` in what a member reads: a code name shown as (English) words."""
    found = []
    for expression, scope in shown_expressions(parsed(path)):
        for node in (n for value in through_locals(expression, scope) for n in ast.walk(value)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                underscores = called(node) == "replace" and [a.value for a in node.args if isinstance(a, ast.Constant)][
                    :1
                ] == ["_"]
                if underscores or called(node) == "title":
                    found.append(f"{path.relative_to(root)}:{node.lineno}: .{called(node)}(...)")
    return sorted(set(found))


def test_every_message_the_code_asks_for_is_in_the_template() -> None:
    """A message `pybabel extract` does not see (a `_()` inside an f-string) is never translated."""
    template = template_messages()
    found = [line for path in modules(operator=True) for line in missing_from_the_template(path, template)]
    assert found == [], "messages the catalogues never receive (write them outside f-strings):\n" + "\n".join(found)


def test_a_catalogue_records_words_are_the_fact_sheets_or_marked() -> None:
    trees = [parsed(path) for path in modules()]
    records = {c.name for tree in trees for c in ast.walk(tree) if isinstance(c, ast.ClassDef) and is_dataclass(c)}
    shown = shown_attributes(trees)
    assert {"Release", "Song", "Track"} <= records and {"title", "status", "label"} <= shown
    found = [line for path in modules() for line in record_phrases(path, records, shown)]
    assert found == [], "a record a member reads holds English built in code (mark it with _l or _lp):\n" + "\n".join(
        found
    )


def test_no_identifier_is_shown_as_words() -> None:
    found = [line for path in modules() for line in identifiers_as_words(path)]
    assert found == [], "a code name shown as English words (name it through the catalogues):\n" + "\n".join(found)


def test_words_that_agree_with_what_they_qualify_carry_a_context() -> None:
    found = [line for path in modules() for line in without_context(path)]
    assert found == [], "use pgettext(what it qualifies, ...) so each language can agree it:\n" + "\n".join(found)


def test_the_new_checks_find_what_they_are_meant_to(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "@dataclass(frozen=True)\n"
        "class Disc:\n"
        "    title: str\n"
        "    status: str\n"
        "    kind: str\n"
        "    @property\n"
        "    def label(self):\n"
        "        return f'{self.title} (title unknown)' if self.kind else self.title\n"
        "    @property\n"
        "    def key(self):\n"
        "        return f'disc {self.kind}'\n"
        "LABELS = {'cd': 'on compact disc', 'lp': 'vinyl'}\n"
        "def disc(fmt, expected, n, error, card):\n"
        "    status = f'announced for {expected}' if expected else None\n"
        "    Disc(title=None or f'The album on {fmt}', status=status, kind='two words')\n"
        "    Disc(title=_l('The album on {fmt}', fmt=fmt), status=LABELS[fmt], kind=fmt)\n"
        "    card.add(_('Single'), f\"{_('Yes: released as a single.')} {n}\")\n"
        "    reply(interaction, _('{value} is not a valid {kind}.', kind=error.type.name.replace('_', ' ')))\n"
        "    reply(interaction, disc.label + disc.status + disc.title)\n"
        "    card.add(_('Duration'), _('unknown'))\n"
        "    card.add(_('Duration'), pgettext('duration', 'unknown'))\n"
        "    missing = ', '.join(p.title() for p in error.missing)\n"
        "    card.add(_('Missing'), _('You lack {missing}.', missing=missing))\n",
        "utf-8",
    )
    tree = parsed(sample)
    assert shown_attributes([tree]) >= {"label", "status", "title"} and "key" not in shown_attributes([tree])
    assert record_phrases(sample, {"Disc"}, shown_attributes([tree]), tmp_path) == sorted(
        [
            "sample.py: Disc(title='The album on ')",
            "sample.py: Disc(status='announced for ')",
            "sample.py: Disc(status='on compact disc')",
            "sample.py: Disc.label: ' (title unknown)'",
        ]
    ), "the kind (`kind` is never shown) and the key (never shown either) are not phrases a member reads"
    template = {(None, "Single"), (None, "Duration"), (None, "unknown"), ("duration", "unknown")}
    template |= {(None, "{value} is not a valid {kind}."), (None, "Missing"), (None, "The album on {fmt}")}
    template |= {(None, "You lack {missing}.")}
    assert [line.split(": ", 1)[1] for line in missing_from_the_template(sample, template, tmp_path)] == [
        "'Yes: released as a single.'"
    ]
    assert [line.split(": ", 1)[1] for line in identifiers_as_words(sample, tmp_path)] == [
        ".replace(...)",
        ".title(...)",
    ]
    assert [line.split(": ", 1)[1] for line in without_context(sample, tmp_path)] == ["'unknown'"]
