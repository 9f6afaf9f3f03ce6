/*
 * Oh My Queue deck runtime (static/deck/deck.js). Our own code, no libraries;
 * classic scripts so a built site/index.html works from file:// as well as
 * from a server (module scripts are refused from file://). This file is the
 * core: defaults, the Deck factory and the controller lifecycle; each
 * controller is one file under controllers/, and boot.js starts the deck.
 * slidekit copies them all into every built site under deck/, in that order.
 *
 * SEAM: what plugins (the live sync plugin in static/live/) and servers use
 * --------------------------------------------------------------------------
 * Boot      On DOMContentLoaded the page's .deck element becomes
 *           window.OMQ.deck = OMQ.Deck(el, {plugins: window.OMQ_PLUGINS || []}).
 *           document fires 'omq:ready' with event.detail = the deck.
 * Plugins   {id, init(deck)}; init may return a Promise. Register before boot
 *           with window.OMQ_PLUGINS = [...] (or .push), or later with
 *           deck.use(plugin). A failing plugin is logged and the deck goes on:
 *           the deck works fully without any plugin and without a server.
 * State     {h, f}: h = slide index from 0, f = fragments shown on that slide
 *           (code highlight steps count as fragments). The URL shows
 *           #/<h+1>/<f>, i.e. the slide number as shown on screen.
 * Vertical  A deck with vertical slides (<section data-row="N">, below the one
 *           before it) keeps the same flat h as its state; deck.place(h) ->
 *           {c, r} is the 2-D view of it. Its links read #/<column>/<row>/<f>
 *           (from 1), and deck.label(h) shows '3' or '3.2'. right()/left()
 *           go to the next/previous column's top, down()/up() move in a
 *           column; in a deck without vertical slides they are next()/prev().
 * Methods   deck.goTo(h, f, {source}), deck.next(), deck.prev(), deck.state(),
 *           deck.on(name, fn) -> off(), deck.off(name, fn), deck.use(plugin),
 *           deck.slides (the <section>s), deck.config, deck.destroy().
 * Events    'ready' {h, f}; 'slidechanged' {h, f, prevH, source};
 *           'fragmentshown' / 'fragmenthidden' {h, f, el, source};
 *           'statechanged' {h, f, source} after every change; 'overview' {open}.
 *           source says who moved: 'key', 'touch', 'click', 'hash', 'link'
 *           (another tab of this deck), 'api', or whatever a plugin passed to
 *           goTo(h, f, {source: 'live'}); a sync plugin ignores its own echoes.
 * Guard     deck.guard = function ({h, f, source}) { return false to refuse }: asked
 *           before every move after start; the live plugin refuses a standby
 *           presenter's own steps so one key never forks what the room sees.
 * Server    index.html ends with the line <!-- omq:inject -->. A server that
 *           serves site/ at /deck/ replaces it (Python: slidekit.inject(html,
 *           snippet)) with e.g.
 *             <script>window.OMQ_SERVER = "/";</script>
 *             <script src="/static/live/deck-live.js"></script>
 *           Opened from file://, the marker stays a comment: no plugin, no server.
 * Widgets   .widget[data-path] frames load from the demo server base, the first
 *           of: window.OMQ_SERVER, ?server=URL, front matter `server:`, and
 *           '../' of the page when it is served over http(s). The frame is made
 *           once, when its slide is first shown and <base>healthz answers, and
 *           kept after, so a widget keeps its state between slides.
 * Code fit  A code block too big for its slide gets a smaller font (inline style,
 *           down to config.codeMin logical px), short code a bigger one (up to
 *           config.codeMax, not on a dense slide), measured once per slide when it
 *           is first shown, printed or drawn in the overview or presenter view,
 *           and again after a resize or a theme change; deck.controller('fit').
 * Modes     ?presenter (presenter view in a tab, follows the other tabs of the
 *           deck through BroadcastChannel), ?print (every slide a page, all
 *           fragments shown, widgets as placeholders; --pdf uses it).
 */
