/*
 * Live follow (static/live/deck-live.js): the presenter drives, the audience
 * follows. A deck plugin {id: 'live', init(deck)} (see the SEAM comment of
 * static/deck/deck.js); the demo server injects it into the deck page at the
 * <!-- omq:inject --> marker after window.OMQ_SERVER and the Socket.IO client.
 * Our own code: DOM APIs and textContent only, no inline handlers.
 *
 * Protocol, namespace /deck (names in demo/keys.py, server in demo/follow.py):
 *   server -> 'driver' {role, reason}   on connect and when the driver changes;
 *             role: audience | driver | standby (a presenter session that waits)
 *   server -> 'state' {seq, h, f, panel, at}   at once on every (re)connect,
 *             then to everyone after each accepted move
 *   client -> 'move' {seq, h, f, panel}  the driver's steps, acked {ok, seq} or
 *             {ok: false, error, stale?, state?, role?}
 *   client -> 'takeover'                 a standby presenter session drives (acked)
 * Who this browser is comes from its session cookie, never from the page.
 * Without the server the deck goes on locally; the socket rejoins by itself.
 */
(function (window, document) {
  'use strict';

  var OFFLINE_AFTER = 4000;  // ms without a connection before "reconnecting" becomes "offline"

  function make(tag, className, parent, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  function serverBase() {
    try {
      return new URL(String(window.OMQ_SERVER || '/').replace(/\/?$/, '/'), window.location.href);
    } catch (err) {
      return new URL('/', window.location.href);
    }
  }

  function Live(deck) {
    var base = serverBase();
    var role = null;        // audience | driver | standby, as the server says
    var live = null;        // the last server state {seq, h, f, panel}
    var seq = 0;            // highest sequence number seen or sent
    var following = true;   // audience and standby: apply live moves
    // Socket.IO hands over what the server sent on connect before it fires
    // 'connect': 'fresh' marks the first state of each connection instead.
    var everConnected = false, fresh = true;
    var dirty = false;      // the driver moved while the server was away
    var offline = false, offlineTimer = null;
    var notice = '';        // why this session stopped driving
    var problem = '';       // the server's last error, until a state arrives
    var socket = null;
    var ui = render();

    function render() {
      var pill = make('div', 'live-status', document.body);
      pill.setAttribute('role', 'status');
      pill.setAttribute('aria-live', 'polite');
      make('span', 'live-dot', pill).setAttribute('aria-hidden', 'true');
      var text = make('span', 'live-text', pill, 'Connecting…');
      var back = make('button', 'live-back', pill, 'Back to live');
      var takeover = make('button', 'live-takeover', pill, 'Take over');
      back.type = takeover.type = 'button';
      back.hidden = takeover.hidden = true;
      back.addEventListener('click', backToLive);
      takeover.addEventListener('click', takeOver);
      var remote = null;
      if (deck.config.mode === 'presenter') {
        document.documentElement.classList.add('live-remote-on');
        remote = make('div', 'live-remote', document.body);
        var prev = make('button', 'live-prev', remote, '‹ Previous');
        var next = make('button', 'live-next', remote, 'Next ›');
        prev.type = next.type = 'button';
        prev.addEventListener('click', function () { deck.prev({source: 'click'}); });
        next.addEventListener('click', function () { deck.next({source: 'click'}); });
      }
      return {pill: pill, text: text, back: back, takeover: takeover, remote: remote};
    }

    function local() {
      var state = deck.state();
      var widget = deck.slides[state.h] && deck.slides[state.h].querySelector('.widget[data-widget]');
      return {h: state.h, f: state.f, panel: widget ? widget.getAttribute('data-widget') : null};
    }

    function connected() { return !!socket && socket.connected; }

    function same(a, b) { return !!a && !!b && a.h === b.h && a.f === b.f; }

    function applyLive() {
      if (live) deck.goTo(live.h, live.f, {source: 'live'});
    }

    function show(state, text) {
      ui.pill.setAttribute('data-state', state);
      ui.pill.setAttribute('data-role', role || 'unknown');
      ui.text.textContent = text;
      ui.back.hidden = !(role !== 'driver' && !following && connected());
      ui.takeover.hidden = !(role === 'standby' && connected());
    }

    function update() {
      var where = live ? 'slide ' + (live.h + 1) : 'slide 1';
      if (!connected()) {
        if (!everConnected && !offline) show('connecting', 'Connecting…');
        else if (offline) show('offline', 'Offline: the deck works locally and rejoins when the server is back');
        else show('reconnecting', 'Reconnecting… the deck works locally');
        return;
      }
      if (problem) show('reconnecting', problem);
      else if (role === 'driver') show('live', 'Live: you drive' + (dirty ? ' (sending…)' : ''));
      else if (!following) show('paused', 'Paused: live is on ' + where);
      else if (role === 'standby') show('standby', notice || 'Following: another presenter session drives');
      else show('following', notice || 'Live: following the presenter');
    }

    // The driver's step goes to the server; a stale one is re-sent once with
    // a fresh number when this view still differs from the stored state.
    function send(retried) {
      if (role !== 'driver') return;
      if (!connected()) { dirty = true; update(); return; }
      var move = local();
      move.seq = seq = Math.max(seq, live ? live.seq : 0) + 1;
      socket.emit('move', move, function (ack) {
        if (!ack) return;
        if (ack.ok) {
          if (dirty) { dirty = false; update(); }
          return;
        }
        if (ack.state) remember(ack.state);
        if (ack.role === 'standby') {
          becomes('standby', 'another presenter session drives now');
        } else if (ack.stale && !retried && !same(local(), live)) {
          send(true);
        } else if (!ack.stale) {
          console.warn('live: move refused:', ack.error);
        }
      });
    }

    function remember(state) {
      if (!state || typeof state.seq !== 'number') return false;
      if (live && state.seq < live.seq) return false;  // an older message arriving late
      live = state;
      if (state.seq > seq) seq = state.seq;
      return true;
    }

    function becomes(next, why) {
      var was = role;
      role = next;
      if (was === 'driver' && next !== 'driver') {
        dirty = false;
        notice = why ? why.charAt(0).toUpperCase() + why.slice(1) + ': following' : '';
        following = true;
        applyLive();
      } else if (next === 'driver') {
        notice = '';
      }
      update();
    }

    function onState(state) {
      problem = '';
      if (!remember(state)) { update(); return; }
      if (role === 'driver') {
        if (fresh) {
          // First connection: join the talk where it is. Back after a gap:
          // the presenter's own position wins, it went on locally.
          if (!everConnected && live.seq > 0 && !dirty) deck.goTo(live.h, live.f, {source: 'live'});
          else if (!same(local(), live) || dirty) send();
        }
      } else if (following) {
        applyLive();
      }
      if (fresh) { fresh = false; everConnected = true; }
      update();
    }

    function backToLive() {
      following = true;
      applyLive();
      update();
    }

    function takeOver() {
      if (!connected()) return;
      ui.takeover.disabled = true;
      socket.emit('takeover', {}, function (ack) {
        ui.takeover.disabled = false;
        if (!ack || !ack.ok) { console.warn('live: takeover refused:', ack && ack.error); return; }
        remember(ack.state);
        following = true;
        becomes('driver');
        if (!same(local(), live)) send();
      });
    }

    function onStep(e) {
      if (e.source === 'live') return;  // our own echo
      if (role === 'driver') {
        if (e.source !== 'link') send();  // a 'link' step was sent by the tab that made it
        return;
      }
      if (e.source === 'link' || !live) return;
      if (following && !same(local(), live)) { following = false; update(); }
    }

    function lost() {
      fresh = true;
      clearTimeout(offlineTimer);
      offlineTimer = setTimeout(function () { offline = true; update(); }, OFFLINE_AFTER);
      update();
    }

    function fillQr() {
      var figures = deck.el.querySelectorAll('.qr[data-qr]');
      if (!figures.length) return;
      Array.prototype.forEach.call(figures, function (figure) {
        var img = figure.querySelector('.qr-img'), placeholder = figure.querySelector('.qr-offline');
        if (!img) return;
        img.addEventListener('load', function () {
          img.hidden = false;
          if (placeholder) placeholder.hidden = true;
        });
        img.src = new URL(figure.getAttribute('data-qr'), base).href;
      });
      fetch(new URL(figures[0].getAttribute('data-qr-url') || 'join.json', base).href, {cache: 'no-store'})
        .then(function (res) { return res.ok ? res.json() : null; })
        .then(function (data) {
          if (!data || !data.url) return;
          Array.prototype.forEach.call(deck.el.querySelectorAll('.qr .qr-url'), function (caption) {
            caption.textContent = data.url;
          });
        })
        .catch(function () { /* the placeholder stays */ });
    }

    function connect() {
      if (typeof window.io !== 'function') {
        offline = true;
        show('offline', 'Offline: the live link could not load; the deck works locally');
        return;
      }
      socket = window.io(base.origin + '/deck', {path: base.pathname + 'socket.io'});
      socket.on('connect', function () {
        offline = false;
        clearTimeout(offlineTimer);
        offlineTimer = null;
        update();
      });
      socket.on('disconnect', function (reason) {
        lost();
        if (reason === 'io server disconnect') socket.connect();  // the server hung up: call again
      });
      socket.on('connect_error', function () { if (!offlineTimer) lost(); });
      socket.on('driver', function (data) { if (data && data.role) becomes(data.role, data.reason); });
      socket.on('state', onState);
      socket.on('error', function (data) { if (data && data.error) { problem = data.error; update(); } });
    }

    deck.on('statechanged', onStep);
    fillQr();
    connect();
    update();
    deck.live = {
      role: function () { return role; },
      state: function () { return live; },
      following: function () { return following; },
      backToLive: backToLive,
      takeOver: takeOver
    };
    return deck.live;
  }

  var plugin = {
    id: 'live',
    init: function (deck) {
      if (deck.config.mode === 'print') return;  // pages to print: no server, placeholders
      document.documentElement.classList.add('omq-live');
      Live(deck);
    }
  };

  window.OMQ = window.OMQ || {};
  window.OMQ.livePlugin = plugin;
  if (window.OMQ.deck) window.OMQ.deck.use(plugin);
  else (window.OMQ_PLUGINS = window.OMQ_PLUGINS || []).push(plugin);
})(window, document);
