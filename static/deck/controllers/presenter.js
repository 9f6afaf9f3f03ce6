/* Deck controller 'presenter' (static/deck/controllers/presenter.js): one lifecycle with the
 * others (render, configure, bind, unbind, update, destroy); deck.js orchestrates. */
(function (window, document, OMQ) {
  'use strict';
  var make = OMQ.util.make, controller = OMQ.util.controller;

  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function hms(seconds) {
    return pad(Math.floor(seconds / 3600)) + ':' + pad(Math.floor(seconds / 60) % 60) + ':' + pad(seconds % 60);
  }

  // ?presenter: current and next slide, notes, elapsed time and clock, in a tab.
  OMQ.controllers.presenter = function Presenter(deck) {
    var panel, next, nextLabel, notes, elapsed, clock, count, timer, startedAt = Date.now();
    // A slide's name from the build (its heading, else an image's alt, a widget, its first words).
    function title(h) { var s = deck.slides[h]; return (s && s.getAttribute('data-title')) || 'Slide ' + (h + 1); }
    function tick() {
      elapsed.textContent = hms(Math.floor((Date.now() - startedAt) / 1000));
      clock.textContent = new Date().toLocaleTimeString([], {hour: '2-digit', minute: '2-digit', second: '2-digit'});
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
        var upcoming = make('div', 'p-next', panel);
        nextLabel = make('div', 'p-label', upcoming, 'Next');
        next = make('div', 'p-stage', upcoming);
        var copy = deck.el.querySelector('.slides').cloneNode(true);
        Array.prototype.forEach.call(copy.querySelectorAll('[id]'), function (node) { node.removeAttribute('id'); });
        next.appendChild(copy);
        notes = make('div', 'p-notes', panel);
        var bar = make('div', 'p-bar', panel);
        elapsed = make('span', 'p-elapsed', bar);
        var reset = make('button', 'p-reset', bar, 'Reset');
        reset.title = 'Restart the elapsed time';
        reset.addEventListener('click', function () { startedAt = Date.now(); tick(); });
        clock = make('span', 'p-clock', bar);
        count = make('span', 'p-count', bar);
      },
      bind: function () {
        if (!panel) return;
        deck.controllers.scale.add(next, next.firstChild);
        tick();
        timer = setInterval(tick, 1000);
      },
      unbind: function () { clearInterval(timer); },
      update: function (state) {
        if (!panel) return;
        var copies = next.firstChild.children;
        for (var i = 0; i < copies.length; i++) copies[i].classList.toggle('present', i === state.h + 1);
        deck.controllers.fit.slide(copies[state.h + 1]);
        next.classList.toggle('end', state.h + 1 >= state.count);
        var source = deck.slides[state.h].querySelector('.notes');
        notes.innerHTML = source ? source.innerHTML : '<p class="p-none">No notes for this slide.</p>';
        count.textContent = 'Slide ' + deck.label(state.h) + ' / ' + (deck.vertical ? deck.columns : state.count) +
          (state.fragments ? ' · step ' + state.f + ' / ' + state.fragments : '') + ': ' + title(state.h);
        nextLabel.textContent = state.h + 1 < state.count ? 'Next: ' + title(state.h + 1) : 'Next';
      },
      destroy: function () { if (panel) panel.remove(); }
    });
    return self;
  };
})(window, document, window.OMQ);
