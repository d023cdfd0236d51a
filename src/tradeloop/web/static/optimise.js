// Optimisation pages: the sweep form from the strategy schema (per parameter or setting a fixed
// value, a from/to/step range or a list), then a run's page: progress by server-sent events with
// Cancel and Resume (the finished count re-read from the run's headline, the page reloaded at
// the end), a Backtest button per row, the heatmap of two different swept values and the
// walk-forward charts (Plotly).
(() => {
  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;
  const post = (url, body) => fetch(url, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf(), Accept: "application/json" },
    body: JSON.stringify(body ?? {}),
  }).then((response) => response.json().catch(() => ({})).then((data) => ({ status: response.status, data })));
  const showError = (list, message) => {
    list.replaceChildren(Object.assign(document.createElement("li"), { textContent: message }));
    list.hidden = false;
  };

  // -- the form ----------------------------------------------------------------------------
  const form = document.getElementById("optimise-form");
  if (form) {
    const L = form.dataset;
    const lang = L.lang;
    const strategies = JSON.parse(document.getElementById("strategies-data").textContent);
    const select = document.getElementById("o-strategy");
    const box = document.getElementById("o-params");
    const statusLine = document.getElementById("o-status");
    const errors = document.getElementById("o-errors");
    const button = form.querySelector("button[type=submit]");

    // from / to / step / list inputs inside ``row`` (its name span kept), ``from`` preset
    function fill(row, key, value, step) {
      const input = (part, type, text) => {
        const label = document.createElement("label");
        const field = document.createElement("input");
        field.id = `o-${key}-${part}`;
        field.name = `${key}:${part}`;
        field.type = type;
        if (type === "number") { field.step = "any"; field.inputMode = "decimal"; }
        label.htmlFor = field.id;
        label.append(text + " ", field);
        return [label, field];
      };
      const [fromLabel, from] = input("from", "number", L.from);
      const [toLabel] = input("to", "number", L.to);
      const [stepLabel, stepField] = input("step", "number", L.step);
      const [listLabel, list] = input("list", "text", L.list);
      from.value = value ?? "";
      stepField.value = step ?? "";
      list.placeholder = L.listHint;
      list.maxLength = 400;
      row.dataset.key = key;
      row.append(fromLabel, toLabel, stepLabel, listLabel);
    }

    function showParams() {
      const strategy = strategies.find((s) => s.key === select.value);
      document.getElementById("o-strategy-description").textContent = strategy.description[lang];
      box.replaceChildren(...strategy.params.filter((p) => p.type !== "bool").map((p) => {
        const row = document.createElement("div");
        row.className = "sweep-row";
        row.dataset.param = p.name;
        row.append(Object.assign(document.createElement("span"), { className: "sweep-name", textContent: p.label[lang] }));
        fill(row, p.name, p.default, p.step ?? 1);
        return row;
      }));
    }
    form.querySelectorAll(".sweep-row[data-setting]").forEach((row) => fill(row, row.dataset.setting, row.dataset.default, ""));

    // a row as {value} (fixed), {grid} (swept) or {} (left empty)
    function read(row, name) {
      const v = (part) => form.elements[`${row.dataset.key}:${part}`].value.trim();
      if (v("list")) return { grid: `${name}=${v("list").replace(/\s+/g, "")}` };
      if (v("from") === "") return {};
      if (v("to") !== "" && v("to") !== v("from")) {
        return { grid: `${name}=${v("from")}:${v("to")}:${v("step") || 1}` };
      }
      return { value: Number(v("from")) };
    }

    function collect() {
      const body = { strategy: select.value, params: {}, settings: {}, grids: [] };
      const put = (found, name, target) => {
        if (found.grid) body.grids.push(found.grid);
        else if (found.value !== undefined) target[name] = found.value;
      };
      box.querySelectorAll(".sweep-row").forEach((row) => put(read(row, row.dataset.param), row.dataset.param, body.params));
      const stopMode = form.elements.stop_mode.value;
      if (stopMode !== "none") {
        const unit = stopMode === "atr" ? "atr" : "pips";
        put(read(form.querySelector("[data-setting=stop]"), `sl_${unit}`), `sl_${unit}`, body.settings);
        put(read(form.querySelector("[data-setting=target]"), `tp_${unit}`), `tp_${unit}`, body.settings);
      }
      const sizeMode = form.elements.size_mode.value;
      put(read(form.querySelector("[data-setting=size]"), sizeMode), sizeMode, body.settings);
      const v = (name) => form.elements[name].value.trim();
      if (v("spread_pips") !== "") body.settings.spread_pips = Number(v("spread_pips"));
      body.dataset_id = Number(v("dataset_id"));
      body.method = v("method");
      if (body.method !== "grid" && v("trials") !== "") body.trials = Number(v("trials"));
      body.seed = Number(v("seed") || 0);
      body.objective = v("objective");
      body.constraints = v("constraint") ? [v("constraint")] : [];
      body.min_trades = Number(v("min_trades") || 0);
      if (v("max_drawdown_pct") !== "") body.max_drawdown_pct = Number(v("max_drawdown_pct"));
      if (v("wf_mode") !== "none") body.walk_forward = `${v("wf_mode")}:${v("wf_in")}:${v("wf_out")}`;
      return body;
    }

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      errors.hidden = true;
      button.disabled = true;
      statusLine.textContent = L.starting;
      post("/api/optimisations", collect()).then(({ status, data }) => {
        if (status === 202) { window.location.assign(`/optimise/${data.run_id}`); return; }
        statusLine.textContent = L.failed;
        showError(errors, data.message || L.failed);
        button.disabled = false;
      }).catch(() => {
        statusLine.textContent = L.failed;
        showError(errors, L.network);
        button.disabled = false;
      });
    });
    select.addEventListener("change", showParams);
    showParams();
  }

  // -- a run's page ------------------------------------------------------------------------
  const panel = document.getElementById("run-state");
  if (!panel) return;
  const P = panel.dataset;
  const runUrl = `/api/optimisations/${P.run}`;
  const errors = document.getElementById("run-errors");
  const progress = document.getElementById("run-progress");
  const progressText = document.getElementById("run-progress-text");

  if (progress && P.job) {
    const jobUrl = `/api/jobs/${P.job}`;
    const finished = document.querySelector("[data-testid=finished]");
    const noResults = document.querySelector("[data-testid=no-results]");
    let ended = false;
    // the run's headline (no combinations): the finished count follows the stored chunks
    let reading = false;
    const readCount = () => {
      if (ended || reading) return;
      reading = true;
      fetch(`${runUrl}?summary=true`, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then((r) => (r.ok ? r.json() : null))
        .then((run) => {
          if (!run || ended || typeof run.finished !== "number") return;
          if (String(run.finished) === finished.dataset.finished) return;
          finished.dataset.finished = run.finished;
          finished.textContent = P.finishedText.replace("__F__", run.finished);
          if (noResults && run.finished > 0) noResults.textContent = P.soFar.replace("__F__", run.finished);
        })
        .catch(() => {})
        .finally(() => { reading = false; });
    };
    const counter = setInterval(readCount, 1000);
    const seen = (job) => {
      if (job.state !== "queued" && job.state !== "running") {
        ended = true;
        clearInterval(counter);
        window.location.reload();  // the results, heatmap and odds are drawn by the server
        return true;
      }
      if (job.state === "running") document.querySelector("[data-testid=status]").textContent = P.running;
      const percent = Math.round(job.progress * 100);
      progress.value = percent;
      let text = P.progressText;
      if (job.stage === "walk_forward") text = P.walkText;
      else if (P.walking) text = P.sweepWalkText;
      progressText.textContent = text.replace("__D__", percent);
      readCount();
      return false;
    };
    const poll = () => {
      fetch(jobUrl, { credentials: "same-origin" }).then((r) => r.json())
        .then((job) => { if (!seen(job)) setTimeout(poll, 500); })
        .catch(() => setTimeout(poll, 2000));
    };
    if (window.EventSource) {
      const events = new EventSource(jobUrl + "/events");
      events.addEventListener("job", (event) => { if (seen(JSON.parse(event.data))) events.close(); });
      events.onerror = () => { events.close(); if (!ended) poll(); };
    } else {
      poll();
    }
    document.getElementById("cancel-run").addEventListener("click", (event) => {
      event.target.disabled = true;
      progressText.textContent = P.cancelling;
      post(`${runUrl}/cancel`).then(({ status, data }) => {
        if (status !== 202 && status !== 409) showError(errors, data.message || P.failed);
      });
    });
  }

  const resume = document.getElementById("resume-run");
  if (resume) {
    resume.addEventListener("click", () => {
      resume.disabled = true;
      post(`${runUrl}/resume`).then(({ status, data }) => {
        if (status === 202) window.location.reload();
        else { showError(errors, data.message || P.failed); resume.disabled = false; }
      });
    });
  }

  document.querySelectorAll("[data-backtest]").forEach((button) => {
    button.addEventListener("click", () => {
      button.disabled = true;
      button.textContent = P.backtesting;
      post(`${runUrl}/backtest`, { index: Number(button.dataset.backtest) }).then(({ status, data }) => {
        if (status === 201) window.location.assign(data.page);
        else { showError(errors, data.message || P.failed); button.disabled = false; }
      }).catch(() => showError(errors, P.network));
    });
  });

  if (!window.Plotly) return;
  const { base, config, json } = window.tradeloopPlot;

  const heat = json("heat-data");
  const heatBox = document.getElementById("heatmap");
  if (heat && heatBox) {
    const label = (name) => (heat.names.find(([n]) => n === name) || [name, name])[1];
    const draw = () => {
      const x = document.getElementById("heat-x").value;
      const y = document.getElementById("heat-y").value;
      const stat = document.getElementById("heat-stat").value;
      heatBox.dataset.drawn = `${x}|${y}|${stat}`;
      const xs = [...new Set(heat.rows.map((r) => r.p[x]))].sort((a, b) => a - b);
      const ys = [...new Set(heat.rows.map((r) => r.p[y]))].sort((a, b) => a - b);
      // each cell: the highest value over the other swept names
      const z = ys.map(() => xs.map(() => null));
      heat.rows.forEach((r) => {
        const value = r.s[stat];
        if (value === null || value === undefined) return;
        const i = ys.indexOf(r.p[y]);
        const j = xs.indexOf(r.p[x]);
        if (z[i][j] === null || value > z[i][j]) z[i][j] = value;
      });
      Plotly.react(heatBox, [{
        type: "heatmap", x: xs.map(String), y: ys.map(String), z, colorscale: [[0, "#b42318"], [0.5, "#fde68a"], [1, "#067647"]], hoverongaps: false,
        colorbar: { title: { text: heat.stats[stat] } },
        hovertemplate: `${label(x)}: %{x}<br>${label(y)}: %{y}<br>${heat.stats[stat]}: %{z:,.2f}<extra></extra>`,
      }], {
        ...base, height: 420,
        xaxis: { title: { text: label(x) }, type: "category" },
        yaxis: { title: { text: label(y) }, type: "category" },
      }, config);
    };
    // the two axes never show the same name: choosing the other axis's name swaps them
    const axes = { x: document.getElementById("heat-x"), y: document.getElementById("heat-y") };
    const last = { x: axes.x.value, y: axes.y.value };
    [["x", "y"], ["y", "x"]].forEach(([mine, other]) => axes[mine].addEventListener("change", () => {
      if (axes[mine].value === axes[other].value) axes[other].value = last[mine];
      last.x = axes.x.value;
      last.y = axes.y.value;
      draw();
    }));
    document.getElementById("heat-stat").addEventListener("change", draw);
    draw();
  }

  const walk = json("walk-data");
  const equityBox = document.getElementById("walk-equity");
  if (walk && equityBox) {
    const E = equityBox.dataset;
    Plotly.newPlot(equityBox, [{
      type: "scatter", mode: "lines", name: E.growth, x: walk.equity.time.map((t) => t.slice(0, 16).replace("T", " ")),
      y: walk.equity.growth, line: { color: "#2563eb", width: 1.6 },
    }], { ...base, height: 320, xaxis: { type: "date", title: { text: E.time } }, yaxis: { title: { text: E.growth } } }, config);
    const gapBox = document.getElementById("walk-gap");
    const G = gapBox.dataset;
    const names = walk.windows.map((w, i) => `${G.window} ${i + 1}`);
    Plotly.newPlot(gapBox, [
      { type: "bar", name: G.in, x: names, y: walk.windows.map((w) => w.in_per_100_bars_pct), marker: { color: "#94a3b8" } },
      { type: "bar", name: G.out, x: names, y: walk.windows.map((w) => w.out_per_100_bars_pct), marker: { color: "#2563eb" } },
      { type: "scatter", mode: "lines+markers", name: G.gap, x: names, y: walk.windows.map((w) => w.gap_per_100_bars_pct), line: { color: "#b42318" } },
    ], { ...base, height: 320, barmode: "group", yaxis: { title: { text: G.unit } } }, config);
  }
})();
