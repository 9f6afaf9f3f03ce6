/* Deck controller 'presenter' (static/deck/controllers/presenter.js): one lifecycle with the
 * others (render, configure, bind, unbind, update, destroy); deck.js orchestrates. */
(function (window, document, OMQ) {
  'use strict';
  var make = OMQ.util.make, controller = OMQ.util.controller;

  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function hms(seconds) {
    return pad(Math.floor(seconds / 3600)) + ':' + pad(Math.floor(seconds / 60) % 60) + ':' + pad(seconds % 60);
  }
  function ms(seconds) { seconds = Math.round(seconds); return Math.floor(seconds / 60) + ':' + pad(seconds % 60); }

  // Seconds a notes' "Timing: 1 minute 30 seconds" line gives, or null without one.
  function timing(notes) {
    var line = /^\s*Timing\b[^:\n]*:(.*)$/im.exec(notes ? notes.textContent : '');
    if (!line) return null;
    var total = 0, unit = {h: 3600, m: 60, s: 1}, re = /(\d+(?:\.\d+)?)\s*(h|m|s)[a-z]*/gi, part;
    while ((part = re.exec(line[1]))) total += parseFloat(part[1]) * unit[part[2].toLowerCase()];
    return total;
  }

  // ?presenter: current slide, the next step, notes, a timer with pace, in a tab.
  OMQ.controllers.presenter = function Presenter(deck) {
    var panel, next, label, notes, elapsed, clock, count, pace, toggle, timer, ready = false, plan = [], total = 0;
    var nextName, name;  // the next and the current slide's names
    // A slide's name from the build (its heading, else an image's alt, a widget, its first words).
    function title(h) { var s = deck.slides[h]; return (s && s.getAttribute('data-title')) || 'Slide ' + (h + 1); }
    // The timer survives a reload of this view: {run, base (s), since (ms)}.
    var key = 'omq-timer:' + window.location.pathname, t = {run: false, base: 0, since: 0};
    try { t = JSON.parse(window.localStorage.getItem(key)) || t; } catch (err) { /* a fresh timer */ }
    function seconds() { return t.base + (t.run ? (Date.now() - t.since) / 1000 : 0); }
    function save() { try { window.localStorage.setItem(key, JSON.stringify(t)); } catch (err) { /* kept in memory */ } }
    function run(on) {
      t = {run: on, base: seconds(), since: Date.now()};
      save();
      tick();
    }
    // Each slide's share of the notes' budgets: a Timing line covers its slide
    // and the slides after it that have none ("for the whole sequence").
    function budgets() {
      var start = 0;
      deck.slides.forEach(function (slide, h) {
        var s = timing(slide.querySelector('.notes'));
        if (s !== null) start = h;
        plan[h] = {own: s, from: start};
      });
      plan.forEach(function (p, h) {
        var head = plan[p.from], n = 0;
        for (var i = p.from; i < plan.length && plan[i].from === p.from; i++) n++;
        p.s = head.own === null ? 0 : head.own / n;
        p.at = total;
        total += p.s;
      });
    }
    function tick() {
      var s = seconds(), h = deck.state().h, p = plan[h];
      elapsed.textContent = hms(Math.floor(s));
      toggle.textContent = t.run ? 'Pause' : (s ? 'Resume' : 'Start');
      clock.textContent = new Date().toLocaleTimeString([], {hour: '2-digit', minute: '2-digit', second: '2-digit'});
      pace.hidden = !total || !s || !p;
      if (pace.hidden) return;
      var ahead = p.at - s, behind = s - (p.at + p.s);
      pace.setAttribute('data-pace', ahead > 0 ? 'ahead' : behind > 0 ? 'behind' : 'on');
      pace.textContent = (ahead > 0 ? ms(ahead) + ' ahead' : behind > 0 ? ms(behind) + ' behind' : 'on time') +
        ' · plan ' + ms(p.at) + '–' + ms(p.at + p.s) + ' of ' + ms(total);
    }
    var self = controller('presenter', {
      open: function () {
        var params = new URLSearchParams(window.location.search);
        params.delete('presenter');
        var query = params.toString();
        // No window features: the presenter view opens as a tab, not a popup.
        window.open(window.location.pathname + '?' + (query ? query + '&' : '') + 'presenter' + window.location.hash,
          'omq-presenter');
      },
      render: function () {
        if (deck.config.mode !== 'presenter') return;
        panel = make('div', 'presenter', document.body);
        var upcoming = make('div', 'p-next', panel), head = make('div', 'p-head', upcoming);
        label = make('div', 'p-label', head);
        nextName = make('div', 'p-name', head);
        next = make('div', 'p-stage', upcoming);
        var copy = deck.el.querySelector('.slides').cloneNode(true);
        Array.prototype.forEach.call(copy.querySelectorAll('[id]'), function (node) { node.removeAttribute('id'); });
        next.appendChild(copy);
        notes = make('div', 'p-notes', panel);
        var bar = make('div', 'p-bar', panel);
        elapsed = make('span', 'p-elapsed', bar);
        toggle = make('button', 'p-button p-toggle', bar);
        toggle.addEventListener('click', function () { run(!t.run); });
        var reset = make('button', 'p-button p-reset', bar, 'Reset');
        reset.title = 'Back to 00:00:00';
        reset.addEventListener('click', function () { t = {run: t.run, base: 0, since: Date.now()}; save(); tick(); });
        clock = make('span', 'p-clock', bar);
        count = make('span', 'p-count', bar);
        name = make('span', 'p-name', bar);
        pace = make('span', 'p-pace', bar);
      },
      bind: function () {
        if (!panel) return;
        deck.controllers.scale.add(next, next.firstChild);
        budgets();
        tick();
        timer = setInterval(tick, 1000);
        deck.on('ready', function () { ready = true; });
      },
      unbind: function () { clearInterval(timer); },
      update: function (state, prev) {
        if (!panel) return;
        // The first step forward starts a timer nobody started.
        if (ready && !t.run && !t.base && (state.h === prev.h ? state.f === prev.f + 1 : state.h === prev.h + 1 && !state.f)) {
          run(true);
        }
        var copies = next.firstChild.children, more = state.f < state.fragments;
        var h = more ? state.h : state.h + 1, f = more ? state.f + 1 : 0;
        for (var i = 0; i < copies.length; i++) copies[i].classList.toggle('present', i === h);
        if (copies[h]) {
          deck.controllers.fragments.applyTo(copies[h], f);
          deck.controllers.fit.slide(copies[h]);
        }
        next.classList.toggle('end', h >= state.count);
        label.textContent = more ? 'Next: step ' + (f + 1) + ' of ' + (state.fragments + 1) :
          h < state.count ? 'Next: slide ' + deck.label(h) : 'Next';
        nextName.textContent = h < state.count ? title(h) : '';
        var source = deck.slides[state.h].querySelector('.notes');
        notes.innerHTML = source ? source.innerHTML : '<p class="p-none">No notes for this slide.</p>';
        count.textContent = 'Slide ' + deck.label(state.h) + ' / ' + (deck.vertical ? deck.columns : state.count) +
          (state.fragments ? ' · step ' + (state.f + 1) + ' of ' + (state.fragments + 1) : '');
        name.textContent = title(state.h);
        if (plan.length) tick();
      },
      destroy: function () { if (panel) panel.remove(); }
    });
    return self;
  };
})(window, document, window.OMQ);