(function (window, document) {
  'use strict';

  // Every default in one place. Merge order (later wins): DEFAULTS < the built
  // page's data-* attributes < options passed to Deck() < the URL query.
  var DEFAULTS = {
    width: 1280,          // logical slide size; the deck is scaled to fit the window
    height: 720,
    theme: null,          // null keeps <html data-theme> from the build
    themes: ['light', 'dark', 'contrast'],
    mode: 'deck',         // 'deck' | 'presenter' | 'print'
    hash: true,           // keep #/N/F in the URL
    keyboard: true,
    touch: true,
    controls: true,       // previous / next buttons
    progress: true,
    slideNumber: true,
    server: null,         // demo server base URL for widgets (see SEAM)
    healthPath: 'healthz',
    healthTimeout: 2000,  // ms before a silent server counts as offline
    channel: null,        // BroadcastChannel name; null: derived from the page path
    codeMin: 16,          // smallest font (logical px) a code block is shrunk to so it fits its slide
    codeMax: 40,          // largest font short code grows to, to fill its slide
    plugins: []
  };

  function assign(target) {
    for (var i = 1; i < arguments.length; i++) {
      var source = arguments[i] || {};
      for (var key in source) {
        if (Object.prototype.hasOwnProperty.call(source, key) && source[key] !== undefined) target[key] = source[key];
      }
    }
    return target;
  }

  function clamp(n, lo, hi) { return Math.max(lo, Math.min(hi, n)); }

  function make(tag, className, parent, html) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (html != null) node.innerHTML = html;
    if (parent) parent.appendChild(node);
    return node;
  }

  function fromMarkup(el) {
    var data = el.dataset, options = {};
    if (data.width) options.width = +data.width;
    if (data.height) options.height = +data.height;
    if (data.server) options.server = data.server;
    return options;
  }

  function fromQuery(search) {
    var params = new URLSearchParams(search), options = {};
    if (params.has('presenter')) options.mode = 'presenter';
    if (params.has('print') || params.has('print-pdf')) options.mode = 'print';
    if (params.get('theme')) options.theme = params.get('theme');
    if (params.get('server')) options.server = params.get('server');
    return options;
  }

  // The controllers are one file each under controllers/, loaded after this
  // file and before boot.js; each sets window.OMQ.controllers[id]. They are
  // created in the order their files load (slidekit's RUNTIME_SCRIPTS), so
  // later ones may use earlier ones (Overview uses Scale and Fit).

  // A controller has one lifecycle: render, configure(config), bind, unbind,
  // update(state, prev), destroy. The deck only orchestrates them.
  function controller(id, methods) {
    var noop = function () {};
    return assign({id: id, render: noop, configure: noop, bind: noop, unbind: noop, update: noop, destroy: noop}, methods);
  }

  function Deck(el, options) {
    var deck = {el: el, controllers: {}};
    var listeners = {};
    var slides = deck.slides = Array.prototype.slice.call(el.querySelectorAll('.slides > .slide'));
    var config = deck.config = assign({}, DEFAULTS, fromMarkup(el), options, fromQuery(window.location.search));
    var state = {h: 0, f: 0};
    var fragments = slides.map(function (slide) {
      return Array.prototype.filter.call(slide.querySelectorAll('.fragment'), function (node) {
        return !node.closest('.notes');
      });
    });
    var order = [];
    var started = false;
    // The 2-D view of the flat index: a slide with data-row > 0 sits below the one before it.
    var places = [], tops = [], column = -1;
    slides.forEach(function (slide, h) {
      var row = parseInt(slide.getAttribute('data-row'), 10) || 0;
      if (!row || column < 0) { column++; row = 0; tops.push(h); }
      places.push({c: column, r: row});
    });
    deck.vertical = slides.length > tops.length;
    deck.columns = tops.length;
    deck.place = function (h) { return places[h] || {c: 0, r: 0}; };
    deck.top = function (c) { return tops[clamp(c, 0, tops.length - 1)]; };
    deck.label = function (h) {
      var p = deck.place(h);
      return deck.vertical ? (p.c + 1) + (p.r ? '.' + (p.r + 1) : '') : String(h + 1);
    };

    deck.fragments = function (h) { return fragments[h] || []; };
    deck.state = function () {
      return {h: state.h, f: state.f, count: slides.length, fragments: fragments[state.h] ? fragments[state.h].length : 0,
              overview: el.classList.contains('overview'), mode: config.mode,
              column: deck.place(state.h).c, row: deck.place(state.h).r};
    };

    deck.on = function (name, fn) {
      (listeners[name] = listeners[name] || []).push(fn);
      return function () { deck.off(name, fn); };
    };
    deck.off = function (name, fn) {
      listeners[name] = (listeners[name] || []).filter(function (f) { return f !== fn; });
    };
    deck.emit = function (name, detail) {
      (listeners[name] || []).slice().forEach(function (fn) {
        try { fn(detail); } catch (err) { console.error('deck: a "' + name + '" listener failed', err); }
      });
    };

    deck.goTo = function (h, f, opts) {
      if (!slides.length) return;
      var source = (opts && opts.source) || 'api';
      h = clamp(parseInt(h, 10) || 0, 0, slides.length - 1);
      var total = fragments[h].length;
      f = (f === 'last' || f === Infinity || f === -1) ? total : clamp(parseInt(f, 10) || 0, 0, total);
      var prev = {h: state.h, f: state.f};
      if (started && prev.h === h && prev.f === f) return;
      if (started && deck.guard && deck.guard({h: h, f: f, source: source}) === false) return;
      state = {h: h, f: f};
      slides.forEach(function (slide, i) {
        var present = i === h;
        if (slide.classList.contains('present') !== present) {
          slide.classList.toggle('present', present);
          slide.setAttribute('aria-hidden', present ? 'false' : 'true');
        }
      });
      order.forEach(function (c) { c.update(deck.state(), prev); });
      if (!started) return;
      if (prev.h !== h) {
        deck.emit('slidechanged', {h: h, f: f, prevH: prev.h, source: source});
      } else {
        var i;
        for (i = prev.f; i < f; i++) deck.emit('fragmentshown', {h: h, f: i + 1, el: fragments[h][i], source: source});
        for (i = prev.f; i > f; i--) deck.emit('fragmenthidden', {h: h, f: i - 1, el: fragments[h][i - 1], source: source});
      }
      deck.emit('statechanged', {h: h, f: f, source: source});
    };

    deck.next = function (opts) {
      if (state.f < fragments[state.h].length) deck.goTo(state.h, state.f + 1, opts);
      else if (state.h < slides.length - 1) deck.goTo(state.h + 1, 0, opts);
    };
    deck.prev = function (opts) {
      if (state.f > 0) deck.goTo(state.h, state.f - 1, opts);
      else if (state.h > 0) deck.goTo(state.h - 1, 'last', opts);
    };

    // Two dimensions: fragments step first, as next()/prev() do.
    function step(forward, opts) {
      var total = fragments[state.h].length;
      if (forward && state.f < total) { deck.goTo(state.h, state.f + 1, opts); return true; }
      if (!forward && state.f > 0) { deck.goTo(state.h, state.f - 1, opts); return true; }
      return false;
    }
    deck.right = function (opts) {
      if (!deck.vertical) return deck.next(opts);
      var c = deck.place(state.h).c;
      if (!step(true, opts) && c < tops.length - 1) deck.goTo(tops[c + 1], 0, opts);
    };
    deck.left = function (opts) {
      if (!deck.vertical) return deck.prev(opts);
      var c = deck.place(state.h).c;
      if (!step(false, opts) && c > 0) deck.goTo(tops[c - 1], 'last', opts);
    };
    deck.down = function (opts) {
      if (!deck.vertical) return deck.next(opts);
      var here = deck.place(state.h), below = places[state.h + 1];
      if (!step(true, opts) && below && below.c === here.c) deck.goTo(state.h + 1, 0, opts);
    };
    deck.up = function (opts) {
      if (!deck.vertical) return deck.prev(opts);
      if (!step(false, opts) && deck.place(state.h).r > 0) deck.goTo(state.h - 1, 'last', opts);
    };

    deck.use = function (plugin) {
      try {
        var result = plugin && plugin.init && plugin.init(deck);
        if (result && typeof result.catch === 'function') {
          result.catch(function (err) { console.error('deck: plugin "' + plugin.id + '" failed', err); });
        }
      } catch (err) {
        console.error('deck: plugin "' + (plugin && plugin.id) + '" failed', err);
      }
      return deck;
    };

    deck.destroy = function () {
      order.forEach(function (c) { c.unbind(); c.destroy(); });
      listeners = {};
    };

    deck.controller = function (id) { return deck.controllers[id]; };

    Object.keys(window.OMQ.controllers).forEach(function (id) {
      var c = window.OMQ.controllers[id](deck);
      deck.controllers[c.id] = c;
      order.push(c);
    });
    document.documentElement.classList.add('mode-' + config.mode);
    if (deck.vertical) {
      el.classList.add('vertical');
      slides.forEach(function (slide, h) {
        slide.style.setProperty('--col', places[h].c + 1);
        slide.style.setProperty('--row', places[h].r + 1);
        slide.setAttribute('data-label', deck.label(h));
      });
    }
    order.forEach(function (c) { c.render(); });
    order.forEach(function (c) { c.configure(config); });
    order.forEach(function (c) { c.bind(); });
    var start = deck.controllers.navigation.fromHash();
    deck.goTo(start.h, start.f, {source: 'hash'});
    started = true;
    (config.plugins || []).forEach(deck.use);
    document.documentElement.setAttribute('data-deck', 'ready');
    deck.emit('ready', {h: state.h, f: state.f});
    return deck;
  }

  window.OMQ = window.OMQ || {};
  window.OMQ.Deck = Deck;
  window.OMQ.DEFAULTS = DEFAULTS;
  window.OMQ.controllers = window.OMQ.controllers || {};
  window.OMQ.util = {assign: assign, clamp: clamp, make: make, controller: controller};
})(window, document);
