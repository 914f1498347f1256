"""`pol fmt`: one canonical layout, comments kept, idempotent, meaning never changed."""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import pytest

from compiler.python_gen import compile_policy
from dsl import fmt
from dsl.fmt import FormatError, format_text, tokens_and_comments
from dsl.parser import parse_text
from pol.api import compile_file

from .cli_support import pol, pol_process

REPO = Path(__file__).resolve().parents[1]
AMENDMENT = REPO / "examples" / "amendments" / "baotou_2022_amendment_2024.pol"
# Every .pol file of the repository in the language's grammar (policy tests have their own).
FILES = sorted(p for p in REPO.rglob("*.pol") if ".venv" not in p.parts and not fmt.is_test_file(
    p.read_text(encoding="utf-8")))
SEPARATORS = (" ", "  ", "\n", "\n\n", "\t", " \n    ", "\n\n\n      ", "\r\n")


def _id(path: Path) -> str:
    return str(path.relative_to(REPO))


def respaced(source: str, seed: int, comments: bool = True) -> str:
    """The same tokens (and comments) with other whitespace between them, chosen at random."""
    rng = random.Random(seed)
    tokens, found = tokens_and_comments(source)
    items = sorted([(t.start_pos, str(t), False) for t in tokens]
                   + ([(c.start_pos, str(c), True) for c in found] if comments else []))
    out = []
    for _, text, is_comment in items:
        if out:
            out.append(rng.choice(SEPARATORS))
        out.append(text)
        if is_comment:
            out.append("\n")
    return "".join(out) + rng.choice(("", "\n", "\n\n"))


def without_comments(source: str) -> str:
    tokens, _ = tokens_and_comments(source)
    return " ".join(str(t) for t in tokens)


def meaning(source: str, path: str):
    parsed = parse_text(source, path)
    return parsed.policy, parsed.amendment


def calculator(source: str, path: str) -> str:
    """The compiled calculator, without the line numbers it cites."""
    policy = parse_text(source, path).policy
    return re.sub(r"\.pol:\d+", ".pol:N", compile_policy(policy))


# ---------------------------------------------------------------- every file of the repository


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_the_repository_keeps_its_own_layout(path):
    """What `pol fmt --check` asks of a policy repository, this one does first."""
    assert not format_text(path.read_text(encoding="utf-8"), str(path)).changed


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_formatting_twice_changes_nothing(path):
    once = format_text(path.read_text(encoding="utf-8"), str(path))
    assert not format_text(once.text, str(path)).changed


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_formatting_keeps_the_tokens_the_comments_and_the_meaning(path):
    source = path.read_text(encoding="utf-8")
    text = format_text(source, str(path)).text
    before, after = tokens_and_comments(source), tokens_and_comments(text)
    assert [(t.type, str(t)) for t in after[0]] == [(t.type, str(t)) for t in before[0]]
    assert [str(c).rstrip() for c in after[1]] == [str(c).rstrip() for c in before[1]]
    assert meaning(text, str(path)) == meaning(source, str(path))
    if meaning(source, str(path))[0] is not None:
        assert calculator(text, str(path)) == calculator(source, str(path))


def test_the_formatted_amendment_compiles_to_the_same_calculator(tmp_path):
    # The layout of the repository: the amendment finds its policy by the path it declares.
    (tmp_path / "policies").mkdir()
    (tmp_path / "examples" / "amendments").mkdir(parents=True)
    shutil.copy(REPO / "policies" / "baotou_2022.pol", tmp_path / "policies" / "baotou_2022.pol")
    amendment = AMENDMENT.read_text(encoding="utf-8")
    notice = tmp_path / "examples" / "amendments" / "notice.pol"
    notice.write_text(amendment, encoding="utf-8")
    before = compile_file(notice).python
    notice.write_text(format_text(respaced(amendment, 7), str(notice)).text, encoding="utf-8")
    after = compile_file(notice).python
    assert re.sub(r"\.pol:\d+", ".pol:N", after) == re.sub(r"\.pol:\d+", ".pol:N", before)


# ---------------------------------------------------------------- generated variations


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("path", FILES, ids=_id)
def test_any_whitespace_gives_the_one_canonical_layout(path, seed):
    source = without_comments(path.read_text(encoding="utf-8"))
    canonical = format_text(source, str(path)).text
    variation = respaced(source, seed, comments=False)
    assert variation != source
    assert format_text(variation, str(path)).text == canonical


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("path", FILES, ids=_id)
def test_variations_with_comments_keep_them_and_settle(path, seed):
    source = respaced(path.read_text(encoding="utf-8"), 100 + seed)
    once = format_text(source, str(path)).text
    assert not format_text(once, str(path)).changed
    assert [str(c).rstrip() for c in tokens_and_comments(once)[1]] == \
        [str(c).rstrip() for c in tokens_and_comments(source)[1]]
    assert meaning(once, str(path)) == meaning(source, str(path))


