/*
 * Live follow (static/live/deck-live.js): the presenter drives, the audience
 * follows. A deck plugin {id: 'live', init(deck)} (see the SEAM comment of
 * static/deck/deck.js); the demo server injects it into the deck page at the
 * <!-- omq:inject --> marker after window.OMQ_SERVER and the Socket.IO client.
 * Our own code: DOM APIs and textContent only, no inline handlers.
 *
 * Protocol, namespace /deck (names in demo/keys.py, server in demo/talk/follow.py):
 *   server -> 'driver' {role, reason, holder}   on connect and when the driver
 *             changes; role: audience | driver | standby (a presenter session
 *             that waits); holder: the device that drives (phone | laptop)
 *   server -> 'state' {seq, h, f, panel, at}   at once on every (re)connect,
 *             then to everyone after each accepted move
 *   server -> 'remote' {paired}          a phone used this session's remote QR code
 *   client -> 'move' {seq, h, f, panel}  the driver's steps, acked {ok, seq} or
 *             {ok: false, error, stale?, state?, role?}
 *   client connect auth {device}         phone | laptop: how a standby names this driver
 *   client -> 'takeover' {if_free?}      a standby presenter session drives (acked);
 *             with if_free only when the seat is free (its driver is gone)
 * Who this browser is comes from its session cookie, never from the page.
 * Without the server the deck goes on locally; the socket rejoins by itself.
 *
 * A standby presenter session (the phone remote drives) never moves on its
 * own: its steps are refused through deck.guard, and it asks once "Take over
 * from the phone?" (the same key again, or the button, says yes). The status
 * pill fades when all is well and comes back on any change.
 */
