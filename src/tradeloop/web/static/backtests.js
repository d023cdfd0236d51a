// Backtest form: parameter inputs from the strategy schema, upload with progress, then the result page.
(() => {
  const form = document.getElementById("backtest-form");
  if (!form) return;
  const lang = form.dataset.lang;
  const strategies = JSON.parse(document.getElementById("strategies-data").textContent);
  const select = document.getElementById("strategy");
  const paramsBox = document.getElementById("params");
  const statusLine = document.getElementById("status");
  const errors = document.getElementById("errors");
  const progress = document.getElementById("progress");

  function showParams() {
    const strategy = strategies.find((s) => s.key === select.value);
    document.getElementById("strategy-description").textContent = strategy.description[lang];
    paramsBox.replaceChildren(...strategy.params.map((p) => {
      const label = document.createElement("label");
      label.textContent = p.label[lang] + " ";
      const input = document.createElement("input");
      input.name = "param:" + p.name;
      input.dataset.type = p.type;
      if (p.type === "bool") {
        input.type = "checkbox";
        input.checked = p.default;
        label.classList.add("check");
      } else {
        input.type = "number";
        input.value = p.default;
        input.step = p.step ?? "any";
        if (p.minimum !== null) input.min = p.minimum;
        if (p.maximum !== null) input.max = p.maximum;
      }
      label.append(input);
      return label;
    }));
  }

  function collect() {
    const data = new FormData();
    const file = form.elements.file.files[0];
    if (file) data.append("file", file);
    else if (form.elements.dataset_id.value) data.append("dataset_id", form.elements.dataset_id.value);
    data.append("strategy", select.value);
    const params = {};
    paramsBox.querySelectorAll("input").forEach((input) => {
      const name = input.name.slice("param:".length);
      if (input.dataset.type === "bool") params[name] = input.checked;
      else if (input.value !== "") params[name] = Number(input.value);
    });
    data.append("params", JSON.stringify(params));
    const v = (name) => form.elements[name].value;
    const settings = { fill: v("fill"), on_opposite: v("on_opposite"), initial_cash: Number(v("initial_cash")),
      commission: Number(v("commission") || 0), slippage_pips: Number(v("slippage_pips") || 0) };
    if (v("spread_pips") !== "") settings.spread_pips = Number(v("spread_pips"));
    const mode = v("stop_mode");
    if (mode !== "none") {
      if (v("stop") !== "") settings[mode === "atr" ? "sl_atr" : "sl_pips"] = Number(v("stop"));
      if (v("target") !== "") settings[mode === "atr" ? "tp_atr" : "tp_pips"] = Number(v("target"));
    }
    settings[v("size_mode")] = Number(v("size"));
    data.append("settings", JSON.stringify(settings));
    for (const name of ["symbol", "tz", "date_order"]) if (v(name)) data.append(name, v(name));
    if (form.elements.keep_dominant_interval.checked) data.append("keep_dominant_interval", "true");
    return data;
  }

  function fail(body) {
    progress.hidden = true;
    statusLine.textContent = form.dataset.failed;
    errors.hidden = false;
    const lines = [body.message || "error"];
    errors.replaceChildren(...lines.map((line) => Object.assign(document.createElement("li"), { textContent: line })));
    form.querySelector("button[type=submit]").disabled = false;
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    errors.hidden = true;
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
      try { body = JSON.parse(request.responseText); } catch { body = { message: request.statusText }; }
      if (request.status === 201) window.location.href = "/backtests/" + body.id;
      else fail(body);
    });
    request.addEventListener("error", () => fail({ message: "network error" }));
    request.send(collect());
  });

  select.addEventListener("change", showParams);
  showParams();
})();
