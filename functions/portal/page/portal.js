// The partner portal page's script: takes the portal session's token from the URL fragment
// (and removes it from the address bar), calls the portal API on this origin with it, and
// renders each section on its own, so a section whose route fails says so and the rest stay.
// Text from the API is only ever set as text, never as HTML. Amounts are shown exactly as the
// API wrote them: numbers are kept as their JSON source text, never reformatted as floats.
"use strict";

(function () {
  var API = "/2026-02-01/portal/";
  var TOKEN_KEY = "partner-ledger-portal-token";
  var SVG = "http://www.w3.org/2000/svg";
  var SERIES = 4;
  // A call that has not answered by then shows as failed rather than loading for ever.
  var CALL_TIMEOUT_MS = 15000;

  function $(id) { return document.getElementById(id); }

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function svg(tag, attributes) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    return node;
  }

  // The token: from the fragment on first load (then out of the address bar and history),
  // from this tab's storage on a reload.
  function takeToken() {
    var fragment = new URLSearchParams(location.hash.replace(/^#/, ""));
    var token = fragment.get("token");
    if (token) {
      history.replaceState(null, "", location.pathname + location.search);
      try { sessionStorage.setItem(TOKEN_KEY, token); } catch (e) { /* storage refused: memory only */ }
      return token;
    }
    try { return sessionStorage.getItem(TOKEN_KEY); } catch (e) { return null; }
  }

  function accountId() {
    var match = /^\/portal\/([0-9a-f]{24})\/?$/.exec(location.pathname);
    return match ? match[1] : null;
  }

  // JSON numbers as their exact source text where the browser gives it (JSON.parse source
  // text access), so 1.50 stays "1.50"; else as the parsed number's text.
  function parseExact(text) {
    return JSON.parse(text, function (key, value, context) {
      if (typeof value !== "number") return value;
      return context && typeof context.source === "string" ? context.source : String(value);
    });
  }

  function Unauthorized() {}

  function call(token, path) {
    var abort = new AbortController();
    var timer = setTimeout(function () { abort.abort(); }, CALL_TIMEOUT_MS);
    return fetch(API + path, {
      headers: { "Authorization": "Bearer " + token, "Accept": "application/json" },
      credentials: "omit",
      cache: "no-store",
      signal: abort.signal
    }).then(function (response) {
      clearTimeout(timer);
      return response.text().then(function (text) {
        if (response.status === 401) throw new Unauthorized();
        var body = null;
        try { body = text ? parseExact(text) : null; } catch (e) { body = null; }
        if (!response.ok) {
          var message = body && body.error && body.error.message;
          var failure = new Error(message || ("the server answered " + response.status));
          failure.status = response.status;
          throw failure;
        }
        return body;
      });
    }, function (failure) {
      clearTimeout(timer);
      throw new Error(failure.name === "AbortError" ? "the server did not answer in time" : "the network failed");
    });
  }

  function showAlert(message) {
    var alert = $("alert");
    alert.textContent = message;
    alert.hidden = false;
  }

  function setStatus(message) { $("status").textContent = message; }

  function expired() {
    document.querySelectorAll("main section").forEach(function (section) { section.hidden = true; });
    setStatus("");
    showAlert("Your portal session has expired or is not valid. Open the portal again from the link you were given, or ask for a new one.");
  }

  // A section whose route failed: it stays, with the reason, and the others render.
  function sectionFailed(id, failure) {
    var section = $(id);
    section.hidden = false;
    var note = el("p", failure.status === 404
      ? "This part of the portal is not available yet."
      : "This part of the portal could not be loaded: " + failure.message, "section-error");
    section.querySelectorAll(".figure, .scroll, .chart, .more").forEach(function (node) { node.hidden = true; });
    section.appendChild(note);
  }

  function amount(value, currency) {
    if (value === undefined || value === null) return "";
    return currency ? value + " " + currency : String(value);
  }

  function day(value) { return value ? String(value).slice(0, 10) : ""; }

  function badge(status) {
    var node = el("span", status || "", "badge badge-" + String(status || "").replace(/[^a-z_]/g, ""));
    return node;
  }

  function row(cells) {
    var tr = document.createElement("tr");
    cells.forEach(function (cell) {
      var td = document.createElement("td");
      if (cell && cell.nodeType) td.appendChild(cell);
      else if (cell && typeof cell === "object") { td.textContent = cell.text; td.className = cell.className || ""; }
      else td.textContent = cell === undefined || cell === null ? "" : String(cell);
      tr.appendChild(td);
    });
    return tr;
  }

  function emptyRow(tbody, columns, message) {
    var td = el("td", message, "empty");
    td.colSpan = columns;
    var tr = document.createElement("tr");
    tr.appendChild(td);
    tbody.appendChild(tr);
  }

  function copy(text, label) {
    var status = $("copy-status");
    function done() { status.textContent = "Copied " + label + " to the clipboard."; }
    function fallback() {
      var area = el("textarea", text, "offscreen");
      area.setAttribute("readonly", "");
      document.body.appendChild(area);
      area.select();
      var copied = false;
      try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
      document.body.removeChild(area);
      if (copied) done();
      else status.textContent = "Copying is blocked here: select " + label + " and copy it by hand.";
    }
    status.textContent = "";
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, fallback);
    } else {
      fallback();
    }
  }

  function renderProgram(partner, program) {
    if (program && program.name) {
      $("program-name").textContent = program.name;
      document.title = program.name + " · Partner portal";
    }
    var name = [partner.first_name, partner.last_name].filter(Boolean).join(" ");
    $("partner-name").textContent = name ? "Signed in as " + name : "";
    var welcome = program && program.welcome_message;
    var dashboard = program && program.dashboard_text;
    if (welcome || dashboard) {
      $("welcome-message").textContent = welcome || "";
      $("dashboard-text").textContent = dashboard || "";
      $("welcome-message").hidden = !welcome;
      $("dashboard-text").hidden = !dashboard;
      $("welcome").hidden = false;
    }
    if (program && /^https?:\/\//.test(program.website_url || "")) {
      var link = el("a", "Visit " + (program.name || "the program's website"));
      link.href = program.website_url;
      link.rel = "noopener noreferrer";
      link.target = "_blank";
      var p = el("p");
      p.appendChild(link);
      $("welcome").appendChild(p);
      $("welcome").hidden = false;
    }
  }

  function renderLinks(partner, account) {
    var list = $("link-list");
    var links = partner.links || [];
    links.forEach(function (link) {
      var address = location.origin + "/r/" + account + "/" + encodeURIComponent(link.code);
      var item = el("li");
      item.dataset.code = link.code;
      var text = el("span", address, "link-url");
      text.id = "link-" + link.code;
      var button = el("button", "Copy");
      button.type = "button";
      button.setAttribute("aria-label", "Copy link " + link.code);
      button.addEventListener("click", function () { copy(address, "the link " + link.code); });
      item.appendChild(text);
      item.appendChild(button);
      list.appendChild(item);
    });
    if (!links.length) list.appendChild(el("li", "You have no links yet.", "muted"));
    var codes = partner.promo_codes || [];
    codes.forEach(function (code) { $("promo-list").appendChild(el("li", code.code)); });
    $("promo").hidden = !codes.length;
    $("links").hidden = false;
  }

  function renderClicks(clicks) {
    $("clicks-total").textContent = clicks.total;
    $("clicks-range").textContent = "from " + clicks.from + " to " + clicks.to;
    var tbody = $("clicks-table").tBodies[0];
    var days = (clicks.days || []).slice().reverse();
    days.forEach(function (d) {
      var tr = row([d.date, { text: d.clicks, className: "num" }]);
      tr.dataset.date = d.date;
      tbody.appendChild(tr);
    });
    if (!days.length) emptyRow(tbody, 2, "No clicks in this period.");
    $("clicks").hidden = false;
  }

  // A paged list section: the first page now, the next on "Show more" (the cursor).
  function pagedSection(token, id, path, columns, toRow, emptyText) {
    var section = $(id);
    var tbody = section.querySelector("tbody");
    var more = section.querySelector("button.more");
    var cursor = null;
    function load() {
      var query = cursor ? "?cursor=" + encodeURIComponent(cursor) : "";
      return call(token, path + query).then(function (page) {
        var elements = page.elements || [];
        elements.forEach(function (element) {
          var tr = toRow(element);
          tr.dataset.id = element.id;
          tbody.appendChild(tr);
        });
        if (!tbody.rows.length) emptyRow(tbody, columns, emptyText);
        cursor = page.pages && page.pages.next_cursor;
        more.hidden = !cursor;
        section.hidden = false;
      });
    }
    more.addEventListener("click", function () {
      more.disabled = true;
      load().catch(function (failure) {
        if (failure instanceof Unauthorized) expired();
        else setStatus("More could not be loaded: " + failure.message);
      }).then(function () { more.disabled = false; });
    });
    return load();
  }

  function renderEarnings(earnings) {
    var months = earnings.months || [];
    var tbody = $("earnings-table").tBodies[0];
    var currencies = [];
    months.forEach(function (month) {
      (month.currencies || []).forEach(function (c) {
        if (currencies.indexOf(c.currency) < 0) currencies.push(c.currency);
        var tr = row([month.month, c.currency, { text: c.pending, className: "num" },
          { text: c.approved, className: "num" }, { text: c.paid, className: "num" },
          { text: c.total, className: "num" }]);
        tbody.appendChild(tr);
      });
    });
    if (!tbody.rows.length) emptyRow(tbody, 6, "No earnings in these months.");
    $("earnings-chart").appendChild(chart(months, currencies));
    $("earnings").hidden = false;
  }

  // The SVG bar chart: one group of bars per month, one bar per currency. Bar heights are
  // geometry, so they may use floats; every number shown is the API's own text.
  function chart(months, currencies) {
    var width = 640, height = 240, top = 24, bottom = 28, left = 8, right = 8;
    var values = [];
    var largest = null;
    months.forEach(function (m) {
      (m.currencies || []).forEach(function (c) {
        values.push(Number(c.total));
        if (!largest || Number(c.total) > Number(largest.total)) largest = c;
      });
    });
    var max = Math.max.apply(null, [0].concat(values));
    var min = Math.min.apply(null, [0].concat(values));
    var span = (max - min) || 1;
    var plot = height - top - bottom;
    var baseline = top + plot * (max / span);
    var figure = document.createDocumentFragment();
    var picture = svg("svg", { viewBox: "0 0 " + width + " " + height, role: "img",
      "aria-labelledby": "earnings-chart-title", focusable: "false" });
    var title = svg("title", { id: "earnings-chart-title" });
    title.textContent = "Bar chart of earnings per month; the table below lists the same amounts.";
    picture.appendChild(title);
    var slot = (width - left - right) / Math.max(months.length, 1);
    var barWidth = Math.max(2, (slot * 0.8) / Math.max(currencies.length, 1));
    months.forEach(function (month, i) {
      var x0 = left + i * slot + slot * 0.1;
      (month.currencies || []).forEach(function (c) {
        var series = currencies.indexOf(c.currency);
        var value = Number(c.total);
        var y = value >= 0 ? baseline - plot * (value / span) : baseline;
        var h = Math.abs(plot * (value / span));
        var bar = svg("rect", { x: (x0 + series * barWidth).toFixed(1), y: y.toFixed(1),
          width: (barWidth - 1).toFixed(1), height: h.toFixed(1),
          "class": "bar bar-" + (series % SERIES) });
        bar.dataset.month = month.month;
        bar.dataset.currency = c.currency;
        bar.dataset.total = c.total;
        var tip = svg("title");
        tip.textContent = month.month + ": " + c.total + " " + c.currency;
        bar.appendChild(tip);
        picture.appendChild(bar);
      });
      var label = svg("text", { x: (x0 + slot * 0.4).toFixed(1), y: height - 8, "text-anchor": "middle", "class": "label" });
      label.textContent = String(month.month).slice(5);
      picture.appendChild(label);
    });
    picture.appendChild(svg("line", { x1: left, x2: width - right, y1: baseline.toFixed(1), y2: baseline.toFixed(1), "class": "axis" }));
    if (largest) {
      var scale = svg("text", { x: left, y: top - 8, "class": "label" });
      scale.textContent = "highest: " + largest.total + " " + largest.currency;
      picture.appendChild(scale);
    }
    figure.appendChild(picture);
    var legend = el("ul", null, "legend");
    currencies.forEach(function (currency, i) {
      var item = el("li");
      item.appendChild(el("span", null, "swatch bar-" + (i % SERIES)));
      item.appendChild(document.createTextNode(currency));
      legend.appendChild(item);
    });
    figure.appendChild(legend);
    return figure;
  }

  function guard(id, promise) {
    return promise.catch(function (failure) {
      if (failure instanceof Unauthorized) throw failure;
      sectionFailed(id, failure);
    });
  }

  function start() {
    var token = takeToken();
    var account = accountId();
    if (!token || !account) {
      setStatus("");
      showAlert("This page needs the portal link you were given: it carries your session.");
      return;
    }
    var hideEarningsSetting = document.body.dataset.hideEarnings === "true";
    call(token, "partner.json").then(function (answer) {
      var partner = answer.partner;
      var program = answer.program || null;
      var hideEarnings = hideEarningsSetting || Boolean(program && program.hide_earnings);
      // Programs that reward credits: no earnings chart, no amounts in the tables.
      document.body.classList.toggle("hide-amounts", hideEarnings);
      renderProgram(partner, program);
      renderLinks(partner, account);
      var sections = [
        guard("clicks", call(token, "clicks.json").then(function (a) { renderClicks(a.clicks); })),
        guard("referrals", pagedSection(token, "referrals", "referrals.json", 3, function (r) {
          return row([r.email, day(r.signup_date || r.created_at), r.subscription_status]);
        }, "No referrals yet.")),
        guard("commissions", pagedSection(token, "commissions", "commissions.json", 6, function (c) {
          return row([day(c.event_date || c.created_at), { text: amount(c.amount, c.currency), className: "num amount" },
            { text: amount(c.sale_amount, c.currency), className: "num amount" }, badge(c.status),
            c.payout_status === "paid" ? "paid" : "not paid", c.external_note]);
        }, "No commissions yet.")),
        guard("payouts", pagedSection(token, "payouts", "payouts.json", 4, function (p) {
          return row([p.period, { text: amount(p.amount, p.currency), className: "num amount" }, badge(p.status),
            { text: p.payment_count, className: "num" }]);
        }, "No payouts yet."))
      ];
      if (!hideEarnings) {
        sections.push(guard("earnings", call(token, "earnings.json?months=12").then(function (a) {
          renderEarnings(a.earnings);
        })));
      }
      return Promise.all(sections);
    }).then(function () {
      setStatus("");
      document.body.dataset.ready = "true";
    }, function (failure) {
      if (failure instanceof Unauthorized) expired();
      else { setStatus(""); showAlert("The portal could not be loaded: " + failure.message); }
      document.body.dataset.ready = "true";
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
