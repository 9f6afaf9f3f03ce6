/* Deck controller 'link' (static/deck/controllers/link.js): one lifecycle with the
 * others (render, configure, bind, unbind, update, destroy); deck.js orchestrates. */
(function (window, document, OMQ) {
  'use strict';
  var controller = OMQ.util.controller;

  // Keeps every tab of this deck (main view, presenter view) on the same step,
  // without a server: BroadcastChannel (works from file:// too in Chromium),
  // or localStorage events in browsers without it.
  OMQ.controllers.link = function Link(deck) {
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
  };
})(window, document, window.OMQ);
