"""The board page: super-KPI, tiles with status and changes, conclusions with history per
month, roadmap, top-10 movers; the KPI page it drills down to; constant queries."""

import json
import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Customer
from kpis.models import BoardConclusion, Kpi
from kpis.periods import add_months
from kpis.tests.pages_data import build, paced_change
from portal.models import Department
from portal.tenancy import tenant_context
from roadmap.models import RoadmapItem, RoadmapKpiLink

pytestmark = pytest.mark.django_db

URL = "/t/acme/board/"


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def data(tenant, members):
    return build(tenant, members, reps=2)


def tile_text(html: str, kpi_id: int) -> str:
    match = re.search(
        rf'<a class="(?:tile|super-kpi)[^"]*" href="/t/acme/kpis/{kpi_id}/".*?</a>', html, re.S
    )
    assert match, f"no tile for KPI {kpi_id}"
    return text(match.group(0))


def test_board_shows_the_super_kpi_and_tiles_with_status_and_changes(data, board_client):
    html = board_client.get(URL).content.decode()
    super_kpi = tile_text(html, data["share"].pk)
    assert "Super-KPI E-commerce share 41.5 %" in super_kpi and "At risk" in super_kpi
    assert "target 40.0 % – 45.0 %" in super_kpi
    assert "vs previous ▲ 2.5 pt" in super_kpi and "vs last year ▲ 11.5 pt" in super_kpi
    revenue = tile_text(html, data["revenue"].pk)
    assert "→ E-commerce share" in revenue  # the goal it serves
    # against 800,000 and 500,000 for whole months, scaled to the part of this month passed
    today = data["today"]
    assert "€ 600,000" in revenue
    assert f"prev. {paced_change(600000, 800000, today)}" in revenue
    assert f"LY {paced_change(600000, 500000, today)}" in revenue
    # the sparkline's data: the year of history and this month
    spark = json.loads(
        re.search(r'data-chart="spark-axes" data-values="([^"]+)"', html)
        .group(1)
        .replace("&quot;", '"')
    )
    assert spark["values"][-1] == 41.5 and spark["values"][0] == 30.0 and len(spark["values"]) == 13
    # funnel and per-channel KPIs have no company value: they are not tiles
    assert "funnel_won" not in html and "Revenue per channel" not in html


def test_movers_and_the_months_conclusions(data, board_client):
    page = text(board_client.get(URL).content.decode())
    assert "Van Dijk Installatie € 250,000 € 120,000" in page  # rank 1, was 4
    assert "6 (2) Bakker Techniek € 90,000" in page
    assert "Online share grows; revenue lags the plan." in page


