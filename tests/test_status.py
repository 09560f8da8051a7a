"""Tests of status from the clause around a mention (sentences written for the tests)."""

from __future__ import annotations

import pytest

from geocode.status import clause_around, status_of


def status(sentence: str, name: str, mode: str = "review") -> tuple[str, str]:
    start = sentence.index(name)
    return status_of(sentence, start, start + len(name), mode)


@pytest.mark.parametrize(
    ("sentence", "name", "mode", "expected"),
    [
        ("规划建设滨江公园。", "滨江公园", "plan", "planned"),
        ("研究苏州河滨河空间提升方案。", "苏州河", "review", "planned"),
        ("推进长宁体育中心建设。", "长宁体育中心", "plan", "planned"),
        ("推进长宁体育中心建设。", "长宁体育中心", "review", "under_construction"),
        ("加快建设天山西路菜场。", "天山西路菜场", "review", "under_construction"),
        ("福泉路养老院开工建设。", "福泉路养老院", "review", "started"),
        ("启动临空5号地块建设。", "临空5号地块", "review", "started"),
        ("北渔路小学竣工。", "北渔路小学", "review", "completed"),
        ("建成新泾公园。", "新泾公园", "review", "completed"),
        ("协和路菜场正式开业。", "协和路菜场", "review", "opened"),
        ("剑河路驿站投入使用。", "剑河路驿站", "review", "opened"),
        ("完成仙霞路人行道改造。", "仙霞路", "review", "renovated"),
        ("优化延安西路沿线交通组织。", "延安西路", "review", "ongoing"),
        ("金虹桥国际中心税收超百亿元。", "金虹桥国际中心", "review", "mentioned"),
    ],
)
def test_status_words(sentence, name, mode, expected):
    assert status(sentence, name, mode)[0] == expected


def test_cue_is_kept():
    assert status("北渔路小学竣工。", "北渔路小学") == ("completed", "竣工")
    assert status("完成仙霞路人行道改造。", "仙霞路") == ("renovated", "完成…改造")


def test_status_comes_from_the_mentions_own_clause():
    s = "福泉路养老院已经竣工，新泾公园开工建设。"
    assert status(s, "福泉路养老院")[0] == "completed"
    assert status(s, "新泾公园")[0] == "started"


def test_decisive_cue_beats_a_weak_nearer_one():
    s = "推动协和路大厦等2个楼宇开工建设。"
    assert status(s, "协和路大厦") == ("started", "开工建设")


def test_mode_decides_only_the_mode_dependent_cues():
    # 推进 depends on the mode; a decisive cue (开工) does not
    assert status("推进新泾公园建设。", "新泾公园", "plan")[0] == "planned"
    assert status("推进新泾公园建设。", "新泾公园", "review")[0] == "under_construction"
    assert status("新泾公园开工。", "新泾公园", "plan")[0] == "started"


def test_cue_inside_the_name_is_ignored():
    assert status("城市更新中心举办展览。", "城市更新中心")[0] != "renovated"


def test_clause_bounds():
    s = "甲乙丙，丁戊己；庚辛。"
    assert clause_around(s, 4, 5) == (4, 7)
    assert clause_around(s, 0, 1) == (0, 3)


