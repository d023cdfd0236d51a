// Result page: candlesticks with the strategy's lines and the trades, equity and drawdown
// (Plotly), and the re-run form with every setting.
(() => {
  const { base, config, json } = window.tradeloopPlot;
  // as the trade table writes lots: 0.10, or finer when a size is below a hundredth
  const lots = (value) => (Math.abs(value * 100 - Math.round(value * 100)) < 1e-6 ? value.toFixed(2) : String(value));
  const exact = (seconds) => window.tradeloopTime(new Date(seconds * 1000).toISOString());
  const title = (text) => ({ text });
  const MARKS_SHOWN = 500;
  // numeric dates only: Plotly's month names are English
  const dates = { type: "date", hoverformat: "%Y-%m-%d %H:%M", tickformatstops: [
    { dtickrange: [null, 86400000], value: "%m-%d %H:%M" }, { dtickrange: [86400000, null], value: "%Y-%m-%d" }] };
  // wall-clock minutes of the reader's zone (sent compactly) → "2024-03-01 14:00"
  const wall = (minutes) => minutes.map((m) => new Date(m * 60000).toISOString().slice(0, 16).replace("T", " "));

  function priceChart(box, data) {
    const L = box.dataset;
    const d = { ...data, time: wall(data.time) };
    const traces = [{
      type: "candlestick", name: L.candles, x: d.time, open: d.open, high: d.high, low: d.low, close: d.close,
      increasing: { line: { color: "#067647" } }, decreasing: { line: { color: "#b42318" } },
      hovertemplate: `%{x|%Y-%m-%d %H:%M}<br>${L.open}: %{open}<br>${L.high}: %{high}<br>${L.low}: %{low}`
        + `<br>${L.close}: %{close}<extra>${L.candles}</extra>`,
    }];
    const colors = ["#2563eb", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4d7c0f"];
    d.lines.forEach((line, i) => traces.push({
      type: "scatter", mode: "lines", name: line.name, x: d.time, y: line.y, connectgaps: false,
      line: { width: 1.4, color: colors[i % colors.length] },
      hovertemplate: `${line.name}: %{y}<extra></extra>`,
    }));
    // Trades are drawn for the part of the chart in view, at most MARKS_SHOWN at once (thousands of
    // SVG marks make the page slow and unreadable): a long run opens on its latest trades.
    const m = d.marks;
    const all = m.side.map((_, i) => i);
    const kinds = [
      [1, "entry", L.buyEntry, "triangle-up", "#067647"], [-1, "entry", L.sellEntry, "triangle-down", "#b42318"],
      [1, "exit", L.buyExit, "x", "#1d4ed8"], [-1, "exit", L.sellExit, "circle-open", "#b54708"],
    ];
    const points = (rows, [side, end]) => {
      const own = rows.filter((i) => m.side[i] === side);
      return {
        x: own.map((i) => d.time[m[end][i]]), y: own.map((i) => m[end + "_price"][i]),
        customdata: own.map((i) => [exact(m[end + "_at"][i]), m.pnl[i], lots(m.lots[i]), i + 1]),
      };
    };
    const first = all.length > MARKS_SHOWN ? all.length - MARKS_SHOWN : 0;
    const shown = all.slice(first);
    kinds.forEach((kind) => {
      const [, , name, symbol, color] = kind;
      traces.push({
        type: "scatter", mode: "markers", name, ...points(shown, kind),
        marker: { symbol, color, size: shown.length > 400 ? 7 : 10, line: { width: 1.5, color } },
        hovertemplate: `<b>${name} #%{customdata[3]}</b><br>${L.time}: %{customdata[0]}<br>${L.price}: %{y}`
          + `<br>${L.pnl}: %{customdata[1]:,.2f} ${L.currency}<br>${L.lots}: %{customdata[2]}<extra></extra>`,
      });
    });
    const note = document.getElementById("marks-note");
    const say = (count, text = L.tooMany) => {
      note.hidden = count <= MARKS_SHOWN;
      note.textContent = text.replace("__N__", count).replace("__MAX__", MARKS_SHOWN);
    };
    // the price range of the candles between two times, padded (Plotly fits y to all the data)
    const fitY = (lo, hi) => {
      let low = Infinity;
      let high = -Infinity;
      d.time.forEach((t, i) => { if (t >= lo && t <= hi) { low = Math.min(low, d.low[i]); high = Math.max(high, d.high[i]); } });
      const pad = (high - low) * 0.05 || 1e-9;
      return low <= high ? [low - pad, high + pad] : undefined;
    };
    const range = first ? [d.time[m.entry[first]], d.time[d.time.length - 1]] : undefined;
    Plotly.newPlot(box, traces, {
      ...base, height: 520,
      xaxis: { ...dates, rangeslider: { visible: false }, title: title(L.timeAxis), range },
      yaxis: { title: title(L.priceAxis), tickformat: `.${Math.max(d.digits - 1, 0)}f`, hoverformat: `.${d.digits}f`,
        range: range && fitY(...range) },
    }, config);
    if (first) say(all.length, L.latestMarks);
    const markTraces = kinds.map((_, k) => traces.length - kinds.length + k);
    box.on("plotly_relayout", (event) => {
      let lo = d.time[0];
      let hi = d.time[d.time.length - 1];
      if (event["xaxis.range[0]"] !== undefined) [lo, hi] = [event["xaxis.range[0]"], event["xaxis.range[1]"]];
      else if (Array.isArray(event["xaxis.range"])) [lo, hi] = event["xaxis.range"];
      else if (!event["xaxis.autorange"]) return;  // not a change of the time range (e.g. ours of y)
      const inView = all.filter((i) => d.time[m.exit[i]] >= String(lo) && d.time[m.entry[i]] <= String(hi));
      const rows = inView.length > MARKS_SHOWN ? [] : inView;
      const drawn = kinds.map((kind) => points(rows, kind));
      Plotly.restyle(box, {
        x: drawn.map((p) => p.x), y: drawn.map((p) => p.y), customdata: drawn.map((p) => p.customdata),
      }, markTraces);
      say(inView.length);
      const y = event["xaxis.autorange"] ? undefined : fitY(String(lo), String(hi));
      Plotly.relayout(box, y ? { "yaxis.range": y } : { "yaxis.autorange": true });
    });
  }

  function equityChart(box, curve) {
    const L = box.dataset;
    const c = { ...curve, time: wall(curve.time) };
    Plotly.newPlot(box, [
      { x: c.time, y: c.equity, type: "scatter", mode: "lines", name: L.equity, line: { color: "#0f766e" },
        hovertemplate: `%{x|%Y-%m-%d %H:%M}<br>${L.equity}: %{y:,.2f}<extra></extra>` },
      { x: c.time, y: c.drawdown, type: "scatter", mode: "lines", fill: "tozeroy", name: L.drawdown,
        yaxis: "y2", line: { color: "#b42318" }, hovertemplate: `%{x|%Y-%m-%d %H:%M}<br>${L.drawdown}: %{y:.2f}<extra></extra>` },
    ], {
      ...base, height: 420,
      xaxis: { ...dates, title: title(L.time), anchor: "y2" },
      yaxis: { domain: [0.38, 1], title: title(L.equity), tickformat: ",.0f" },
      yaxis2: { domain: [0, 0.28], title: title(L.drawdown), ticksuffix: " %" },
    }, config);
  }

  if (window.Plotly) {
    const price = json("price-data");
    if (price) priceChart(document.getElementById("price-chart"), price);
    equityChart(document.getElementById("equity-chart"), json("equity-data"));
  }

  const rerun = document.getElementById("rerun-form");
  if (!rerun) return;
  const helpers = window.tradeloopBacktest;
  const box = rerun.querySelector("#params");
  helpers.renderParams(box, json("strategies-data")[0], json("strategy-values"), rerun.dataset.lang);
  rerun.addEventListener("submit", async (event) => {
    event.preventDefault();
    rerun.querySelector("#errors").hidden = true;
    rerun.querySelector("button[type=submit]").disabled = true;
    rerun.querySelector("#status").textContent = rerun.dataset.running;
    let response;
    try {
      response = await window.tradeloopFetch(`/api/backtests/${rerun.dataset.id}/rerun`, {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ params: helpers.params(box), settings: helpers.settings(rerun) }) });
    } catch {
      helpers.showErrors(rerun, rerun.dataset.network);
      return;
    }
    const body = await response.json().catch(() => ({ message: rerun.dataset.network }));
    if (response.status === 201) { window.location.href = "/backtests/" + body.id; return; }
    helpers.showErrors(rerun, body.message || rerun.dataset.failed);
  });
})();