# ---------------------------------------------------------------- the layout


MESSY = '''# a policy, written carelessly
policy demo   title zh "演示" en "Demo"
  issuer zh "机关"
  en "Office" issued 2024-01-01 in effect from 2024-01-01 for 2 years rounding half_up to 0.01 CNY per award end
enumeration level zh "级别" en "level" national zh "国家级" en "national"   regional zh "自治区级" en "regional" end
batch facts as_of : date zh "评估日期" en "evaluation date" required end
applicant facts
id: identifier zh "编号" en "id"
rooms : integer zh "直播间" en "rooms"    # counted on as_of
sales: money CNY zh "销售额" en "sales"
level: level zh "级别" en "level"
end
clause ( 七 )
'''.replace("( 七 )", "(七)") + '''title zh "标题" en "Title" text zh "对直播电商企业给予奖励。"
en "Livestream enterprises are rewarded."
repair "促费" as "促消费"
measure M7 reward title zh "奖励" en "Reward"
when rooms 不少于 5 and ( sales 达到 2000 万 元 or level = national ) and not rooms > 99
# the rate
pay 1% of sales
cap 50万元 payee applicant end
measure M8 reward title zh "奖励" en "Reward" when level is given
pay by level national -> 10万元 regional -> nothing because zh "无" en "none" end
payee applicant end
end
# the end
'''

CANONICAL = '''# a policy, written carelessly
policy demo
  title zh "演示"
        en "Demo"
  issuer zh "机关"
         en "Office"
  issued 2024-01-01
  in effect from 2024-01-01 for 2 years
  rounding half_up to 0.01 CNY per award
end

enumeration level zh "级别" en "level"
  national zh "国家级" en "national"
  regional zh "自治区级" en "regional"
end

batch facts
  as_of: date zh "评估日期" en "evaluation date" required
end

applicant facts
  id: identifier zh "编号" en "id"
  rooms: integer zh "直播间" en "rooms"  # counted on as_of
  sales: money CNY zh "销售额" en "sales"
  level: level zh "级别" en "level"
end

clause (七)
  title zh "标题"
        en "Title"
  text zh "对直播电商企业给予奖励。"
       en "Livestream enterprises are rewarded."
  repair "促费" as "促消费"

  measure M7 reward
    title zh "奖励" en "Reward"
    when rooms 不少于 5
     and (sales 达到 2000万元 or level = national)
     and not rooms > 99
    # the rate
    pay 1% of sales
    cap 50万元
    payee applicant
  end

  measure M8 reward
    title zh "奖励" en "Reward"
    when level is given
    pay by level
      national -> 10万元
      regional -> nothing because
        zh "无"
        en "none"
    end
    payee applicant
  end
end
# the end
'''


def test_a_careless_file_is_laid_out_the_canonical_way():
    result = format_text(MESSY, "messy.pol")
    assert result.changed
    assert result.text == CANONICAL
    assert not format_text(CANONICAL, "messy.pol").changed


def test_an_amendment_is_laid_out_like_a_policy():
    messy = ('amendment a amends demo title zh "通知" en "Notice" issued 2024-01-01 effective 2024-02-01 end '
             'change (七) M7 cap 50万元 to 80万元 repeal clause (十二) '
             'replace clause (九) title zh "a" en "b" end '
             'replace measure M4 in (四) reward title zh "x" en "y" pay 1元 end '
             'change period in effect from 2024-01-01 for 3 years')
    assert format_text(messy, "a.pol").text == '''amendment a amends demo
  title zh "通知"
        en "Notice"
  issued 2024-01-01
  effective 2024-02-01
end

change (七) M7 cap 50万元 to 80万元

repeal clause (十二)

replace clause (九)
  title zh "a"
        en "b"
end

replace measure M4 in (四) reward
  title zh "x" en "y"
  pay 1元
end

change period in effect from 2024-01-01 for 3 years
'''


def test_the_example_amendment_is_in_canonical_layout():
    assert not format_text(AMENDMENT.read_text(encoding="utf-8"), str(AMENDMENT)).changed


