// The calculator page of a policy's docs site (compiler/calculator_page.py writes the page).
//
// Inlined into the page's module script element after the policy's module (`pol compile
// --target js`), inside a function of its own so none of these names can clash with the
// module's; the page calls `start(api, root, config)` with the module's entry points, the
// calculator's element and the page's words. No server, nothing from the internet.
//
// The form is read into a batch of one applicant, as `pol eval` takes it: every value as the
// text typed (the module reads numbers from text exactly, and refuses what `pol eval` refuses,
// with the same message), absent when left empty. Results are built with textContent only:
// neither the policy's text nor what is typed is ever read as HTML.

function start(api, root, config) {
  const words = config.words;
  const lang = config.lang;
  const fields = Array.from(root.querySelectorAll("[data-pol-field]"));
  const byName = new Map(fields.map((field) => [field.dataset.polField, field]));
  const groups = Array.from(root.querySelectorAll("details[data-pol-group]"));
  const results = root.querySelector("#pol-calc-results");
  const errorBox = root.querySelector("#pol-calc-error");
  const asOf = byName.get("as_of")?.querySelector("input") ?? null;
  const defaultDay = asOf ? clampDay(today(), asOf.min, asOf.max) : "";
  let version = api.POLICY;

  // -- the version in force, and what the form shows of it

  function versionOn(day) {
    try {
      return /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(day) ? api.policyOn(day) : api.POLICY;
    } catch (error) {
      return api.POLICY;
    }
  }

  function applyVersion() {
    version = versionOn(asOf ? asOf.value : "");
    const facts = new Set(version.facts.map((f) => f.name));
    const measures = new Set(version.measures.map((m) => m.name));
    for (const field of fields) field.dataset.polOff = facts.has(field.dataset.polField) ? "" : "version";
    for (const group of groups) {
      group.hidden = !group.dataset.polMeasures.split(" ").some((name) => measures.has(name));
    }
    for (const mention of root.querySelectorAll("[data-pol-measure]")) {
      mention.hidden = !measures.has(mention.dataset.polMeasure);
    }
    // An exchange rate is asked for when an amount in its currency is filled in.
    for (const field of fields) {
      const currency = field.dataset.polCurrencyOf;
      if (currency === undefined || field.dataset.polOff) continue;
      const needed = currency.split(" ").some((name) => byName.has(name) && filled(byName.get(name)));
      field.dataset.polOff = needed ? "" : "unneeded";
    }
    for (const field of fields) field.hidden = Boolean(field.dataset.polOff);
  }

  // -- reading the form

  function inputs(field) {
    return Array.from(field.querySelectorAll("[data-pol-fact]"));
  }

  function filled(field) {
    return !field.dataset.polOff && read(field) !== undefined;
  }

  function read(field) {
    const kind = field.dataset.polKind;
    const [first] = inputs(field);
    if (kind === "bool") return first.checked ? true : undefined;
    if (kind === "count_map") {
      const counts = {};
      for (const input of inputs(field)) {
        const text = input.value.trim();
        if (text !== "") counts[input.dataset.polKey] = text;
      }
      return Object.keys(counts).length ? counts : undefined;
    }
    const text = first.value.trim();
    return text === "" ? undefined : text;
  }

  function batchOfForm() {
    const batch = {};
    const applicant = { id: config.applicant_id };
    for (const field of fields) {
      if (field.dataset.polOff) continue;
      const value = read(field);
      if (value === undefined) continue;
      if (field.dataset.polScope === "batch") batch[field.dataset.polField] = value;
      else applicant[field.dataset.polField] = value;
    }
    batch.applicants = [applicant];
    return batch;
  }

  // -- refusals: the message `pol eval` gives, beside the field it names

  function clearMessages() {
    errorBox.hidden = true;
    errorBox.textContent = "";
    for (const field of fields) {
      const message = field.querySelector(".pol-calc-message");
      message.hidden = true;
      message.textContent = "";
      for (const input of inputs(field)) input.removeAttribute("aria-invalid");
    }
  }

  function showRefusal(refusal) {
    errorBox.textContent = words.calc_cannot + refusal.message;
    errorBox.hidden = false;
    // The field the message is about: "... fact `name` ...", or a batch fact named first ("batch: as_of ...").
    const named = /fact `([A-Za-z0-9_]+)`/.exec(refusal.message) ?? /^batch: ([A-Za-z0-9_]+) /.exec(refusal.message);
    const field = named ? byName.get(named[1]) : undefined;
    if (field !== undefined && !field.hidden) {
      const message = field.querySelector(".pol-calc-message");
      message.textContent = refusal.message;
      message.hidden = false;
      const key = /`\[(?:'([^']*)'|"([^"]*)")\]/.exec(refusal.message);
      const wanted = key ? key[1] ?? key[2] : null;
      for (const input of inputs(field)) {
        if (wanted === null || input.dataset.polKey === wanted) input.setAttribute("aria-invalid", "true");
      }
      const group = field.closest("details");
      if (group) group.open = true;
    }
    results.replaceChildren(element("p", "pol-calc-empty", words.calc_waiting));
  }

  // -- the results

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // "Word: value", with the page language's colon.
  function labelled(word, value) {
    return `${words[word]}${words.colon}${value}`;
  }

  function money(text) {
    const parts = /^(-?)([0-9]+)(\.[0-9]+)?$/.exec(text);
    if (!parts) return text;
    const grouped = parts[2].replace(/\B(?=([0-9]{3})+(?![0-9]))/g, ",");
    return words.calc_money.replace("{amount}", `${parts[1]}${grouped}${parts[3] ?? ""}`);
  }

  function title(item) {
    return (lang === "en" ? item.title_en : item.title_zh) || item.name;
  }

  function enumLabel(enumName, code) {
    const found = version.enums.find(([name]) => name === enumName);
    const value = found ? found[1].find(([c]) => c === code) : undefined;
    return value ? (lang === "en" ? value[2] : value[1]) || code : code;
  }

  function clauseLink(measure) {
    const text = words.clause_ref.replace("{numeral}", `(${measure.numeral})`).replace("{number}", measure.clause);
    const target = document.querySelector(`a[data-pol-clause-link="${measure.name}"]`);
    if (!target) return element("span", "pol-calc-clause", text);
    const link = element("a", "pol-calc-clause", text);
    link.href = target.getAttribute("href");
    return link;
  }

  function payee(award) {
    if (award.payee !== "county") return words.payee_applicant;
    const jurisdiction = version.facts.find((f) => f.name === version.jurisdiction);
    const county = award.payee_county && jurisdiction ? enumLabel(jurisdiction.enum, award.payee_county) : "";
    return words.payee_county.replace("{county}", county || words.county_fallback);
  }

  function notes(measure) {
    const out = [];
    if (measure.pool) {
      const pool = version.pools.find((p) => p.name === measure.pool);
      out.push(words.calc_pool_note.replace("{pool}", pool ? title(pool) : measure.pool));
    }
    for (const name of measure.rankings) {
      const ranking = version.rankings.find((r) => r.name === name);
      out.push(words.calc_ranking_note.replace("{ranking}", ranking ? title(ranking) : name)
        .replace("{top}", ranking ? String(ranking.top) : ""));
    }
    return out;
  }

  function awardCard(award) {
    const measure = version.measures.find((m) => m.name === award.measure);
    const card = element("section", "pol-calc-award");
    card.dataset.polMeasure = award.measure;
    card.dataset.polStatus = award.status;
    const head = element("div", "pol-calc-award-head");
    head.append(element("strong", "pol-calc-name", award.measure), element("span", "pol-calc-title", title(measure)),
      element("span", "pol-calc-status", words[award.status] ?? award.status),
      element("span", "pol-calc-amount", money(award.amount)));
    card.append(head);

    const meta = element("p", "pol-calc-meta");
    meta.append(clauseLink(measure), ` · ${labelled("payee", payee(award))}`);
    if (award.computed !== award.amount) meta.append(` · ${labelled("calc_computed", money(award.computed))}`);
    if (award.city_share !== null && award.city_share !== undefined) {
      meta.append(` · ${labelled("city_share", money(award.city_share))}`);
    }
    if (award.county_share !== null && award.county_share !== undefined) {
      meta.append(` · ${labelled("calc_county_share", money(award.county_share))}`);
    }
    card.append(meta);
    for (const note of notes(measure)) card.append(element("p", "pol-calc-note", note));

    // The explanation in the page's language; `why` (English) marks which lines are caps,
    // line for line, as both are written together.
    const lines = (lang === "en" ? award.why : award.why_zh).slice(1);
    const english = award.why.slice(1);
    const failed = award.status === "not_eligible" ? lines.findIndex((line) => line.startsWith("✗")) : -1;
    const caps = english.flatMap((line, i) => (line.startsWith("capped by ") ? [i] : []));
    if (failed >= 0) {
      const first = element("p", "pol-calc-failed");
      first.dataset.polFirstFailed = "";
      first.append(`${labelled("calc_first_failed", lines[failed])} (`, clauseLink(measure), ")");
      card.append(first);
    }
    if (caps.length) {
      const bit = element("p", "pol-calc-cap", labelled("calc_caps", caps.map((i) => lines[i]).join("; ")));
      bit.dataset.polCaps = "";
      card.append(bit);
    }
    const why = element("ul", "pol-calc-why");
    lines.forEach((line, i) => {
      const item = element("li", i === failed ? "pol-calc-failed" : caps.includes(i) ? "pol-calc-cap" : "", line);
      why.append(item);
    });
    card.append(element("p", "pol-calc-why-title", words.calc_why), why);
    return card;
  }

  function render(result, batch) {
    const [applicant] = result.applicants;
    const out = [];
    const total = element("p", "pol-calc-total");
    total.append(labelled("total", ""), element("strong", "", money(applicant.total)));
    total.lastChild.dataset.polTotal = "";
    out.push(total);
    let meta = `${result.as_of}`;
    if (result.year !== undefined && result.year !== null) meta += ` · ${labelled("calc_award_year", result.year)}`;
    meta += ` · ${words.calc_version.replace("{effective}", version.effective)}`;
    if (version.amendments.length) meta += words.calc_amended.replace("{amendments}", version.amendments.join(", "));
    out.push(element("p", "pol-calc-meta", meta));
    if (!applicant.awards.length) out.push(element("p", "pol-calc-empty", words.calc_no_award));
    for (const award of applicant.awards) out.push(awardCard(award));

    const assessed = new Set(applicant.awards.map((a) => a.measure));
    const rest = version.measures.filter((m) => !assessed.has(m.name));
    if (rest.length) {
      const names = rest.map((m) => `${m.name} ${title(m)}`).join(lang === "en" ? "; " : ";");
      out.push(element("p", "pol-calc-meta", labelled("calc_not_assessed", names)));
    }
    const json = element("details", "pol-calc-json");
    json.append(element("summary", "", words.calc_batch_json), element("pre", "", JSON.stringify(batch, null, 2)));
    out.push(json);
    results.replaceChildren(...out);
  }

  function update() {
    applyVersion();
    clearMessages();
    const batch = batchOfForm();
    let refusal;
    try {
      refusal = api.check(batch);
    } catch (error) {
      refusal = { message: String(error && error.message ? error.message : error), code: null };
    }
    if (refusal) {
      showRefusal(refusal);
      return;
    }
    render(api.evaluate(batch), batch);
  }

  function reset() {
    for (const field of fields) {
      for (const input of inputs(field)) {
        if (input.type === "checkbox") input.checked = false;
        else if (input.tagName === "SELECT") input.selectedIndex = 0;
        else input.value = "";
      }
    }
    for (const group of groups) group.open = false;
    if (asOf) asOf.value = defaultDay;
    update();
  }

  if (asOf && !asOf.value) asOf.value = defaultDay;
  // A form the browser filled back in (going back to the page) opens where it holds values.
  for (const group of groups) {
    if (Array.from(group.querySelectorAll("[data-pol-field]")).some((field) => read(field) !== undefined)) {
      group.open = true;
    }
  }
  root.addEventListener("input", update);
  root.addEventListener("change", update);
  root.querySelector("[data-pol-reset]")?.addEventListener("click", reset);
  update();
}

// Today in the browser's time zone, as YYYY-MM-DD.
function today() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

// A day moved into [first, last] (YYYY-MM-DD texts compare as days); an empty bound is no bound.
function clampDay(day, first, last) {
  if (first && day < first) return first;
  if (last && day > last) return last;
  return day;
}
