"""No words reach a member without the catalogues: a check of the source, not of what one run happens to show.

It reads every module of bot/ and cogs/ and finds string literals with words in them passed straight to what a
member reads: an answer (`reply`, `update`, `send`, `send_message`, `send_ephemeral`...), an embed or card
(`Embed`, `Card`, `add_field`, `set_footer`, a card's `add`), a component (`Button`, `Select`, `SelectOption`:
`label=`, `placeholder=`...), looking through f-strings, `+`, `%` and `.format`. A literal is fine inside `_()`,
`ngettext()`, `_l()`, `N_()`; what is allowed outside them is only what has no words (emoji, punctuation,
`**{x}**`-style formats, `#`).

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
CATALOGUE = {"_", "ngettext", "pgettext", "_l", "_nl", "N_", "gettext"}
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
