"""Attachments by SHA-256: resumable chunks, stored once, checked, completing the survey they belong to."""

import hashlib

from sqlalchemy import func, select

from services.registry.models import AttachmentChunk, Household
from tests.support.system import RunningSystem, auth
from tests.surveys.support import SURVEYS, households, make_team

ATTACHMENTS = f"{SURVEYS}/attachments"
PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40  # a JPEG's first bytes, then 10 KB


def declared(content: bytes, content_type: str = "image/jpeg") -> dict:
    return {"sha256": hashlib.sha256(content).hexdigest(), "size": len(content), "content_type": content_type}


async def put(system: RunningSystem, token: str, sha256: str, offset: int, chunk: bytes) -> dict:
    response = await system.api.http.put(
        f"{ATTACHMENTS}/{sha256}",
        params={"offset": offset},
        content=chunk,
        headers={**auth(token), "content-type": "application/octet-stream"},
    )
    return {"status": response.status_code, **response.json()}


async def test_an_upload_resumes_after_a_drop_and_is_stored_once(system: RunningSystem) -> None:
    (household,) = households(31, 1)
    team = await make_team(system, household.village_code)
    meta = declared(PHOTO)
    sha = meta["sha256"]
    first = await system.api.http.post(ATTACHMENTS, json=meta, headers=team.as_cadre())
    assert (first.status_code, first.json()["received_bytes"]) == (201, 0)

    assert (await put(system, team.cadre, sha, 0, PHOTO[:4000]))["received_bytes"] == 4000
    resent = await put(system, team.cadre, sha, 0, PHOTO[:4000])  # the answer was lost; sent again
    assert (resent["status"], resent["received_bytes"]) == (200, 4000)
    gap = await put(system, team.cadre, sha, 6000, PHOTO[6000:])
    assert (gap["status"], gap["error"]) == (409, "upload_offset_mismatch")
    assert "4000" in gap["detail_zh"]
    progress = (await system.api.http.get(f"{ATTACHMENTS}/{sha}", headers=team.as_cadre())).json()
    overlapping = await put(system, team.cadre, sha, 3000, PHOTO[3000:])
    assert progress["received_bytes"] == 4000
    assert (overlapping["complete"], overlapping["received_bytes"]) == (True, len(PHOTO))

    again = await system.api.http.post(ATTACHMENTS, json=meta, headers=auth(team.other_cadre))
    assert (again.status_code, again.json()["complete"]) == (200, True)  # nothing to send twice
    download = await system.api.http.get(f"{ATTACHMENTS}/{sha}/content", headers=team.as_cadre())
    assert download.content == PHOTO
    assert download.headers["content-type"] == "image/jpeg"
    async with system.app("registry").state.database.sessionmaker() as session:
        stored = await session.scalar(select(func.sum(func.length(AttachmentChunk.data))))
    assert stored == len(PHOTO)


async def test_limits_and_a_wrong_hash_are_refused(system: RunningSystem) -> None:
    (household,) = households(32, 1)
    team = await make_team(system, household.village_code)
    too_big = {**declared(PHOTO), "size": 50_000_000}
    wrong_type = declared(PHOTO, "application/x-msdownload")
    for body in (too_big, wrong_type):
        response = await system.api.http.post(ATTACHMENTS, json=body, headers=team.as_cadre())
        assert response.status_code == 422
        assert response.json()["fields"][0]["message_zh"]

    liar = declared(PHOTO)
    liar["sha256"] = hashlib.sha256(b"something else").hexdigest()
    await system.api.http.post(ATTACHMENTS, json=liar, headers=team.as_cadre())
    refused = await put(system, team.cadre, liar["sha256"], 0, PHOTO)
    assert (refused["status"], refused["error"]) == (422, "attachment_hash_mismatch")
    progress = (await system.api.http.get(f"{ATTACHMENTS}/{liar['sha256']}", headers=team.as_cadre())).json()
    assert (progress["received_bytes"], progress["complete"]) == (0, False)  # start again from zero

    png_named_jpeg = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    meta = declared(png_named_jpeg)
    await system.api.http.post(ATTACHMENTS, json=meta, headers=team.as_cadre())
    mislabelled = await put(system, team.cadre, meta["sha256"], 0, png_named_jpeg)
    assert mislabelled["error"] == "attachment_type_mismatch"


async def test_a_survey_waits_for_its_attachments_then_is_applied(system: RunningSystem) -> None:
    (household,) = households(33, 1)
    team = await make_team(system, household.village_code)
    signature = b"%PDF-1.4 signed " + b"x" * 500
    body = household.survey()
    body["attachments"] = [
        {"sha256": declared(PHOTO)["sha256"], "kind": "house_photo"},
        {"sha256": declared(signature)["sha256"], "kind": "signature"},
    ]
    waiting = await system.api.http.post(SURVEYS, json=body, headers=team.as_cadre())
    assert waiting.status_code == 201, waiting.text
    result = waiting.json()
    assert (result["status"], result["household_id"]) == ("received", None)
    assert sorted(result["missing_attachments"]) == sorted(item["sha256"] for item in body["attachments"])

    async def upload(content: bytes, content_type: str) -> dict:
        meta = declared(content, content_type)
        await system.api.http.post(ATTACHMENTS, json=meta, headers=team.as_cadre())
        await put(system, team.cadre, meta["sha256"], 0, content)
        response = await system.api.http.get(f"{SURVEYS}/{body['submission_id']}", headers=team.as_cadre())
        return response.json()

    status = await upload(PHOTO, "image/jpeg")
    assert (status["status"], status["missing_attachments"]) == ("received", [declared(signature)["sha256"]])
    status = await upload(signature, "application/pdf")
    assert status["status"] == "accepted"
    assert status["missing_attachments"] == []
    async with system.app("registry").state.database.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Household)) == 1
    reviewer_download = await system.api.http.get(
        f"{ATTACHMENTS}/{declared(signature)['sha256']}/content", headers=team.as_reviewer()
    )
    assert reviewer_download.content == signature
