"""What every report says about where its numbers come from: the SYNTHETIC banner, the notice of a
run outside run_all.py, the key findings, the files read (release, checksum) and the counting basis,
and the link to the caveats page. A part of ``Analysis`` (``analysis.py``), kept apart from the measures."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from IPython.display import HTML

from crimeoutcomes.templates import render, synthetic_banner

if TYPE_CHECKING:
    from crimeoutcomes.data.source_files import SourceSet

BASIS_WORDS = {
    "closed": "outcomes assigned in the year (investigations closed in the year, whenever the offence was recorded)",
    "recorded": "outcomes so far of the offences recorded in the year (later revisions can still add outcomes)",
}

#: What the provenance block shows of each file's manifest entry.
PROVENANCE_FIELDS = ("title", "url", "release", "release_date", "retrieved_at", "sha256")


class Provenance:
    """Mixed into ``Analysis``, whose fields and properties these are."""

    financial_year: str
    count_basis: str
    sources: SourceSet
    published: bool
    caveats_page: str
    figures_dir: Path

    if TYPE_CHECKING:  # Analysis's properties

        @property
        def years(self) -> list[str]: ...

        @property
        def synthetic(self) -> bool: ...

    def files_read(self) -> list[Path]:
        raise NotImplementedError

    @property
    def basis_words(self) -> str:
        return BASIS_WORDS[self.count_basis]

    def source_files(self) -> list[dict]:
        """The files this analysis read, as the folder's manifest records them."""
        return [
            {"file": path.name, **{key: self.sources.entry(path).get(key) for key in PROVENANCE_FIELDS}}
            for path in sorted(self.files_read(), key=lambda p: p.name)
        ]

    def releases(self) -> dict[str, str]:
        """Financial year -> the release (date stamp) of the file read for it."""
        return {
            year: self.sources.entry(path).get("release") or path.name
            for year, path in self.sources.outcomes.items()
            if year in self.years
        }

    def provenance(self):
        """Where every number on the page comes from: the files, their releases and checksums, the basis."""
        return HTML(
            render(
                "provenance.html.j2",
                basis=self.count_basis,
                basis_words=self.basis_words,
                first=self.years[0],
                last=self.years[-1],
                files=self.source_files(),
            )
        )

    def banner(self, findings: Sequence[str] = ()):
        """The top of every report: the SYNTHETIC warning where it applies, a notice where the page is
        not a published build, the key findings (``prose.findings``), then the provenance block,
        collapsed, and the link to the caveats page."""
        key_findings = (
            render(
                "findings.html.j2",
                sentences=list(findings),
                year=self.financial_year,
                basis=self.count_basis,
                basis_words=self.basis_words,
                first=self.years[0],
                last=self.years[-1],
                synthetic=self.synthetic,
            )
            if findings
            else ""
        )
        return HTML(
            (synthetic_banner() if self.synthetic else "")
            + ("" if self.published else self.scratch_notice())
            + key_findings
            + self.provenance().data
            + render("caveats_link.html.j2", page=self.caveats_page)
        )

    def scratch_notice(self) -> str:
        return render("scratch_notice.html.j2", folder=str(self.figures_dir))
