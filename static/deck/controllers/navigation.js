/* Deck controller 'navigation' (static/deck/controllers/navigation.js): one lifecycle with the
 * others (render, configure, bind, unbind, update, destroy); deck.js orchestrates. */
(function (window, document, OMQ) {
  'use strict';
  var make = OMQ.util.make, controller = OMQ.util.controller;

  // Keyboard, touch swipes, the previous/next buttons and the #/N/F deep link.
  OMQ.controllers.navigation = function Navigation(deck) {
    var buttons, typed = '', touch = null;
    var keys = {
      ArrowRight: 'right', ArrowDown: 'down', PageDown: 'next', ' ': 'next', n: 'next', l: 'right', j: 'down',
      ArrowLeft: 'left', ArrowUp: 'up', PageUp: 'prev', Backspace: 'prev', p: 'prev', h: 'left', k: 'up',
      Home: 'first', End: 'last', o: 'overview', Escape: 'overview', f: 'fullscreen', s: 'presenter',
      t: 'theme', b: 'pause', '.': 'pause', '?': 'help'
    };
    var actions = {
      next: function () { deck.next({source: 'key'}); },
      prev: function () { deck.prev({source: 'key'}); },
      right: function () { deck.right({source: 'key'}); },
      left: function () { deck.left({source: 'key'}); },
      down: function () { deck.down({source: 'key'}); },
      up: function () { deck.up({source: 'key'}); },
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
        var n = parseInt(typed, 10) - 1;
        deck.goTo(deck.vertical ? deck.top(n) : n, 0, {source: 'key'});
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
      // A deck that scrolls (reflowed on a phone held upright) scrolls up and down.
      if (Math.abs(dy) > Math.abs(dx) && getComputedStyle(deck.el).overflowY !== 'hidden') return;
      var across = Math.abs(dx) > Math.abs(dy), forward = across ? dx < 0 : dy < 0;
      var move = deck.vertical ? (across ? (forward ? 'right' : 'left') : (forward ? 'down' : 'up')) : (forward ? 'next' : 'prev');
      deck[move]({source: 'touch'});
    }

    // #/N/F: slide N (as numbered on screen), F fragments shown. With vertical slides
    // #/C/R/F: column C, row R (from 1, R = 1 the column's top), F fragments.
    function parseHash() {
      var match = /^#\/(\d+)(?:\/(\d+))?(?:\/(\d+))?/.exec(window.location.hash);
      if (!match) return null;
      var a = parseInt(match[1], 10) - 1, b = parseInt(match[2] || '0', 10), c = parseInt(match[3] || '0', 10);
      if (!deck.vertical) return {h: a, f: b};
      var top = deck.top(a), h = top + Math.max(b - 1, 0);
      while (h > top && (h >= deck.slides.length || deck.place(h).c !== deck.place(top).c)) h--;
      return {h: h, f: c};
    }
    function hashOf(state) {
      if (!deck.vertical) return '#/' + (state.h + 1) + (state.f ? '/' + state.f : '');
      var p = deck.place(state.h);
      return '#/' + (p.c + 1) + (p.r || state.f ? '/' + (p.r + 1) : '') + (state.f ? '/' + state.f : '');
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
      update: function (state, prev) {
        if (prev && prev.h !== state.h) deck.el.scrollTop = 0;  // a reflowed slide starts at its top
        buttons.querySelector('.prev').disabled = state.h === 0 && state.f === 0;
        buttons.querySelector('.next').disabled = state.h === state.count - 1 && state.f === state.fragments;
        if (!deck.config.hash || deck.config.mode === 'print') return;
        var hash = hashOf(state);
        if (window.location.hash === hash) return;
        try { window.history.replaceState(null, '', hash); } catch (err) { window.location.replace(hash); }
      },
      fromHash: function () { return parseHash() || {h: 0, f: 0}; },
      destroy: function () { buttons.remove(); }
    });
  };
})(window, document, window.OMQ);
