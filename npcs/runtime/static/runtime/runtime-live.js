// The runtime page, live: one WebSocket, numbers replaced in place, reconnects by itself.
// Vanilla JS, no dependencies (the app works offline).
(function () {
  "use strict";
  var root = document.getElementById("runtime");
  if (!root || !window.WebSocket) { return; }
  var status = document.getElementById("live-status");
  var banner = document.getElementById("redis-unavailable");
  var retryDelay = 1000;

  function lookup(data, path) {
    return path.split(".").reduce(function (value, part) {
      return value === undefined || value === null ? undefined : value[part];
    }, data);
  }

  function formatAge(seconds) {
    if (seconds === null || seconds === undefined || seconds === "") { return "–"; }
    seconds = Math.round(Number(seconds));
    if (seconds < 60) { return seconds + " s"; }
    if (seconds < 3600) { return Math.floor(seconds / 60) + " min " + (seconds % 60) + " s"; }
    return Math.floor(seconds / 3600) + " h " + Math.floor((seconds % 3600) / 60) + " min";
  }

  function format(value, kind) {
    if (value === null || value === undefined) { return "–"; }
    if (kind === "age") { return formatAge(value); }
    if (kind === "ms") { return Number(value).toFixed(1) + " ms"; }
    if (kind === "clock") { return new Date(Number(value) * 1000).toLocaleTimeString(); }
    return String(value);
  }

  function setStatus(text, cls) {
    if (!status) { return; }
    status.textContent = text;
    status.className = "live-status " + cls;
  }

  function cell(text, cls) {
    var td = document.createElement("td");
    td.textContent = text;
    if (cls) { td.className = cls; }
    return td;
  }

  function renderRateLimits(ratelimits) {
    var body = document.getElementById("ratelimit-rows");
    if (!body) { return; }
    var csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
    var resetUrl = body.getAttribute("data-reset-url");
    body.replaceChildren();
    if (!ratelimits.top.length) {
      var empty = document.createElement("tr");
      empty.className = "empty";
      var td = cell("No NPC is near its limit.", "muted");
      td.colSpan = 4;
      empty.appendChild(td);
      body.appendChild(empty);
      return;
    }
    ratelimits.top.forEach(function (w) {
      var tr = document.createElement("tr");
      tr.className = w.at_limit ? "at-limit" : "near-limit";
      tr.appendChild(cell((w.npc_name || "") + " #" + w.npc_id));
      tr.appendChild(cell(String(w.count), "num"));
      tr.appendChild(cell(w.ttl >= 0 ? w.ttl + " s" : "no TTL", "num"));
      var action = document.createElement("td");
      if (!resetUrl) { tr.appendChild(action); body.appendChild(tr); return; }  // no operate_runtime
      var form = document.createElement("form");
      form.method = "post";
      form.action = resetUrl.replace("/0/", "/" + w.npc_id + "/");
      if (csrf) { form.appendChild(csrf.cloneNode()); }
      var button = document.createElement("button");
      button.type = "submit";
      button.className = "btn secondary";
      button.textContent = "Reset";
      form.appendChild(button);
      action.appendChild(form);
      tr.appendChild(action);
      body.appendChild(tr);
    });
  }

  function hidden(name, value) {
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    return input;
  }

  function actionForm(url, row, extra, label, cls) {
    var form = document.createElement("form");
    form.method = "post";
    form.action = url;
    form.className = "inline";
    var csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (csrf) { form.appendChild(csrf.cloneNode()); }
    form.appendChild(hidden("member", row.member));
    form.appendChild(hidden("priority", row.priority));
    form.appendChild(hidden("next", window.location.pathname));
    if (extra) { form.appendChild(extra); }
    var button = document.createElement("button");
    button.type = "submit";
    button.className = "btn " + cls;
    button.textContent = label;
    form.appendChild(button);
    return form;
  }

  function decisionRow(row) {
    var div = document.createElement("div");
    div.className = "queued";
    var npc = document.createElement("span");
    npc.className = "npc";
    var name = row.npc_url ? document.createElement("a") : document.createElement("span");
    if (row.npc_url) { name.href = row.npc_url; }
    name.textContent = row.npc_name || "unknown NPC";
    npc.appendChild(name);
    if (row.npc_id !== null) {
      var id = document.createElement("span");
      id.className = "muted";
      id.textContent = " #" + row.npc_id;
      npc.appendChild(id);
    }
    div.appendChild(npc);
    var code = document.createElement("code");
    code.title = row.summary;
    code.textContent = row.summary.length > 80 ? row.summary.slice(0, 79) + "…" : row.summary;
    div.appendChild(code);
    var when = document.createElement("span");
    when.className = "muted";
    when.textContent = "queued " + row.queued_clock;
    div.appendChild(when);
    var select = document.createElement("select");
    select.name = "to_priority";
    select.setAttribute("aria-label", "Move to priority");
    (root.getAttribute("data-priorities") || "").split(",").forEach(function (p) {
      var option = document.createElement("option");
      option.value = p;
      option.textContent = p;
      option.selected = Number(p) === row.priority;
      select.appendChild(option);
    });
    if (root.getAttribute("data-requeue-url")) {  // only for operate_runtime
      div.appendChild(actionForm(root.getAttribute("data-requeue-url"), row, select, "Requeue", "secondary"));
      div.appendChild(actionForm(root.getAttribute("data-drop-url"), row, null, "Drop", "danger"));
    }
    return div;
  }

  function renderQueues(queues) {
    queues.forEach(function (q) {
      var tr = root.querySelector("tr[data-priority='" + q.priority + "']");
      var peek = tr && tr.querySelector("td.peek");
      if (!peek || peek.contains(document.activeElement)) { return; }  // the operator is acting here
      var signature = q.next.map(function (row) { return row.member; }).join("\n");
      if (peek.getAttribute("data-signature") === signature) { return; }
      peek.setAttribute("data-signature", signature);
      peek.replaceChildren();
      if (!q.next.length) {
        var none = document.createElement("span");
        none.className = "muted";
        none.textContent = "–";
        peek.appendChild(none);
      }
      q.next.forEach(function (row) { peek.appendChild(decisionRow(row)); });
      var actions = tr.querySelector("td.queue-actions");
      if (actions) { actions.hidden = !q.depth; }
    });
  }

  function renderMetrics(metrics) {
    var body = document.getElementById("metrics-rows");
    if (!body) { return; }
    body.replaceChildren();
    metrics.minutes.forEach(function (m) {
      var tr = document.createElement("tr");
      tr.appendChild(cell(m.minute));
      tr.appendChild(cell(String(m.total), "num"));
      tr.appendChild(cell(String(m.llm_used), "num"));
      tr.appendChild(cell(String(m.rule_used), "num"));
      tr.appendChild(cell(m.avg_latency === null ? "–" : m.avg_latency + " ms", "num"));
      body.appendChild(tr);
    });
  }

  function apply(snapshot) {
    if (banner) {
      banner.hidden = !!snapshot.available;
      var reason = banner.querySelector("[data-unavailable-reason]");
      if (reason) { reason.textContent = snapshot.available ? "" : (snapshot.error || ""); }
    }
    if (!snapshot.available) { setStatus("live · Redis unavailable", "down"); return; }
    setStatus("live", "live");
    root.querySelectorAll("[data-live]").forEach(function (el) {
      var value = lookup(snapshot, el.getAttribute("data-live"));
      if (value === undefined) { return; }
      var text = format(value, el.getAttribute("data-format"));
      if (el.textContent !== text) {
        el.textContent = text;
        el.classList.remove("flash");
        void el.offsetWidth;  // restart the highlight animation
        el.classList.add("flash");
      }
    });
    var queueRows = document.getElementById("queue-rows");
    if (queueRows) { queueRows.classList.toggle("all-empty", !snapshot.queued_total); }
    renderQueues(snapshot.queues);
    renderRateLimits(snapshot.ratelimits);
    renderMetrics(snapshot.metrics);
    root.dispatchEvent(new CustomEvent("runtime:snapshot", {detail: snapshot}));
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + root.getAttribute("data-ws-path"));
    socket.onopen = function () { retryDelay = 1000; setStatus("live", "live"); };
    socket.onmessage = function (event) { apply(JSON.parse(event.data)); };
    socket.onclose = function (event) {
      if (event.code === 4403) { setStatus("not allowed", "down"); return; }
      setStatus("reconnecting…", "down");
      setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 15000);
    };
  }

  root.querySelectorAll("[data-format]").forEach(function (el) {
    var raw = el.textContent.trim();
    if (raw && raw !== "–" && !isNaN(Number(raw))) { el.textContent = format(Number(raw), el.getAttribute("data-format")); }
  });
  connect();
})();
