"""Tests of the recogniser on sentences written for the tests (not from the seeds)."""

from __future__ import annotations

import pytest

from geocode.model import STATUSES, TYPES
from geocode.recognise import extract_mentions
from gis.documents import Document, Sentence


def doc_of(*sentences: str, mode: str = "review", year: int = 2023) -> Document:
    """A document made by hand: original == normalised text, one sentence per argument."""
    text = ""
    sents = []
    for i, s in enumerate(sentences):
        sents.append(Sentence("t.txt", i, s, len(text), year, mode))
        text += s
    return Document(
        path=None, name="t.txt", sha256="", encoding="utf-8", original=text, text=text,
        offsets=list(range(len(text))), sentences=sents,
    )


def names(doc: Document) -> list[str]:
    return [m.name for m in extract_mentions(doc)]


def by_name(doc: Document) -> dict:
    return {m.name: m for m in extract_mentions(doc)}


# --- names broken by line breaks or spaces ---------------------------------------------------


def test_name_broken_by_a_line_break_maps_back_to_the_original():
    from gis.reading import document_from_text

    original = (
        "一、2023年工作回顾\n\n今年我们在各方支持下全力以赴加快推进博雅智\n\n"
        "能制造产业园建设，临空 7号地块顺利开工，全年\n\n完成各项目标任务。\n"
    )
    doc = document_from_text(original, name="t.txt")
    ms = by_name(doc)
    park = ms["博雅智能制造产业园"]
    assert park.type == "campus"
    held = original[park.start : park.end]
    assert "".join(held.split()) == "博雅智能制造产业园"
    assert park.line == 3  # starts on the third line of the original file
    assert park.year == 2023 and park.mode == "review"
    plot = next(m for m in ms.values() if m.type == "plot")
    assert plot.surface == "临空7号地块"
    assert "".join(original[plot.start : plot.end].split()) == "临空7号地块"
    assert plot.status == "started" and plot.status_cue == "开工"


# --- lists sharing a head ----------------------------------------------------------------------


def test_list_of_plots_sharing_a_stem():
    got = names(doc_of("计划推进金桂园东块、西块和银杏苑地块收储。", mode="plan"))
    assert got == ["金桂园东块", "金桂园西块", "银杏苑地块"]


def test_list_of_roads_sharing_a_facility_head():
    ms = extract_mentions(doc_of("建成淞虹路、协和路跨河桥下空间。"))
    assert [m.name for m in ms] == ["淞虹路跨河桥下空间", "协和路跨河桥下空间"]
    assert [m.surface for m in ms] == ["淞虹路", "协和路跨河桥下空间"]
    assert ms[0].locators == ["淞虹路"]


def test_list_of_crossings_before_deng():
    got = names(doc_of("改造天山西路哈密路、天山西路威宁路等人行天桥。"))
    assert got == ["天山西路哈密路人行天桥", "天山西路威宁路人行天桥"]


def test_short_subdistrict_names_sharing_a_health_centre_head():
    ms = extract_mentions(doc_of("周桥、程桥等社区卫生服务中心完成标准化改建。"))
    assert [m.name for m in ms] == ["周桥社区卫生服务中心", "程桥社区卫生服务中心"]
    assert {m.type for m in ms} == {"campus"}


def test_road_names_before_station_head_are_stations():
    ms = extract_mentions(doc_of("优化中山公园、娄山关路站点的出入口。"))
    assert all(m.type == "transit" for m in ms), [(m.name, m.type) for m in ms]
    assert "娄山关路站" in [m.name for m in ms]


def test_short_subdistrict_forms_listed_together():
    ms = extract_mentions(doc_of("在仙霞、周桥两个街道开展试点。"))
    assert {m.type for m in ms} == {"subdistrict"}
    assert len(ms) == 2


# --- nesting and locators ----------------------------------------------------------------------


