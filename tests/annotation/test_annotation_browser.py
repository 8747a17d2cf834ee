"""In Chromium: annotate spans in a Chinese note, draw a box on a DICOM slice rendered by the server,
review (return with a comment, accept), adjudicate a disagreement, and the agreement page with its
matrix chart. Screenshots kept in test-artifacts/."""

import pytest
from annotation_helpers import SPAN_SCHEMA, make_project, person
from sqlalchemy import select

from yizhi.annotation import queue
from yizhi.annotation.models import Assignment, AssignmentState, Item, ItemStatus

pytestmark = pytest.mark.browser

SELECT_TEXT = """([needle]) => {
  const doc = document.getElementById('doc');
  const walker = document.createTreeWalker(doc, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const at = node.textContent.indexOf(needle);
    if (at >= 0) {
      const range = document.createRange();
      range.setStart(node, at); range.setEnd(node, at + needle.length);
      const selection = window.getSelection(); selection.removeAllRanges(); selection.addRange(range);
      return true;
    }
  }
  return false;
}"""


def _take_item(page, slug):
    page.goto(f"/annotation/projects/{slug}")
    page.click("#start")
    page.wait_for_url(lambda url: "/work/" in url)


def test_annotate_spans_in_a_chinese_note(page, login_as, shoot, db, cast, team, notes_version):
    project = make_project(db, cast, slug="phi-browser", schema=SPAN_SCHEMA, sample=1)
    key = db.scalar(select(Item.key).where(Item.project_id == project.id))
    login_as(page, team["a1"])
    _take_item(page, "phi-browser")
    text = page.inner_text("#doc")
    name = next(n for n in ("王建国", "李明", "患者") if n in text)
    assert page.evaluate(SELECT_TEXT, [name])
    page.click("#tools [data-field=phi] button[data-label=NAME]")
    page.wait_for_selector("#doc mark[data-label=NAME]")
    assert page.inner_text("#doc mark[data-label=NAME]").startswith(name)
    shoot(page, "annotation_spans_chinese_note")
    page.click("#submit")
    page.wait_for_url(lambda url: url.endswith("/annotation/projects/phi-browser"))
    db.expire_all()
    done = db.scalar(select(Assignment).where(Assignment.project_id == project.id))
    start = page_text_offset(db, project, key, name)
    assert done.state == AssignmentState.submitted
    assert done.answer == {"phi": [{"start": start, "end": start + len(name), "label": "NAME"}]}


def page_text_offset(db, project, key, needle):
    from yizhi.annotation.content import item_text

    item = db.scalar(select(Item).where(Item.project_id == project.id, Item.key == key))
    return item_text(project, item).index(needle)


def test_draw_a_box_on_a_dicom_slice(page, login_as, shoot, db, cast, team, ct_version):
    project = make_project(db, cast, slug="ct-browser", dataset="ct-demo@1", source={"kind": "dicom"},
                           schema={"labels": [{"name": "nodule", "type": "boxes", "classes": ["nodule"]},
                                              {"name": "quality", "type": "likert", "min": 1, "max": 5}]})
    login_as(page, team["a1"])
    _take_item(page, "ct-browser")
    page.wait_for_function("document.getElementById('slice-img').complete && "
                           "document.getElementById('slice-img').naturalWidth > 0")
    page.click("#tools [data-field=nodule] button[data-label=nodule]")
    box = page.locator("#overlay").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.25)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.6, steps=5)
    page.mouse.up()
    page.wait_for_selector("#overlay rect")
    page.check("input[name=f-quality][value='4']")
    shoot(page, "annotation_box_on_dicom_slice")
    page.click("#submit")
    page.wait_for_url(lambda url: "/work/" in url or url.endswith("/ct-browser"))
    db.expire_all()
    done = db.scalar(select(Assignment).where(Assignment.project_id == project.id,
                                              Assignment.state == AssignmentState.submitted))
    item = db.get(Item, done.item_id)
    width, height = item.ref["columns"], item.ref["rows"]
    (mark,) = done.answer["nodule"]
    assert done.answer["quality"] == 4 and mark["label"] == "nodule"
    assert mark["x"] == pytest.approx(width * 0.25, abs=width * 0.03)
    assert mark["w"] == pytest.approx(width * 0.25, abs=width * 0.03)
    assert mark["h"] == pytest.approx(height * 0.35, abs=height * 0.03)


def test_review_and_adjudicate(page, login_as, shoot, db, cast, team, notes_version):
    project = make_project(db, cast, slug="review-browser", overlap=2, sample=2,
                           reviewer_people=["reviewer@hospital.test"])
    keys = sorted(db.scalars(select(Item.key).where(Item.project_id == project.id)))
    for member, disagree in ((team["a1"], False), (team["a2"], True)):
        annotator = person(db, member)
        while (assignment := queue.next_item(db, project, annotator)) is not None:
            kind = "imaging" if disagree and assignment.item.key == keys[1] else "progress"
            queue.submit(db, project, annotator, assignment.id, {"kind": kind})
    login_as(page, team["reviewer"])
    page.goto("/annotation/projects/review-browser/review")
    entries = page.locator(".review-entry")
    assert entries.count() == 4
    first = page.locator(".review-entry", has_text=f"条目 {keys[0]}（").first   # not the disputed item
    first.locator("textarea[name=comment]").fill("请核对文书类型")
    first.locator("button[value=return]").click()
    page.wait_for_selector(".flash.ok")
    assert page.locator(".review-entry").count() == 3
    page.locator(".review-entry").nth(0).locator("button[value=accept]").click()
    page.wait_for_selector(".flash.ok")
    shoot(page, "annotation_review")
    page.goto("/annotation/projects/review-browser/adjudicate")
    dispute = page.locator(f"#item-{keys[1]}")
    assert dispute.locator("form").count() == 2
    shoot(page, "annotation_adjudicate")
    dispute.locator("form:has(button.choose)").nth(1).locator("input[name=comment]").fill("以影像报告为准")
    dispute.locator("button.choose").nth(1).click()
    page.wait_for_selector(".flash.ok")
    db.expire_all()
    item = db.scalar(select(Item).where(Item.project_id == project.id, Item.key == keys[1]))
    assert item.status == ItemStatus.resolved and item.final_source == "adjudicated"
    returned = db.scalar(select(Assignment).where(Assignment.project_id == project.id,
                                                  Assignment.state == AssignmentState.returned))
    assert returned.review_comment == "请核对文书类型"


def test_agreement_page_shows_the_matrix(page, login_as, shoot, db, cast, team, notes_version):
    project = make_project(db, cast, slug="agree-browser", overlap=3)
    for member, kinds in ((team["a1"], "pppppp"), (team["a2"], "ppppio"), (team["a3"], "pppoio")):
        annotator = person(db, member)
        words = {"p": "progress", "i": "imaging", "o": "other"}
        while (assignment := queue.next_item(db, project, annotator)) is not None:
            queue.submit(db, project, annotator, assignment.id, {"kind": words[kinds[int(assignment.item.key)]]})
    login_as(page, cast.owner)
    page.goto("/annotation/projects/agree-browser/agreement")
    assert page.locator("svg.agreement-matrix rect").count() == 9
    assert "Krippendorff" in page.inner_text("#field-kind")
    shoot(page, "annotation_agreement_matrix")