(function (window, document) {
  'use strict';

  var OFFLINE_AFTER = 4000;  // ms without a connection before "reconnecting" becomes "offline"
  var CALM_AFTER = 4000;     // ms a well status stays in full view before it fades
  var ASK_FOR = 12000;       // ms the "Take over?" question waits for an answer
  var CALM = {live: true, following: true, standby: true};
  var ASKING = {key: true, touch: true, click: true, hash: true};  // steps a person made here
  var HINT_KEY = 'omq-live-hint-seen:';

  function make(tag, className, parent, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  function button(className, parent, text, onClick) {
    var node = make('button', className, parent, text);
    node.type = 'button';
    node.addEventListener('click', onClick);
    return node;
  }

  function serverBase() {
    try {
      return new URL(String(window.OMQ_SERVER || '/').replace(/\/?$/, '/'), window.location.href);
    } catch (err) {
      return new URL('/', window.location.href);
    }
  }

  function stored(key, value) {
    try {
      if (value === undefined) return window.localStorage.getItem(key);
      window.localStorage.setItem(key, value);
    } catch (err) { /* private mode: ask again next time */ }
    return null;
  }

  function Live(deck) {
    var base = serverBase();
    var speaker = deck.config.mode === 'presenter';
    var role = null;        // audience | driver | standby, as the server says
    var holder = null;      // for a standby: the device that drives
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
    var shown = '', calmTimer = null;
    var pending = null, askTimer = null;  // the step a standby asked to make
    var socket = null;
    var ui = render();

    function render() {
      var bar = speaker && document.querySelector('.p-bar');
      var pill = make('div', 'live-status', bar || document.body);
      pill.setAttribute('role', 'status');
      pill.setAttribute('aria-live', 'polite');
      make('span', 'live-dot', pill).setAttribute('aria-hidden', 'true');
      var text = make('span', 'live-text', pill, 'Connecting…');
      var back = button('live-back', pill, 'Back to live', backToLive);
      var takeover = button('live-takeover', pill, 'Take over', function () { takeOver(); });
      back.hidden = takeover.hidden = true;

      var ask = make('div', 'live-ask', document.body);
      ask.setAttribute('role', 'alertdialog');
      ask.setAttribute('aria-label', 'Take over');
      ask.hidden = true;
      var question = make('p', 'live-ask-q', ask);
      var answers = make('div', 'live-ask-a', ask);
      button('live-ask-yes', answers, 'Take over', function () { confirm(); });
      button('live-ask-no', answers, 'Keep following', function () { closeAsk(); });
      make('p', 'live-ask-tip', ask, 'Press the same key again to take over, Esc to keep following.');

      var remote = null;
      if (speaker) {
        document.documentElement.classList.add('live-remote-on');
        remote = make('div', 'live-remote', document.body);
        button('live-prev', remote, '‹ Previous', function () { deck.prev({source: 'click'}); });
        button('live-next', remote, 'Next ›', function () { deck.next({source: 'click'}); });
      }
      // On a phone, the audience's ways into the rest of the talk.
      var links = make('nav', 'live-links', document.body);
      links.setAttribute('aria-label', 'Take part');
      [['demo/submit', 'Send a job'], ['dashboard', 'Dashboard']].forEach(function (pair) {
        var a = make('a', '', links, pair[1]);
        a.href = new URL(pair[0], base).href;
      });
      return {pill: pill, text: text, back: back, takeover: takeover, ask: ask, question: question,
              remote: remote, links: links, tools: null};
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
      // Fade when all is well; any change brings the pill back.
      var now = state + '|' + text;
      if (now === shown) return;
      shown = now;
      ui.pill.classList.remove('calm');
      clearTimeout(calmTimer);
      if (CALM[state]) calmTimer = setTimeout(function () { ui.pill.classList.add('calm'); }, CALM_AFTER);
    }

    function drives() { return 'the ' + (holder || 'other presenter') + ' drives'; }

    function update() {
      var where = live ? 'slide ' + (live.h + 1) : 'slide 1';
      if (!following && same(local(), live)) following = true;  // back where the talk is
      if (!connected()) {
        if (!everConnected && !offline) show('connecting', 'Connecting…');
        else if (offline) show('offline', 'Offline: the deck works locally and rejoins when the server is back');
        else show('reconnecting', 'Reconnecting… the deck works locally');
        return;
      }
      if (problem) show('reconnecting', problem);
      else if (role === 'driver') show('live', 'Live: you drive' + (dirty ? ' (sending…)' : ''));
      else if (!following) show('paused', 'Paused: live is on ' + where);
      else if (role === 'standby') show('standby', notice || 'Following: ' + drives());
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
          becomes('standby', 'another presenter session drives now', ack.holder);
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

    function becomes(next, why, driving) {
      var was = role;
      role = next;
      if (driving !== undefined) holder = driving || null;
      if (was === 'driver' && next !== 'driver') {
        dirty = false;
        notice = why ? why.charAt(0).toUpperCase() + why.slice(1) + ': following' : '';
        following = true;
        applyLive();
      } else if (next === 'driver') {
        notice = '';
        closeAsk();
      }
      if (next !== 'audience') presenterTools();
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

    // Drive from now on; then make the step that was asked for, if any.
    function takeOver(then, ifFree, refused) {
      if (!connected()) return;
      ui.takeover.disabled = true;
      socket.emit('takeover', ifFree ? {if_free: true} : {}, function (ack) {
        ui.takeover.disabled = false;
        if (!ack || !ack.ok) {
          if (ack && ack.holder) holder = ack.holder;
          if (refused) refused();
          else console.warn('live: takeover refused:', ack && ack.error);
          return;
        }
        remember(ack.state);
        following = true;
        becomes('driver');
        if (then && same(local(), live)) deck.goTo(then.h, then.f, {source: then.source});
        else if (!same(local(), live)) send();
      });
    }

    // deck.guard: a standby's own step never moves it away from the room.
    function guard(target) {
      if (role !== 'standby' || !connected() || !ASKING[target.source]) return true;
      if (!ui.ask.hidden) { confirm(target); return false; }  // asked already: the same key says yes
      // A seat whose driver is gone is free: take it without asking.
      takeOver(target, true, function () { ask(target); });
      return false;
    }

    function ask(target) {
      pending = target;
      ui.question.textContent = 'The ' + (holder || 'other presenter session') + ' drives. Take over from the ' +
        (holder || 'other session') + '?';
      ui.ask.hidden = false;
      clearTimeout(askTimer);
      askTimer = setTimeout(closeAsk, ASK_FOR);
      var yes = ui.ask.querySelector('.live-ask-yes');
      if (yes && !speaker) yes.focus({preventScroll: true});
    }

    function confirm(target) {
      var then = target || pending;
      closeAsk();
      takeOver(then);
    }

    function closeAsk() {
      pending = null;
      clearTimeout(askTimer);
      ui.ask.hidden = true;
    }

    function onKeyDown(e) {
      if (e.key === 'Escape' && !ui.ask.hidden) {
        e.preventDefault();
        e.stopImmediatePropagation();
        closeAsk();
      }
    }

    function onStep(e) {
      if (e.source === 'live') return;  // our own echo
      if (role === 'driver') {
        if (e.source !== 'link') send();  // a 'link' step was sent by the tab that made it
        return;
      }
      if (e.source === 'link' || !live) return;
      following = same(local(), live);
      update();
    }

    function lost() {
      fresh = true;
      clearTimeout(offlineTimer);
      offlineTimer = setTimeout(function () { offline = true; update(); }, OFFLINE_AFTER);
      update();
    }

    // --- what only a presenter session sees ----------------------------------

    function presenterTools() {
      if (ui.tools) return;
      ui.tools = true;
      document.documentElement.classList.add('live-presenter');
      if (speaker) remoteTools();
      hint();
    }

    // The speaker view's "Phone remote": a one-time QR code that signs a phone in.
    function remoteTools() {
      var bar = document.querySelector('.p-bar') || document.body;
      var open = button('live-remote-open', bar, 'Phone remote', function () { showRemote(); });
      open.title = 'Show a QR code that turns your phone into the remote';
      var box = make('div', 'live-qr', document.body);
      box.setAttribute('role', 'dialog');
      box.setAttribute('aria-label', 'Phone remote');
      box.hidden = true;
      make('h2', '', box, 'Phone remote');
      var img = make('img', 'live-qr-img', box);
      img.alt = 'QR code of a link that signs your phone in as the remote';
      var link = make('a', 'live-qr-url', box);
      link.target = '_blank';
      link.rel = 'noopener';
      var say = make('p', 'live-qr-say', box);
      var warn = make('p', 'live-qr-warn', box);
      button('live-qr-close', box, 'Close', function () { box.hidden = true; });
      ui.qr = {box: box, img: img, link: link, say: say, warn: warn};
    }

    function showRemote() {
      var qr = ui.qr;
      qr.box.hidden = false;
      qr.img.hidden = true;
      qr.say.textContent = 'Making a code…';
      fetch(new URL('remote/code', base).href, {
        method: 'POST', credentials: 'same-origin',
        headers: {'Content-Type': 'application/json', Accept: 'application/json'}, body: '{}'
      }).then(function (res) {
        return res.json().then(function (data) { return {ok: res.ok, data: data}; });
      }).then(function (r) {
        if (!r.ok) { qr.say.textContent = r.data.error || 'No code: sign in again with the printed link.'; return; }
        qr.img.src = r.data.qr;
        qr.img.hidden = false;
        qr.link.href = r.data.url;
        qr.link.textContent = r.data.url;
        qr.say.textContent = 'Scan it with your phone: it opens this view there, with big Previous and Next ' +
          'buttons. The code works once, for ' + Math.round(r.data.expires_in / 60) + ' minutes.';
        qr.warn.textContent = r.data.warning || '';
        qr.warn.hidden = !r.data.warning;
      }).catch(function () {
        qr.say.textContent = "Can't reach the talk's server: try again in a moment.";
      });
    }

    function paired() {
      if (!ui.qr || ui.qr.box.hidden) return;
      ui.qr.img.hidden = true;
      ui.qr.say.textContent = 'Phone paired: it follows you; tap Take over on it to drive from the phone.';
      setTimeout(function () { ui.qr.box.hidden = true; }, 4000);
    }

    // Shown once per browser and view: the keys and the remote.
    function hint() {
      var phone = speaker && window.matchMedia && window.matchMedia('(max-width: 760px)').matches;
      var key = HINT_KEY + (phone ? 'remote' : speaker ? 'speaker' : 'deck');
      if (stored(key)) return;
      var box = make('div', 'live-hint', document.body);
      box.setAttribute('role', 'dialog');
      box.setAttribute('aria-label', 'Presenter tips');
      make('h2', '', box, phone ? 'Your phone is the remote' : speaker ? 'Speaker view' : 'You are the presenter');
      var list = make('ul', '', box);
      (phone ? [
        'Next and Previous move the deck for everyone.',
        'When the laptop drives, tap Take over, or tap Next and answer the question.',
        'The timer and your notes are under the buttons.'
      ] : speaker ? [
        'Notes, the next step and the timer are here; the room sees only the deck.',
        'Start the timer when you begin: it shows your pace against the notes’ Timing lines.',
        'Phone remote: a QR code for your phone (or open the Remote link serve printed).',
        '? lists every key.'
      ] : [
        'S opens the speaker view: notes, next step, timer, the phone remote.',
        '? lists every key; B blacks the screen.',
        'When you drive, your steps move every phone in the room.'
      ]).forEach(function (line) { make('li', '', list, line); });
      var row = make('div', 'live-hint-a', box);
      if (speaker && !phone) button('live-hint-remote', row, 'Show the phone remote', function () { close(); showRemote(); });
      button('live-hint-ok', row, 'Got it', close);
      function close() { stored(key, '1'); box.remove(); }
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
          Array.prototype.forEach.call(figures, function (figure) {
            var caption = figure.querySelector('.qr-url');
            if (caption) caption.textContent = data.url;
            if (data.warning) make('p', 'qr-warning', figure, data.warning);  // the presenter's only
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
      // What this screen is, so a standby can say "Take over from the phone?".
      var touch = window.matchMedia && window.matchMedia('(pointer: coarse)').matches;
      var device = touch && Math.min(window.screen.width, window.screen.height) < 600 ? 'phone' : 'laptop';
      socket = window.io(base.origin + '/deck', {path: base.pathname + 'socket.io', auth: {device: device}});
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
      socket.on('driver', function (data) { if (data && data.role) becomes(data.role, data.reason, data.holder); });
      socket.on('state', onState);
      socket.on('remote', function (data) { if (data && data.paired) paired(); });
      socket.on('error', function (data) { if (data && data.error) { problem = data.error; update(); } });
    }

    deck.on('statechanged', onStep);
    deck.guard = guard;
    window.addEventListener('keydown', onKeyDown, true);  // before the deck's keys: Esc answers the question
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