def test_nested_ramp_keeps_the_outermost_and_its_locators():
    ms = extract_mentions(doc_of("推进北横通道长宁路二级匝道建设。"))
    assert [m.name for m in ms] == ["北横通道长宁路二级匝道"]
    assert ms[0].type == "transit"
    assert "长宁路" in ms[0].locators and "北横通道" in ms[0].locators


def test_building_inside_a_guesthouse_is_located_by_it():
    ms = extract_mentions(doc_of("完成虹桥迎宾馆5号楼节能改造。"))
    assert [m.name for m in ms] == ["虹桥迎宾馆5号楼"]
    assert ms[0].type == "building"
    assert ms[0].locators == ["虹桥迎宾馆"]


def test_numbered_lane_and_numbered_plot():
    got = by_name(doc_of("启动安顺路88弄和程家桥街道118街坊更新。"))
    assert got["安顺路88弄"].type == "community"
    assert got["安顺路88弄"].locators == ["安顺路"]
    assert got["程家桥街道118街坊"].type == "plot"


def test_village_with_number_is_a_community():
    ms = extract_mentions(doc_of("仙霞五村完成加装电梯。"))
    assert [(m.name, m.type) for m in ms] == [("仙霞五村", "community")]


# --- aliases resolve to one canonical name ----------------------------------------------------


@pytest.mark.parametrize("surface", ["苏河", "苏州河", "吴淞江"])
def test_river_aliases(surface):
    ms = extract_mentions(doc_of(f"沿{surface}两岸贯通慢行步道。"))
    river = [m for m in ms if m.type == "river"]
    assert [m.name for m in river] == ["苏州河"]


def test_airport_aliases_share_a_name():
    a = names(doc_of("服务虹桥机场航线。"))
    b = names(doc_of("服务上海虹桥国际机场航线。"))
    assert a == b and len(a) == 1


def test_short_form_of_the_aviation_zone():
    ms = extract_mentions(doc_of("临空9号地块竣工。"))
    assert ms[0].name == "临空9号地块"
    assert "虹桥临空经济示范区" in ms[0].locators


def test_campus_short_form():
    a = names(doc_of("华政校园对公众开放。"))
    b = names(doc_of("华东政法大学长宁校区对公众开放。"))
    assert a and a == b


# --- what is not a site -------------------------------------------------------------------------


def test_brand_office_and_district_are_not_sites():
    got = names(doc_of("打响“虹桥之夏”品牌，设立东虹桥发展办公室，长宁区全力推进。"))
    assert got == []


def test_generic_nouns_are_not_sites():
    got = names(doc_of("新建口袋公园8座、公共绿地2万平方米，改造住宅小区和市政道路。"))
    assert got == []


def test_outside_places_are_kept_but_flagged():
    ms = extract_mentions(doc_of("开通至浦东国际机场的快线。"))
    assert [(m.name, m.in_changning) for m in ms] == [("上海浦东国际机场", False)]


# --- head patterns carry over to unseen names ---------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "name", "type_"),
    [
        ("加快建设茅台路口袋广场。", "茅台路口袋广场", "building"),
        ("建成芙蓉江路绿地。", "芙蓉江路绿地", "green"),
        ("整治虬江港。", "虬江港", "river"),
        ("启动玉屏南路改造。", "玉屏南路", "road"),
        ("建成福泉路菜场。", "福泉路菜场", "market"),
        ("修缮宋家花园旧居。", "宋家花园旧居", "heritage"),
        ("新建哈密路幼儿园。", "哈密路幼儿园", "campus"),
        ("启用剑河路停车场。", "剑河路停车场", "transit"),
        ("东航K3-02地块开工。", "东航K3-02地块", "plot"),
    ],
)
def test_heads_give_names_and_types(sentence, name, type_):
    ms = extract_mentions(doc_of(sentence))
    assert [(m.surface, m.type) for m in ms] == [(name, type_)]


