"""The built-in domain plugins: fourteen exams, one domain each.

Each registers through the ``examqa.plugins`` entry-point group.
"""

from __future__ import annotations

from examqa.exams.plugins import Domain, domain_from_files
from examqa.exams.resources import exams_dir, prompts_dir


def builtin_domain(name: str, *exam_ids: str) -> Domain:
    """A bundled domain: blueprints ``exams/<id>.json``, templates ``prompts/<name>/``, samples."""
    return domain_from_files(
        name,
        [exams_dir() / f"{exam_id}.json" for exam_id in exam_ids],
        prompts=prompts_dir() / name,
        samples=exams_dir() / "samples",
    )
