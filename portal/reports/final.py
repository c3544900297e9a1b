"""The final document: its upload, its difference from the draft, and the comments behind each change.

The final text has the draft's format ("## Title" per section) and is split by the draft's own
parser, so § N of the final version is compared with § N of the draft: a section only in the
final is new, one only in the draft removed. Paragraphs are compared with difflib; a changed
paragraph is compared word by word (`word_diff.py`); only the stored `FinalSection.html` is
printed as it is.

Staff tie a changed section to the report's comments that caused the change (`ChangeLink`);
saving a section's links replaces them. Re-uploading the final version replaces it and drops
the links of sections that no longer differ from the draft.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from difflib import SequenceMatcher

from markupsafe import Markup
from sqlalchemy import delete, select

from portal import audit, clock
from portal.consultations.models import Consultation
from portal.extensions import db
from portal.forum import drafts
from portal.forum.models import DraftParagraph, DraftSection, heading
from portal.reports.models import ChangeLink, FinalSection
from portal.reports.services import report_for_update
from portal.reports.word_diff import DELETED, EQUAL, INSERTED, block_diff, normal, rendered, whole, word_diff
from portal.sanitize import render_markdown

UNCHANGED, CHANGED, NEW, REMOVED = "unchanged", "changed", "new", "removed"


@dataclass(frozen=True)
class SectionText:
    """One section of either version: its number, title and paragraphs (Markdown source each)."""

    number: int
    title: str
    paragraphs: tuple[str, ...]
    html: str = ""  # the final version's sanitised HTML of the whole section
    label: str = ""  # as written: "Rozdział 9", "§ 3" (the parser and the stored rows always have one)

    @property
    def heading(self) -> str:
        return heading(self.label, self.title)


@dataclass(frozen=True)
class ParagraphDiff:
    kind: str       # EQUAL, CHANGED, INSERTED or DELETED
    old: str = ""   # the draft's Markdown (CHANGED, DELETED)
    new: str = ""   # the final version's Markdown (EQUAL, CHANGED, INSERTED)

    @cached_property
    def html(self) -> Markup:
        """The paragraph rendered, with <ins>/<del> where it differs: only when a page shows it."""
        if self.kind == EQUAL:
            return rendered(self.new)
        if self.kind == CHANGED:
            return block_diff(self.old, self.new)
        return whole(self.new, INSERTED) if self.kind == INSERTED else whole(self.old, DELETED)


@dataclass
class SectionDiff:
    number: int
    status: str                   # UNCHANGED, CHANGED, NEW or REMOVED
    draft_title: str | None
    final_title: str | None
    paragraphs: list[ParagraphDiff]
    final_html: str = ""
    title_html: Markup | None = None   # the title's difference, when the title changed
    comment_numbers: list[int] = field(default_factory=list)  # report numbers behind the change
    label: str = ""  # as written in the final version (else the draft): "Rozdział 9"

    @property
    def heading(self) -> str:
        return heading(self.label, self.title)

    @property
    def title(self) -> str:
        return self.final_title if self.final_title is not None else self.draft_title or ""

    @property
    def is_changed(self) -> bool:
        return self.status != UNCHANGED


# --- reading the two versions ------------------------------------------------------------------

def draft_texts(consultation_id: int) -> list[SectionText]:
    """The published draft, section by section: one query."""
    rows = db.session.execute(
        select(DraftSection.number, DraftSection.label, DraftSection.title, DraftParagraph.text)
        .outerjoin(DraftParagraph, DraftParagraph.section_id == DraftSection.id)
        .where(DraftSection.consultation_id == consultation_id)
        .order_by(DraftSection.number, DraftParagraph.number)).all()
    sections: dict[int, tuple[str, str, list[str]]] = {}
    for number, label, title, text in rows:
        paragraphs = sections.setdefault(number, (label, title, []))[2]
        if text is not None:
            paragraphs.append(text)
    return [SectionText(number, title, tuple(paragraphs), label=label)
            for number, (label, title, paragraphs) in sections.items()]


def final_texts(consultation_id: int) -> list[SectionText]:
    """The uploaded final version, section by section: one query."""
    return [SectionText(section.number, section.title, _paragraphs(section.text), section.html, section.label)
            for section in db.session.scalars(select(FinalSection)
                                              .where(FinalSection.consultation_id == consultation_id)
                                              .order_by(FinalSection.number))]


def parse_final(markdown_text: str | None) -> list[SectionText]:
    """The final text split like the draft (drafts.DraftError says what is wrong)."""
    return [SectionText(section.number, section.title, tuple(p.text for p in section.paragraphs),
                        str(render_markdown(_joined(section.paragraphs))), section.label)
            for section in drafts.parse(markdown_text)]


def _joined(paragraphs) -> str:
    return "\n\n".join(p if isinstance(p, str) else p.text for p in paragraphs)


def _paragraphs(text: str) -> tuple[str, ...]:
    """A stored section's paragraphs, split again by the parser that split them at upload."""
    if not text.strip():
        return ()
    return tuple(p.text for p in drafts.parse(f"## x\n\n{text}")[0].paragraphs)


def document_changes(consultation_id: int) -> list[SectionDiff] | None:
    """The draft compared with the final version (None before a final version is uploaded): two queries."""
    final = final_texts(consultation_id)
    if not final:
        return None
    return compare(draft_texts(consultation_id), final)


# --- comparing ---------------------------------------------------------------------------------