def test_mentions_are_rich_and_valid():
    doc = doc_of("推进仙霞路菜场改造。", "建成天山公园。")
    ms = extract_mentions(doc)
    assert [m.name for m in ms] == ["仙霞路菜场", "天山公园"]
    for m in ms:
        assert m.type in TYPES and m.status in STATUSES
        assert doc.original[m.start : m.end] == m.surface
        assert m.line == 1 and m.doc == "t.txt" and m.entity_id.startswith("cn-")
        assert m.sentence in doc.text
    assert ms[1].status == "completed" and ms[1].status_cue == "建成"


def test_period_is_written_as_a_range():
    text = "规划建设滨江公园。"
    doc = Document(
        path=None, name="t.txt", sha256="", encoding="utf-8", original=text, text=text,
        offsets=list(range(len(text))),
        sentences=[Sentence("t.txt", 0, text, 0, 2021, "plan", (2021, 2025), "三、规划")],
    )
    (m,) = extract_mentions(doc)
    assert m.period == "2021-2025" and m.section == "三、规划" and m.status == "planned"


# --- titles, kinds and organisations are not sites ------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "新泾公园获评全市生态文明示范园区。",        # a title given after an honour verb
        "建成全区首家智慧健身中心。",               # 首家 + a kind of place
        "我区新增市级旅游休闲街区2个。",            # a designation level before a kind
        "全区三级医院达5所。",                      # a class of hospitals
        "新建5G室外基站300个。",                    # 基站 is a kind of facility
        "推广社区护理站模式。",                     # 护理站: not a transit station
        "所有街镇均设立分中心。",                   # 街镇: subdistricts and towns in general
        "加强航空仲裁中心建设。",                   # an organisation
        "推动存量工业地块转型。",                   # generic modifiers only
        "践行绿水青山就是金山银山理念。",           # an idiom holding a place name
    ],
)
def test_titles_kinds_and_organisations_are_not_sites(sentence):
    got = [(m.name, m.type) for m in extract_mentions(doc_of(sentence))]
    assert all(t not in ("area", "campus", "transit", "subdistrict", "plot", "building", "venue")
               or n in ("新泾公园",) for n, t in got), got
    assert "新泾公园" in [n for n, _ in got] or "新泾公园" not in sentence


def test_station_after_a_road_is_still_a_station():
    ms = extract_mentions(doc_of("新建淞虹路站出入口。"))
    assert [(m.name, m.type) for m in ms] == [("淞虹路站", "transit")]


def test_quoted_slogan_is_not_a_site_but_a_quoted_name_is():
    assert names(doc_of("参与“魅力苏河”消费季活动。")) == []
    assert names(doc_of("推进“丝路商街”品牌建设。")) == []
    ms = extract_mentions(doc_of("“绿谷”科创园区和“金桥”广场等点位对外开放。"))
    assert "金桥广场" in [m.name for m in ms]


def test_class_label_before_a_name_is_not_part_of_it():
    ms = extract_mentions(doc_of("修缮优秀历史建筑王家故居和文物保护单位李氏旧居。"))
    assert [m.name for m in ms] == ["王家故居", "李氏旧居"]


def test_verb_and_study_word_do_not_enter_names():
    assert names(doc_of("民生实事中学习民主。")) == []
    assert names(doc_of("帮助对口支援地区发展。")) == []


def test_service_centre_is_a_building():
    ms = extract_mentions(doc_of("完成区公共法律服务中心改造。"))
    assert [(m.name, m.type) for m in ms] == [("区公共法律服务中心", "building")]


def test_regions_beyond_the_district_are_known():
    ms = extract_mentions(doc_of("对接上海自贸试验区和虹桥国际开放枢纽。"))
    assert [m.surface for m in ms] == ["上海自贸试验区", "虹桥国际开放枢纽"]
    assert ms[0].name == "中国（上海）自由贸易试验区" and not ms[0].in_changning


# --- round 3: heads, lists, quotes and slogans --------------------------------------------------


