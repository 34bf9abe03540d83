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
  const cell = (text) => {
    const td = document.createElement("td");
    td.textContent = text === undefined || text === null ? "" : String(text);
    return td;
  };
  const item = (text) => {
    const li = document.createElement("li");
    li.textContent = text;
    return li;
  };

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

  const loadSources = async () => {
    const rows = await call("GET", "/api/admin/sources");
    const body = $("sources");
    body.replaceChildren();
    for (const doc of rows) {
      const tr = document.createElement("tr");
      tr.append(cell(doc.source), cell(doc.title), cell(doc.language), cell(doc.last_verified),
        cell(doc.chunks));
      const td = document.createElement("td");
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
      td.append(del);
      tr.append(td);
      body.append(tr);
    }
  };

  const loadReports = async () => {
    const handoffs = await call("GET", "/api/admin/handoffs");
    $("handoffs").replaceChildren(...handoffs.map((h) =>
      item(`#${h.id} [${h.channel}, ${h.language}] ${h.question} — contact: ${h.contact}`)));
    const gaps = await call("GET", "/api/admin/gaps?days=30");
    $("gaps").replaceChildren(...gaps.map((g) =>
      item(`${g.count}× ${g.example} (${[...new Set(g.reasons)].join(", ")})`)));
    const stats = await call("GET", "/api/admin/stats");
    const body = $("stats");
    body.replaceChildren();
    for (const [lang, s] of Object.entries(stats.languages)) {
      const tr = document.createElement("tr");
      tr.append(cell(lang), cell(s.questions), cell(Math.round(s.answered_rate * 100) + "%"),
        cell(s.thumbs_up), cell(s.thumbs_down), cell(s.handoffs));
      body.append(tr);
    }
  };

  const refresh = async () => {
    await loadSources();
    await loadReports();
  };

  $("login").addEventListener("submit", async (event) => {
    event.preventDefault();
    token = $("token").value.trim();
    try {
      await refresh();
      say("Signed in.");
    } catch (err) {
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
      const report = await call("POST", "/api/admin/documents", form);
      say(`Indexed ${report.source}: ${report.chunks_embedded} chunks.`);
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
