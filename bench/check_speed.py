"""How fast a policy is checked and compiled: `pol check` against importing lark, and scaling.

    python -m bench.check_speed

1. `pol check policies/baotou_2022.pol` as a user runs it, against
   `python -c "import lark"` (the floor of any command that parses): medians of 5.
2. A generated policy of 1,000 paying measures, then 2,000, checked and compiled
   (scalar and vector) in process: medians of 3. Clause numbers stop at (九十九)
   in the language, so the measures are spread over 99 clauses.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NUMERALS = "一二三四五六七八九"


def _numeral(k: int) -> str:
    tens, ones = divmod(k, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else NUMERALS[tens - 1] + "十")
    return head + (NUMERALS[ones - 1] if ones else "")


def policy_text(measures: int) -> str:
    head = '''policy generated
  title zh "生成的政策" en "A generated policy"
  issuer zh "测试" en "Test"
  issued 2022-08-26
  in effect from 2022-08-26 for 3 years
  rounding half_up to 0.01元 per award
end

enumeration county zh "旗县区" en "county"
  kundulun zh "昆都仑区" en "Kundulun"
  qingshan zh "青山区" en "Qingshan"
end

batch facts
  as_of: date zh "评估日期" en "evaluation date" required
end

applicant facts
  id: identifier zh "编号" en "id"
  county: county zh "旗县区" en "county" general jurisdiction
  rooms: integer zh "直播间" en "rooms"
  sales: money CNY zh "销售额" en "sales"
end
'''
    clauses = []
    per_clause = -(-measures // 99)
    for c in range(1, 100):
        body, text = [], []
        for k in range((c - 1) * per_clause, min(c * per_clause, measures)):
            text.append(f"直播间不少于{k % 7 + 1}个且销售额达到{k % 50 + 1}万元的,按销售额的{k % 9 + 1}%给予奖励,"
                        f"最高不超过{k % 40 + 10}万元。")
            body.append(f'''
  measure M{k + 1} reward
    title zh "奖励{k + 1}" en "Reward {k + 1}"
    when rooms 不少于 {k % 7 + 1} and sales 达到 {k % 50 + 1}万元
    pay {k % 9 + 1}% of sales
    cap {k % 40 + 10}万元
    payee applicant
    burden city 50% county 50%
  end''')
        if body:
            clauses.append(f'''
clause ({_numeral(c)})
  title zh "条款{c}" en "Clause {c}"
  text zh "{"".join(text)}" en "Clause {c}."{"".join(body)}
end''')
    return head + "".join(clauses) + "\n"


def _median_run(args: list[str], times: int = 5) -> float:
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        subprocess.run(args, cwd=REPO, capture_output=True, check=False)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _check_and_compile(path: Path) -> tuple[float, float, float]:
    from compiler.python_gen import compile_policy
    from compiler.vector_gen import compile_vector
    from dsl.checks import check_file

    start = time.perf_counter()
    parsed, found = check_file(path)
    checked = time.perf_counter()
    compile_policy(parsed.policy)
    compiled = time.perf_counter()
    compile_vector(parsed.policy)
    vector = time.perf_counter()
    assert parsed.policy is not None and not any(d.severity == "error" for d in found), found[:1]
    return checked - start, compiled - checked, vector - compiled


def main() -> int:
    lark = _median_run([sys.executable, "-c", "import lark"])
    check = _median_run([sys.executable, "-m", "pol.cli", "check", "policies/baotou_2022.pol"])
    print(f"python -c 'import lark': {lark:.3f} s; pol check baotou_2022.pol: {check:.3f} s "
          f"({check / lark:.1f}x), medians of 5")
    print()
    print("| measures | check s | compile (scalar) s | compile (vector) s | total s |")
    print("|---:|---:|---:|---:|---:|")
    totals = {}
    with tempfile.TemporaryDirectory() as tmp:
        for measures in (1000, 2000):
            path = Path(tmp) / f"generated_{measures}.pol"
            path.write_text(policy_text(measures), encoding="utf-8")
            runs = [_check_and_compile(path) for _ in range(3)]
            parts = [statistics.median(r[k] for r in runs) for k in range(3)]
            totals[measures] = sum(parts)
            print(f"| {measures:,} | {parts[0]:.2f} | {parts[1]:.2f} | {parts[2]:.2f} | {sum(parts):.2f} |")
    print()
    print(f"2,000 measures take {totals[2000] / totals[1000]:.2f}x the time of 1,000")
    return 0


if __name__ == "__main__":
    sys.exit(main())
