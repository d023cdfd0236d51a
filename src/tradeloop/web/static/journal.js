// Journal page: import with progress, charts, trade table with filters, settings sliders.
(() => {
  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;
  const form = document.getElementById("import-form");
  if (form) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const status = document.getElementById("status");
      const errors = document.getElementById("errors");
      const progress = document.getElementById("progress");
      const data = new FormData(form);
      if (!form.elements.store.checked) data.set("store", "false");
      const request = new XMLHttpRequest();
      request.open("POST", "/api/journal/imports");
      request.setRequestHeader("X-CSRF-Token", csrf());
      progress.hidden = false;
      errors.hidden = true;
      request.upload.addEventListener("progress", (e) => {
        if (!e.lengthComputable) return;
        progress.value = (100 * e.loaded) / e.total;
        status.textContent = form.dataset.uploading.replace("__P__", Math.round(progress.value));
      });
      request.upload.addEventListener("load", () => { progress.removeAttribute("value"); status.textContent = form.dataset.analysing; });
      request.addEventListener("load", () => {
        let body = {};
        try { body = JSON.parse(request.responseText); } catch { body = { message: request.statusText }; }
        if (request.status === 201) { window.location.reload(); return; }
        progress.hidden = true;
        status.textContent = form.dataset.failed;
        errors.hidden = false;
        errors.replaceChildren(Object.assign(document.createElement("li"), { textContent: body.message }));
        const field = (body.details || []).map((d) => d && d.field).find((f) => f && form.elements[f]);
        if (field) form.elements[field].focus();  // e.g. the server's time zone of a new MT5 account
      });
      request.send(data);
    });
  }

  const dataNode = document.getElementById("journal-data");
  if (!dataNode) return;
  const data = JSON.parse(dataNode.textContent);
  const dark = window.matchMedia("(prefers-color-scheme: dark)").matches;
  const base = { margin: { t: 10, r: 10, b: 40, l: 50 }, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
    font: { color: dark ? "#e6e9ee" : "#1c2330" } };
  const config = { responsive: true, displaylogo: false };
  const colours = { none: "#667085", no_stop_loss: "#b42318", excessive_risk: "#b54708", outsized_loss: "#7a2e0e", revenge_trade: "#6941c6" };
  const table = document.querySelector("[data-testid=journal-trades]");
  const labels = JSON.parse(table.dataset.labels);

  if (window.Plotly) {
    const rate = data.clean_rate || 0;
    Plotly.newPlot("donut", [{ values: [rate, 1 - rate], type: "pie", hole: 0.65, sort: false, textinfo: "none",
      marker: { colors: ["#067647", "#fecdca"] }, hoverinfo: "none" }],
      { ...base, margin: { t: 0, b: 0, l: 0, r: 0 }, height: 130, width: 130, showlegend: false,
        annotations: [{ text: `${Math.round(rate * 100)}%`, showarrow: false, font: { size: 22 } }] }, { displayModeBar: false });

    const box = document.getElementById("loss-chart");
    const losses = data.losses;
    const names = JSON.parse(box.dataset.labels);
    const groups = {};
    losses.points.forEach((p, i) => {
      const key = p.mistakes.find((m) => m !== "revenge_trade" && m !== "no_stop_loss") || p.mistakes[0] || "none";
      (groups[key] = groups[key] || { x: [], y: [], index: [] });
      groups[key].x.push(i + 1); groups[key].y.push(p.lost); groups[key].index.push(p.index);
    });
    const n = losses.points.length;
    const line = (y, name, dash, colour) => ({ x: [1, n], y: [y, y], mode: "lines", name, line: { dash, color: colour }, hoverinfo: "name+y" });
    const traces = Object.entries(groups).map(([key, g]) => ({ x: g.x, y: g.y, customdata: g.index, mode: "markers", type: "scatter",
      name: names[key], marker: { color: colours[key], size: 8 } }));
    if (losses.mean !== null) {  // one market: its mean and band (points of several markets do not compare)
      traces.push(line(losses.mean, box.dataset.mean, "solid", "#0f766e"));
      traces.push({ x: [1, n, n, 1], y: [losses.mean - losses.std, losses.mean - losses.std, losses.mean + losses.std, losses.mean + losses.std],
        fill: "toself", mode: "none", fillcolor: "rgba(15,118,110,0.12)", name: box.dataset.band, hoverinfo: "skip" });
    }
    if (losses.threshold !== null) traces.push(line(losses.threshold, box.dataset.threshold, "dash", "#b42318"));
    Plotly.newPlot(box, traces, { ...base, height: 340, hovermode: "closest", legend: { orientation: "h" } }, config);
    box.on("plotly_click", (event) => {
      const point = event.points[0];
      if (point.customdata !== undefined) showTrade(point.customdata);
    });

    const days = data.calendar;
    if (days.length) {
      const dates = days.map((d) => new Date(d.key + "T00:00:00Z"));
      const monday = (d) => { const c = new Date(d); c.setUTCDate(c.getUTCDate() - ((c.getUTCDay() + 6) % 7)); return c.toISOString().slice(0, 10); };
      const weeks = [...new Set(dates.map(monday))];
      const z = [0, 1, 2, 3, 4, 5, 6].map(() => weeks.map(() => null));
      const txt = [0, 1, 2, 3, 4, 5, 6].map(() => weeks.map(() => ""));
      days.forEach((d, i) => { const w = weeks.indexOf(monday(dates[i])); const dow = (dates[i].getUTCDay() + 6) % 7;
        z[dow][w] = d.net_pnl; txt[dow][w] = `${d.key}: ${d.net_pnl === null ? "—" : d.net_pnl.toFixed(2)} (${d.trades})`; });
      Plotly.newPlot("calendar-chart", [{ z, x: weeks, y: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], text: txt, type: "heatmap",
        hoverinfo: "text", colorscale: [[0, "#b42318"], [0.5, "#f6f7f9"], [1, "#067647"]], zmid: 0 }],
        { ...base, height: 260, xaxis: { type: "category" } }, config);
    }
  }

  const filters = document.getElementById("trade-filters");
  const PAGE = 200;
  async function loadTrades(highlight, offset = 0) {
    const params = new URLSearchParams({ limit: String(PAGE), offset: String(offset), kind: table.dataset.kind || "live" });
    for (const [key, value] of new FormData(filters)) if (value) params.set(key, value);
    const response = await fetch("/api/journal/trades?" + params, { credentials: "same-origin" });
    const body = await response.json();
    const rows = body.items.map((t) => {
      const row = document.createElement("tr");
      row.dataset.index = t.index;
      const cells = [t.index + 1, t.symbol, t.side, t.entry_time.replace("T", " ").slice(0, 19), t.exit_time.replace("T", " ").slice(0, 19),
        t.qty, t.pnl_points.toFixed(2), t.pnl === null ? "—" : t.pnl.toFixed(2), t.risk_points === null ? "—" : t.risk_points.toFixed(2)];
      cells.forEach((value, i) => { const td = document.createElement("td"); td.textContent = value; if (i >= 5) td.className = "num"; row.append(td); });
      if (t.pnl) row.children[7].classList.add(t.pnl > 0 ? "gain" : "loss");
      const badges = document.createElement("td");
      t.mistakes.forEach((m) => badges.append(Object.assign(document.createElement("span"), { className: `badge mistake-${m}`, textContent: labels[m] })));
      row.append(badges);
      return row;
    });
    table.tBodies[0].replaceChildren(...rows);
    const shown = rows.length ? `${offset + 1}–${offset + rows.length}` : "0";
    document.getElementById("trade-count").textContent = table.dataset.more.replace("__S__", shown).replace("__T__", body.total);
    if (highlight !== undefined) {
      const row = table.querySelector(`tr[data-index="${highlight}"]`);
      if (row) { row.classList.add("highlight"); row.scrollIntoView({ block: "center" }); }
    }
  }
  function showTrade(index) {  // trades are in exit order: open the page that holds it
    filters.reset();
    loadTrades(index, Math.floor(index / PAGE) * PAGE);
  }
  filters.addEventListener("change", () => loadTrades());
  loadTrades();

  const settings = document.getElementById("settings-form");
  settings.addEventListener("input", (event) => { event.target.previousElementSibling.textContent = event.target.value; });
  settings.addEventListener("change", async () => {
    const body = Object.fromEntries([...new FormData(settings)].map(([k, v]) => [k, Number(v)]));
    const response = await window.tradeloopFetch("/api/journal/settings", { method: "PUT", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body) });
    if (response.ok) window.location.reload();
  });
})();