def compare(draft: list[SectionText], final: list[SectionText]) -> list[SectionDiff]:
    """Section by section, matched by number."""
    before, after = {s.number: s for s in draft}, {s.number: s for s in final}
    result = []
    for number in sorted(before.keys() | after.keys()):
        old, new = before.get(number), after.get(number)
        if old is None:
            result.append(SectionDiff(number, NEW, None, new.title, [
                ParagraphDiff(INSERTED, new=p) for p in new.paragraphs], new.html, label=new.label))
        elif new is None:
            result.append(SectionDiff(number, REMOVED, old.title, None, [
                ParagraphDiff(DELETED, old=p) for p in old.paragraphs], label=old.label))
        else:
            paragraphs = paragraph_diff(old.paragraphs, new.paragraphs)
            title_changed = normal(old.title) != normal(new.title)
            changed = title_changed or any(p.kind != EQUAL for p in paragraphs)
            result.append(SectionDiff(number, CHANGED if changed else UNCHANGED, old.title, new.title,
                                      paragraphs, new.html,
                                      word_diff(old.title, new.title) if title_changed else None,
                                      label=new.label or old.label))
    return result


def paragraph_diff(old: tuple[str, ...], new: tuple[str, ...]) -> list[ParagraphDiff]:
    """Paragraphs kept, changed (word by word), added and removed, in the final version's order."""
    result = []
    matcher = SequenceMatcher(None, [normal(p) for p in old], [normal(p) for p in new], autojunk=False)
    for operation, i1, i2, j1, j2 in matcher.get_opcodes():
        removed, added = old[i1:i2], new[j1:j2]
        if operation == "equal":
            result += [ParagraphDiff(EQUAL, new=p) for p in added]
            continue
        # A replaced run is compared pairwise; what one side has more of is added or removed whole.
        for index in range(max(len(removed), len(added))):
            if index < len(removed) and index < len(added):
                result.append(ParagraphDiff(CHANGED, removed[index], added[index]))
            elif index < len(removed):
                result.append(ParagraphDiff(DELETED, old=removed[index]))
            else:
                result.append(ParagraphDiff(INSERTED, new=added[index]))
    return result


# --- saving --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SaveResult:
    sections: int
    changed: list[int]          # numbers of the sections that differ from the draft
    dropped_links: int          # links of sections that no longer differ


def save_final(consultation: Consultation, markdown_text: str, actor) -> SaveResult:
    """Replace the final version (nothing is written unless the whole text parses); no commit here."""
    sections = parse_final(markdown_text)
    # Two uploads at once would collide on the section numbers: the second waits (PostgreSQL).
    db.session.execute(select(Consultation.id).where(Consultation.id == consultation.id).with_for_update())
    before = db.session.scalars(select(FinalSection.number).where(
        FinalSection.consultation_id == consultation.id)).all()
    db.session.execute(delete(FinalSection).where(FinalSection.consultation_id == consultation.id))
    db.session.add_all(FinalSection(consultation_id=consultation.id, number=s.number, label=s.label, title=s.title,
                                    text=_joined(s.paragraphs), html=s.html) for s in sections)
    report_for_update(consultation.id).final_uploaded_at = clock.now_utc()
    changed = [d.number for d in compare(draft_texts(consultation.id), sections) if d.is_changed]
    dropped = db.session.execute(delete(ChangeLink).where(
        ChangeLink.consultation_id == consultation.id, ChangeLink.section_number.not_in(changed))).rowcount
    audit.record(actor, "final_document_uploaded", consultation,
                 before={"sections": len(before)},
                 after={"sections": len(sections), "changed": changed, "dropped_links": dropped})
    return SaveResult(len(sections), changed, dropped)


def section_links(consultation_id: int) -> dict[int, list[int]]:
    """Section number -> ids of the comments linked to its change: one query."""
    links: dict[int, list[int]] = {}
    for section_number, post_id in db.session.execute(
            select(ChangeLink.section_number, ChangeLink.post_id)
            .where(ChangeLink.consultation_id == consultation_id).order_by(ChangeLink.post_id)):
        links.setdefault(section_number, []).append(post_id)
    return links


def link_comments(consultation: Consultation, section_number: int, post_ids: list[int], actor) -> None:
    """Replace the comments linked to the change in § `section_number` (ids checked by the caller's form)."""
    # Two staff saving the same section at once: the second waits, then replaces (PostgreSQL).
    db.session.execute(select(Consultation.id).where(Consultation.id == consultation.id).with_for_update())
    before = section_links(consultation.id).get(section_number, [])
    after = sorted(set(post_ids))
    db.session.execute(delete(ChangeLink).where(ChangeLink.consultation_id == consultation.id,
                                                ChangeLink.section_number == section_number))
    db.session.add_all(ChangeLink(post_id=post_id, section_number=section_number,
                                  consultation_id=consultation.id, created_by_id=getattr(actor, "id", None))
                       for post_id in after)
    audit.record(actor, "change_links_saved", consultation,
                 before={"section": section_number, "comments": before},
                 after={"section": section_number, "comments": after})


def with_comment_numbers(changes: list[SectionDiff], report_comments) -> list[SectionDiff]:
    """Fill each changed section's report numbers from `report_comments().comments`."""
    by_section: dict[int, list[int]] = {}
    for comment in report_comments:
        for number in comment.changed_sections:
            by_section.setdefault(number, []).append(comment.number)
    for change in changes:
        change.comment_numbers = sorted(by_section.get(change.number, [])) if change.is_changed else []
    return changes