def test_head_already_on_a_list_item_is_not_doubled():
    ms = extract_mentions(doc_of("推进茶园12号地块、松林花园、原纺织市场地块等项目建设。", mode="plan"))
    got = [m.name for m in ms]
    assert "茶园12号地块" in got and "茶园12号地块地块" not in got
    assert not any(n.endswith("地块地块") for n in got)


def test_name_filling_one_item_of_a_quoted_list_is_a_site():
    ms = extract_mentions(doc_of("“静安公园码头+银杏广场”等3处点位获评好去处。"))
    got = [m.name for m in ms]
    assert "银杏广场" in got


def test_unnamed_item_beside_a_site_in_a_list_of_sites():
    ms = by_name(doc_of("完成长宁影城、锦绣里等12个更新项目建设。"))
    assert "锦绣里" in ms and ms["锦绣里"].status == "renovated"
    assert names(doc_of("与华为、联通等企业合作。")) == []


def test_list_item_cut_by_a_bracket_is_not_taken():
    got = names(doc_of("加快推动绿洲智慧园、智谷（总部）科技园、在线新经济产业园等项目建设。", mode="plan"))
    assert "科技园" not in got


def test_quoted_street_brand_is_its_road():
    ms = extract_mentions(doc_of("持续深耕“书香武夷”“漫游番禺”2个示范街区。"))
    assert [(m.surface, m.name, m.type) for m in ms] == [
        ("书香武夷", "武夷路", "road"), ("漫游番禺", "番禺路", "road")]
    assert names(doc_of("建设“数字长宁”。")) == []


def test_quoted_name_led_by_a_place_standing_alone():
    ms = by_name(doc_of("共同建设“虹桥云谷”，挖掘楼宇资源。"))
    assert "虹桥云谷" in ms and ms["虹桥云谷"].type == "area"
    assert names(doc_of("打响“虹桥云谷”品牌。")) == []


def test_numbered_name_keeps_its_dot():
    assert names(doc_of("“星河NO.2”创新空间对外开放。")) == ["星河NO.2创新空间"]


def test_collective_name_of_parks():
    assert names(doc_of("全力推进东部三公园建设。")) == ["东部三公园"]
    assert names(doc_of("全面完成东部三个公园建设。")) == ["东部三公园"]


def test_belt_and_network_heads():
    assert names(doc_of("加强与东向拓展带联动。")) == ["东向拓展带"]
    ms = extract_mentions(doc_of("加快建设苏州河、临空慢行系统。", mode="plan"))
    assert [m.name for m in ms] == ["苏州河慢行系统", "临空慢行系统"]
    assert names(doc_of("编制完成长宁区慢行系统规划。")) == []


def test_consultation_post_needs_a_name():
    assert "虹桥外资企业咨询站" in names(doc_of("发挥虹桥外资企业咨询站作用。"))


def test_passage_needs_a_place():
    assert names(doc_of("畅通门诊和病区转运通道。")) == []
    assert names(doc_of("辟通天山路地下通道。")) == ["天山路地下通道"]


def test_going_into_kinds_of_places_is_not_a_name():
    assert names(doc_of("推动法律服务站进园区、进社区、进学校。")) == []


def test_counted_slogans_are_not_sites():
    assert names(doc_of("落实“三旧一村”改造。")) == []
    assert names(doc_of("推进“两街一河”整治。")) == []


def test_designation_after_become_is_not_a_site():
    got = names(doc_of("虹桥地区成为上海市绿色建筑示范区。"))
    assert "上海市绿色建筑示范区" not in got


def test_designated_model_community_is_not_a_site():
    assert names(doc_of("推动创建上海市垃圾分类示范小区。")) == []


def test_a_named_garden_house_is_not_cut_to_the_class_word():
    ms = extract_mentions(doc_of("完成陈氏花园住宅保护性修缮。"))
    assert "花园住宅" not in [m.name for m in ms]


