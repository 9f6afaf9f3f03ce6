/* Deck controller 'widgets' (static/deck/controllers/widgets.js): one lifecycle with the
 * others (render, configure, bind, unbind, update, destroy); deck.js orchestrates. */
(function (window, document, OMQ) {
  'use strict';
  var make = OMQ.util.make, controller = OMQ.util.controller;

  // What a widget's card says while there is no live frame. The build writes a
  // neutral card (no server address: the deck does not know where it will be
  // served); here it says why, for the main screen only. Other views of the
  // slide (presenter view, overview thumbnails, print) keep the neutral text.
  function offlineCard(widget, mode, base) {
    var why = widget.querySelector('.widget-why');
    if (!why) return;
    if (mode === 'print') why.textContent = 'Shown live during the talk.';
    else if (mode !== 'deck') why.textContent = 'On the main screen.';
    else if (!base) why.textContent = 'This deck was opened without its demo server: start it with make demo and open the deck it serves.';
    else why.textContent = 'The demo server at ' + base + ' is not reachable: start it with make demo.';
  }

  // Live demo frames: made once when their slide is first shown and the demo
  // server answers, then kept (hidden, never reloaded) so their state survives.
  // A frame gets the deck's theme in its URL, and every theme change after.
  OMQ.controllers.widgets = function Widgets(deck) {
    var base = null, checked = null, checkedAt = 0, offTheme = null, printLive = false;
    // A phone held upright shows "Open this demo" (deck.css's phone section) instead of a frame.
    var phone = window.matchMedia ? window.matchMedia('(orientation: portrait) and (max-width: 600px)') : {matches: false};
    function resolveBase(config) {
      var server = window.OMQ_SERVER || config.server;
      try {
        if (server) return new URL(server.replace(/\/?$/, '/'), window.location.href).href;
        if (/^https?:$/.test(window.location.protocol)) return new URL('../', window.location.href).href;
      } catch (err) { console.error('deck: bad server URL', server); }
      return null;
    }
    function reachable() {
      if (!base) return Promise.resolve(false);
      if (checked && Date.now() - checkedAt < 3000) return checked;
      var url = new URL(deck.config.healthPath, base);
      var same = url.origin === window.location.origin;
      var abort = window.AbortController ? new AbortController() : null;
      var timer = setTimeout(function () { if (abort) abort.abort(); }, deck.config.healthTimeout);
      checkedAt = Date.now();
      checked = fetch(url.href, {cache: 'no-store', mode: same ? 'same-origin' : 'no-cors', signal: abort && abort.signal})
        .then(function (res) { return !same || res.ok || res.status === 503; }, function () { return false; })
        .then(function (ok) { clearTimeout(timer); return ok; });
      return checked;
    }
    function theme() { return document.documentElement.getAttribute('data-theme') || ''; }
    function frameUrl(widget) {
      var url = new URL(widget.getAttribute('data-path'), base);
      if (theme()) url.searchParams.set('theme', theme());
      return url.href;
    }
    function retheme() {  // the frame keeps its state: a message, not a reload
      Array.prototype.forEach.call(deck.el.querySelectorAll('.widget iframe'), function (frame) {
        try { frame.contentWindow.postMessage({omq: 'theme', theme: theme()}, new URL(base).origin); } catch (err) { /* gone */ }
      });
    }
    function show(widget) {
      var mode = deck.config.mode;
      if (!base || !(mode === 'deck' || (mode === 'print' && printLive))) {
        offlineCard(widget, mode, base);
        widget.dataset.state = 'offline';
        return;
      }
      if (phone.matches) return;
      reachable().then(function (ok) {
        widget.classList.toggle('live', ok);
        widget.dataset.state = ok ? 'live' : 'offline';  // --pdf waits for every widget to know
        if (!ok) { offlineCard(widget, mode, base); return; }
        if (!widget.querySelector('iframe')) {
          var frame = make('iframe', '', null);
          frame.src = frameUrl(widget);
          frame.title = 'Live demo: ' + widget.getAttribute('data-widget');
          widget.appendChild(frame);
        }
      });
    }
    function retry(e) {
      var button = e.target.closest('.widget-retry');
      if (!button) return;
      checked = null;
      show(button.closest('.widget'));
    }
    return controller('widgets', {
      render: function () {
        Array.prototype.forEach.call(deck.el.querySelectorAll('.widget-offline'), function (box) {
          if (deck.config.mode === 'deck') make('button', 'widget-retry', box, 'Retry');
        });
      },
      configure: function (config) {
        base = resolveBase(config);
        // ?print&server=URL (build_slides.py --pdf --demo-url): print a still of each live demo
        printLive = new URLSearchParams(window.location.search).has('server');
        if (!base || config.mode !== 'deck') return;
        Array.prototype.forEach.call(deck.el.querySelectorAll('.widget[data-path]'), function (widget) {
          var open = make('a', 'widget-open', widget, 'Open this demo');
          var url = new URL(widget.getAttribute('data-path'), base);
          url.searchParams.delete('embed');  // the page itself, at phone size
          open.href = url.href;
          open.target = '_blank';
          open.rel = 'noopener';
        });
      },
      bind: function () {
        deck.el.addEventListener('click', retry);
        offTheme = deck.on('themechanged', retheme);
      },
      unbind: function () {
        deck.el.removeEventListener('click', retry);
        if (offTheme) offTheme();
      },
      update: function (state) {
        Array.prototype.forEach.call(deck.slides[state.h].querySelectorAll('.widget'), show);
      },
      showAll: function () { Array.prototype.forEach.call(deck.el.querySelectorAll('.widget'), show); },
      base: function () { return base; }
    });
  };
})(window, document, window.OMQ);