@pytest.mark.parametrize(
    ("sentence", "name", "mode", "expected"),
    [
        # an honour or a selection after the site names it, nothing is built
        ("淞虹公园入选全市十佳公园。", "淞虹公园", "review", "mentioned"),
        ("剑河路获评市级精品道路。", "剑河路", "review", "mentioned"),
        # a partner or a link between areas is mentioned
        ("推进与复旦大学的项目合作。", "复旦大学", "plan", "mentioned"),
        ("推动东西虹桥产业联动。", "东西虹桥", "plan", "mentioned"),
        # a study or a plan of the site is planned, whatever the verb before it
        ("启动协和路沿线更新研究。", "协和路", "review", "planned"),
        ("完成天山西路菜场控详调整。", "天山西路菜场", "review", "planned"),
        ("福泉路项目纳入市级更新计划。", "福泉路", "review", "planned"),
        # improving a site that exists is ongoing
        ("持续推进新泾港沿岸品质提升。", "新泾港", "plan", "ongoing"),
        ("拓展长宁文化中心服务功能。", "长宁文化中心", "plan", "ongoing"),
        # 持续推进 is 推进: planned in a plan; 加速推进 is under construction
        ("持续推进哈密路东延伸工程。", "哈密路", "plan", "planned"),
        ("加速推进哈密路东延伸工程。", "哈密路", "plan", "under_construction"),
        # a completed renovation set as a target of the year is renovated
        ("完成新泾公园更新改造。", "新泾公园", "plan", "renovated"),
        ("改造后的天山公园。", "天山公园", "plan", "renovated"),
        # a new office set up is opened in a review, planned in a plan
        ("新设立虹桥人才服务分中心。", "虹桥人才服务分中心", "review", "opened"),
        ("设立虹桥人才服务分中心。", "虹桥人才服务分中心", "plan", "planned"),
        ("辟通剑河路地下通道。", "剑河路地下通道", "review", "completed"),
        ("协和路人行天桥加装电梯。", "协和路人行天桥", "review", "renovated"),
        ("中山公园码头投入运营。", "中山公园码头", "review", "opened"),
    ],
)
def test_object_and_honour_cues(sentence, name, mode, expected):
    assert status(sentence, name, mode)[0] == expected


def test_a_cue_closing_the_previous_list_item_is_not_the_mentions():
    s = "推动甲大厦等2个楼宇开工建设、乙大厦等3个楼宇竣工。"
    assert status(s, "乙大厦") == ("completed", "竣工")
    assert status(s, "甲大厦")[0] == "started"


def test_a_list_between_cue_and_mention_does_not_weaken_the_cue():
    s = "推进茅台路菜场、哈密路停车场、威宁路社区活动中心和剑河路菜场等项目。"
    far = (s.index("剑河路菜场"), s.index("剑河路菜场") + 5)
    others = [(s.index(n), s.index(n) + len(n)) for n in ("茅台路菜场", "哈密路停车场", "威宁路社区活动中心")]
    assert status_of(s, *far, "plan") == ("mentioned", "")
    assert status_of(s, *far, "plan", others)[0] == "planned"


def test_site_in_a_document_title():
    s = "印发《关于加快推进滨江公园建设的实施意见》。"
    assert status(s, "滨江公园", "review") == ("mentioned", "")
    s = "完成《滨江地区发展规划》编制。"
    assert status(s, "滨江地区", "plan")[0] == "planned"


def test_subject_cue_is_not_given_to_its_complement():
    s = "淞虹公园成为复旦大学的实践基地。"
    assert status(s, "淞虹公园")[0] == "ongoing"
    assert status(s, "复旦大学")[0] == "mentioned"


def test_partner_and_actor_of_a_cooperation():
    s = "加快区中心医院与复旦大学合作。"
    assert status(s, "复旦大学", "plan")[0] == "mentioned"
    assert status(s, "区中心医院", "plan")[0] != "mentioned"
    assert status("主动对接北外滩建设。", "北外滩")[0] == "mentioned"


def test_place_where_the_next_clause_happens():
    s = "在天山地区、新泾地区等老旧小区集中区域，推进城市更新。"
    others = [(s.index("天山地区"), s.index("天山地区") + 4)]
    i = s.index("新泾地区")
    assert status_of(s, i, i + 4, "plan", others)[0] == "planned"
    assert status("在仙霞、周桥开展垃圾分类试点。", "周桥")[0] == "ongoing"


def test_place_where_a_system_is_built_is_only_named():
    # the works of the next clause are a system or facility placed there, not the place
    s = "在天山公园、中山公园等人流密集区域，推进智能安防系统建设。"
    others = [(s.index("天山公园"), s.index("天山公园") + 4)]
    i = s.index("中山公园")
    assert status_of(s, i, i + 4, "plan", others) == ("mentioned", "")
    s = "在虹桥商圈、临空园区等重点区域，加快布设智能感知设备。"
    others = [(s.index("虹桥商圈"), s.index("虹桥商圈") + 4)]
    i = s.index("临空园区")
    assert status_of(s, i, i + 4, "plan", others) == ("mentioned", "")