def test_kinds_of_places_seen_in_plans_are_not_names():
    assert names(doc_of("建设区域性医疗中心和社区市民健身中心。")) == []
    assert names(doc_of("推进历史风貌道路地区更新。")) == []
    assert names(doc_of("实现街道为老分中心全覆盖。")) == []
    assert names(doc_of("整治入河排污口。")) == []


def test_counted_events_are_not_part_of_a_name():
    assert names(doc_of("举办5场跨国公司地区总部对接会。")) == []


def test_part_of_an_online_service_is_not_a_place():
    assert names(doc_of("上线便民APP医疗板块。")) == []


def test_the_government_as_an_actor_is_not_a_site():
    assert names(doc_of("我代表长宁区人民政府向大会报告工作。")) == []
    assert names(doc_of("在区委、区政府领导下推进工作。")) == []


def test_service_consultation_post_keeps_its_name():
    ms = extract_mentions(doc_of("浦江外资企业服务咨询站正式运营。"))
    assert [(m.name, m.status) for m in ms] == [("浦江外资企业服务咨询站", "opened")]


# --- names of plan-execution reports -----------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "name", "type_"),
    [
        ("新泾港（北段）滨河步道对外开放。", "新泾港（北段）滨河步道", "green"),  # a note in brackets
        ("天山某科技公司（总部）科创园开园。", "天山某科技公司（总部）科创园", "campus"),
        ("北新泾消防站主体结构封顶。", "北新泾消防站", "building"),
        ("天山初中完成改造。", "天山初中", "campus"),
    ],
)
def test_rare_heads_and_bracketed_notes(sentence, name, type_):
    ms = extract_mentions(doc_of(sentence))
    assert [(m.name, m.type) for m in ms] == [(name, type_)]


def test_bracketed_note_keeps_the_marks_as_written():
    from gis.reading import document_from_text

    original = "一、2023年工作回顾\n天山某科技公司(总部)科创园开园。\n"
    doc = document_from_text(original, name="t.txt")
    m = next(m for m in extract_mentions(doc) if m.type == "campus")
    assert m.surface == original[m.start : m.end] == "天山某科技公司(总部)科创园"


def test_free_trade_zone_short_form_is_outside():
    m = by_name(doc_of("落地自贸区外首家融资租赁企业。"))["中国（上海）自由贸易试验区"]
    assert m.surface == "自贸区" and not m.in_changning


@pytest.mark.parametrize(
    "sentence",
    [
        "天山科技园被认定为上海市特色产业园区。",       # a title given, not a site
        "西郊智慧园被授予凯旋商务区特色产业园。",       # a title, even led by a place
        "深化区非诉讼争议解决中心建设。",               # an organisation
        "与复旦大学、凯旋园区运营主体合作。",           # the operator of a park
        "全区初中实现课后服务全覆盖。",                 # a kind of school
    ],
)
def test_titles_operators_and_kinds_are_not_sites(sentence):
    got = names(doc_of(sentence))
    assert not any(n.endswith(("产业园区", "产业园", "解决中心", "凯旋园区", "初中")) for n in got), got


@pytest.mark.parametrize(
    ("sentence", "surface"),
    [
        ("启动中环内市政道路整治。", "中环"),        # a ring road as a bound
        ("配合推进外环西段功能提升。", "外环西段"),  # a ring road by its section
    ],
)
def test_short_ring_road_as_a_bound_or_a_section(sentence, surface):
    ms = extract_mentions(doc_of(sentence, mode="plan"))
    assert [(m.surface, m.type) for m in ms] == [(surface, "road")]


def test_short_ring_road_alone_is_not_taken():
    ms = extract_mentions(doc_of("打造中环两侧景观。"))
    assert [m.surface for m in ms if m.surface == "中环"] == []


def test_a_quality_designation_is_not_a_site():
    # 精品 like 示范: a grade given to a kind of area, not the name of one
    assert names(doc_of("形成15分钟生活圈精品示范区。")) == []


