"""Read documents (.txt in any common Chinese encoding, .pdf, .docx) into ``Document``.

The encoding of a text file is detected, never guessed silently: a BOM, then
strict UTF-8, then UTF-16 without a BOM, then GB18030 (a superset of GBK and
GB2312), each accepted only when the result reads as Chinese text; the one
used is logged and kept in ``Document.encoding``. Anything else raises a
``DocumentError`` that names the file and what to do.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import re
import zipfile
from pathlib import Path

from gis._errors import DocumentError
from gis.documents import Document
from gis.normalise import normalise_text
from gis.registry import RegistryEntry, load_registry, registry_paths
from gis.sections import _PLAN_NO_RE, five_year_plan_period, sentences_from_text

__all__ = [
    "SUFFIXES",
    "decode_text",
    "document_from_text",
    "read_document",
]

log = logging.getLogger(__name__)

SUFFIXES = (".txt", ".pdf", ".docx")

_DATE_IN_TEXT = re.compile(r"((?:19|20)\d\d)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_CN = re.compile(r"[\u4e00-\u9fff]")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_CJK_TEXT = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef\u2000-\u206f]")


def _reads_as_text(text: str) -> bool:
    """Whether decoded text reads as a document: few controls, mostly CJK beyond ASCII.

    Judged on a sample of the text's start, middle and end (quick on 50 MB).
    """
    if len(text) > 300_000:
        mid = len(text) // 2
        text = text[:100_000] + text[mid : mid + 100_000] + text[-100_000:]
    if not text.strip():
        return True
    if len(_CONTROL.findall(text)) > max(2, len(text) // 1000):
        return False
    non_ascii = len(_NON_ASCII.findall(text))
    if not non_ascii:
        return True
    return len(_CJK_TEXT.findall(text)) / non_ascii >= 0.85


def decode_text(data: bytes, *, name: str = "<bytes>") -> tuple[str, str]:
    """Decode the bytes of a text document.

    Parameters
    ----------
    data : bytes
        The file's content.
    name : str
        File name, for messages.

    Returns
    -------
    tuple of str
        ``(text, encoding)`` with line ends normalised to ``\\n``.

    Raises
    ------
    DocumentError
        Empty, binary, or in no encoding that reads as Chinese text.
    """
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise DocumentError(f"{name!r} is empty; nothing to read")
    candidates: list[str] = []
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8"]
        sample = data[:4000]
        even_nul = sample[0::2].count(0)
        odd_nul = sample[1::2].count(0)
        if odd_nul and even_nul <= odd_nul // 10 and len(data) % 2 == 0:
            candidates.append("utf-16-le")
        elif even_nul and odd_nul <= even_nul // 10 and len(data) % 2 == 0:
            candidates.append("utf-16-be")
        elif b"\x00" in data:
            raise DocumentError(
                f"{name!r} looks binary (it holds NUL bytes) and is not UTF-16 text; "
                "planmap reads .txt, .pdf and .docx documents"
            )
        candidates.append("gb18030")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _reads_as_text(text):
            text = text.replace("\r\n", "\n").replace("\r", "\n")
            return text, encoding.replace("-sig", "") if encoding == "utf-8-sig" else encoding
    raise DocumentError(
        f"{name!r} cannot be decoded as UTF-8, UTF-16 or GB18030 Chinese text "
        f"(tried {', '.join(candidates)}); re-save it as UTF-8, or check that it is not a "
        "binary file"
    )


def _text_from_pdf(data: bytes, name: str) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")  # many PDFs are encrypted with an empty password
            except (PdfReadError, NotImplementedError, ValueError) as exc:
                opened = 0
                log.debug("decrypting %s failed: %s", name, exc)
            if not opened:
                raise DocumentError(
                    f"{name!r} is an encrypted PDF; save an unencrypted copy and read that"
                )
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(f"{name!r} is not a readable PDF ({exc}); is it truncated?") from exc
    text = "\n".join(pages)
    if not text.strip():
        raise DocumentError(
            f"{name!r} has no text layer (a scanned PDF?); run OCR on it first"
        )
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _text_from_docx(data: bytes, name: str) -> str:
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DocumentError(f"{name!r} is not a valid .docx file ({exc})") from exc
    lines: list[str] = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append("\t".join(cell.text.strip() for cell in row.cells))
    text = "\n".join(lines)
    if not text.strip():
        raise DocumentError(f"{name!r} is an empty .docx document")
    return text


def _kind_from_text(text: str) -> str:
    head = text[:3000]
    if "政府工作报告" in head or "政 府 工 作 报 告" in head:
        return "work_report"
    if "计划执行情况" in head and ("计划草案" in head or "计划的报告" in head):
        return "plan_execution_report"
    if "五年规划" in head and ("纲要" in head or "规划" in head):
        return "five_year_plan"
    return "other"


def _date_from_text(text: str) -> dt.date | None:
    for match in _DATE_IN_TEXT.finditer(text[:2000]):
        try:
            return dt.date(*(int(g) for g in match.groups()))
        except ValueError:
            continue
    return None


def _registry_for(path: Path, registry: dict[str, RegistryEntry] | None) -> dict[str, RegistryEntry]:
    if registry is not None:
        return registry
    merged: dict[str, RegistryEntry] = {}
    for registry_path in registry_paths(path):
        merged.update(load_registry(registry_path))
    return merged


def document_from_text(
    text: str,
    *,
    name: str = "document.txt",
    kind: str | None = None,
    date: dt.date | None = None,
    title: str = "",
    encoding: str = "utf-8",
    path: Path | None = None,
    sha256: str | None = None,
) -> Document:
    """Build a ``Document`` from decoded text: normalise, find sections, split sentences.

    Parameters
    ----------
    text : str
        The original (decoded) text.
    name : str
        File name used in outputs.
    kind : str, optional
        Document kind; detected from the text when ``None``.
    date : date, optional
        Document date; found in the text when ``None``.
    title, encoding, path, sha256 :
        Recorded on the document.

    Returns
    -------
    Document
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    kind = kind or _kind_from_text(text)
    # a date given (by the registry or the caller) wins over the first date in the text,
    # which in news is often the date of an event the article reports
    date = date or _date_from_text(text)
    norm = normalise_text(text)
    plan_period = None
    if kind == "five_year_plan":
        for match in _PLAN_NO_RE.finditer(norm.text[:400]):
            from gis.sections import _plan_numbers

            numbers = _plan_numbers(match.group(0))
            if numbers:
                plan_period = five_year_plan_period(numbers[0])
                break
    if not title:
        title = next((line for line in norm.text.split("\n") if line.strip()), name)[:80]
    doc = Document(
        path=path or Path(name),
        name=name,
        sha256=sha256 or hashlib.sha256(text.encode("utf-8")).hexdigest(),
        encoding=encoding,
        original=text,
        text=norm.text,
        offsets=norm.offsets,
        kind=kind,
        title=title,
        date=date,
    )
    doc.sentences = sentences_from_text(
        norm.text, doc=name, kind=kind, doc_date=date, plan_period=plan_period
    )
    return doc


