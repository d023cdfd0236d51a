// Mentor page: quick feedback, report generation, chat threads (streamed answers) and the history chart.
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
    box.replaceChildren(Object.assign(document.createElement("p"), { textContent: form.dataset.saved, className: "muted" }),
      Object.assign(document.createElement("p"), { textContent: body.feedback }),
      Object.assign(document.createElement("p"), { textContent: body.tip, className: "muted" }), list);
    // The form keeps what was stated; the day and the (rewritten) stored report say it too.
    const chosen = (name) => form.elements[name].selectedOptions[0].textContent;
    const dayEmotion = document.querySelector("[data-testid=day-emotion]");
    if (dayEmotion) dayEmotion.textContent = chosen("emotion");
    const dayMarket = document.querySelector("[data-testid=day-market]");
    if (dayMarket) dayMarket.textContent = chosen("market");
    const reportEmotion = document.querySelector("[data-testid=report-emotion]");
    if (reportEmotion) {
      reportEmotion.querySelector("span").textContent = body.feedback;
      reportEmotion.querySelector("em").textContent = body.tip;
    }
  });

  document.getElementById("generate").addEventListener("click", async () => {
    const { ok, body } = await post("/api/mentor/reports", { date: day, language: lang });
    if (ok) { window.location.href = `/mentor?day=${day}&lang=${lang}`; return; }
    Object.assign(document.getElementById("generate-error"), { hidden: false, textContent: body.message });
  });

  // Chat in stored threads; the answer streams in as server-sent events.
  const log = document.getElementById("chat-log");
  const chat = document.getElementById("chat-form");
  const select = document.getElementById("thread-select");
  const removeOne = document.getElementById("delete-thread");
  const chatBox = document.getElementById("chat");
  const words = JSON.parse(document.getElementById("chat-words").textContent);
  const toolName = (tool) => words.tools[tool] || words.tools.unknown;
  // A stored message (thread threadId, message id) gets its own delete button next to its text.
  const deletable = (text, threadId, id) => {
    const line = text.parentElement;
    const button = Object.assign(document.createElement("button"), { type: "button", className: "msg-delete",
      title: chatBox.dataset.deleteMessage });
    button.setAttribute("aria-label", chatBox.dataset.deleteMessage);
    button.dataset.testid = "delete-message";
    button.addEventListener("click", async () => {
      if (await json(await api(`/api/mentor/threads/${threadId}/messages/${id}`, { method: "DELETE" }))) line.remove();
    });
    line.append(button);
  };
  const suggestionBox = document.getElementById("chat-suggestions");
  const input = chat.elements.question;
  let busy = false;
  // A suggested question is a button that asks it (Enter or Space works as for any button).
  const ask = (question) => {
    if (busy) return;
    input.value = question;
    chat.requestSubmit();
  };
  const suggestionButton = (question) => {
    const button = Object.assign(document.createElement("button"), { type: "button", className: "suggestion", textContent: question });
    button.dataset.question = question;
    return button;
  };
  suggestionBox.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-question]");
    if (button) ask(button.dataset.question);
  });
  log.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-question]");
    if (button) ask(button.dataset.question);
  });
  const showSuggestions = () => { suggestionBox.hidden = log.childElementCount > 0; };
  // The whole newest message in view: its end when it fits in the log, else its start; with
  // ``page``, the window scrolls too so nothing of it is clipped (not on loading a thread).
  const reveal = (line, page = false) => {
    const fits = line.offsetHeight <= log.clientHeight;
    log.scrollTop = fits ? line.offsetTop + line.offsetHeight - log.clientHeight : line.offsetTop;
    if (!page) return;
    const box = line.getBoundingClientRect();
    const margin = 8;
    if (box.bottom > window.innerHeight - margin || box.top < margin) {
      const shift = fits && box.height < window.innerHeight - 2 * margin
        ? box.bottom - window.innerHeight + margin : box.top - margin;
      window.scrollBy({ top: shift, behavior: "instant" });
    }
  };
  // A mentor's text: lines starting with "• " are questions it suggests, shown as buttons.
  const fill = (body, text, role) => {
    const lines = text.split("\n");
    const asked = role === "mentor" ? lines.filter((l) => l.startsWith("• ")).map((l) => l.slice(2).trim()) : [];
    body.textContent = asked.length ? lines.filter((l) => !l.startsWith("• ")).join("\n") : text;
    body.parentElement.querySelector(".suggestions")?.remove();
    if (!asked.length) return;
    const group = Object.assign(document.createElement("span"), { className: "suggestions" });
    group.setAttribute("role", "group");
    group.append(...asked.map(suggestionButton));
    body.after(group);
  };
  // A line in the log; returns the span holding its text (a streamed answer grows there).
  const say = (text, className) => {
    const line = Object.assign(document.createElement("p"), { className });
    const body = Object.assign(document.createElement("span"), { textContent: text });
    line.append(body);
    log.append(line);
    showSuggestions();
    reveal(line);
    return body;
  };
  const api = (url, options = {}) => window.tradeloopFetch(url, options);
  // JSON of a successful answer; otherwise the server's message is shown and null returned.
  const json = async (response) => {
    const body = response.status === 204 ? {} : await response.json();
    if (response.ok) return body;
    say(body.message, "muted notice");
    return null;
  };
  // A thread by its title and when it began (the title alone when it is that day already).
  const label = (t) => {
    const began = window.tradeloopTime(t.created_at);
    return began.startsWith(t.title) ? began : `${t.title} · ${began}`;
  };
  const loadThreads = async () => {
    const page = await json(await api("/api/mentor/threads?limit=50"));
    if (!page) return;
    select.replaceChildren(...page.items.map((t) => new Option(label(t), t.id)));
    removeOne.disabled = !select.value;
    await showThread();
  };
  const showThread = async () => {
    log.replaceChildren();
    showSuggestions();
    const threadId = select.value;
    if (!threadId) return;
    const thread = await json(await api(`/api/mentor/threads/${threadId}`));
    if (!thread) return;
    thread.messages.forEach((m) => {
      const role = m.role === "user" ? "me" : "mentor";
      const body = say("", role);
      fill(body, m.content, role);
      deletable(body, threadId, m.id);
      if (role === "mentor") explain(body, m);
    });
    if (log.lastElementChild) reveal(log.lastElementChild);
  };
  select.addEventListener("change", showThread);
  const newThread = async () => {
    const { ok, body } = await post("/api/mentor/threads", { title: new Date().toISOString().slice(0, 10) });
    if (!ok) throw new Error(body.message);
    select.prepend(new Option(label(body), body.id));
    select.value = String(body.id);
    removeOne.disabled = false;
    return body.id;
  };
  document.getElementById("new-thread").addEventListener("click", async () => {
    await newThread();
    log.replaceChildren();
    showSuggestions();
  });
  removeOne.addEventListener("click", async () => {
    if (!select.value) return;
    if (await json(await api(`/api/mentor/threads/${select.value}`, { method: "DELETE" }))) await loadThreads();
  });
  document.getElementById("delete-all-threads").addEventListener("click", async (event) => {
    if (!window.confirm(event.target.dataset.confirm)) return;
    if (await json(await api("/api/mentor/threads", { method: "DELETE" }))) await loadThreads();
  });
  // Under a model's answer: what it rests on (the tools it used, their results on demand);
  // under any answer, the notice saying why the offline mentor answered instead.
  const explain = (body, answer) => {
    const line = body.parentElement;
    if (answer.provider === "llm") {
      const used = [...new Set((answer.evidence || []).map((e) => toolName(e.tool)))];
      const caption = Object.assign(document.createElement("small"), { className: "muted answer-source",
        textContent: used.length ? words.with.replace("{sources}", used.join(", ")) : words.without });
      caption.dataset.testid = "answer-source";
      line.append(caption);
      if (used.length) {
        const details = document.createElement("details");
        details.dataset.testid = "answer-evidence";
        details.append(Object.assign(document.createElement("summary"), { textContent: words.evidence }));
        answer.evidence.forEach((e) => {
          details.append(Object.assign(document.createElement("strong"), { textContent: toolName(e.tool) }),
            Object.assign(document.createElement("pre"), { textContent: readable(e.result) }));
        });
        line.append(details);
      }
    }
    if (answer.notice) {
      const notice = Object.assign(document.createElement("small"), { className: "muted notice answer-notice", textContent: answer.notice });
      notice.dataset.testid = "answer-notice";
      line.append(notice);
    }
  };
  const readable = (text) => { try { return JSON.stringify(JSON.parse(text), null, 1); } catch { return text; } };
  // What the model is doing while the answer is prepared: one status line, replaced as it goes.
  const working = (status, event) => {
    const text = event.stage === "tool" ? words.tool.replace("{tool}", toolName(event.tool))
      : event.stage === "writing" ? words.writing.replace("{tokens}", event.tokens) : words.asking;
    status.textContent = text;
    status.parentElement.hidden = false;
  };
  const readStream = async (response, bubble) => {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let done = null;
    const status = say("", "muted working");
    status.dataset.testid = "model-working";
    status.parentElement.hidden = true;
    for (;;) {
      const { value, done: finished } = await reader.read();
      if (finished) break;
      buffer += decoder.decode(value, { stream: true });
      const events = buffer.split("\n\n");
      buffer = events.pop();
      for (const raw of events) {
        if (!raw.startsWith("data: ")) continue;
        const event = JSON.parse(raw.slice(6));
        if (event.type === "progress") working(status, event);
        if (event.type === "delta") { status.parentElement.hidden = true; bubble.textContent += event.text; reveal(bubble.parentElement, true); }
        if (event.type === "done" || event.type === "error") done = event;
      }
    }
    status.parentElement.remove();
    return done;
  };
  chat.addEventListener("submit", async (event) => {
    event.preventDefault();
    const question = chat.elements.question.value.trim();
    if (!question) return;
    const fields = [...chat.elements];
    busy = true;
    fields.forEach((f) => { f.disabled = true; });  // one question at a time
    try {
      await askInThread(question);
    } catch (error) {
      say(error.message, "muted notice");
    } finally {
      busy = false;
      fields.forEach((f) => { f.disabled = false; });
    }
  });
  const askInThread = async (question) => {
    const threadId = select.value || (await newThread());
    const asked = say(question, "me");
    chat.reset();
    const response = await api(`/api/mentor/threads/${threadId}/messages`, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ question, language: chatBox.dataset.lang, stream: true }),
    });
    const bubble = say("", "mentor");
    if (!response.ok) { bubble.textContent = (await response.json()).message; return; }
    const done = await readStream(response, bubble);
    if (!done) { say(chatBox.dataset.cutOff, "muted notice"); return; }
    if (done.type === "error") { say(done.message, "muted notice"); return; }
    fill(bubble, done.answer.content, "mentor");
    deletable(asked, threadId, done.question.id);
    deletable(bubble, threadId, done.answer.id);
    explain(bubble, done.answer);
    reveal(bubble.parentElement, true);
  };
  loadThreads();

  // History: P&L bars (left axis, in the journal's unit) and the risk score (right axis,
  // 1 to 10). Whole-number ticks, dates as days, the legend above the plot, titles with units.
  const history = JSON.parse(document.getElementById("history-data").textContent);
  const box = document.getElementById("history-chart");
  if (window.Plotly && history.length) {
    const narrow = box.clientWidth < 520;
    const values = history.map((h) => h.pnl).filter((v) => v !== null);
    const largest = Math.max(1e-9, ...values.map(Math.abs));
    const digits = largest >= 20 ? 0 : largest >= 1 ? 1 : 4;
    const days = history.length;
    const step = Math.max(1, Math.ceil(days / (narrow ? 4 : 8)));
    const unit = box.dataset.unit;
    Plotly.newPlot(box, [
      { x: history.map((h) => h.date), y: history.map((h) => h.pnl), type: "bar", name: box.dataset.pnlTitle,
        marker: { color: history.map((h) => (h.pnl < 0 ? "#b42318" : "#0f766e")) },
        hovertemplate: `%{x|%Y-%m-%d}: %{y:,.2f} ${unit}<extra></extra>` },
      { x: history.map((h) => h.date), y: history.map((h) => h.score), type: "scatter", mode: "lines+markers",
        name: box.dataset.scoreTitle, yaxis: "y2", line: { color: "#b54708" },
        hovertemplate: "%{x|%Y-%m-%d}: %{y}/10<extra></extra>" },
    ], {
      height: narrow ? 300 : 320,
      margin: { t: 8, r: narrow ? 44 : 56, b: 8, l: narrow ? 56 : 72 },
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      separators: ". ",
      font: { size: narrow ? 11 : 12 },
      showlegend: true,
      legend: { orientation: "h", x: 0, xanchor: "left", y: 1.02, yanchor: "bottom" },
      xaxis: { type: "date", tickformat: "%m-%d", dtick: step * 86400000, tickangle: 0, automargin: true,
        title: { text: box.dataset.dayTitle, standoff: 6 },
        range: [
          new Date(Date.parse(history[0].date) - 43200000).toISOString(),
          new Date(Date.parse(history[days - 1].date) + 43200000).toISOString(),
        ] },
      yaxis: { title: { text: box.dataset.pnlTitle, standoff: 6 }, tickformat: `,.${digits}f`, nticks: 6,
        zeroline: true, zerolinecolor: "#98a2b3", automargin: true },
      yaxis2: { title: { text: box.dataset.scoreTitle, standoff: 6 }, overlaying: "y", side: "right",
        range: [0, 10.5], tickmode: "array", tickvals: [0, 2, 4, 6, 8, 10], showgrid: false, automargin: true },
    }, { responsive: true, displaylogo: false, displayModeBar: false });
  }
})();