# --- generalisation rules (written after the held-out seed 002; sentences made up) ----------


@pytest.mark.parametrize(
    ("sentence", "absent"),
    [
        # a property or a kind, not a name
        ("全面完成易积水小区和易积水路段改造。", "易积水小区"),
        ("挖掘潜力地块，盘活闲置楼宇。", "潜力地块"),
        ("坚持“主城片区、临空片区”的功能定位。", "主城片区"),
        ("布局一批AI超算中心和数据中心。", "AI超算中心"),
        ("规划建设一批国别商品展示交易中心。", "国别商品展示交易中心"),
        ("打造井字形街区和环形绿道。", "井字形街区"),
        ("推进仙霞医院新建日间中心大楼。", "日间中心大楼"),
        # along-the-street is an adjective; a garden house is a kind of house
        ("提升现有沿街界面品质。", "现有沿街"),
        ("开展花园住宅保护性修缮。", "花园住宅"),
        # a direction word is not part of a name
        ("依托存量楼宇往社区内部延伸服务。", "存量楼宇往社区"),
        # a policy or a system named after a kind of place
        ("建立现代医院管理制度和智慧学校评价制度。", "现代医院"),
        # a metaphor, not a site
        ("打造临空总部新高地和创新高地。", "临空总部"),
        # multimodal transport jargon
        ("打造海河空铁联运枢纽。", "海河"),
        # a national designation or a national body's institute
        ("争创国家数字贸易示范基地。", "国家数字贸易示范基地"),
        ("与中国人民银行金融研究所开展合作。", "中国人民银行金融研究所"),
        # an organisation ending with 管理中心
        ("发挥区停车资源管理中心作用。", "区停车资源管理中心"),
        # a quoted slogan with a negation
        ("推行“不出楼”“零跑动”服务。", "不出楼"),
    ],
)
def test_kinds_policies_and_slogans_are_not_sites(sentence, absent):
    assert absent not in names(doc_of(sentence, mode="plan"))


def test_functions_in_a_list_of_organisations_are_not_sites():
    s = "鼓励企业设立结算中心、物流中心、数据管理中心等功能性机构。"
    assert names(doc_of(s, mode="plan")) == []
    # an institute in such a list keeps its campus
    s = "深化与仙霞路研究所、复兴科技大学等科研机构合作。"
    got = names(doc_of(s, mode="plan"))
    assert "仙霞路研究所" in got


def test_a_dash_between_two_places_does_not_start_a_name():
    s = "监测断面为新泾港-哈密北路、周家浜-虹井路。"
    got = names(doc_of(s))
    assert "哈密北路" in got and "虹井路" in got
    assert not any(n.startswith(("-", "－")) for n in got)
    # a dash inside a name joining two roads is kept
    got = names(doc_of("打造天山路-仙霞路商业集聚带。", mode="plan"))
    assert "天山路" in got


def test_a_street_facility_absorbs_the_road_it_is_named_after():
    ms = by_name(doc_of("剑河路夜间步行街正式开街。"))
    assert "剑河路夜间步行街" in ms
    assert "剑河路" in ms["剑河路夜间步行街"].locators
    assert ms["剑河路夜间步行街"].status == "opened"


def test_a_school_numbered_after_a_place_word():
    got = names(doc_of("推动西三小学、东二中学改扩建。", mode="plan"))
    assert "西三小学" in got and "东二中学" in got
    # counted schools are not names
    assert names(doc_of("新建3所小学、二所中学。", mode="plan")) == []


def test_an_industrial_park_head():
    ms = by_name(doc_of("研究推动华山工业园城市更新。", mode="plan"))
    assert ms["华山工业园"].type == "campus"


