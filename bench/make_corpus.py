"""Write a synthetic archive of Changning-style documents for scale benchmarks.

The documents are built from templates written for this benchmark (not copies of
the seeds) filled with names from the bundled gazetteer, so the recogniser and
the geocoder do real work. Each document is a work report of about ``--kb``
kilobytes with a review and a plan section, dated one per year back from 2025.

Usage: python bench/make_corpus.py OUT_DIR N [--kb 100] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

REVIEW = [
    "全年完成{a}综合改造，{b}周边环境明显改善。",
    "{a}建成开放，成为市民休闲的新去处。",
    "推动{a}项目开工建设，{b}配套工程同步实施。",
    "{a}改造工程竣工，{b}沿线景观提升完成。",
    "加快建设{a}，{b}主体结构封顶。",
    "持续优化{a}营商环境，服务企业一千余家，区域经济保持平稳。",
    "围绕民生需求，新增养老床位二百张，社区服务水平进一步提高。",
    "{a}正式投入使用，{b}功能进一步完善。",
]
PLAN = [
    "启动{a}建设，研究{b}更新方案。",
    "推进{a}规划编制，谋划{b}功能提升。",
    "加快推进{a}建设，力争年内完成{b}改造。",
    "深化数字化转型，推动公共服务一网通办，提升群众办事体验。",
    "开工建设{a}，推进{b}项目前期工作。",
    "完成{a}贯通工程，开放{b}滨水空间。",
]
#: sentences naming no place: real reports name about one site per 200 characters
FILLERS = [
    "坚持稳中求进工作总基调，统筹发展和安全，扎实推进各项工作，不断增强人民群众的获得感和幸福感。",
    "全面落实减税降费政策，帮助市场主体纾困解难，区级一般公共预算收入保持稳定增长。",
    "深化政务服务改革，推行一网通办和一网统管，企业和群众办事更加便捷高效。",
    "加强基层社会治理，完善居民区议事协商机制，社区志愿服务队伍不断壮大。",
    "推进教育优质均衡发展，深化医教结合，提升公共卫生应急管理能力。",
    "健全养老服务体系，扩大长护险服务覆盖面，持续开展助餐助浴等为老服务。",
    "强化安全生产责任落实，开展隐患排查整治，守牢城市运行安全底线。",
    "加快数字化转型，培育在线新经济企业，推动人工智能与实体经济深度融合。",
]


def _names() -> list[str]:
    from geocode.gazetteer import load_gazetteer

    gaz = load_gazetteer()
    inside = gaz[gaz["in_changning"].astype(bool)]
    # addresses are most of the rows: keep one in four so parks, roads and plots show up
    addresses = sorted(set(inside.loc[inside["name"].str.contains("弄|号$"), "name"]))
    others = sorted(set(inside["name"].astype(str)) - set(addresses))
    return others + addresses[::4]


def make_document(rng: random.Random, names: list[str], year: int, size_kb: int) -> str:
    """One synthetic work report of about ``size_kb`` kilobytes (UTF-8)."""
    head = [
        "长宁区人民政府工作报告",
        f"——{year}年1月{rng.randint(5, 20)}日在区人民代表大会上",
        f"一、{year - 1}年工作回顾",
    ]
    body: list[str] = []
    target = size_kb * 1024
    size = sum(len(h.encode()) for h in head)
    plan_started = False
    while size < target:
        if not plan_started and size > target // 2:
            body.append(f"二、{year}年主要任务")
            plan_started = True
        templates = PLAN if plan_started else REVIEW
        paragraph = rng.choice(templates).format(
            a=rng.choice(names), b=rng.choice(names)
        ) + "".join(rng.sample(FILLERS, 3))
        body.append(paragraph)
        size += len(paragraph.encode()) + 1
    return "\n".join(head + body) + "\n"


def make_corpus(out: Path, n: int, *, size_kb: int = 100, seed: int = 1) -> list[Path]:
    """Write ``n`` documents and a registry into ``out``; returns their paths."""
    rng = random.Random(seed)
    names = _names()
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        year = 2025 - (i % 10)
        path = out / f"report_{i:05d}.txt"
        path.write_text(make_document(rng, names, year, size_kb), encoding="utf-8")
        paths.append(path)
    (out / "registry.json").write_text(json.dumps({"documents": []}), encoding="utf-8")
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("n", type=int)
    parser.add_argument("--kb", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    paths = make_corpus(args.out, args.n, size_kb=args.kb, seed=args.seed)
    total = sum(p.stat().st_size for p in paths)
    print(f"wrote {len(paths)} documents, {total / 1e6:.1f} MB, to {args.out}")


if __name__ == "__main__":
    main()