def test_the_file_of_the_policy_stays_on_the_first_line_of_the_amendment():
    messy = 'amendment a amends demo\n    in   "../law/demo.pol" title zh "通知" en "Notice" end repeal clause (十二)'
    assert format_text(messy, "a.pol").text.startswith('amendment a amends demo in "../law/demo.pol"\n  title zh')


def test_a_long_cap_label_goes_on_with_as_on_the_next_line():
    text = format_text('policy p\nend\nclause (一)\n  measure M reward\n    cap fiscal_contribution_this_year - '
                       'fiscal_contribution_prev_year as zh "地方财力贡献增量" en "the increase in local fiscal '
                       'contribution over the previous year"\n  end\nend\n', "p.pol").text
    assert '    cap fiscal_contribution_this_year - fiscal_contribution_prev_year\n      as zh "地方财力贡献增量"' in text


def test_comments_stay_where_they_were():
    source = ('# top\n\n# second group\npolicy p  # after the name\n  # before the title\n  title zh "a"  # zh\n'
              '  en "b"\nend\n\n# about the clause\nclause (一)\nend\n# last words\n')
    text = format_text(source, "p.pol").text
    assert text == ('# top\n\n# second group\npolicy p  # after the name\n  # before the title\n  title zh "a"  # zh\n'
                    '        en "b"\nend\n\n# about the clause\nclause (一)\nend\n# last words\n')


def test_text_in_triple_quotes_is_kept_to_the_character():
    source = 'policy p\nend\nclause (一)\n  text zh """\n      第一行\n        第二行  \n    """ en "x"\nend\n'
    text = format_text(source, "p.pol").text
    assert '"""\n      第一行\n        第二行  \n    """' in text


def test_a_file_that_does_not_parse_is_refused_with_its_diagnostic():
    with pytest.raises(FormatError) as error:
        format_text("policy p\n  title zh \"a\"\n", "p.pol")
    assert error.value.diagnostic.code == "P004"


def test_a_layout_that_would_change_meaning_is_refused(monkeypatch):
    # If the layout ever dropped a token, the check before returning refuses the result.
    real = fmt._render
    monkeypatch.setattr(fmt, "_render", lambda events, comments: real(events[:-1], comments))
    with pytest.raises(FormatError) as error:
        format_text('policy p\n  title zh "a" en "b"\nend\n', "p.pol")
    assert error.value.diagnostic.code == "P701"
    monkeypatch.setattr(fmt, "_render", lambda events, comments: real(events, comments[1:]))
    with pytest.raises(FormatError, match="other comments"):
        format_text('# one\npolicy p\nend\n', "p.pol")


# ---------------------------------------------------------------- the command




def test_pol_fmt_check_then_rewrite(tmp_path):
    messy, tidy = tmp_path / "messy.pol", tmp_path / "tidy.pol"
    messy.write_text(MESSY, encoding="utf-8")
    tidy.write_text(CANONICAL, encoding="utf-8")
    (tmp_path / "demo.test.pol").write_text("tests for demo\n", encoding="utf-8")
    check = pol("fmt", "--check", str(tmp_path))
    assert check.returncode == 1
    assert check.stdout == f"would reformat {messy}\n"
    assert "1 file would be reformatted, 1 file left unchanged, 1 file skipped (policy tests)" in check.stderr
    assert messy.read_text(encoding="utf-8") == MESSY
    diff = pol("fmt", "--check", "--diff", str(messy))
    assert "+  title zh \"标题\"\n" in diff.stdout and diff.returncode == 1
    write = pol("fmt", str(messy), str(tidy))
    assert write.returncode == 0 and write.stdout == f"reformatted {messy}\n"
    assert messy.read_text(encoding="utf-8") == CANONICAL
    assert pol("fmt", "--check", str(tmp_path)).returncode == 0


def test_pol_fmt_reads_standard_input():
    run = pol("fmt", "-", stdin=MESSY)
    assert run.returncode == 0 and run.stdout == CANONICAL
    assert pol("fmt", "--check", "-", stdin=MESSY).returncode == 1
    assert pol("fmt", "--check", "-", stdin=CANONICAL).returncode == 0


def test_pol_fmt_errors(tmp_path):
    broken = tmp_path / "broken.pol"
    broken.write_text("policy p\n  title zh \"a\"\n", encoding="utf-8")
    run = pol_process("fmt", str(broken), str(tmp_path / "missing.pol"))
    assert run.returncode == 1
    assert "error[P004]" in run.stderr and "cannot read" in run.stderr and "Traceback" not in run.stderr
    assert broken.read_text(encoding="utf-8") == "policy p\n  title zh \"a\"\n"
    assert pol("fmt").returncode == 2