def test_board_members_write_conclusions_with_history_per_month(data, board_client, tenant):
    month = data["today"].replace(day=1)
    url = f"/t/acme/board/conclusions/{month:%Y-%m}/"
    response = board_client.post(url, {"text": "  "}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422 and "This field is required" in response.content.decode()
    response = board_client.post(url, {"text": "Push the app."}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = text(response.content.decode())
    assert "Push the app." in body and "History (2 versions)" in body
    assert "Online share grows" in body  # the earlier version in the history
    earlier = add_months(month, -2)
    board_client.post(
        f"/t/acme/board/conclusions/{earlier:%Y-%m}/",
        {"text": "Old month."},
        HTTP_HX_REQUEST="true",
    )
    page = text(board_client.get(f"{URL}?month={earlier:%Y-%m}").content.decode())
    assert "Old month." in page and "Push the app." not in page
    with tenant_context(tenant):
        assert BoardConclusion.objects.filter(month=month).count() == 2


def test_the_roadmap_box_counts_realised_and_coming(data, board_client, tenant):
    with tenant_context(tenant):
        quarter = date(data["today"].year, 1, 1)
        RoadmapItem.objects.create(
            tenant=tenant,
            title="Webshop app",
            status="done",
            done_on=data["today"],
            start_quarter=quarter,
            end_quarter=quarter,
        )
        RoadmapItem.objects.create(
            tenant=tenant,
            title="Punch-out catalogue",
            status="planned",
            start_quarter=date(data["today"].year + 1, 1, 1),
            end_quarter=date(data["today"].year + 1, 4, 1),
        )
    page = text(board_client.get(URL).content.decode())
    assert "1 realised · 0 in progress · 1 coming · 0 late" in page
    assert "Webshop app" in page and "Punch-out catalogue" in page


def test_tiles_drill_down_to_the_kpi_page_with_trend_band_markers_and_breakdowns(
    data, board_client, tenant
):
    with tenant_context(tenant):
        item = RoadmapItem.objects.create(
            tenant=tenant,
            title="Webshop app",
            status="done",
            done_on=data["today"],
            start_quarter=date(data["today"].year, 1, 1),
            end_quarter=date(data["today"].year, 1, 1),
        )
        RoadmapKpiLink.objects.create(tenant=tenant, item=item, kpi=data["share"])
    html = board_client.get(URL).content.decode()
    assert f'href="/t/acme/kpis/{data["share"].pk}/"' in html
    page = board_client.get(f"/t/acme/kpis/{data['share'].pk}/").content.decode()
    chart = json.loads(re.search(r'id="kpi-chart"[^>]*>(.*?)</script>', page, re.S).group(1))
    assert chart["values"][-1] == 41.5 and chart["minimum"][-1] == 40.0
    assert chart["stretch"][-1] == 45.0 and chart["minimum"][0] is None  # no target back then
    kinds = sorted(m["kind"] for m in chart["markers"])
    assert kinds == ["checkin", "roadmap"]
    body = text(page)
    assert "Per rep Ruben Visser 46.0 % ● On track Extra 0 38.0 % ○ Off track" in body
    assert "Per country NL 45.0 % BE 30.0 %" in body


def test_the_board_page_and_kpi_page_read_a_constant_number_of_queries(
    tenant, members, board_client
):
    def count(url) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert board_client.get(url).status_code == 200
        return len(queries)

    def roadmap(n: int) -> None:
        with tenant_context(tenant):
            for i in range(n):
                RoadmapItem.objects.create(
                    tenant=tenant,
                    title=f"Item {i}",
                    status="done",
                    done_on=data["today"],
                    start_quarter=date(data["today"].year, 1, 1),
                    end_quarter=date(data["today"].year, 1, 1),
                )

    data = build(tenant, members, reps=1)
    roadmap(1)
    few = count(URL), count(f"/t/acme/kpis/{data['share'].pk}/")
    with tenant_context(tenant):
        Kpi.objects.filter(tenant=tenant).delete()
        Department.objects.filter(tenant=tenant).delete()
        Customer.objects.filter(tenant=tenant).delete()
        RoadmapItem.objects.filter(tenant=tenant).delete()
    data = build(tenant, members, reps=6, extra_kpis=12, extra_customers=30)
    roadmap(6)
    assert (count(URL), count(f"/t/acme/kpis/{data['share'].pk}/")) == few


def test_only_board_and_admin_open_it_and_write_and_foreign_is_404(
    data, rep_client, head_client, admin_client_, outsider_client
):
    assert rep_client.get(URL).status_code == 403
    assert head_client.get(URL).status_code == 403
    assert admin_client_.get(URL).status_code == 200
    month = data["today"].strftime("%Y-%m")
    assert rep_client.post(f"/t/acme/board/conclusions/{month}/", {"text": "x"}).status_code == 403
    assert outsider_client.get(URL).status_code == 404
    assert outsider_client.get(f"/t/acme/board/pack/{month}.pdf").status_code == 404


def test_an_empty_company_is_told_what_to_do(tenant, members, board_client):
    page = text(board_client.get(URL).content.decode())
    assert "No super-KPI yet" in page and "No KPIs yet" in page
    assert "No conclusions for this month yet." in page and "No roadmap items yet" in page


def test_an_earlier_month_reads_that_months_values(data, board_client):
    earlier = add_months(data["today"].replace(day=1), -1)
    html = board_client.get(f"{URL}?month={earlier:%Y-%m}").content.decode()
    # the history in the data set: 30.0 a year ago rising by one point a month to 41.0
    assert "41.0 %" in tile_text(html, data["share"].pk)
    assert "No conclusions for this month yet." in text(html)


def test_a_conclusion_whose_author_left_still_shows(data, board_client, tenant):
    with tenant_context(tenant):
        BoardConclusion.objects.update(author=None)
    page = text(board_client.get(URL).content.decode())
    assert "Online share grows; revenue lags the plan. —" in page
    month = data["today"].strftime("%Y-%m")
    assert board_client.get(f"/t/acme/board/pack/{month}.pdf").status_code == 200
