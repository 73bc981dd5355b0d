"""Build an approved evidence bundle: manifest, proofs, checkpoint, files, age.

Order matters, because the bundle must prove its own export:

1. "exported" custody entries for each file (one transaction);
2. the manifest (files, every custody entry with its exact leaf bytes, events,
   acts and testimonies allowed for the audience), hashed;
3. a "bundle sealed" entry carrying the manifest's SHA-256;
4. a signed checkpoint covering all of them, and an inclusion proof for each;
5. the tar, streamed straight into pyrage's age encryptor: files are
   decrypted chunk by chunk and never touch the disk in plaintext, and each is
   re-hashed on the way, so a blob altered on the server aborts the build.

Which copy goes depends on the audience (`receives_originals`): courts,
prosecutors and investigating bodies get the originals; journalists, advocacy
and the public get only the working copies without metadata, and a file that
has none is withheld, never replaced by its original.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pyrage
from django.db import transaction
from django.utils import timezone
from pyrage import x25519

from corridor.audit import merkle
from corridor.audit.checkpoint import open_checkpoint, verifier_key
from corridor.audit.models import AuditEntry
from corridor.audit.services import (
    inclusion_proof,
    latest_checkpoint,
    make_checkpoint,
    record,
)
from corridor.audit.witnesses import cosigned_note, push_latest
from corridor.crypto.keys import keyd, preload
from corridor.evidence import bundle_format as fmt
from corridor.evidence import selectors, storage
from corridor.evidence.events import CUSTODY_CODES, EvidenceEvent
from corridor.evidence.models import (
    Act,
    BundleRequest,
    BundleStatus,
    EvidenceFile,
    Source,
    receives_originals,
)
from corridor.evidence.services.files import file_exported, file_read

README_TEXT = """Corridor evidence bundle / Пакет доказательств Corridor
=====================================================

