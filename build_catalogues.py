"""Build hook: compile the message catalogues (`bot/locales/<lang>/LC_MESSAGES/messages.po`) to `.mo`.

Registered in pyproject.toml (`[tool.setuptools] cmdclass`), so every install compiles them with Babel (a build
requirement): `pip install .` puts the `.mo` files in the wheel; `pip install -e .` writes them next to their
`.po` in the source tree, as setuptools asks of a build step in editable mode (the `.mo` files are git-ignored).
After editing a `.po` without reinstalling, `pybabel compile -d bot/locales` does the same.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools.command.build_py import build_py

LOCALES = Path("bot") / "locales"


def compile_catalogue(po: Path, mo: Path) -> None:
    """One `.po` to its `.mo`; fuzzy entries are left out, as `pybabel compile` does."""
    with po.open("rb") as source:
        catalogue = read_po(source)
    mo.parent.mkdir(parents=True, exist_ok=True)
    with mo.open("wb") as target:
        write_mo(target, catalogue, use_fuzzy=False)


class BuildWithCatalogues(build_py):
    """setuptools' build_py, then the catalogues compiled: into the build, or in place in editable mode."""

    def run(self) -> None:
        super().run()
        for po, mo in self._catalogues().items():
            self.announce(f"compiling {po} -> {mo}", level=2)
            compile_catalogue(po, mo)

    def _catalogues(self) -> dict[Path, Path]:
        """Each source `.po` and where its `.mo` goes."""
        target = Path() if self.editable_mode else Path(self.build_lib)
        return {po: target / po.with_suffix(".mo") for po in sorted(LOCALES.glob("*/LC_MESSAGES/*.po"))}

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        return [*super().get_outputs(include_bytecode), *(str(mo) for mo in self._catalogues().values())]

    def get_output_mapping(self) -> dict[str, str]:
        mapping = dict(super().get_output_mapping())
        mapping.update({str(mo): str(po) for po, mo in self._catalogues().items()})
        return mapping
