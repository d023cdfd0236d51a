// Backtest forms: parameter inputs from the strategy schema, every execution setting, upload with
// progress, then the result page. The result page's re-run form uses the same helpers.
window.tradeloopBacktest = (() => {
  // Labelled inputs for a strategy's parameters, filled with ``values`` (defaults otherwise).
  function renderParams(box, strategy, values, lang) {
    box.replaceChildren(...strategy.params.map((p) => {
      const label = document.createElement("label");
      const input = document.createElement("input");
      input.id = "param-" + p.name;
      label.htmlFor = input.id;
      input.name = "param:" + p.name;
      input.dataset.type = p.type;
      const value = values && p.name in values ? values[p.name] : p.default;
      if (p.type === "bool") {
        input.type = "checkbox";
        input.checked = Boolean(value);
        label.classList.add("check");
        label.append(input, " " + p.label[lang]);
      } else {
        input.type = "number";
        input.inputMode = p.type === "int" ? "numeric" : "decimal";
        input.value = value;
        input.step = p.step ?? "any";
        if (p.minimum !== null) input.min = p.minimum;
        if (p.maximum !== null) input.max = p.maximum;
        label.append(p.label[lang] + " ", input);
      }
      return label;
    }));
  }

  function params(box) {
    const found = {};
    box.querySelectorAll("input").forEach((input) => {
      const name = input.name.slice("param:".length);
      if (input.dataset.type === "bool") found[name] = input.checked;
      else if (input.value !== "") found[name] = Number(input.value);
    });
    return found;
  }

  // Every execution setting of the form, unset ones as null (a re-run replaces them all).
  function settings(form) {
    const v = (name) => form.elements[name].value;
    const num = (name) => (v(name) === "" ? null : Number(v(name)));
    const out = {
      fill: v("fill"), on_opposite: v("on_opposite"), initial_cash: num("initial_cash"),
      commission: num("commission") ?? 0, slippage_pips: num("slippage_pips") ?? 0,
      spread_pips: num("spread_pips"), conversion_rate: num("conversion_rate"),
      atr_period: num("atr_period") ?? 14,
      sl_pips: null, tp_pips: null, sl_atr: null, tp_atr: null, lots: null, units: null, risk_percent: null,
    };
    const mode = v("stop_mode");
    if (mode !== "none") {
      out[mode === "atr" ? "sl_atr" : "sl_pips"] = num("stop");
      out[mode === "atr" ? "tp_atr" : "tp_pips"] = num("target");
    }
    out[v("size_mode")] = num("size");
    return out;
  }

  function showErrors(form, message) {
    form.querySelector("#status").textContent = form.dataset.failed;
    const errors = form.querySelector("#errors");
    errors.hidden = false;
    errors.replaceChildren(Object.assign(document.createElement("li"), { textContent: message }));
    form.querySelector("button[type=submit]").disabled = false;
  }

  return { renderParams, params, settings, showErrors };
})();

(() => {
  const form = document.getElementById("backtest-form");
  if (!form) return;
  const { renderParams, params, settings, showErrors } = window.tradeloopBacktest;
  const lang = form.dataset.lang;
  const strategies = JSON.parse(document.getElementById("strategies-data").textContent);
  const select = document.getElementById("strategy");
  const paramsBox = document.getElementById("params");
  const statusLine = document.getElementById("status");
  const progress = document.getElementById("progress");

  function showParams() {
    const strategy = strategies.find((s) => s.key === select.value);
    document.getElementById("strategy-description").textContent = strategy.description[lang];
    renderParams(paramsBox, strategy, null, lang);
  }

  function collect() {
    const data = new FormData();
    const file = form.elements.file.files[0];
    if (file) data.append("file", file);
    else if (form.elements.dataset_id.value) data.append("dataset_id", form.elements.dataset_id.value);
    data.append("strategy", select.value);
    data.append("params", JSON.stringify(params(paramsBox)));
    data.append("settings", JSON.stringify(settings(form)));
    const v = (name) => form.elements[name].value;
    for (const name of ["symbol", "tz", "date_order"]) if (v(name)) data.append(name, v(name));
    if (form.elements.keep_dominant_interval.checked) data.append("keep_dominant_interval", "true");
    return data;
  }

  function fail(body) {
    progress.hidden = true;
    showErrors(form, body.message || form.dataset.failed);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    form.querySelector("#errors").hidden = true;
    form.querySelector("button[type=submit]").disabled = true;
    const request = new XMLHttpRequest();
    request.open("POST", "/api/backtests");
    request.setRequestHeader("X-CSRF-Token", document.querySelector('meta[name="csrf-token"]').content);
    progress.hidden = false;
    progress.value = 0;
    request.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable) return;
      progress.value = (100 * e.loaded) / e.total;
      statusLine.textContent = form.dataset.uploading.replace("__P__", Math.round(progress.value));
    });
    request.upload.addEventListener("load", () => {
      progress.removeAttribute("value");
      statusLine.textContent = form.dataset.running;
    });
    request.addEventListener("load", () => {
      let body = {};
      try { body = JSON.parse(request.responseText); } catch { body = { message: form.dataset.network }; }
      if (request.status === 201) window.location.href = "/backtests/" + body.id;
      else fail(body);
    });
    request.addEventListener("error", () => fail({ message: form.dataset.network }));
    request.send(collect());
  });

  select.addEventListener("change", showParams);
  showParams();
})();
