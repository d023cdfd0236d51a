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
    box.replaceChildren(Object.assign(document.createElement("p"), { textContent: body.feedback }),
      Object.assign(document.createElement("p"), { textContent: body.tip, className: "muted" }), list);
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
  // A line in the log; returns the span holding its text (a streamed answer grows there).
  const say = (text, className) => {
    const line = Object.assign(document.createElement("p"), { className });
    const body = Object.assign(document.createElement("span"), { textContent: text });
    line.append(body);
    log.append(line);
    log.scrollTop = log.scrollHeight;
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
  const label = (t) => `${t.title} · ${t.created_at.slice(0, 16).replace("T", " ")}`;
  const loadThreads = async () => {
    const page = await json(await api("/api/mentor/threads?limit=50"));
    if (!page) return;
    select.replaceChildren(...page.items.map((t) => new Option(label(t), t.id)));
    removeOne.disabled = !select.value;
    await showThread();
  };
  const showThread = async () => {
    log.replaceChildren();
    const threadId = select.value;
    if (!threadId) return;
    const thread = await json(await api(`/api/mentor/threads/${threadId}`));
    if (!thread) return;
    thread.messages.forEach((m) => deletable(say(m.content, m.role === "user" ? "me" : "mentor"), threadId, m.id));
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
  });
  removeOne.addEventListener("click", async () => {
    if (!select.value) return;
    if (await json(await api(`/api/mentor/threads/${select.value}`, { method: "DELETE" }))) await loadThreads();
  });
  document.getElementById("delete-all-threads").addEventListener("click", async (event) => {
    if (!window.confirm(event.target.dataset.confirm)) return;
    if (await json(await api("/api/mentor/threads", { method: "DELETE" }))) await loadThreads();
  });
  const readStream = async (response, bubble) => {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let done = null;
    for (;;) {
      const { value, done: finished } = await reader.read();
      if (finished) break;
      buffer += decoder.decode(value, { stream: true });
      const events = buffer.split("\n\n");
      buffer = events.pop();
      for (const raw of events) {
        if (!raw.startsWith("data: ")) continue;
        const event = JSON.parse(raw.slice(6));
        if (event.type === "delta") bubble.textContent += event.text;
        if (event.type === "done" || event.type === "error") done = event;
      }
    }
    return done;
  };
  chat.addEventListener("submit", async (event) => {
    event.preventDefault();
    const question = chat.elements.question.value.trim();
    if (!question) return;
    const fields = [...chat.elements];
    fields.forEach((f) => { f.disabled = true; });  // one question at a time
    try {
      await askInThread(question);
    } catch (error) {
      say(error.message, "muted notice");
    } finally {
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
    bubble.textContent = done.answer.content;
    deletable(asked, threadId, done.question.id);
    deletable(bubble, threadId, done.answer.id);
    if (done.answer.notice) say(done.answer.notice, "muted notice");
  };
  loadThreads();

  const history = JSON.parse(document.getElementById("history-data").textContent);
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