def test_a_district_of_another_city():
    ms = by_name(doc_of("与杭州市西湖区、合肥市包河区签订合作协议。", mode="plan"))
    assert ms["杭州市西湖区"].type == "area" and ms["杭州市西湖区"].in_changning is False
    assert "合肥市包河区" in ms
    # Shanghai's own districts, this city and common words are not taken
    for s in ("推进上海市徐汇区合作。", "在本市普陀区设点。", "推进城市核心区建设。", "与市中心区域联动。"):
        assert not any(m.type == "area" and m.in_changning is False
                       for m in extract_mentions(doc_of(s, mode="plan"))), s


def test_partner_universities_by_short_name():
    ms = by_name(doc_of("深化与复旦、华师大合作办学。", mode="plan"))
    assert ms["复旦大学"].in_changning is False and ms["华东师范大学"].type == "campus"


def test_a_plant_head():
    got = names(doc_of("推进原虹桥污水厂功能调整。", mode="plan"))
    assert "原虹桥污水厂" in got


def test_a_programme_zone_needs_a_place():
    assert names(doc_of("以“全球美食首秀地示范区”为引领。", mode="plan")) == []
    assert "天山智慧社区示范区" in names(doc_of("建设天山智慧社区示范区。", mode="plan"))


def test_a_facility_for_a_group_of_people_is_generic():
    assert names(doc_of("建设区退役军人就业服务中心和孵化基地。", mode="plan")) == []


def test_sharing_is_name_material():
    got = names(doc_of("加快推动苏河湾共享经济创新中心建设。", mode="plan"))
    assert "苏河湾共享经济创新中心" in got


def test_a_city_listed_beside_a_district_of_another_city():
    got = names(doc_of("与嘉兴市南湖区、芜湖市、绍兴市越城区开展合作。", mode="plan"))
    assert {"嘉兴市南湖区", "芜湖市", "绍兴市越城区"} <= set(got)
    # a city alone, with no district beside it, is not taken
    assert names(doc_of("与芜湖市、绍兴市开展合作。", mode="plan")) == []


def test_an_office_complex_named_after_a_brand():
    ms = by_name(doc_of("推进天山SOHO与周边楼宇的空中连廊建设。", mode="plan"))
    assert ms["天山SOHO"].type == "building"
    assert names(doc_of("鼓励发展SOHO办公。", mode="plan")) == []


def test_sites_listed_as_honoured_units_stay_sites():
    got = names(doc_of("天山西路菜场、仙霞路菜场等单位获评市级标准化菜场。"))
    assert "仙霞路菜场" in got


def test_a_known_place_before_a_metaphor_stays_a_site():
    assert "虹桥公园" in names(doc_of("把虹桥公园打造为市民休闲新高地。", mode="plan"))
    got = names(doc_of("打造中山公园新高地。", mode="plan"))
    assert "中山公园" in got


def test_a_kind_of_site_in_a_policy_name():
    assert names(doc_of("完善社区医院管理制度。", mode="plan")) == []
    assert names(doc_of("健全智慧学校评价制度。", mode="plan")) == []


# --- unseen-text round (H8): verbs before names, kinds of buildings, list heads ------------


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("新项目包含华联商务中心和一座酒店。", ["华联商务中心"]),
        ("地块北邻哈密路，南邻虹许路。", ["哈密路", "虹许路"]),
        ("街区内分布着剑河路菜场和多处小游园。", ["剑河路菜场"]),
        ("各街道涌现出天山社区睦邻中心等一批样板。", ["天山社区睦邻中心"]),
        ("目前天山路菜场改造已完成一期。", ["天山路菜场"]),
        ("公园内设有临空文化广场。", ["临空文化广场"]),
    ],
)
def test_a_verb_or_adverb_before_a_name_is_not_part_of_it(sentence, expected):
    assert names(doc_of(sentence)) == expected


def test_kinds_of_buildings_and_greens_are_not_names():
    s = "建成80米高的办公楼、3幢独栋办公楼和一幢5A级写字楼。"
    assert names(doc_of(s)) == []
    assert names(doc_of("弄内保留二层砖木结构楼房，引入日系百货。")) == []
    assert names(doc_of("加快大中型公园绿地建设，拓展现有公共绿地功能。", mode="plan")) == []
    assert names(doc_of("沿线共40余处不可移动名人旧居。")) == []


