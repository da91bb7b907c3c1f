"""No words reach a member without the catalogues: a check of the source, not of what one run happens to show.

It reads every module of bot/ and cogs/ and finds string literals with words in them passed straight to what a
member reads: an answer (`reply`, `update`, `send`, `send_message`, `send_ephemeral`...), a refusal
(`UserError`, `Refusal` and their kind), an embed or card (`Embed`, `Card`, `add_field`, `set_footer`, a
card's `add`), a component (`Button`, `Select`, `SelectOption`: `label=`, `placeholder=`...). A literal is
fine inside `_()`, `ngettext()`, `_l()`, `N_()`; what is allowed outside them is only what has no words
(emoji, punctuation, `**{x}**`-style formats, `#`).
"""

from __future__ import annotations

import ast
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
REFUSALS = {"UserError", "Refusal", "PollRuleError", "DatabaseBusy"}
EMBEDS = {"Embed", "Card", "add_field", "set_footer", "set_author", "insert_field_at", "set_field_at"}
COMPONENTS = {"Button", "Select", "SelectOption", "TextInput", "Modal", "File"}
SINKS = ANSWERS | REFUSALS | EMBEDS | COMPONENTS
SHOWN_KEYWORDS = {"content", "title", "description", "label", "placeholder", "name", "value", "text", "footer"}
CATALOGUE = {"_", "ngettext", "pgettext", "_l", "_nl", "N_", "gettext"}
WORD = re.compile(r"[^\W\d_]{2,}")  # two letters in a row: a word, in any script


def modules() -> Iterator[Path]:
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if not relative.startswith(NOT_YET_CONVERTED + OPERATOR_ONLY):
                yield path


def called(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def marked_constants() -> set[str]:
    """Module constants marked `X = N_("...")`: English until translated where used, `_(X)`."""
    names: set[str] = set()
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and called(node.value) == "N_":
                names.update(target.id for target in node.targets if isinstance(target, ast.Name))
    return names


MARKED: set[str] = set()


def words_outside_the_catalogue(node: ast.expr) -> Iterator[str]:
    """The literal text with words in an expression shown as it is, looking through f-strings, `+`, `a if c
    else b` and `"sep".join(...)`, but not into calls (a call to the catalogue is the point); and an `N_`
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
    elif isinstance(node, ast.Call) and called(node) == "join" and isinstance(node.func, ast.Attribute):
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


def test_no_words_reach_a_member_without_the_catalogues() -> None:
    MARKED.update(marked_constants())
    assert {"FOOTER", "INTERNAL_ERROR", "TIE_NOTE"} <= MARKED
    found = [line for path in modules() for line in bypasses(path)]
    assert found == [], "user-visible text outside the catalogues (wrap it in _() or ngettext()):\n" + "\n".join(found)


def test_the_check_finds_what_it_is_meant_to(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "async def f(interaction, card, n):\n"
        "    await reply(interaction, 'Saved.')\n"
        "    await reply(interaction, f'Round {n} is open')\n"
        "    raise UserError('No such track' if n else _('fine'))\n"
        "    card.add('Composer', value)\n"
        "    Button(label='Next')\n"
        "    Select(placeholder='Choose ' + name)\n"
        "    await reply(interaction, _('Saved.'))\n"
        "    await reply(interaction, f'**{n}** · ✅')\n"
        "    card.add(_('Composer'), '\\n'.join(lines))\n"
        "    seen.add('word')\n"
        "    Button(label=f'#{n}', custom_id='hr:poll:mine')\n"
        "    Card(title=_('Sources'), footer=FOOTER)\n"
        "    await reply(interaction, f'{x}\\n{FOOTER}')\n"
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
            "'No such track'",
            "'Composer'",
            "'Next'",
            "'Choose '",
            "'FOOTER'",
            "'FOOTER'",
        ]
    )
