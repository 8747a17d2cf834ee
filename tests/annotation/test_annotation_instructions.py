"""Instructions are rich text (CommonMark: lists, emphasis, tables and quoted examples), rendered on
the project and work pages with any raw HTML or script link made harmless."""

from annotation_helpers import make_project, person

from yizhi.annotation import queue
from yizhi.annotation.instructions import render

INSTRUCTIONS = """## 标注说明

- **姓名**：患者的姓名，不含医生。

> 例：患者王建国，男，65岁。

| 类型 | 例子 |
| --- | --- |
| PHONE | 13812345678 |

<script>alert("x")</script> [link](javascript:alert(1))
"""


def test_render_keeps_structure_and_disarms_html():
    html = str(render(INSTRUCTIONS))
    assert "<h2>标注说明</h2>" in html and "<strong>姓名</strong>" in html
    assert "<blockquote>" in html and "<td>PHONE</td>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html
    assert str(render(None)) == ""


def test_the_project_and_work_pages_show_the_rendered_instructions(db, cast, team, web, notes_version):
    project = make_project(db, cast, slug="with-instructions", instructions=INSTRUCTIONS)
    browser = web(team["a1"])
    page = browser.request("GET", f"/annotation/projects/{project.slug}")
    assert page.status_code == 200
    assert "<strong>姓名</strong>" in page.text and "<script>alert" not in page.text
    held = queue.next_item(db, project, person(db, team["a1"]))
    work = browser.request("GET", f"/annotation/projects/{project.slug}/work/{held.id}")
    assert work.status_code == 200, work.status_code
    assert "<td>PHONE</td>" in work.text