def test_renovation_word_before_a_completion_cue():
    s = "延安高架长宁段、沿线重点楼宇景观照明提升工程完工。"
    assert status(s, "延安高架长宁段")[0] == "renovated"
    assert status("协和路大修工程完工。", "协和路")[0] == "renovated"


def test_a_cue_inside_another_name_is_not_a_cue():
    s = "东向拓展带和西向拓展带。"
    a, b = s.index("东向拓展带"), s.index("西向拓展带")
    assert status_of(s, a, a + 5, "review", [(b, b + 5)]) == ("mentioned", "")
    assert status_of(s, a, a + 5, "review")[0] == "ongoing"  # 拓展 alone is a cue


def test_distance_skips_other_names_and_separators():
    s = "推进甲园、乙园、丙园、丁园、戊园、己园和庚园。"
    items = [(s.index(n), s.index(n) + 2) for n in ("甲园", "乙园", "丙园", "丁园", "戊园", "己园")]
    last = s.index("庚园")
    assert status_of(s, last, last + 2, "plan", items) == ("planned", "推进")
    assert status_of(s, last, last + 2, "plan") == ("mentioned", "")  # too far without the list


def test_cultivating_a_street_is_ongoing():
    assert status("继续深耕衡山路街区。", "衡山路", "plan") == ("ongoing", "深耕")


def statuses(sentence: str, names: list[str], mode: str = "review") -> dict[str, str]:
    """Status of each of ``names`` with the others as the sentence's other mentions."""
    spans = {n: (sentence.index(n), sentence.index(n) + len(n)) for n in names}
    return {
        n: status_of(sentence, s, e, mode, [b for m, b in spans.items() if m != n])[0]
        for n, (s, e) in spans.items()
    }


@pytest.mark.parametrize(
    ("sentence", "name", "mode", "expected"),
    [
        # a tab parts the cells of a table row: the figure in the next cell is not the site's
        ("推动天山智慧园建设\t全年预计完成综合税收10亿元。", "天山智慧园", "review", "under_construction"),
        # figures and noun phrases holding a cue word
        ("临空园区预计完成税收20亿元。", "临空园区", "review", "mentioned"),
        ("抓住滨江公园建设机遇。", "滨江公园", "review", "mentioned"),
        # a table caption names its subject
        ("表3北渔路小学建设进度", "北渔路小学", "review", "mentioned"),
        # works resumed or topped out are under construction
        ("福泉路桥复工。", "福泉路桥", "review", "under_construction"),
        ("协和路养老院主体结构封顶。", "协和路养老院", "review", "under_construction"),
        # put into service, opened to the public
        ("剑河路驿站正式投入运行。", "剑河路驿站", "review", "opened"),
        ("凯旋路绿道对外开放。", "凯旋路绿道", "review", "opened"),
        # speeding up in a plan: the works are going on
        ("加速打造天山智慧园。", "天山智慧园", "plan", "under_construction"),
        ("有序实施北渔路地下通道。", "北渔路地下通道", "plan", "under_construction"),
        ("加大协和路小学推进力度。", "协和路小学", "plan", "under_construction"),
        # a title won or a selection is only a mention
        ("仙霞新村成功创建全国文明社区。", "仙霞新村", "review", "mentioned"),
        ("新华路街道纳入全市首批样本社区。", "新华路街道", "review", "mentioned"),
        # improving the quality of a place that exists
        ("改善苏州河滨水区域城市空间品质。", "苏州河", "review", "ongoing"),
        # a site only hosting an event
        ("在愚园路会客厅推出展示活动。", "愚园路会客厅", "review", "ongoing"),
    ],
)
def test_status_conventions_of_plan_execution_reports(sentence, name, mode, expected):
    assert status(sentence, name, mode)[0] == expected