def test_a_named_office_tower_keeps_its_name():
    assert names(doc_of("推进新华置地办公楼建设。")) == ["新华置地办公楼"]


def test_a_theme_or_a_part_of_a_park_is_not_a_name():
    got = names(doc_of("这座体育主题公园的主入口广场完成翻新。"))
    assert got == []


def test_the_airport_as_a_kind_is_not_a_harbour():
    assert names(doc_of("服务机场空港企业员工。")) == []


def test_a_hospital_campus_holds_the_road_it_is_named_after():
    ms = extract_mentions(doc_of("区中心医院仙霞路院区完成改扩建。"))
    assert [(m.name, m.type) for m in ms] == [("区中心医院仙霞路院区", "campus")]


def test_a_bare_head_does_not_reach_a_site_of_another_kind():
    s = "涌现出新泾港慢行系统、上生·新所、内环桥下空间等一批案例。"
    got = names(doc_of(s))
    assert "上生·新所" in got and "新泾港慢行系统" in got
    assert not any(n.endswith("桥下空间") and n != "内环桥下空间" for n in got)


def test_roads_closing_an_area_are_its_bounds():
    s = "街区建设范围为定西路、延安西路、安化路围合而成的区域。"
    ms = extract_mentions(doc_of(s))
    roads = [m for m in ms if m.type == "road"]
    assert len(roads) == 3 and {m.status for m in roads} == {"mentioned"}


def test_a_subject_clause_takes_the_next_clause_predicate():
    s = "位于剑河路的新泾滨河公园，已于近日正式开门迎客。"
    ms = {m.name: m for m in extract_mentions(doc_of(s))}
    assert ms["新泾滨河公园"].status == "opened"
    assert ms["剑河路"].status == "mentioned"


def test_a_list_of_functions_counted_by_kind_is_not_a_list_of_sites():
    s = "汇聚商务办公、精品商业、文化演艺、星级酒店等10余类项目功能。"
    assert names(doc_of(s)) == []


def test_verbs_of_going_in_linking_and_walking_along_break_names():
    assert names(doc_of("市民可向东进入新泾港滨河步道。")) == ["新泾港滨河步道"]
    assert names(doc_of("沿着河岸漫步至公园。")) == []
    assert names(doc_of("规划道路贯连园区8个地块。", mode="plan")) == []


def test_a_theme_slogan_in_quotes_is_not_a_road():
    assert names(doc_of("街区以“书香云岭”为主题开展微更新。")) == []


def test_all_the_way_from_a_park_is_not_a_numbered_road():
    got = names(doc_of("沿河可从天山公园一路走到双流路。"))
    assert "天山公园" in got and "双流路" in got
    assert not any(n.endswith("一路") for n in got)


def test_counted_pieces_of_green_are_not_a_name():
    assert names(doc_of("片区内面积最大的三块绿地已建成。")) == []


def test_a_class_word_before_the_kind_still_closes_a_list_of_sites():
    got = names(doc_of("加快推进上钢十厂、华联新苑等产业类项目更新。"))
    assert "华联新苑" in got


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("记者日前走访天原小区。", ["天原小区"]),
        ("随着华阳路步道的建成，沿线更加宜人。", ["华阳路步道"]),
        ("仙霞公园原名西郊苗圃公园。", ["仙霞公园", "西郊苗圃公园"]),
        ("该园后来改名古北儿童公园。", ["古北儿童公园"]),
        ("新华一村内部小区完成改造。", ["新华一村"]),
        ("为老旧小区加装充电设施。", []),
    ],
)
def test_words_of_news_reports_before_a_name_are_not_part_of_it(sentence, expected):
    assert names(doc_of(sentence, mode="unknown")) == expected
