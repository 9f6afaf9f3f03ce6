/*
 * Oh My Queue deck runtime (static/deck/deck.js). Our own code, no libraries;
 * a classic script so a built site/index.html works from file:// as well as
 * from a server. slidekit copies it into every built site as deck/deck.js.
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
 * Methods   deck.goTo(h, f, {source}), deck.next(), deck.prev(), deck.state(),
 *           deck.on(name, fn) -> off(), deck.off(name, fn), deck.use(plugin),
 *           deck.slides (the <section>s), deck.config, deck.destroy().
 * Events    'ready' {h, f}; 'slidechanged' {h, f, prevH, source};
 *           'fragmentshown' / 'fragmenthidden' {h, f, el, source};
 *           'statechanged' {h, f, source} after every change; 'overview' {open}.
 *           source says who moved: 'key', 'touch', 'click', 'hash', 'link'
 *           (another tab of this deck), 'api', or whatever a plugin passed to
 *           goTo(h, f, {source: 'live'}); a sync plugin ignores its own echoes.
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
 *           down to config.codeMin logical px), measured once per slide when it
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

    deck.fragments = function (h) { return fragments[h] || []; };
    deck.state = function () {
      return {h: state.h, f: state.f, count: slides.length, fragments: fragments[state.h] ? fragments[state.h].length : 0,
              overview: el.classList.contains('overview'), mode: config.mode};
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

    [Scale, Theme, Fragments, Fit, Navigation, Progress, Overview, Widgets, Presenter, Link, Print, Help]
      .forEach(function (Controller) {
        var c = Controller(deck);
        deck.controllers[c.id] = c;
        order.push(c);
      });
    document.documentElement.classList.add('mode-' + config.mode);
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

  // Fits the fixed logical slide size into any box (the window, presenter panes).
  function Scale(deck) {
    var stages = [];
    function fit() {
      stages.forEach(function (stage) {
        var box = stage[0], inner = stage[1];
        var k = Math.min(box.clientWidth / deck.config.width, box.clientHeight / deck.config.height);
        inner.style.setProperty('--k', k > 0 ? k : 1);
      });
    }
    return controller('scale', {
      configure: function (config) {
        var root = document.documentElement.style;
        root.setProperty('--w', config.width + 'px');
        root.setProperty('--h', config.height + 'px');
        stages = [[deck.el, deck.el.querySelector('.slides')]];
      },
      add: function (box, inner) { stages.push([box, inner]); fit(); },
      bind: function () { window.addEventListener('resize', fit); },
      unbind: function () { window.removeEventListener('resize', fit); },
      update: fit,
      fit: fit
    });
  }

  function Theme(deck) {
    var root = document.documentElement;
    var self = controller('theme', {
      configure: function (config) {
        if (config.theme && config.themes.indexOf(config.theme) >= 0) root.setAttribute('data-theme', config.theme);
      },
      cycle: function () {
        var themes = deck.config.themes;
        var next = themes[(themes.indexOf(root.getAttribute('data-theme')) + 1) % themes.length];
        root.setAttribute('data-theme', next);
        deck.emit('themechanged', {theme: next});
      }
    });
    return self;
  }

  // Shows the first f fragments of the current slide and the matching code step.
  function Fragments(deck) {
    function apply(h, f) {
      deck.fragments(h).forEach(function (node, i) {
        node.classList.toggle('visible', i < f);
        node.classList.toggle('current-fragment', i === f - 1);
      });
      var pres = deck.slides[h].querySelectorAll('pre[data-steps]');
      Array.prototype.forEach.call(pres, function (pre) {
        var step = pre.querySelectorAll('.step.visible').length, lit = 0;
        Array.prototype.forEach.call(pre.querySelectorAll('.ln'), function (line) {
          lit += line.classList.toggle('hl', line.classList.contains('s' + step)) ? 1 : 0;
        });
        pre.classList.toggle('has-hl', lit > 0);  // an empty step ({1||3}) dims nothing
      });
    }
    return controller('fragments', {
      update: function (state) { apply(state.h, state.f); },
      showAll: function () {
        deck.slides.forEach(function (slide, h) { apply(h, deck.fragments(h).length); });
      },
      apply: apply
    });
  }

  // Code blocks that overflow their slide get a smaller font, down to
  // config.codeMin. Sizes are in logical px (the slide is scaled as a whole),
  // so a slide is measured once and only measured again after a resize, a
  // theme change or an image loading on it, never per frame.
  function Fit(deck) {
    var epoch = 1, measured = 0, timer = null;
    function over(el) { return el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1; }
    function spill(slide) {
      return Math.max(slide.scrollWidth - slide.clientWidth, slide.scrollHeight - slide.clientHeight, 0);
    }
    function fit(slide) {
      if (!slide || slide.omqFit === epoch) return;
      slide.omqFit = epoch;
      var pres = Array.prototype.filter.call(slide.querySelectorAll('pre.code'), function (pre) {
        return !pre.closest('.notes');
      });
      if (!pres.length) return;
      measured++;
      var style = slide.style, hidden = getComputedStyle(slide).display === 'none';
      var was = [style.visibility, style.display];
      if (hidden) { style.visibility = 'hidden'; style.display = 'flex'; }  // laid out, never painted
      var sizes = pres.map(function (pre) {
        var overflow = pre.style.overflow;
        pre.style.fontSize = '';
        pre.style.overflow = 'hidden';  // no scrollbars while measuring
        var css = getComputedStyle(pre), size = parseFloat(css.fontSize);
        var padX = parseFloat(css.paddingLeft) + parseFloat(css.paddingRight);
        var padY = parseFloat(css.paddingTop) + parseFloat(css.paddingBottom);
        var ratio = Math.max((pre.scrollWidth - padX) / (pre.clientWidth - padX),
                             (pre.scrollHeight - padY) / (pre.clientHeight - padY));
        return {pre: pre, size: size, floor: Math.min(size, deck.config.codeMin), ratio: ratio > 1 ? ratio : 1,
                overflow: overflow};
      });
      sizes.forEach(function (s) {  // a first guess from the overflow, then half-pixel steps
        if (s.ratio > 1) set(s, Math.floor(2 * s.size / s.ratio) / 2);
      });
      var least = Infinity, kept = null, stalls = 0;
      for (var guard = 0; guard < 64; guard++) {
        var extra = spill(slide), moved = false;
        if (extra && extra < least) { least = extra; kept = sizes.map(function (s) { return s.size; }); stalls = 0; }
        else if (extra && ++stalls > 3) {  // 2 px less did not help: what spills is not the code
          sizes.forEach(function (s, i) { set(s, kept[i]); });
          break;
        }
        sizes.forEach(function (s) {
          if ((extra || over(s.pre)) && s.size > s.floor) { set(s, s.size - .5); moved = true; }
        });
        if (!moved) break;
      }
      sizes.forEach(function (s) { s.pre.style.overflow = s.overflow; });
      if (hidden) { style.visibility = was[0]; style.display = was[1]; }
    }
    function set(s, size) {
      s.size = Math.max(s.floor, size);
      s.pre.style.fontSize = s.size + 'px';
    }
    function refit() {  // thumbnails keep their sizes until shown again: zoom would skew a measure
      epoch++;
      if (document.documentElement.classList.contains('print')) self.all();
      else if (!deck.state().overview) self.update(deck.state());
    }
    function later() { clearTimeout(timer); timer = setTimeout(refit, 150); }
    function onLoad(e) {
      var slide = e.target.tagName === 'IMG' && e.target.closest('.slide');
      if (slide && slide.omqFit === epoch) { slide.omqFit = 0; fit(slide); }  // an image changed the layout
    }
    var offTheme;
    var self = controller('fit', {
      bind: function () {
        window.addEventListener('resize', later);
        document.addEventListener('load', onLoad, true);
        offTheme = deck.on('themechanged', refit);
      },
      unbind: function () {
        window.removeEventListener('resize', later);
        document.removeEventListener('load', onLoad, true);
        clearTimeout(timer);
        if (offTheme) offTheme();
      },
      update: function (state) { fit(deck.slides[state.h]); },
      all: function () { Array.prototype.forEach.call(document.querySelectorAll('.slide'), fit); },
      slide: fit,
      measured: function () { return measured; }
    });
    return self;
  }

  // Keyboard, touch swipes, the previous/next buttons and the #/N/F deep link.
  function Navigation(deck) {
    var buttons, typed = '', touch = null;
    var keys = {
      ArrowRight: 'next', ArrowDown: 'next', PageDown: 'next', ' ': 'next', n: 'next', l: 'next', j: 'next',
      ArrowLeft: 'prev', ArrowUp: 'prev', PageUp: 'prev', Backspace: 'prev', p: 'prev', h: 'prev', k: 'prev',
      Home: 'first', End: 'last', o: 'overview', Escape: 'overview', f: 'fullscreen', s: 'presenter',
      t: 'theme', b: 'pause', '.': 'pause', '?': 'help'
    };
    var actions = {
      next: function () { deck.next({source: 'key'}); },
      prev: function () { deck.prev({source: 'key'}); },
      first: function () { deck.goTo(0, 0, {source: 'key'}); },
      last: function () { deck.goTo(deck.slides.length - 1, 'last', {source: 'key'}); },
      overview: function () { deck.controllers.overview.toggle(); },
      fullscreen: function () {
        if (document.fullscreenElement) document.exitFullscreen();
        else if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen().catch(function () {});
      },
      presenter: function () { deck.controllers.presenter.open(); },
      theme: function () { deck.controllers.theme.cycle(); },
      pause: function () { document.documentElement.classList.toggle('paused'); },
      help: function () { deck.controllers.help.toggle(); }
    };

    function onKey(e) {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
      var target = e.target;
      if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
      if (deck.controllers.overview.onKey(e)) { e.preventDefault(); return; }
      if (/^[0-9]$/.test(e.key)) { typed += e.key; return; }
      if (e.key === 'Enter' && typed) {
        deck.goTo(parseInt(typed, 10) - 1, 0, {source: 'key'});
        typed = '';
        e.preventDefault();
        return;
      }
      typed = '';
      var action = keys[e.key === ' ' && e.shiftKey ? 'PageUp' : e.key];
      if (!action) return;
      e.preventDefault();
      if (action !== 'pause' && document.documentElement.classList.contains('paused')) {
        document.documentElement.classList.remove('paused');
      }
      actions[action](e);
    }

    function onTouchStart(e) {
      touch = e.touches.length === 1 ? {x: e.touches[0].clientX, y: e.touches[0].clientY} : null;
    }
    function onTouchEnd(e) {
      if (!touch || deck.state().overview) return;
      var t = e.changedTouches[0], dx = t.clientX - touch.x, dy = t.clientY - touch.y;
      touch = null;
      if (Math.max(Math.abs(dx), Math.abs(dy)) < 40) return;
      var forward = Math.abs(dx) > Math.abs(dy) ? dx < 0 : dy < 0;
      if (forward) deck.next({source: 'touch'}); else deck.prev({source: 'touch'});
    }

    function parseHash() {
      var match = /^#\/(\d+)(?:\/(\d+))?/.exec(window.location.hash);
      return match ? {h: parseInt(match[1], 10) - 1, f: parseInt(match[2] || '0', 10)} : null;
    }
    function onHash() {
      var target = parseHash();
      if (target) deck.goTo(target.h, target.f, {source: 'hash'});
    }

    return controller('navigation', {
      render: function () {
        buttons = make('nav', 'controls', deck.el);
        buttons.setAttribute('aria-label', 'Slide navigation');
        var prev = make('button', 'prev', buttons, '&#8249;');
        var next = make('button', 'next', buttons, '&#8250;');
        prev.setAttribute('aria-label', 'Previous');
        next.setAttribute('aria-label', 'Next');
        prev.addEventListener('click', function () { deck.prev({source: 'click'}); });
        next.addEventListener('click', function () { deck.next({source: 'click'}); });
      },
      configure: function (config) { buttons.hidden = !config.controls || config.mode === 'print'; },
      bind: function () {
        if (deck.config.keyboard) document.addEventListener('keydown', onKey);
        if (deck.config.touch) {
          deck.el.addEventListener('touchstart', onTouchStart, {passive: true});
          deck.el.addEventListener('touchend', onTouchEnd);
        }
        if (deck.config.hash) window.addEventListener('hashchange', onHash);
      },
      unbind: function () {
        document.removeEventListener('keydown', onKey);
        deck.el.removeEventListener('touchstart', onTouchStart);
        deck.el.removeEventListener('touchend', onTouchEnd);
        window.removeEventListener('hashchange', onHash);
      },
      update: function (state) {
        buttons.querySelector('.prev').disabled = state.h === 0 && state.f === 0;
        buttons.querySelector('.next').disabled = state.h === state.count - 1 && state.f === state.fragments;
        if (!deck.config.hash || deck.config.mode === 'print') return;
        var hash = '#/' + (state.h + 1) + (state.f ? '/' + state.f : '');
        if (window.location.hash === hash) return;
        try { window.history.replaceState(null, '', hash); } catch (err) { window.location.replace(hash); }
      },
      fromHash: function () { return parseHash() || {h: 0, f: 0}; },
      destroy: function () { buttons.remove(); }
    });
  }

  function Progress(deck) {
    var bar, fill, number;
    return controller('progress', {
      render: function () {
        bar = make('div', 'progress', deck.el);
        fill = make('span', '', bar);
        number = make('div', 'slide-number', deck.el);
        bar.addEventListener('click', function (e) {
          var h = Math.floor(e.clientX / bar.clientWidth * deck.slides.length);
          deck.goTo(h, 0, {source: 'click'});
        });
      },
      configure: function (config) {
        bar.hidden = !config.progress;
        number.hidden = !config.slideNumber;
      },
      update: function (state) {
        var steps = state.fragments ? state.f / (state.fragments + 1) : 0;
        var share = state.count > 1 ? (state.h + steps) / (state.count - 1) : 1;
        fill.style.width = (share * 100).toFixed(2) + '%';
        number.textContent = (state.h + 1) + ' / ' + state.count;
      },
      destroy: function () { bar.remove(); number.remove(); }
    });
  }

  // A grid of every slide; arrows choose, Enter or a click goes there.
  function Overview(deck) {
    var open = false, selected = 0, before = 0;
    function select(i) {
      deck.slides[selected].classList.remove('selected');
      selected = clamp(i, 0, deck.slides.length - 1);
      deck.slides[selected].classList.add('selected');
      deck.slides[selected].scrollIntoView({block: 'nearest'});
    }
    function columns() {
      var first = deck.slides[0], top = first.offsetTop, n = 0;
      while (n < deck.slides.length && deck.slides[n].offsetTop === top) n++;
      return Math.max(n, 1);
    }
    function onClick(e) {
      var slide = open && e.target.closest('.slide');
      if (!slide) return;
      e.preventDefault();
      self.close(deck.slides.indexOf(slide));
    }
    function show(value) {
      open = value;
      deck.el.classList.toggle('overview', open);
      deck.controllers.scale.fit();
      deck.emit('overview', {open: open});
    }
    var self = controller('overview', {
      bind: function () { deck.el.addEventListener('click', onClick, true); },
      unbind: function () { deck.el.removeEventListener('click', onClick, true); },
      open: function () {
        if (open) return;
        before = deck.state().h;
        deck.controllers.fit.all();  // measured at full size, before the grid zooms them out
        deck.el.style.setProperty('--ov-zoom', Math.min(1, 240 / deck.config.width));
        show(true);
        select(before);
      },
      // close(h): go to slide h (a slide chosen from the grid); close(): stay where the deck was
      close: function (h) {
        if (!open) return;
        deck.slides[selected].classList.remove('selected');
        deck.el.scrollTop = 0;
        show(false);
        if (h != null && h !== deck.state().h) deck.goTo(h, 0, {source: 'click'});
      },
      toggle: function () { if (open) self.close(); else self.open(); },
      onKey: function (e) {
        if (!open) return false;
        var moves = {ArrowRight: 1, ArrowLeft: -1, ArrowDown: columns(), ArrowUp: -columns()};
        if (moves[e.key]) select(selected + moves[e.key]);
        else if (e.key === 'Enter' || e.key === ' ' || e.key === 'o') self.close(selected);
        else if (e.key === 'Escape') self.close();
        else if (e.key === 'Home') select(0);
        else if (e.key === 'End') select(deck.slides.length - 1);
        else return false;
        return true;
      },
      isOpen: function () { return open; }
    });
    return self;
  }

  // Live demo frames: made once when their slide is first shown and the demo
  // server answers, then kept (hidden, never reloaded) so their state survives.
  function Widgets(deck) {
    var base = null, checked = null, checkedAt = 0;
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
    function explain(widget, text) {
      var why = widget.querySelector('.widget-why');
      if (why) why.textContent = text;
    }
    function show(widget) {
      if (deck.config.mode !== 'deck') {
        explain(widget, deck.config.mode === 'print' ? 'Shown live during the talk.' : 'Live on the main screen.');
        return;
      }
      if (!base) {
        explain(widget, 'This deck was opened without its demo server, so the live demo cannot run here.');
        return;
      }
      reachable().then(function (ok) {
        widget.classList.toggle('live', ok);
        if (!ok) {
          explain(widget, 'The demo server at ' + base + ' is not reachable.');
          return;
        }
        if (!widget.querySelector('iframe')) {
          var frame = make('iframe', '', null);
          frame.src = new URL(widget.getAttribute('data-path'), base).href;
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
      configure: function (config) { base = resolveBase(config); },
      bind: function () { deck.el.addEventListener('click', retry); },
      unbind: function () { deck.el.removeEventListener('click', retry); },
      update: function (state) {
        Array.prototype.forEach.call(deck.slides[state.h].querySelectorAll('.widget'), show);
      },
      showAll: function () { Array.prototype.forEach.call(deck.el.querySelectorAll('.widget'), show); },
      base: function () { return base; }
    });
  }

  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function hms(seconds) {
    return pad(Math.floor(seconds / 3600)) + ':' + pad(Math.floor(seconds / 60) % 60) + ':' + pad(seconds % 60);
  }

  // ?presenter: current and next slide, notes, elapsed time and clock, in a tab.
  function Presenter(deck) {
    var panel, next, notes, elapsed, clock, count, timer, startedAt = Date.now();
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
        var upcoming = make('div', 'p-next', panel, '<div class="p-label">Next</div>');
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
        count.textContent = 'Slide ' + (state.h + 1) + ' / ' + state.count +
          (state.fragments ? ' · step ' + state.f + ' / ' + state.fragments : '');
      },
      destroy: function () { if (panel) panel.remove(); }
    });
    return self;
  }

  // Keeps every tab of this deck (main view, presenter view) on the same step,
  // without a server: BroadcastChannel (works from file:// too in Chromium),
  // or localStorage events in browsers without it.
  function Link(deck) {
    var channel = null, name, id = Math.random().toString(36).slice(2), off = null;
    function receive(message) {
      if (!message || message.from === id || message.name !== name) return;
      if (message.type === 'state') deck.goTo(message.h, message.f, {source: 'link'});
      else if (message.type === 'hello' && deck.config.mode === 'deck') send('state');
    }
    function onStorage(e) {
      if (e.key !== 'omq-link' || !e.newValue) return;
      try { receive(JSON.parse(e.newValue)); } catch (err) { /* not ours */ }
    }
    function onMessage(e) { receive(e.data); }
    function send(type) {
      var state = deck.state();
      var message = {type: type, h: state.h, f: state.f, from: id, name: name, at: Date.now()};
      if (channel) channel.postMessage(message);
      else try { window.localStorage.setItem('omq-link', JSON.stringify(message)); } catch (err) { /* private mode */ }
    }
    return controller('link', {
      configure: function (config) {
        name = config.channel || 'omq-deck:' + window.location.pathname;
      },
      bind: function () {
        if (deck.config.mode === 'print') return;
        if (window.BroadcastChannel) {
          channel = new BroadcastChannel(name);
          channel.onmessage = onMessage;
        } else {
          window.addEventListener('storage', onStorage);
        }
        off = deck.on('statechanged', function (e) { if (e.source !== 'link') send('state'); });
        if (deck.config.mode === 'presenter') setTimeout(function () { send('hello'); }, 0);
      },
      unbind: function () {
        if (channel) channel.close();
        channel = null;
        window.removeEventListener('storage', onStorage);
        if (off) off();
      }
    });
  }

  // ?print lays every slide out as one page with all fragments shown; the
  // browser's own print (Ctrl+P) gets the same layout for as long as it prints.
  function Print(deck) {
    var style;
    function enter() {
      document.documentElement.classList.add('print');
      deck.controllers.fit.all();
      deck.controllers.fragments.showAll();
      if (deck.config.mode === 'print') deck.controllers.widgets.showAll();
    }
    function leave() {
      if (deck.config.mode === 'print') return;
      document.documentElement.classList.remove('print');
      var state = deck.state();
      deck.controllers.fragments.apply(state.h, state.f);
    }
    return controller('print', {
      render: function () {
        style = make('style', '', document.head);
        style.textContent = '@page{size:' + deck.config.width + 'px ' + deck.config.height + 'px;margin:0}';
      },
      bind: function () {
        window.addEventListener('beforeprint', enter);
        window.addEventListener('afterprint', leave);
        if (deck.config.mode !== 'print') return;
        enter();
        var done = function () { document.documentElement.setAttribute('data-print', 'ready'); };
        var fonts = document.fonts ? document.fonts.ready : Promise.resolve();
        if (document.readyState === 'complete') fonts.then(done);
        else window.addEventListener('load', function () { fonts.then(done); });
      },
      unbind: function () {
        window.removeEventListener('beforeprint', enter);
        window.removeEventListener('afterprint', leave);
      },
      update: function () { if (document.documentElement.classList.contains('print')) deck.controllers.fragments.showAll(); },
      destroy: function () { style.remove(); }
    });
  }

  function Help(deck) {
    var box;
    var rows = [['→ space', 'next'], ['←', 'previous'], ['Home End', 'first, last'], ['o Esc', 'overview'],
      ['f', 'fullscreen'], ['s', 'presenter view (new tab)'], ['t', 'theme'], ['b', 'black screen'],
      ['7 Enter', 'go to slide 7'], ['?', 'this help']];
    return controller('help', {
      render: function () {
        box = make('div', 'help', deck.el, '<h2>Keys</h2><table>' + rows.map(function (r) {
          return '<tr><th>' + r[0] + '</th><td>' + r[1] + '</td></tr>';
        }).join('') + '</table>');
        box.hidden = true;
      },
      toggle: function () { box.hidden = !box.hidden; },
      destroy: function () { box.remove(); }
    });
  }

  window.OMQ = window.OMQ || {};
  window.OMQ.Deck = Deck;
  window.OMQ.DEFAULTS = DEFAULTS;

  function boot() {
    var el = document.querySelector('.deck');
    if (!el || window.OMQ.deck) return;
    window.OMQ.deck = Deck(el, {plugins: window.OMQ_PLUGINS || []});
    document.dispatchEvent(new CustomEvent('omq:ready', {detail: window.OMQ.deck}));
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
})(window, document);
