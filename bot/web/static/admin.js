/* Admin page: calls /api/admin/* with the bearer token; all data is inserted as text. */
(() => {
  "use strict";
  let token = "";
  const $ = (id) => document.getElementById(id);
  const status = $("status");
  const say = (text, error = false) => {
    status.textContent = text;
    status.className = error ? "error" : "";
  };
  const cell = (text, className) => {
    const td = document.createElement("td");
    td.textContent = text === undefined || text === null ? "" : String(text);
    if (className) td.className = className;
    return td;
  };
  const row = (...cells) => {
    const tr = document.createElement("tr");
    tr.append(...cells);
    return tr;
  };
  const item = (text, meta) => {
    const li = document.createElement("li");
    li.textContent = text;
    if (meta) {
      const span = document.createElement("span");
      span.className = "meta";
      span.textContent = " — " + meta;
      li.append(span);
    }
    return li;
  };
  // Fill a table body or list, or show its "none yet" line instead.
  const fill = (containerId, emptyId, nodes) => {
    const container = $(containerId);
    container.replaceChildren(...nodes);
    $(emptyId).hidden = nodes.length > 0;
    (container.closest(".table-wrap") || container).hidden = nodes.length === 0;
  };

  const LANGUAGES = { ko: "Korean", en: "English", vi: "Vietnamese", ja: "Japanese" };
  const CHANNELS = { web: "Website widget", telegram: "Telegram" };
  const percent = (s) => (s.questions ? Math.round(s.answered_rate * 100) + "%" : "—");

  const call = async (method, path, body) => {
    const res = await fetch(path, {
      method,
      headers: { Authorization: "Bearer " + token },
      body,
    });
    let data = null;
    try {
      data = await res.json();
    } catch (_) {
      /* not JSON */
    }
    if (!res.ok) throw new Error((data && data.detail) || "HTTP " + res.status);
    return data;
  };

  const deleteButton = (doc) => {
    const del = document.createElement("button");
    del.type = "button";
    del.className = "danger";
    del.textContent = "Delete";
    del.setAttribute("aria-label", "Delete " + doc.source);
    del.addEventListener("click", async () => {
      if (!window.confirm("Delete " + doc.source + "?")) return;
      try {
        const report = await call("DELETE",
          "/api/admin/documents?source=" + encodeURIComponent(doc.source));
        say("Deleted " + doc.source + " (" + report.deleted + " removed from the index)");
        await refresh();
      } catch (err) {
        say(err.message, true);
      }
    });
    const td = cell("", "action");
    td.append(del);
    return td;
  };

  const loadSources = async () => {
    const docs = await call("GET", "/api/admin/sources");
    fill("sources", "sources-empty", docs.map((doc) => row(
      cell(doc.source, "source"), cell(doc.title), cell(doc.language),
      cell(doc.last_verified || "—", "date"),
      cell(doc.origin ? [doc.origin, doc.added_by, doc.added_on].filter(Boolean).join(" · ") : ""),
      cell(doc.chunks, "num"), deleteButton(doc),
    )));
  };

  const loadFreshness = async () => {
    const fresh = await call("GET", "/api/admin/freshness");
    const days = fresh.stale_after_days;
    $("fresh-rule").textContent =
      `Documents last verified more than ${days} days ago (STALE_AFTER_DAYS), or never, ` +
      "oldest first: check them against their sources and update last_verified.";
    $("fresh-empty").textContent =
      `None yet: every document was verified within the last ${days} days.`;
    fill("fresh", "fresh-empty", fresh.documents.map((doc) => {
      const verified = doc.last_verified
        ? cell(doc.last_verified, "date")
        : cell("never", "date never");
      return row(cell(doc.source, "source"), cell(doc.title), cell(doc.language), verified,
        cell(doc.age_days === null ? "—" : doc.age_days, "num"));
    }));
  };

  const statsRow = (name, s, className) => {
    const tr = row(cell(name), cell(s.questions, "num"), cell(percent(s), "num"),
      cell(s.thumbs_up, "num"), cell(s.thumbs_down, "num"), cell(s.handoffs, "num"));
    if (className) tr.className = className;
    return tr;
  };

  const loadReports = async () => {
    const handoffs = await call("GET", "/api/admin/handoffs");
    fill("handoffs", "handoffs-empty", handoffs.map((h) => item(`#${h.id} ${h.question}`,
      `${CHANNELS[h.channel] || h.channel}, ${LANGUAGES[h.language] || h.language}; ` +
      `contact: ${h.contact || "in the chat"}`)));
    const gaps = await call("GET", "/api/admin/gaps?days=30");
    fill("gaps", "gaps-empty", gaps.map((g) =>
      item(`${g.count}× ${g.example}`, [...new Set(g.reasons)].join(", "))));
    const stats = await call("GET", "/api/admin/stats");
    const zero = { questions: 0, answered_rate: 0, thumbs_up: 0, thumbs_down: 0, handoffs: 0 };
    // Both channels always show, so a missing one reads as zero, not as "not counted".
    const channels = { web: zero, telegram: zero, ...stats.channels };
    const asked = stats.total.questions + stats.total.handoffs > 0;
    fill("channels", "stats-empty", asked ? [
      ...Object.entries(channels).map(([name, s]) => statsRow(CHANNELS[name] || name, s)),
      statsRow("All channels", stats.total, "total"),
    ] : []);
    const languages = Object.entries(stats.languages);
    $("stats").replaceChildren(...languages.map(([lang, s]) =>
      statsRow(LANGUAGES[lang] ? `${LANGUAGES[lang]} (${lang})` : lang, s)));
    $("stats").closest(".table-wrap").hidden = !asked;
    $("index-size").textContent =
      `The index holds ${stats.chunks} chunks; ${stats.open_handoffs} hand-offs are open.`;
  };

  // Uploads, saved FAQs and undos: newest first, and what "Undo last change" would undo.
  const loadChanges = async () => {
    const data = await call("GET", "/api/admin/changes");
    fill("changes", "changes-empty", data.changes.map((c) =>
      item(`${c.at.replace("T", " ").slice(0, 16)} ${c.action} ${c.path}`,
        c.by + (c.undone ? " (undone)" : ""))));
    const last = data.undoable;
    $("undo").disabled = !last;
    $("undoable").textContent = last
      ? `“Undo last change” undoes: ${last.action} of ${last.path} by ${last.by} ` +
        `(${last.at.slice(0, 10)}).`
      : "Nothing to undo.";
  };

  const refresh = async () => {
    await loadSources();
    await loadChanges();
    await loadFreshness();
    await loadReports();
  };

  // Uploads and undos run in the background: follow the job until it ends.
  const follow = async (job) => {
    while (job.state === "queued" || job.state === "running") {
      say(job.total
        ? `Indexing ${job.source}: ${job.done} of ${job.total} chunks…`
        : `Indexing ${job.source}…`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      job = await call("GET", "/api/admin/jobs/" + encodeURIComponent(job.id));
    }
    return job;
  };

  $("login").addEventListener("submit", async (event) => {
    event.preventDefault();
    token = $("token").value.trim();
    try {
      await refresh();
      $("panels").hidden = false;
      say("Signed in.");
    } catch (err) {
      $("panels").hidden = true;
      say(err.message, true);
    }
  });

  $("upload").addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = $("file").files[0];
    if (!file) return;
    const form = new FormData();
    form.append("file", file);
    say("Uploading " + file.name + "…");
    try {
      const job = await follow(await call("POST", "/api/admin/documents", form));
      if (job.state === "done") {
        const chunks = job.report ? job.report.chunks_embedded : 0;
        say(`Published ${job.source}: ${chunks} chunk${chunks === 1 ? "" : "s"}.`);
      } else {
        say(`${job.source}: ${job.message}`, true);
      }
      await refresh();
    } catch (err) {
      say(err.message, true);
    }
  });

  $("undo").addEventListener("click", async () => {
    try {
      const job = await follow(await call("POST", "/api/admin/changes/undo"));
      say(`${job.source}: ${job.message}`, job.state !== "done");
      await refresh();
    } catch (err) {
      say(err.message, true);
    }
  });

  $("reindex").addEventListener("click", async () => {
    say("Re-indexing…");
    try {
      const r = await call("POST", "/api/admin/reindex");
      say(`Re-indexed: ${r.added} added, ${r.updated} updated, ${r.deleted} deleted, ` +
        `${r.failed.length} failed.`);
      await refresh();
    } catch (err) {
      say(err.message, true);
    }
  });
})();
