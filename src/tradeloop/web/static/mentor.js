// Mentor page: quick feedback, report generation, offline chat and the history chart.
(() => {
  const form = document.getElementById("feedback-form");
  const day = form.dataset.day;
  const lang = form.dataset.lang;
  const post = (url, body) => window.tradeloopFetch(url, { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body) }).then(async (r) => ({ ok: r.ok, body: await r.json() }));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    const { ok, body } = await post("/api/mentor/feedback", { ...data, note: data.note || null, date: day, language: lang });
    const box = document.getElementById("feedback-answer");
    box.hidden = false;
    if (!ok) { box.textContent = body.message; return; }
    const list = document.createElement("ul");
    body.actions.forEach((a) => list.append(Object.assign(document.createElement("li"), { textContent: a })));
    box.replaceChildren(Object.assign(document.createElement("p"), { textContent: body.feedback }),
      Object.assign(document.createElement("p"), { textContent: body.tip, className: "muted" }), list);
  });

  document.getElementById("generate").addEventListener("click", async () => {
    const { ok } = await post("/api/mentor/reports", { date: day, language: lang });
    if (ok) window.location.href = `/mentor?day=${day}&lang=${lang}`;
  });

  const log = document.getElementById("chat-log");
  const chat = document.getElementById("chat-form");
  chat.addEventListener("submit", async (event) => {
    event.preventDefault();
    const question = chat.elements.question.value.trim();
    if (!question) return;
    log.append(Object.assign(document.createElement("p"), { textContent: question, className: "me" }));
    chat.reset();
    const { ok, body } = await post("/api/mentor/ask", { question, language: lang });
    log.append(Object.assign(document.createElement("p"), { textContent: ok ? body.answer : body.message, className: "mentor" }));
  });

  const history = JSON.parse(document.getElementById("history-data").textContent).slice().reverse();
  const box = document.getElementById("history-chart");
  if (window.Plotly && history.length) {
    Plotly.newPlot(box, [
      { x: history.map((h) => h.date), y: history.map((h) => h.pnl), type: "bar", name: box.dataset.pnl, marker: { color: "#0f766e" } },
      { x: history.map((h) => h.date), y: history.map((h) => h.score), type: "scatter", mode: "lines+markers", name: box.dataset.score,
        yaxis: "y2", line: { color: "#b54708" } },
    ], { margin: { t: 10, r: 40, b: 40, l: 50 }, height: 280, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      xaxis: { type: "category" }, yaxis2: { overlaying: "y", side: "right", range: [0, 10] }, legend: { orientation: "h" } },
      { responsive: true, displaylogo: false });
  }
})();