def test_a_cue_of_a_later_list_item_is_not_the_mentions():
    s = "推进北渔路幼儿园新建工程、协和路小学改建工程等项目建设。"
    got = statuses(s, ["北渔路幼儿园", "协和路小学"], "review")
    assert got["北渔路幼儿园"] != "renovated"
    # items sharing a tail share its cue
    s = "凯旋路绿道、天山公园景观提升工程完工。"
    assert statuses(s, ["凯旋路绿道", "天山公园"]) == {"凯旋路绿道": "renovated", "天山公园": "renovated"}
    s = "完成天山公园、中山公园等3个更新项目。"
    assert statuses(s, ["天山公园", "中山公园"]) == {"天山公园": "renovated", "中山公园": "renovated"}


def test_a_figure_hides_the_cue_inside_it():
    s = "与复旦大学、凯旋园区运营主体合作。"
    assert status(s, "复旦大学")[0] == "mentioned"
    assert status("凯旋园区运营主体确定。", "凯旋园区")[0] == "mentioned"


@pytest.mark.parametrize(
    ("sentence", "name", "mode", "expected"),
    [
        # a study or plan drafted for the site
        ("加快凯旋路抬升专项规划编制。", "凯旋路", "review", "planned"),
        # a wish to start soon is a plan
        ("助推协和路大厦早日开工。", "协和路大厦", "plan", "planned"),
        # a renovation said to be sped up, even in a plan
        ("加大协和路小学改扩建推进力度。", "协和路小学", "plan", "under_construction"),
        # a place used as the bound of the works
        ("全面启动内环内市政道路整治。", "内环", "plan", "mentioned"),
    ],
)
def test_studies_wishes_speed_and_bounds(sentence, name, mode, expected):
    assert status(sentence, name, mode)[0] == expected


def test_roads_in_brackets_after_a_road_are_its_bounds():
    s = "分步推进剑河路（哈密路-淞虹路）、绥宁路（天山西路、北渔路）等支路建设。"
    spans = [(s.index(n), s.index(n) + len(n)) for n in ("剑河路", "哈密路", "淞虹路", "绥宁路", "天山西路", "北渔路")]

    def of(name):
        i = s.index(name)
        return status_of(s, i, i + len(name), "plan", [sp for sp in spans if sp[0] != i])

    assert of("剑河路")[0] == "planned"
    assert of("绥宁路")[0] == "planned"
    for bound in ("哈密路", "淞虹路", "天山西路", "北渔路"):
        assert of(bound) == ("mentioned", "")
    # brackets that do not follow a name are not bounds (a note on a list)
    s = "3个街镇（仙霞、天山、新泾）推进社区更新。"
    i = s.index("天山")
    assert status_of(s, i, i + 2, "plan")[0] == "planned"


def test_widening_a_road():
    assert status("拓宽可乐路（哈密路-虹桥路）。", "可乐路", "plan")[0] == "planned"
    assert status("完成可乐路拓宽。", "可乐路", "review")[0] == "renovated"


def test_opening_inside_a_noun_phrase_is_no_cue():
    # 改革开放 (reform and opening) and 开放空间 (open space) open nothing
    assert status("学习临港新片区改革开放的经验。", "临港新片区", "plan") == ("mentioned", "")
    s = "推动天山公园、新泾公园等公共开放空间品质提升。"
    assert status(s, "天山公园", "plan")[0] != "opened"


def test_building_opportunity_is_a_noun_phrase():
    s = "抓住虹桥国际中央商务区建设重大机遇，吸引企业落户。"
    assert status(s, "虹桥国际中央商务区", "plan") == ("mentioned", "")
    s = "用好进口博览会和虹桥国际开放枢纽建设等新机遇。"
    assert status(s, "虹桥国际开放枢纽", "plan") == ("mentioned", "")


def test_striving_for_a_grade_is_not_building():
    s = "推动光华医院争创三级甲等专科医院。"
    assert status(s, "光华医院", "plan") == ("mentioned", "")


def test_a_place_framing_a_role_is_only_named():
    s = "充分发挥长宁作为虹桥国际中央商务区重要承载区的优势。"
    assert status(s, "虹桥国际中央商务区", "plan") == ("mentioned", "")