EN. This archive holds evidence files, a manifest, and proofs that the files and
their chain of custody are recorded in the organisation's append-only, signed
audit log. Courts, prosecutors and investigating bodies receive the originals;
everyone else receives working copies without metadata (no GPS position, author,
device or creation time), and the manifest says which each file is ("copy").
A working copy is linked to its original by a custody entry that records both
hashes, so it can be checked without the original. To check it, without any
server:

    pip install corridor-verify      (the wheel the organisation hands over, or
                                     from its repository's verifier/ folder)
    corridor-verify bundle BUNDLE.age --identity YOUR-KEY.txt --log-key LOG-KEY \
        --witness WITNESS-KEY ... --require K

(or `corridor verify-bundle`). It checks the signed checkpoint, that the manifest
is the one sealed in the log, every custody entry's inclusion proof, and every
file's SHA-256, and names any item that was changed. Compare the log key it
prints with the one the organisation publishes. The standard `age` tool opens
the archive too: age -d -i YOUR-KEY.txt BUNDLE.age | tar x

RU. В архиве — файлы доказательств, опись (manifest.json) и доказательства
того, что файлы и цепочка их хранения записаны в подписанный журнал аудита
организации, который нельзя переписать незаметно. Суды, прокуратура и органы
расследования получают оригиналы; остальные — рабочие копии без метаданных (без
GPS-координат, автора, устройства и времени создания), и опись указывает, что
есть что («copy»). Рабочая копия связана с оригиналом записью о хранении, в
которой есть хеши обоих файлов, поэтому её можно проверить без оригинала.
Проверка без сервера:

    corridor-verify bundle BUNDLE.age --identity ВАШ-КЛЮЧ.txt --log-key КЛЮЧ-ЖУРНАЛА \
        --witness КЛЮЧ-СВИДЕТЕЛЯ ... --require K

Программа проверяет подпись контрольной точки журнала, что опись совпадает с
записанной в журнале, доказательство включения каждой записи о хранении и
SHA-256 каждого файла, и называет изменённый элемент. Сверьте ключ журнала с
ключом, опубликованным организацией. Стандартная программа `age` тоже открывает
архив: age -d -i ВАШ-КЛЮЧ.txt BUNDLE.age | tar x
"""


def readme_text() -> str:
    """The instructions, with the keys a court should pin (also on /transparency/)."""
    from corridor.audit.witnesses import configured

    public_key, origin = keyd().public_key()
    lines = [README_TEXT, "", "Log key / Ключ журнала (LOG-KEY):", f"    {verifier_key(origin, public_key)}"]
    witnesses = configured()
    if witnesses:
        lines.append("Witness keys / Ключи свидетелей (WITNESS-KEY):")
        lines += [f"    {w.key.vkey}" for w in witnesses]
    return "\n".join(lines) + "\n"


class BuildError(RuntimeError):
    pass


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _leaf_of(entry: AuditEntry) -> str:
    leaf = bytes(entry.leaf)
    if merkle.leaf_hash(leaf) != bytes(entry.leaf_hash):
        raise BuildError(f"audit entry {entry.seq} does not match its leaf hash; run `corridor audit verify`")
    return leaf.decode("ascii")


def select_contents(bundle: BundleRequest) -> dict:
    """Apply consent to the chosen events and files (see `corridor.evidence.consent`)."""
    events = list(bundle.events.select_related("data_key", "wave", "place__data_key", "place__kind"))
    event_ids = [e.id for e in events]
    allowed = selectors.permitted_acts(event_ids, bundle.audience)
    acts = list(Act.objects.filter(event_id__in=event_ids).select_related("act_type", "victim")
                .prefetch_related("places", "perpetrator_links__perpetrator__kind",
                                  "perpetrator_links__perpetrator__data_key", "places__data_key"))
    kept_acts = [a for a in acts if a.id in allowed]
    kept_event_ids = {a.event_id for a in kept_acts}
    kept_events = [e for e in events if e.id in kept_event_ids]
    sources = list(Source.objects.filter(event_id__in=event_ids).select_related("testimony__data_key",
                                                                                "testimony__person"))
    # A file chosen for export that documents only acts withheld for consent is withheld
    # too, whichever events it documents (chosen for this bundle or not).
    chosen_files = list(bundle.files.select_related("data_key"))
    links = list(Source.objects.filter(file__in=chosen_files).values_list("file_id", "event_id", "act_id"))
    linked_events = {event_id for _, event_id, _ in links}
    allowed_links = selectors.permitted_acts(linked_events, bundle.audience)
    events_with_allowed = set(Act.objects.filter(id__in=allowed_links).values_list("event_id", flat=True))
    files, withheld_files, without_copy = [], [], []
    originals = receives_originals(bundle.audience)
    for f in chosen_files:
        own = [(e, a) for file_id, e, a in links if file_id == f.id]
        if own and not any((a in allowed_links) if a else (e in events_with_allowed) for e, a in own):
            withheld_files.append(f.code)
        elif not originals and not f.has_working_copy:
            without_copy.append(f.code)  # no copy without metadata: the original never goes instead
        else:
            files.append(f)
    from corridor.evidence.consent import testimony_permits

    testimonies = {
        s.testimony.id: s.testimony for s in sources
        if s.testimony_id and testimony_permits(s.testimony, bundle.audience)
        and ((s.act_id in allowed) if s.act_id else (s.event_id in kept_event_ids))
    }
    return {
        "events": kept_events, "acts": kept_acts, "sources": sources, "files": files,
        "testimonies": list(testimonies.values()),
        "excluded": {
            "events": sorted(e.code for e in events if e.id not in kept_event_ids),
            "acts": len(acts) - len(kept_acts),
            "files": sorted(withheld_files),
            "files_without_copy": sorted(without_copy),
        },
    }


def _event_json(event, acts, sources, testimonies_ok, counts) -> dict:
    own = [a for a in acts if a.event_id == event.id]
    return {
        "code": event.code, "title": event.title, "description": event.description,
        "starts": _iso(event.starts), "starts_precision": event.starts_precision,
        "ends": _iso(event.ends), "ends_precision": event.ends_precision,
        "place": str(event.place.name) if event.place else None,
        "wave": event.wave.name_en if event.wave else None,
        "independent_sources": counts[0].get(event.id, 0),
        "acts": [
            {
                "id": str(a.id), "type": a.act_type.code, "type_en": a.act_type.label_en, "type_ru": a.act_type.label_ru,
                "victim": a.victim.code if a.victim else None, "victim_description": a.victim_label,
                "description": a.description, "places": [str(p.name) for p in a.places.all()],
                "perpetrators": [
                    {"name": link.perpetrator.name, "kind": link.perpetrator.kind.code, "involvement": link.involvement}
                    for link in a.perpetrator_links.all()
                ],
                "independent_sources": counts[1].get(a.id, 0),
            }
            for a in own
        ],
        "sources": [
            {"act": str(s.act_id) if s.act_id else None,
             "testimony": s.testimony.code if s.testimony_id else None,
             "file": str(s.file_id) if s.file_id else None, "reliability": s.reliability}
            for s in sources
            if s.event_id == event.id and (s.testimony_id is None or s.testimony_id in testimonies_ok)
            and (s.act_id is None or s.act_id in {a.id for a in own})
        ],
    }


def _file_json(f: EvidenceFile, audience: str, seqs: list[int]) -> dict:
    """A file as the manifest lists it: the original, or the working copy with the
    original's hash beside its own (the custody entries carry both)."""
    if receives_originals(audience):
        return {"id": str(f.id), "code": f.code, "path": fmt.file_path(str(f.id), f.kind), "copy": "original",
                "original_name": f.name, "kind": f.kind, "size": f.size, "sha256": f.sha256,
                "original_sha256": f.sha256, "received": _iso(f.received), "custody": seqs}
    # The sender's file name can name a person or a place ("IMG_Grozny_Petrov.jpg").
    return {"id": str(f.id), "code": f.code, "path": fmt.stripped_path(str(f.id), f.kind), "copy": "stripped",
            "original_name": None, "kind": f.kind, "size": f.working_size, "sha256": f.working_sha256,
            "original_sha256": f.sha256, "received": _iso(f.received), "custody": seqs}


def build_manifest(bundle: BundleRequest, contents: dict, custody: list[AuditEntry], readme: bytes) -> bytes:
    files, events = contents["files"], contents["events"]
    places = [e.place for e in events if e.place] + [p for a in contents["acts"] for p in a.places.all()]
    perpetrators = [link.perpetrator for a in contents["acts"] for link in a.perpetrator_links.all()]
    preload([f.data_key for f in files] + [e.data_key for e in events] + [p.data_key for p in places]
            + [p.data_key for p in perpetrators] + [t.data_key for t in contents["testimonies"]])
    counts = selectors.independent_counts([e.id for e in events])
    testimonies_ok = {t.id for t in contents["testimonies"]}
    seqs_by_file: dict[str, list[int]] = {}
    for entry in custody:
        seqs_by_file.setdefault(entry.object_id, []).append(entry.seq)
    manifest = {
        "format": fmt.FORMAT,
        "bundle": {
            "id": str(bundle.id), "code": bundle.code, "organisation": str(bundle.organisation_id),
            "audience": bundle.audience, "requested_by": bundle.requested_by.principal,
            "approved_by": bundle.decided_by.principal if bundle.decided_by else None,
            "created": timezone.now().astimezone(UTC).isoformat(timespec="seconds"),
        },
        "readme_sha256": hashlib.sha256(readme).hexdigest(),
        "files": [_file_json(f, bundle.audience, seqs_by_file.get(str(f.id), [])) for f in files],
        "custody": [
            {"seq": e.seq, "code": e.code, "file": e.object_id, "leaf": _leaf_of(e)} for e in custody
        ],
        "events": [_event_json(e, contents["acts"], contents["sources"], testimonies_ok, counts) for e in events],
        "testimonies": [
            {"code": t.code, "witness": t.person.code if t.person else None, "language": t.language,
             "interviewed_on": _iso(t.interviewed_on), "summary": t.summary, "transcript": t.transcript}
            for t in contents["testimonies"]
        ],
        "withheld_for_consent": contents["excluded"],
    }
    return json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")


def _tar_stream(members: list[tuple[str, bytes]], files: list[EvidenceFile], mtime: int, *,
                originals: bool = True) -> Iterator[bytes]:
    offset = 0
    for name, data in members:
        yield fmt.tar_header(name, len(data), mtime)
        yield data
        yield fmt.tar_padding(len(data))
        offset += fmt.BLOCK + len(data) + len(fmt.tar_padding(len(data)))
    for f in files:
        if originals:
            path, want_size, want_sha = fmt.file_path(str(f.id), f.kind), f.size, f.sha256
        else:
            path, want_size, want_sha = fmt.stripped_path(str(f.id), f.kind), f.working_size, f.working_sha256
        yield fmt.tar_header(path, want_size, mtime)
        sha, size = hashlib.sha256(), 0
        for chunk in file_read(f, working=not originals):
            sha.update(chunk)
            size += len(chunk)
            yield chunk
        if size != want_size or sha.hexdigest() != want_sha:
            raise BuildError(f"{f.code}: the stored blob does not match the file's recorded SHA-256")
        yield fmt.tar_padding(size)
        offset += fmt.BLOCK + size + len(fmt.tar_padding(size))
    yield fmt.tar_end(offset)


class _HashingWriter:
    def __init__(self, blob) -> None:
        self.blob = blob
        self.sha = hashlib.sha256()

    def write(self, data) -> int:
        data = bytes(data)
        self.sha.update(data)
        self.blob.write(data)
        return len(data)

    def flush(self) -> None:
        pass


def build(*, bundle: BundleRequest, actor) -> BundleRequest:
    """Build an approved bundle (outside any transaction: it commits in steps)."""
    recipients = [x25519.Recipient.from_str(r) for r in bundle.recipients]
    contents = select_contents(bundle)
    files = contents["files"]
    readme = readme_text().encode("utf-8")
    with transaction.atomic():
        for f in files:
            file_exported(actor=actor, file=f, bundle=bundle.code)
    custody = list(
        AuditEntry.objects.filter(object_type="evidence.evidencefile", object_id__in=[str(f.id) for f in files],
                                  code__in=[int(c) for c in CUSTODY_CODES]).order_by("seq")
    )
    manifest = build_manifest(bundle, contents, custody, readme)
    manifest_sha = hashlib.sha256(manifest).hexdigest()
    with transaction.atomic():
        sealed = record(EvidenceEvent.BUNDLE_SEALED, actor=actor, organisation=bundle.organisation, obj=bundle,
                        manifest_sha256=manifest_sha, files=len(files), audience=bundle.audience)
    make_checkpoint()
    checkpoint = latest_checkpoint()
    if checkpoint is None or checkpoint.size <= sealed.seq:
        raise BuildError("no signed checkpoint covers the bundle")
    push_latest()  # collect cosignatures now; an offline witness only times out
    public_key, origin = keyd().public_key()
    open_checkpoint(checkpoint.note, origin, public_key, origin=origin)  # never ship an unverifiable note

    def proof(seq: int) -> list[str]:
        return [base64.b64encode(h).decode() for h in inclusion_proof(seq, checkpoint.size)]

    proofs = {
        "tree_size": checkpoint.size,
        "manifest_entry": {"seq": sealed.seq, "leaf": _leaf_of(sealed), "proof": proof(sealed.seq)},
        "inclusion": {str(e.seq): proof(e.seq) for e in custody},
    }
    members = [
        (fmt.README, readme),
        (fmt.MANIFEST, manifest),
        (fmt.PROOFS, json.dumps(proofs, indent=1, sort_keys=True).encode()),
        (fmt.CHECKPOINT, cosigned_note(checkpoint).encode("utf-8")),
        (fmt.LOG_KEY, (verifier_key(origin, public_key) + "\n").encode()),
    ]
    mtime = int(datetime.now(UTC).timestamp())
    blob = storage.BlobWriter()
    writer = _HashingWriter(blob)
    reader = fmt.GeneratorReader(_tar_stream(members, files, mtime, originals=receives_originals(bundle.audience)))
    try:
        try:
            pyrage.encrypt_io(reader, writer, recipients)
        except Exception:
            if reader.error is not None:
                raise reader.error from None
            raise
        # age's I/O layer may take an exception inside read() for the end of input and
        # seal a truncated archive: never trust a stream that did not run to its end.
        if reader.error is not None:
            raise reader.error
        if not reader.finished:
            raise BuildError("the archive stream stopped early")
        blob.commit()
    except BaseException:
        blob.discard()
        raise
    with transaction.atomic():
        bundle.status = BundleStatus.READY
        bundle.blob, bundle.sha256, bundle.size = blob.name, writer.sha.hexdigest(), blob.size
        bundle.checkpoint_size, bundle.manifest_sha256 = checkpoint.size, manifest_sha
        bundle.excluded, bundle.built = contents["excluded"], timezone.now()
        bundle.save(update_fields=["status", "blob", "sha256", "size", "checkpoint_size", "manifest_sha256",
                                   "excluded", "built"])
        storage.adopt(blob.name)
        record(EvidenceEvent.BUNDLE_BUILT, actor=actor, organisation=bundle.organisation, obj=bundle,
               sha256=bundle.sha256, size=bundle.size, checkpoint=checkpoint.size, files=len(files),
               withheld_events=len(contents["excluded"]["events"]), withheld_files=len(contents["excluded"]["files"]),
               without_copy=len(contents["excluded"]["files_without_copy"]),
               copies="original" if receives_originals(bundle.audience) else "stripped")
    return bundle

