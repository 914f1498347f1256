"""A minimal valid policy, as text, for tests that vary one thing at a time."""

MINIMAL = '''
policy {policy_id}
  title zh "{title_zh}" en "{title_en}"
  issuer zh "测试发布机关" en "Test issuer"
  issued 2022-08-26
  in effect from 2022-08-26 for 3 years
  rounding half_up to 0.01元 per award
end

enumeration county zh "旗县区" en "county"
  kundulun zh "昆都仑区" en "Kundulun District"
  qingshan zh "青山区" en "Qingshan District"
end

batch facts
  as_of: date zh "评估日期" en "evaluation date" required
end

applicant facts
  id: identifier zh "编号" en "id"
  county: county zh "旗县区" en "county" general jurisdiction
  livestream_rooms: integer zh "直播间数量" en "livestream rooms"
  sales: money CNY zh "销售额" en "sales"
end

clause (七)
  title zh "{clause_title_zh}" en "{clause_title_en}"
  text zh "{text_zh}" en "{text_en}"
  measure M7 reward
    title zh "直播奖励" en "{measure_title_en}"
    when livestream_rooms 不少于 5 and sales 达到 2000万元
    pay 1% of sales
    cap 50万元
    payee applicant
    burden city 50% county 50%
  end
end
'''

DEFAULTS = dict(
    policy_id="demo_policy", title_zh="演示政策", title_en="Demo policy",
    clause_title_zh="直播电商", clause_title_en="Livestream e-commerce",
    text_zh="对直播电商企业给予奖励。", text_en="Livestream enterprises are rewarded.",
    measure_title_en="Livestream reward",
)


def policy_text(**changes) -> str:
    values = {**DEFAULTS, **changes}
    return MINIMAL.format(**values)