def test_connected_through_is_a_completion():
    assert status("新泾港滨河步道长宁段全线贯通。", "新泾港滨河步道") == ("completed", "贯通")
    assert status("推动新泾港滨河步道全线贯通。", "新泾港滨河步道", "plan")[0] == "planned"


def test_removing_a_nuisance_from_a_river():
    s = "有效消除午潮港、北夏家浜和周家浜3条黑臭河道。"
    spans = [(s.index(n), s.index(n) + len(n)) for n in ("午潮港", "北夏家浜", "周家浜")]
    for x, y in spans:
        others = [sp for sp in spans if sp != (x, y)]
        assert status_of(s, x, y, "review", others)[0] == "renovated"


# --- unseen-text round (H8) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "name"),
    [
        ("改造段西起定西路，东至江苏路，年内完成。", "定西路"),
        ("改造段西起定西路，东至江苏路，年内完成。", "江苏路"),
        ("新楼北邻哈密路，建成后将投入使用。", "哈密路"),
    ],
)
def test_a_bound_of_a_stretch_is_only_named(sentence, name):
    assert status(sentence, name)[0] == "mentioned"


def test_roads_closing_an_area_are_named_not_built():
    s = "建设范围为凯旋路、延安西路、安化路围合而成的区域。"
    spans = [(s.index(n), s.index(n) + len(n)) for n in ("凯旋路", "延安西路", "安化路")]
    for x, y in spans:
        others = [sp for sp in spans if sp != (x, y)]
        assert status_of(s, x, y, "plan", others) == ("mentioned", "")


def test_the_place_where_a_firm_settles_is_in_use():
    s = "多家设计企业总部落地虹桥丽宝广场。"
    assert status(s, "虹桥丽宝广场") == ("ongoing", "落地")
    s = "区内首家基金公司入驻临空数字产业园。"
    assert status(s, "临空数字产业园") == ("ongoing", "入驻")


def test_a_cue_qualifying_the_next_list_item_is_its_own():
    s = "邻近地铁10号线和在建的机场联络线。"
    first = (s.index("地铁10号线"), s.index("地铁10号线") + len("地铁10号线"))
    second = (s.index("机场联络线"), s.index("机场联络线") + len("机场联络线"))
    assert status_of(s, *first, "review", [second]) == ("mentioned", "")
    assert status_of(s, *second, "review", [first])[0] == "under_construction"


def test_a_completion_set_in_the_future_is_a_target():
    s = "到2030年，临空经济示范区将全面建成。"
    assert status(s, "临空经济示范区", "unknown") == ("planned", "建成")
    s = "区文化中心改造工程已封顶，预计年底竣工。"
    assert status(s, "区文化中心", "review")[0] != "completed"
    assert status("北新泾文化中心预计明年建成。", "北新泾文化中心", "review")[0] == "under_construction"


def test_new_build_project_is_not_a_completion():
    s = "虹桥街道88街坊新建商务办公项目施工现场。"
    assert status(s, "虹桥街道88街坊", "review") == ("under_construction", "新建")
    assert status(s, "虹桥街道88街坊", "plan")[0] == "planned"


def test_gates_opened_to_visitors_and_the_size_of_the_works():
    assert status("天山公园正式开门迎客。", "天山公园") == ("opened", "开门迎客")
    assert status("虹桥荟综合体总建设体量达20万平方米。", "虹桥荟综合体") == ("mentioned", "")


def test_a_subject_before_a_clause_of_its_own_predicate():
    s = "位于广顺北路的临空滑板公园，已于日前重新开放。"
    assert status(s, "临空滑板公园")[0] == "opened"


def test_a_cue_said_of_a_policy_after_the_mention_is_the_policy_s():
    s = "全力服务虹桥国际开放枢纽国家战略落地。"
    assert status(s, "虹桥国际开放枢纽") == ("mentioned", "")


def test_jiang_marking_the_object_is_not_the_future():
    s = "将苏州河中环桥下空间改造成运动场地。"
    assert status(s, "苏州河中环桥下空间", "unknown") == ("renovated", "改造")
    s = "区里将对苏州河中环桥下空间进行改造。"
    assert status(s, "苏州河中环桥下空间", "unknown")[0] == "planned"