def read_document(
    path: str | Path, *, registry: dict[str, RegistryEntry] | None = None
) -> Document:
    """Read one document file.

    Parameters
    ----------
    path : str or Path
        A ``.txt`` (UTF-8, UTF-8 with BOM, UTF-16, GB18030/GBK), ``.pdf`` or
        ``.docx`` file.
    registry : dict, optional
        Registry entries (``gis.registry.load_registry``); by default the
        bundled seeds registry and a ``registry.json`` beside the file.
        The registry gives title, kind and date where the text does not.

    Returns
    -------
    Document

    Raises
    ------
    DocumentError
        When the file is missing, empty, binary, undecodable, or a broken PDF/DOCX.
    """
    path = Path(path)
    name = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"cannot read {str(path)!r}: {exc.strerror}") from exc
    sha256 = hashlib.sha256(data).hexdigest()
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        text, encoding = _text_from_pdf(data, name), "pdf"
    elif suffix == ".docx":
        text, encoding = _text_from_docx(data, name), "docx"
    elif suffix in (".txt", ".text", ""):
        text, encoding = decode_text(data, name=name)
    else:
        raise DocumentError(
            f"{name!r} has suffix {suffix!r}; planmap reads {', '.join(SUFFIXES)}"
        )
    entry = _registry_for(path, registry)
    known = entry.get(sha256) or entry.get(name)
    text_kind = _kind_from_text(text)
    kind = text_kind if text_kind != "other" else (known.kind if known else "other")
    doc = document_from_text(
        text,
        name=name,
        kind=kind,
        date=known.date if known else None,
        title=known.title if known and known.title else "",
        encoding=encoding,
        path=path,
        sha256=sha256,
    )
    log.info(
        "read %s: %s, %s, %s, %d sentences",
        name, encoding, doc.kind, doc.date.isoformat() if doc.date else "no date",
        len(doc.sentences),
    )
    return doc
